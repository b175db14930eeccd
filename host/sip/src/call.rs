//! Outbound calls: the UAC side of an INVITE dialog, from the INVITE to the BYE, as a
//! task that reports [`CallEvent`]s. Its callers see only this module's types: a
//! [`CallSetup`] in, events and a [`CallOutcome`] out, never a SIP message.
//!
//! - Ring timeout: CANCEL once a provisional response has arrived (RFC 3261 9.1); if
//!   none has, the CANCEL waits for the first one.
//! - 3xx: followed once, to the first Contact, when the request allows it.
//! - In the call: BYE from either side, re-INVITEs (hold, unhold) answered with our
//!   session description, other in-dialog requests answered 200.

use std::time::{Duration, Instant};

use bytes::Bytes;
use rsip::headers::UntypedHeader as _;
use rsip::prelude::*;
use rsip::{Header, Method, Request, Response};
use tokio::sync::mpsc;

use crate::dialog::Dialog;
use crate::endpoint::{DialogEvent, Endpoint};
use crate::ids;
use crate::message;
use crate::outcome::{CallOutcome, HangupBy, Outcome, classify};
use crate::request::{DigestLogin, NewRequest, authorization};
use crate::transaction::{ClientEvent, ClientTransaction};
use crate::transport::Peer;

/// What to call, and through which trunk.
#[derive(Debug, Clone)]
pub struct CallSetup {
    /// The number (or user) to call; it becomes the user part of the Request-URI.
    pub number: String,
    /// The trunk: where the INVITE goes.
    pub trunk: Peer,
    /// Host part of the Request-URI and To (the trunk's domain); the trunk's
    /// address when empty.
    pub domain: String,
    /// Caller ID for From (user part).
    pub caller_id: String,
    /// Also sent as P-Asserted-Identity when set.
    pub asserted_identity: Option<String>,
    /// How long to let it ring before cancelling.
    pub ring_timeout: Duration,
    /// The session description offered in the INVITE, if any.
    pub offer: Option<Vec<u8>>,
    /// Whether a 3xx may be followed (once).
    pub follow_redirect: bool,
    /// Answers a 401 or 407 to the INVITE (once) when set.
    pub login: Option<DigestLogin>,
    /// A loose Route (`sip:proxy:5060;lr`) when the INVITE goes through an outbound
    /// proxy; `trunk` is then the proxy's address.
    pub route: Option<String>,
    /// The Request-URI and To when they are not `sip:number@domain`: a registered
    /// phone's Contact, kept whole with its parameters.
    pub target: Option<String>,
}

/// What happens to a call, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallEvent {
    /// The callee's phone rings (180 or 183).
    Ringing,
    /// The callee answered; their session description, if they sent one.
    Answered {
        /// The SDP answer.
        answer: Option<Vec<u8>>,
    },
    /// The call is over.
    Ended(CallOutcome),
}

/// A call in progress. Dropping it hangs up.
pub struct Call {
    events: mpsc::UnboundedReceiver<CallEvent>,
    hangup: mpsc::UnboundedSender<()>,
}

impl Call {
    /// A call whose events and hang-up go through the returned channel ends.
    pub(crate) fn channel() -> (
        Call,
        mpsc::UnboundedSender<CallEvent>,
        mpsc::UnboundedReceiver<()>,
    ) {
        let (events_tx, events) = mpsc::unbounded_channel();
        let (hangup, hangup_rx) = mpsc::unbounded_channel();
        (Call { events, hangup }, events_tx, hangup_rx)
    }

    /// The next event; `None` after [`CallEvent::Ended`].
    pub async fn next_event(&mut self) -> Option<CallEvent> {
        self.events.recv().await
    }

    /// Hangs up: CANCEL while ringing, BYE once answered.
    pub fn hangup(&self) {
        let _ = self.hangup.send(());
    }
}

impl Endpoint {
    /// Places a call; its progress arrives on the returned [`Call`].
    pub fn place_call(&self, request: CallSetup) -> Call {
        let (call, events_tx, hangup_rx) = Call::channel();
        let endpoint = self.clone();
        tokio::spawn(async move {
            let mut leg = Leg {
                endpoint,
                request,
                events: events_tx,
                hangup: hangup_rx,
                started: Instant::now(),
            };
            let outcome = leg.run().await;
            let _ = leg.events.send(CallEvent::Ended(outcome));
        });
        call
    }
}

/// What stays the same across the INVITEs of one call (redirect, authentication).
struct Origin {
    local: std::net::SocketAddr,
    call_id: String,
    from_tag: String,
    domain: String,
}

/// Why a CANCEL was sent, which decides the outcome of the 487.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CancelReason {
    RingTimeout,
    Local,
}

struct Leg {
    endpoint: Endpoint,
    request: CallSetup,
    events: mpsc::UnboundedSender<CallEvent>,
    hangup: mpsc::UnboundedReceiver<()>,
    started: Instant,
}

impl Leg {
    fn elapsed_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn ended(&self, outcome: Outcome, sip_code: Option<u16>, q850: Option<u16>) -> CallOutcome {
        CallOutcome {
            outcome,
            sip_code,
            q850_cause: q850,
            ring_ms: self.elapsed_ms(),
            talk_ms: 0,
            hangup_by: None,
            trunk: None,
        }
    }

    async fn run(&mut self) -> CallOutcome {
        let Some(local) = self
            .endpoint
            .transport()
            .local_addr(self.request.trunk.protocol)
        else {
            return self.ended(Outcome::Failed, None, None);
        };
        let domain = if self.request.domain.is_empty() {
            self.request.trunk.addr.to_string()
        } else {
            self.request.domain.clone()
        };
        let mut target = self
            .request
            .target
            .clone()
            .unwrap_or_else(|| format!("sip:{}@{domain}", self.request.number));
        let mut redirected = false;
        let mut credentials: Option<Header> = None;
        let origin = Origin {
            local,
            call_id: ids::call_id(&local.ip().to_string()),
            from_tag: ids::tag(),
            domain,
        };
        let mut seq = 1;

        'attempt: loop {
            let invite = self.invite(&origin, &target, seq, credentials.clone());
            let Ok(invite) = invite else {
                return self.ended(Outcome::Failed, None, None);
            };
            let mut transaction = self
                .endpoint
                .inner
                .layer
                .send_request(invite.clone(), self.request.trunk);
            let ring_deadline = tokio::time::Instant::now() + self.request.ring_timeout;
            let mut provisional = false;
            let mut ringing = false;
            let mut cancel: Option<CancelReason> = None;
            // Set once the CANCEL is sent: the 487 must come by then or we give up (9.1).
            let mut give_up: Option<tokio::time::Instant> = None;

            loop {
                tokio::select! {
                    event = transaction.events.recv() => {
                        let response = match event {
                            Some(ClientEvent::Response(response)) => response,
                            Some(ClientEvent::Timeout) | None => {
                                return match cancel {
                                    Some(CancelReason::RingTimeout) => self.ended(Outcome::NoAnswer, None, None),
                                    Some(CancelReason::Local) => self.ended(Outcome::Cancelled, None, None),
                                    None => self.ended(Outcome::ChannelUnavailable, None, None),
                                };
                            }
                            Some(ClientEvent::TransportError(error)) => {
                                tracing::debug!(%error, "INVITE could not be sent");
                                return self.ended(Outcome::ChannelUnavailable, None, None);
                            }
                        };
                        let code = response.status_code.code();
                        match code {
                            100..=199 => {
                                provisional = true;
                                if (code == 180 || code == 183) && !ringing {
                                    ringing = true;
                                    let _ = self.events.send(CallEvent::Ringing);
                                }
                                if cancel.is_some() && give_up.is_none() {
                                    give_up = Some(self.send_cancel(&invite));
                                }
                            }
                            200..=299 => {
                                let ring_ms = self.elapsed_ms();
                                return self.answered(&invite, &response, transaction, ring_ms, cancel.is_some()).await;
                            }
                            300..=399 if self.request.follow_redirect && !redirected => {
                                let contact = response.contact_header().ok().and_then(|c| c.typed().ok());
                                if let Some(contact) = contact {
                                    tracing::debug!(to = %contact.uri, "following a redirect");
                                    target = contact.uri.to_string();
                                    redirected = true;
                                    seq += 1;
                                    continue 'attempt;
                                }
                                return self.ended(Outcome::Failed, Some(code), None);
                            }
                            401 | 407 if credentials.is_none() => {
                                let answer = self.request.login.as_ref().and_then(|login| {
                                    authorization(&response, login, &Method::Invite, &target)
                                });
                                if let Some(answer) = answer {
                                    credentials = Some(answer);
                                    seq += 1;
                                    continue 'attempt;
                                }
                                return self.ended(classify(code, None), Some(code), None);
                            }
                            _ => {
                                let q850 = message::q850_cause(&response.headers);
                                let outcome = match (code, cancel) {
                                    (487, Some(CancelReason::RingTimeout)) => Outcome::NoAnswer,
                                    (487, Some(CancelReason::Local)) => Outcome::Cancelled,
                                    _ => classify(code, q850),
                                };
                                return self.ended(outcome, Some(code), q850);
                            }
                        }
                    }
                    () = tokio::time::sleep_until(ring_deadline), if cancel.is_none() => {
                        cancel = Some(CancelReason::RingTimeout);
                        if provisional {
                            give_up = Some(self.send_cancel(&invite));
                        }
                    }
                    hangup = self.hangup.recv(), if cancel.is_none() => {
                        let _ = hangup;
                        cancel = Some(CancelReason::Local);
                        if provisional {
                            give_up = Some(self.send_cancel(&invite));
                        }
                    }
                    () = tokio::time::sleep_until(give_up.unwrap_or_else(tokio::time::Instant::now)), if give_up.is_some() => {
                        return match cancel {
                            Some(CancelReason::Local) => self.ended(Outcome::Cancelled, None, None),
                            _ => self.ended(Outcome::NoAnswer, None, None),
                        };
                    }
                }
            }
        }
    }

    fn invite(
        &self,
        origin: &Origin,
        target: &str,
        seq: u32,
        credentials: Option<Header>,
    ) -> Result<Request, rsip::Error> {
        let domain = &origin.domain;
        let mut extra = Vec::new();
        if let Some(route) = &self.request.route {
            extra.push(Header::Route(rsip::headers::Route::new(format!(
                "<{route}>"
            ))));
        }
        extra.extend(credentials);
        if let Some(identity) = &self.request.asserted_identity {
            extra.push(Header::Other(
                "P-Asserted-Identity".into(),
                format!("<sip:{identity}@{domain}>"),
            ));
        }
        extra.push(Header::Allow(rsip::headers::Allow::new(
            "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO",
        )));
        let body = self.request.offer.clone().unwrap_or_default();
        if !body.is_empty() {
            extra.push(Header::ContentType(rsip::headers::ContentType::new(
                "application/sdp",
            )));
        }
        NewRequest {
            method: Method::Invite,
            uri: target,
            local: origin.local,
            protocol: self.request.trunk.protocol,
            from: &format!("sip:{}@{domain}", self.request.caller_id),
            from_tag: &origin.from_tag,
            to: target,
            call_id: &origin.call_id,
            seq,
            user_agent: &self.endpoint.inner.user_agent,
            extra,
            body,
        }
        .build()
    }

    /// CANCEL (9.1): the INVITE's Request-URI, top Via, From, To, Call-ID and CSeq
    /// number, method CANCEL; its own non-INVITE transaction. Returns when to give up
    /// waiting for the INVITE's 487: 64*T1 from now.
    fn send_cancel(&self, invite: &Request) -> tokio::time::Instant {
        let cancel =
            message::same_transaction_request(invite, Method::Cancel, invite.to_header().ok());
        // The CANCEL's own response matters little: the INVITE's 487 ends the call.
        let _ = self
            .endpoint
            .inner
            .layer
            .send_request(cancel, self.request.trunk);
        tokio::time::Instant::now() + self.endpoint.inner.layer.timers().transaction_timeout()
    }

    /// The call was answered: ACK, then wait for a BYE from either side.
    async fn answered(
        &mut self,
        invite: &Request,
        response: &Response,
        mut transaction: ClientTransaction,
        ring_ms: u64,
        hang_up_at_once: bool,
    ) -> CallOutcome {
        let peer = self.request.trunk;
        let Some(mut dialog) = Dialog::from_2xx(invite, response, peer) else {
            return self.ended(Outcome::Failed, Some(response.status_code.code()), None);
        };
        let invite_seq = invite
            .cseq_header()
            .ok()
            .and_then(|c| c.seq().ok())
            .unwrap_or(1);
        let ack = Bytes::from(dialog.ack(invite_seq).to_string());
        let transport = self.endpoint.transport().clone();
        let _ = transport.send(peer, ack.clone()).await;
        let mut dialog_events = self.endpoint.register_dialog(dialog.id.clone());
        let answer = (!response.body.is_empty()).then(|| response.body.clone());
        let _ = self.events.send(CallEvent::Answered { answer });
        let answered_at = Instant::now();
        let mut hangup_requested = hang_up_at_once;

        let (hangup_by, q850) = loop {
            if hangup_requested {
                break (HangupBy::Ringhost, None);
            }
            tokio::select! {
                hangup = self.hangup.recv() => {
                    let _ = hangup;
                    hangup_requested = true;
                }
                event = transaction.events.recv() => {
                    if let Some(ClientEvent::Response(r)) = event && r.status_code.code() / 100 == 2 {
                        let _ = transport.send(peer, ack.clone()).await;
                    }
                }
                event = dialog_events.recv() => match event {
                    Some(DialogEvent::Retransmitted2xx) => {
                        let _ = transport.send(peer, ack.clone()).await;
                    }
                    Some(DialogEvent::Request(server)) => {
                        if let Some(q850) = answer_in_call(&server, self.request.offer.as_deref()) {
                            break (HangupBy::Callee, q850);
                        }
                    }
                    Some(DialogEvent::Ack) | None => {}
                },
            }
        };
        let answer = Answered {
            sip_code: response.status_code.code(),
            ring_ms,
            at: answered_at,
        };
        close_call(&self.endpoint, &mut dialog, answer, (hangup_by, q850)).await
    }
}

/// When and how a call was answered, for its outcome.
pub(crate) struct Answered {
    /// The 2xx's code.
    pub(crate) sip_code: u16,
    /// From the INVITE to the answer.
    pub(crate) ring_ms: u64,
    /// The answer.
    pub(crate) at: Instant,
}

/// Ends an answered call: a BYE when Ringhost hangs up (`hangup`: who did, with the
/// BYE's Q.850 cause), the dialog forgotten once the far end has let go; its outcome.
pub(crate) async fn close_call(
    endpoint: &Endpoint,
    dialog: &mut Dialog,
    answer: Answered,
    (hangup_by, q850): (HangupBy, Option<u16>),
) -> CallOutcome {
    let talk_ms = answer.at.elapsed().as_millis() as u64;
    if hangup_by == HangupBy::Ringhost {
        send_bye(endpoint, dialog).await;
    }
    endpoint.forget_dialog(&dialog.id);
    CallOutcome {
        outcome: Outcome::Answered,
        sip_code: Some(answer.sip_code),
        q850_cause: q850,
        ring_ms: answer.ring_ms,
        talk_ms,
        hangup_by: Some(hangup_by),
        trunk: None,
    }
}

/// Answers a request inside an answered call, either side's: a BYE 200 (the call is
/// over: `Some` with its Q.850 cause), a re-INVITE with our session description
/// (`ours`), anything else 200.
pub(crate) fn answer_in_call(
    server: &crate::transaction::ServerTransaction,
    ours: Option<&[u8]>,
) -> Option<Option<u16>> {
    match server.request.method {
        Method::Bye => {
            let q850 = message::q850_cause(&server.request.headers);
            server.reply(200, "OK", Vec::new());
            Some(q850)
        }
        Method::Invite => {
            answer_reinvite(server, ours);
            None
        }
        _ => {
            server.reply(200, "OK", Vec::new());
            None
        }
    }
}

/// Hangs up a confirmed dialog with a BYE, then waits for its final response (or
/// timer F), so that the dialog's requests stay routed until the far end has let go.
async fn send_bye(endpoint: &Endpoint, dialog: &mut Dialog) {
    let bye = dialog.request(
        Method::Bye,
        vec![Header::Other(
            "Reason".into(),
            "Q.850;cause=16;text=\"Normal call clearing\"".into(),
        )],
    );
    let mut bye_transaction = endpoint.inner.layer.send_request(bye, dialog.peer);
    while let Some(event) = bye_transaction.events.recv().await {
        match event {
            ClientEvent::Response(r) if r.status_code.code() < 200 => {}
            _ => break,
        }
    }
}

/// A re-INVITE in the call (hold, unhold): answered 200 with our session description
/// (`ours`), its direction mirrored. The media layer takes this over when it lands.
fn answer_reinvite(server: &crate::transaction::ServerTransaction, ours: Option<&[u8]>) {
    let body = ours
        .map(|ours| mirror_direction(ours, &server.request.body))
        .unwrap_or_default();
    let mut extra = Vec::new();
    if !body.is_empty() {
        extra.push(Header::ContentType(rsip::headers::ContentType::new(
            "application/sdp",
        )));
    }
    let to_tag = server
        .request
        .to_header()
        .ok()
        .and_then(|t| t.tag().ok().flatten())
        .map(|t| t.to_string())
        .unwrap_or_default();
    let response = message::response_to(&server.request, 200, "OK", &to_tag, extra, body);
    server.respond(response);
}

/// Our SDP with its direction attribute answering the offer's (RFC 3264 6.1):
/// sendonly is answered recvonly, recvonly sendonly, inactive inactive.
fn mirror_direction(ours: &[u8], offer: &[u8]) -> Vec<u8> {
    let offer = String::from_utf8_lossy(offer);
    let direction = if offer.contains("a=sendonly") {
        "a=recvonly"
    } else if offer.contains("a=recvonly") {
        "a=sendonly"
    } else if offer.contains("a=inactive") {
        "a=inactive"
    } else {
        "a=sendrecv"
    };
    let ours = String::from_utf8_lossy(ours);
    let mut out = String::with_capacity(ours.len() + 16);
    for line in ours.lines() {
        if !matches!(
            line,
            "a=sendrecv" | "a=sendonly" | "a=recvonly" | "a=inactive"
        ) {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str(direction);
    out.push_str("\r\n");
    out.into_bytes()
}
