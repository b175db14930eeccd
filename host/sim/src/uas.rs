//! One call as the sim's far end sees it: the UAS side of an INVITE (RFC 3261 13.3,
//! and the server transaction of 17.2.1 over UDP), shared by the carrier's callees and
//! the agents' phones. They differ only in their [`Role`]: what a new INVITE leads to
//! (a [`Plan`]), and what they count ([`Note`]).
//!
//! A call is one task, owning its Call-ID's messages (see [`crate::socket`]):
//! - ringing: 100 and 180, then the plan's outcome when the ring time is up; a CANCEL at
//!   any time before that is answered 200, and the INVITE 487;
//! - answered: an RTP port pair bound, the offer answered ([`ringhost_media::sdp`]) and
//!   the media started (comfort noise, the session's default), behind a tap when the
//!   far end records what it hears ([`crate::record`]); the 200 sent again on
//!   timer G until the ACK, given up (with a BYE) after 64*T1; digits sent when the plan
//!   says; a BYE sent when the talk time is up, unless the host's BYE came first;
//! - over: for 64*T1 more, retransmissions are answered (the last response to the
//!   INVITE, 200 to a BYE) before the Call-ID is forgotten.
//!
//! A retransmitted INVITE (no To tag) is answered with the last response; a final
//! response other than 2xx is also sent again until its ACK (timers G and H).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ringhost_media::sdp::{self, LocalMedia};
use ringhost_media::{Law, MediaSession, PendingSession, Prompt};
use rsip::headers::UntypedHeader as _;
use rsip::prelude::*;
use rsip::{Header, Method, Request, Response};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::record::Tap;
use crate::retransmit::{Retransmit, TIMEOUT, until};
use crate::socket::{Inbound, SimSocket, USER_AGENT, allow, cseq, has_to_tag, response};

/// A second of a steady tone at `hz` (a whole number of periods: it loops without a
/// click), a far end's voice that tests can tell from another's.
fn voice(hz: u16, law: Law) -> Prompt {
    let samples: Vec<i16> = (0..8000)
        .map(|i| {
            let phase = 2.0 * std::f64::consts::PI * f64::from(hz) * f64::from(i) / 8000.0;
            (4000.0 * phase.sin()) as i16
        })
        .collect();
    Prompt::from_samples("voice", law, &samples)
}

/// The laws an answer accepts, in order of preference.
const LAWS: [Law; 2] = [Law::Pcmu, Law::Pcma];
/// A callee planned never to answer is refused with 480 after this long, in case the
/// host never cancels: a call task must end.
const MAX_RING: Duration = Duration::from_secs(180);

/// What a far end does with calls: decided per INVITE, told how each went.
pub(crate) trait Role: Send + Sync + 'static {
    /// What a new INVITE leads to. Called by the socket's receiving task, one INVITE
    /// after the other, so a phone can decide from its calls in progress without a race.
    fn plan(&self) -> Plan;
    /// Something happened on a call.
    fn note(&self, note: Note);
}

/// What a call will do, decided when its INVITE arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Plan {
    /// 486 Busy Here at once, without ringing: a phone already on a call.
    Busy,
    /// Ring for `ring`, then `then`.
    Ring {
        /// How long before `then`.
        ring: Duration,
        /// What follows the ringing.
        then: AfterRing,
    },
}

/// What follows the ringing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AfterRing {
    /// 200 OK and a conversation.
    Answer(Talk),
    /// A final refusal, such as 486.
    Reject(u16),
    /// Ring on until the host cancels.
    KeepRinging,
}

/// An answered call's course.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Talk {
    /// From the 200 to the sim's BYE.
    pub talk: Duration,
    /// Digits sent (RFC 4733) this long after the 200.
    pub digits: Option<(Duration, String)>,
    /// What the far end says from the answer: a steady tone of this many hertz
    /// (comfort noise when unset).
    pub voice_hz: Option<u16>,
}

/// What a call tells its role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Note {
    /// The 200 OK was sent.
    Answered,
    /// The planned digits went out.
    DigitsSent,
    /// The call is over.
    Ended(Ending),
}

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// [`Plan::Busy`]: refused at once.
    Busy,
    /// Refused with this code after ringing.
    Rejected(u16),
    /// The host cancelled before the answer.
    Cancelled,
    /// The offer could not be answered (488), or no RTP port was free (500).
    MediaRefused(u16),
    /// The 200 was never acknowledged; the sim sent a BYE.
    Unacknowledged,
    /// The sim hung up when the talk time was up.
    HungUpBySim,
    /// The host sent a BYE first.
    HungUpByHost,
}

/// Takes a new INVITE: asks the role for a plan and starts the call's task.
pub(crate) fn accept(socket: &Arc<SimSocket>, invite: Request, source: SocketAddr) {
    let Ok(call_id) = invite.call_id_header().map(|c| c.value().to_owned()) else {
        return;
    };
    let plan = socket.role.plan();
    tracing::debug!(%source, call_id, ?plan, "INVITE");
    let inbox = socket.route(&call_id);
    let call = Call {
        socket: socket.clone(),
        invite_seq: cseq(&invite.headers),
        invite,
        peer: source,
        call_id,
        to_tag: ringhost_sip::ids::tag(),
        inbox,
        last: None,
        local_seq: 0,
        sdp: Vec::new(),
        bye: None,
        ended: false,
    };
    socket.spawn(call.run(plan));
}

/// An answered call's media.
enum Media {
    /// Running: comfort noise out, whatever the host sends heard.
    Running(MediaSession),
    /// The INVITE had no offer: ours went in the 200, the answer comes in the ACK.
    AwaitingAnswer(PendingSession),
    /// None (a late offer whose ACK carried no answer).
    Off,
}

struct Call {
    socket: Arc<SimSocket>,
    invite: Request,
    invite_seq: u32,
    /// Where the INVITE came from: responses and the sim's requests go there.
    peer: SocketAddr,
    call_id: String,
    to_tag: String,
    inbox: mpsc::UnboundedReceiver<Inbound>,
    /// The last response to the INVITE, for its retransmissions.
    last: Option<String>,
    /// CSeq of the sim's requests in the dialog.
    local_seq: u32,
    /// The sim's session description, for re-INVITEs.
    sdp: Vec<u8>,
    /// The BYE sent, until its final response.
    bye: Option<String>,
    /// The role has been told how the call ended.
    ended: bool,
}

impl Call {
    async fn run(mut self, plan: Plan) {
        let ending = self.play(plan).await;
        tracing::debug!(call_id = %self.call_id, ?ending, "call over");
        self.end(ending);
        if let Some(bye) = self.bye.take() {
            self.await_bye(bye).await;
        }
        self.linger().await;
        self.socket.unroute(&self.call_id);
    }

    async fn play(&mut self, plan: Plan) -> Ending {
        let (ring, then) = match plan {
            Plan::Busy => return self.refuse(486, Ending::Busy).await,
            Plan::Ring { ring, then } => (ring, then),
        };
        self.reply_invite(100, Vec::new(), Vec::new());
        self.reply_invite(180, vec![self.contact()], Vec::new());
        let ring = if then == AfterRing::KeepRinging {
            MAX_RING
        } else {
            ring
        };
        let answer_at = Instant::now() + ring;
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(answer_at) => break,
                inbound = self.next() => {
                    let Inbound::Request(request, source) = inbound else {
                        continue;
                    };
                    match request.method {
                        Method::Invite if !has_to_tag(&request) => self.resend_last(),
                        Method::Cancel => {
                            self.reply(&request, source, 200, Vec::new(), Vec::new());
                            return self.refuse(487, Ending::Cancelled).await;
                        }
                        Method::Ack => {}
                        // No dialog exists before the answer.
                        _ => self.reply(&request, source, 481, Vec::new(), Vec::new()),
                    }
                }
            }
        }
        match then {
            AfterRing::Answer(talk) => self.answer(talk).await,
            AfterRing::Reject(code) => self.refuse(code, Ending::Rejected(code)).await,
            AfterRing::KeepRinging => self.refuse(480, Ending::Rejected(480)).await,
        }
    }

    /// A final refusal, sent until its ACK.
    /// Tells the role how the call ended, once.
    fn end(&mut self, ending: Ending) {
        if !self.ended {
            self.ended = true;
            self.socket.role.note(Note::Ended(ending));
        }
    }

    async fn refuse(&mut self, code: u16, ending: Ending) -> Ending {
        self.reply_invite(code, Vec::new(), Vec::new());
        // Over for the phone from its final response: a new call may come before the
        // ACK is read.
        self.end(ending);
        let mut schedule = Retransmit::start();
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(schedule.next()) => {
                    if !schedule.fire() {
                        tracing::debug!(call_id = %self.call_id, code, "no ACK for the final response");
                        return ending;
                    }
                    self.resend_last();
                }
                inbound = self.next() => {
                    let Inbound::Request(request, source) = inbound else {
                        continue;
                    };
                    match request.method {
                        Method::Ack => return ending,
                        _ => self.after_end(&request, source),
                    }
                }
            }
        }
    }

    /// 200 OK with media, then the conversation until either side hangs up.
    async fn answer(&mut self, talk: Talk) -> Ending {
        // The tap, when recording, lives as long as the media: dropped with it.
        let (mut media, mut tap) = match self.open_media().await {
            Ok(media) => media,
            Err(code) => return self.refuse(code, Ending::MediaRefused(code)).await,
        };
        let headers = vec![
            self.contact(),
            allow(),
            Header::ContentType(rsip::headers::ContentType::new("application/sdp")),
        ];
        if let (Some(hz), Media::Running(session)) = (talk.voice_hz, &media) {
            session.play_loop(Arc::new(voice(hz, session.negotiated().law)));
        }
        self.reply_invite(200, headers, self.sdp.clone());
        self.socket.role.note(Note::Answered);
        let answered_at = Instant::now();
        let hang_up_at = answered_at + talk.talk;
        let mut digits = talk
            .digits
            .map(|(after, digits)| (answered_at + after, digits));
        let mut unacknowledged = Some(Retransmit::start());
        loop {
            let resend_at = unacknowledged.as_ref().map(Retransmit::next);
            let digits_at = digits.as_ref().map(|(at, _)| *at);
            tokio::select! {
                () = until(resend_at) => {
                    let Some(schedule) = unacknowledged.as_mut() else {
                        continue;
                    };
                    if !schedule.fire() {
                        tracing::warn!(call_id = %self.call_id, "no ACK for the 200 in 64*T1: hanging up");
                        drop((media, tap));
                        self.bye();
                        return Ending::Unacknowledged;
                    }
                    self.resend_last();
                }
                () = until(digits_at) => {
                    if let (Some((_, digits)), Media::Running(session)) = (digits.take(), &media) {
                        session.send_digits(&digits);
                        self.socket.role.note(Note::DigitsSent);
                    }
                }
                () = tokio::time::sleep_until(hang_up_at) => break,
                inbound = self.next() => {
                    let Inbound::Request(request, source) = inbound else {
                        continue;
                    };
                    match request.method {
                        Method::Ack => {
                            if cseq(&request.headers) == self.invite_seq {
                                unacknowledged = None;
                                media = late_answer(media, &request.body);
                            }
                        }
                        Method::Invite if !has_to_tag(&request) => self.resend_last(),
                        Method::Invite => {
                            // A re-INVITE (hold, unhold): the same stream goes on.
                            let headers = vec![
                                self.contact(),
                                Header::ContentType(rsip::headers::ContentType::new("application/sdp")),
                            ];
                            self.reply(&request, source, 200, headers, self.sdp.clone());
                        }
                        Method::Bye => {
                            self.reply(&request, source, 200, Vec::new(), Vec::new());
                            drop(tap.take());
                            return Ending::HungUpByHost;
                        }
                        // CANCEL after the answer has no effect (RFC 3261 9.2); INFO and
                        // the like are acknowledged and ignored.
                        _ => self.reply(&request, source, 200, Vec::new(), Vec::new()),
                    }
                }
            }
        }
        drop((media, tap));
        self.bye();
        Ending::HungUpBySim
    }

    /// Binds the call's RTP ports and answers the INVITE's offer, or makes an offer when
    /// it had none; with the far end recording, a tap in front of the media (see
    /// [`crate::record`]). `Err` is the status code refusing the call.
    async fn open_media(&mut self) -> Result<(Media, Option<Tap>), u16> {
        let no_port = |error: std::io::Error| {
            tracing::warn!(%error, "no RTP port for a simulated call");
            500u16
        };
        let pending = PendingSession::open(&self.socket.ports)
            .await
            .map_err(no_port)?;
        if self.invite.body.is_empty() {
            self.sdp = pending.offer(&LAWS);
            return Ok((Media::AwaitingAnswer(pending), None));
        }
        let tap_ports = if self.socket.recorder.is_on() {
            Some(self.socket.ports.bind().await.map_err(no_port)?)
        } else {
            None
        };
        let tap_addr = match &tap_ports {
            Some(pair) => pair.rtp.local_addr().map_err(no_port)?,
            None => pending.local_addr(),
        };
        let local = LocalMedia {
            addr: tap_addr,
            laws: LAWS.to_vec(),
        };
        let (answer, mut negotiated) =
            sdp::answer(&local, &self.invite.body, rand::random::<u32>().into()).map_err(
                |error| {
                    tracing::warn!(%error, call_id = %self.call_id, "offer refused");
                    488u16
                },
            )?;
        let tap = match tap_ports {
            Some(pair) => {
                let number = self.invite.uri.user().unwrap_or_default().to_owned();
                let tap = self
                    .socket
                    .recorder
                    .tap(number, pair, negotiated.remote, pending.local_addr())
                    .map_err(no_port)?;
                // The session talks to the host through the tap.
                negotiated.remote = tap.addr();
                Some(tap)
            }
            None => None,
        };
        let session = pending.start(negotiated).map_err(|error| {
            tracing::warn!(%error, "simulated call's media not started");
            500u16
        })?;
        self.sdp = answer.into_bytes();
        Ok((Media::Running(session), tap))
    }

    /// Sends a BYE; [`Call::await_bye`] waits for its answer once the role has heard
    /// that the call is over.
    fn bye(&mut self) {
        let Some(bye) = self.bye_request() else {
            tracing::warn!(call_id = %self.call_id, "no BYE could be built: the INVITE's headers are unusable");
            return;
        };
        let bye = bye.to_string();
        self.socket.send(bye.as_bytes(), self.peer);
        self.bye = Some(bye);
    }

    /// Sends the BYE again until its final response (timers E and F), answering the
    /// host's retransmissions meanwhile.
    async fn await_bye(&mut self, bye: String) {
        let seq = self.local_seq;
        let mut schedule = Retransmit::start();
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(schedule.next()) => {
                    if !schedule.fire() {
                        tracing::debug!(call_id = %self.call_id, "BYE unanswered");
                        return;
                    }
                    self.socket.send(bye.as_bytes(), self.peer);
                }
                inbound = self.next() => match inbound {
                    Inbound::Response(response) => {
                        if answers(&response, seq, &Method::Bye) && response.status_code.code() >= 200 {
                            return;
                        }
                    }
                    Inbound::Request(request, source) => self.after_end(&request, source),
                },
            }
        }
    }

    /// The sim's BYE (RFC 3261 12.2.1.1, 15.1.1): to the INVITE's Contact, From and To
    /// swapped, the INVITE's Record-Route as the route set, the sim's own CSeq.
    fn bye_request(&mut self) -> Option<Request> {
        self.local_seq += 1;
        let invite = &self.invite;
        let uri = invite
            .contact_header()
            .ok()
            .and_then(|c| c.typed().ok())
            .map(|c| c.uri)
            .or_else(|| rsip::Uri::try_from(format!("sip:{}", self.peer)).ok())?;
        let mut headers = rsip::Headers::default();
        headers.push(Header::Via(rsip::headers::Via::new(format!(
            "SIP/2.0/UDP {};branch={};rport",
            self.socket.local_addr(),
            ringhost_sip::ids::branch()
        ))));
        headers.push(Header::MaxForwards(rsip::headers::MaxForwards::default()));
        headers.push(Header::From(rsip::headers::From::new(format!(
            "{};tag={}",
            invite.to_header().ok()?.value(),
            self.to_tag
        ))));
        headers.push(Header::To(rsip::headers::To::new(
            invite.from_header().ok()?.value(),
        )));
        headers.push(Header::CallId(rsip::headers::CallId::new(&self.call_id)));
        headers.push(
            rsip::typed::CSeq {
                seq: self.local_seq,
                method: Method::Bye,
            }
            .into(),
        );
        for header in invite.headers.iter() {
            if let Header::RecordRoute(route) = header {
                headers.push(Header::Route(rsip::headers::Route::new(route.value())));
            }
        }
        headers.push(Header::Other(
            "Reason".into(),
            "Q.850;cause=16;text=\"Normal call clearing\"".into(),
        ));
        headers.push(Header::UserAgent(rsip::headers::UserAgent::new(USER_AGENT)));
        headers.push(Header::ContentLength(
            rsip::headers::ContentLength::default(),
        ));
        Some(Request {
            method: Method::Bye,
            uri,
            version: rsip::Version::V2,
            headers,
            body: Vec::new(),
        })
    }

    /// Answers retransmissions for 64*T1 after the call is over.
    async fn linger(&mut self) {
        let forget_at = Instant::now() + TIMEOUT;
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(forget_at) => return,
                inbound = self.next() => {
                    if let Inbound::Request(request, source) = inbound {
                        self.after_end(&request, source);
                    }
                }
            }
        }
    }

    /// A request once the call's outcome is settled.
    fn after_end(&mut self, request: &Request, source: SocketAddr) {
        match request.method {
            Method::Ack => {}
            Method::Invite if !has_to_tag(request) => self.resend_last(),
            // The host's BYE crossing ours, or its retransmission; a CANCEL too late.
            Method::Bye | Method::Cancel => {
                self.reply(request, source, 200, Vec::new(), Vec::new());
            }
            _ => self.reply(request, source, 481, Vec::new(), Vec::new()),
        }
    }

    /// The next message for this call. The route's sender lives in the socket's map
    /// until this task removes it, so the inbox never closes under a running call.
    async fn next(&mut self) -> Inbound {
        match self.inbox.recv().await {
            Some(inbound) => inbound,
            None => std::future::pending().await,
        }
    }

    fn contact(&self) -> Header {
        Header::Contact(rsip::headers::Contact::new(format!(
            "<sip:{}@{}>",
            self.socket.user,
            self.socket.local_addr()
        )))
    }

    fn reply(
        &self,
        request: &Request,
        to: SocketAddr,
        code: u16,
        extra: Vec<Header>,
        body: Vec<u8>,
    ) {
        let response = response(request, code, &self.to_tag, extra, body).to_string();
        self.socket.send(response.as_bytes(), to);
    }

    fn reply_invite(&mut self, code: u16, extra: Vec<Header>, body: Vec<u8>) {
        let response = response(&self.invite, code, &self.to_tag, extra, body).to_string();
        self.socket.send(response.as_bytes(), self.peer);
        self.last = Some(response);
    }

    fn resend_last(&self) {
        if let Some(last) = &self.last {
            self.socket.send(last.as_bytes(), self.peer);
        }
    }
}

/// The media once the ACK has come: a late offer's answer starts it.
fn late_answer(media: Media, ack_body: &[u8]) -> Media {
    let Media::AwaitingAnswer(pending) = media else {
        return media;
    };
    if ack_body.is_empty() {
        tracing::warn!("late offer unanswered: the call has no media");
        return Media::Off;
    }
    match sdp::read_answer(ack_body).map(|negotiated| pending.start(negotiated)) {
        Ok(Ok(session)) => Media::Running(session),
        Ok(Err(error)) => {
            tracing::warn!(%error, "simulated call's media not started");
            Media::Off
        }
        Err(error) => {
            tracing::warn!(%error, "the ACK's answer is unusable: the call has no media");
            Media::Off
        }
    }
}

/// Whether `response` answers the request with this CSeq number and method.
pub(crate) fn answers(response: &Response, seq: u32, method: &Method) -> bool {
    response
        .cseq_header()
        .is_ok_and(|c| c.seq().ok() == Some(seq) && c.method().ok().as_ref() == Some(method))
}
