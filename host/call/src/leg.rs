//! A call leg with its media: the SIP [`Call`] and the [`MediaSession`] that the answer
//! started, driven as one. The SIP crate carries SDP as bytes and the media crate knows
//! nothing of SIP; this is where the two meet, for every call the host places, every
//! phone it rings and every inbound call it answers.

use std::sync::Arc;

use ringhost_media::{Law, MediaEvent, MediaSession, PendingSession, RtpPorts, sdp};
use ringhost_sip::{
    Call, CallEvent, CallOutcome, Dial, Endpoint, IncomingCall, Registered, Trunks,
};
use tokio_util::sync::CancellationToken;

/// What happens on a leg, in order.
#[derive(Debug)]
pub enum LegEvent {
    /// The far end rings (each provisional response that says so).
    Ringing,
    /// The far end answered and its media runs.
    Answered,
    /// The far end answered with SDP Ringhost cannot use; the leg hangs up.
    MediaRefused(String),
    /// A digit, a prompt finished.
    Media(MediaEvent),
    /// The call is over.
    Ended(CallOutcome),
}

/// A call placed with an SDP offer naming its own RTP ports.
pub struct Leg {
    call: Call,
    pending: Option<PendingSession>,
    media: Option<MediaSession>,
    /// Cancelled when the host stops waiting for its calls: the leg hangs up.
    stop: CancellationToken,
    stopped: bool,
}

impl Leg {
    /// Binds the leg's RTP ports and places the call through `route` with an offer
    /// naming them.
    pub async fn place(
        trunks: &Arc<Trunks>,
        route: &str,
        dial: Dial,
        ports: &RtpPorts,
        laws: &[Law],
    ) -> anyhow::Result<Leg> {
        Leg::open(dial, ports, laws, |dial| trunks.place_call(route, dial)).await
    }

    /// Binds the leg's RTP ports and rings a registered phone with an offer naming
    /// them.
    pub async fn ring_phone(
        endpoint: &Endpoint,
        phone: &Registered,
        dial: Dial,
        ports: &RtpPorts,
        laws: &[Law],
    ) -> anyhow::Result<Leg> {
        Leg::open(dial, ports, laws, |dial| {
            Ok(endpoint.call_phone(phone, dial))
        })
        .await
    }

    /// Binds the leg's RTP ports and answers an inbound call with them; the leg's
    /// media runs at once. The call is refused with 488 when its offer has no G.711
    /// stream Ringhost can use, and with 503 when no RTP port is free.
    ///
    /// # Errors
    /// As said: the call is then refused.
    pub async fn answer(
        incoming: IncomingCall,
        ports: &RtpPorts,
        laws: &[Law],
    ) -> anyhow::Result<Leg> {
        let pending = match PendingSession::open(ports).await {
            Ok(pending) => pending,
            Err(error) => {
                incoming.refuse(503, "Service Unavailable");
                anyhow::bail!("no RTP port for an inbound call: {error}");
            }
        };
        let (answer, negotiated) = match pending.answer(laws, incoming.offer()) {
            Ok(answer) => answer,
            Err(error) => {
                incoming.refuse(488, "Not Acceptable Here");
                anyhow::bail!("an inbound call's offer cannot be used: {error}");
            }
        };
        let media = match pending.start(negotiated) {
            Ok(media) => media,
            Err(error) => {
                incoming.refuse(503, "Service Unavailable");
                anyhow::bail!("cannot start an inbound call's media: {error}");
            }
        };
        Ok(Leg {
            call: incoming.answer(answer),
            pending: None,
            media: Some(media),
            stop: CancellationToken::new(),
            stopped: false,
        })
    }

    async fn open(
        mut dial: Dial,
        ports: &RtpPorts,
        laws: &[Law],
        place: impl FnOnce(Dial) -> anyhow::Result<Call>,
    ) -> anyhow::Result<Leg> {
        let pending = PendingSession::open(ports).await?;
        dial.offer = Some(pending.offer(laws));
        let call = place(dial)?;
        Ok(Leg {
            call,
            pending: Some(pending),
            media: None,
            stop: CancellationToken::new(),
            stopped: false,
        })
    }

    /// The rest of a call that is hanging up: its outcome; `None` when its task is
    /// gone without one.
    pub async fn ended(&mut self) -> Option<CallOutcome> {
        while let Some(event) = self.next().await {
            if let LegEvent::Ended(outcome) = event {
                return Some(outcome);
            }
        }
        None
    }

    /// Makes the leg hang up when `stop` is cancelled (the end of a drain).
    pub fn until(mut self, stop: CancellationToken) -> Leg {
        self.stop = stop;
        self
    }

    /// The leg's media once answered.
    pub fn media(&mut self) -> Option<&mut MediaSession> {
        self.media.as_mut()
    }

    /// Hangs up (CANCEL or BYE).
    pub fn hangup(&self) {
        self.call.hangup();
    }

    /// The next thing that happens; `None` after [`LegEvent::Ended`].
    pub async fn next(&mut self) -> Option<LegEvent> {
        loop {
            let media = async {
                match self.media.as_mut() {
                    Some(media) => media.next_event().await,
                    None => std::future::pending().await,
                }
            };
            let stop = async {
                if self.stopped {
                    std::future::pending().await
                } else {
                    self.stop.cancelled().await
                }
            };
            return tokio::select! {
                event = self.call.next_event() => match event? {
                    CallEvent::Ringing => Some(LegEvent::Ringing),
                    CallEvent::Answered { answer } => Some(self.answered(answer.as_deref())),
                    // The media stops with the call; its counters stay readable.
                    CallEvent::Ended(outcome) => Some(LegEvent::Ended(outcome)),
                },
                Some(event) = media => Some(LegEvent::Media(event)),
                () = stop => {
                    // The host stops: hang up, and go on to the call's end.
                    self.stopped = true;
                    self.call.hangup();
                    continue;
                }
            };
        }
    }

    fn answered(&mut self, answer: Option<&[u8]>) -> LegEvent {
        let negotiated = match answer.map(sdp::read_answer) {
            Some(Ok(negotiated)) => negotiated,
            Some(Err(error)) => return self.refuse(error.to_string()),
            None => return self.refuse("the answer carries no SDP".into()),
        };
        match self.pending.take().map(|pending| pending.start(negotiated)) {
            Some(Ok(media)) => {
                self.media = Some(media);
                LegEvent::Answered
            }
            Some(Err(error)) => self.refuse(format!("cannot start the media: {error}")),
            None => self.refuse("answered twice".into()),
        }
    }

    fn refuse(&mut self, reason: String) -> LegEvent {
        tracing::warn!(%reason, "hanging up a call whose media cannot be used");
        self.call.hangup();
        LegEvent::MediaRefused(reason)
    }
}
