//! Inbound calls: the UAS side of an INVITE dialog (RFC 3261 13.3), for the numbers the
//! host answers (`[[inbound]]` lines). The endpoint hands a trunk's INVITE over as an
//! [`IncomingCall`]; its taker answers it with an SDP answer if the number is one of
//! its own (or refuses it), and from then on it is a [`Call`] like any other: events
//! out, hang-up in.
//!
//! - The 2xx is retransmitted (T1 doubling up to T2, over UDP) until its ACK arrives
//!   (13.3.1.4); with no ACK within 64*T1 the call is hung up with a BYE.
//! - In the call: BYE from the caller ends it; re-INVITEs are answered with our
//!   session description, direction mirrored; other in-dialog requests get 200.
//!
//! **Security:** only INVITEs from a configured trunk's address become an
//! `IncomingCall`; what the taker does with it is the call layer's business, and it
//! may ring phones only, never a trunk.

use std::time::Instant;

use bytes::Bytes;
use rsip::headers::UntypedHeader as _;
use rsip::prelude::*;
use rsip::{Header, Request};
use tokio::sync::mpsc;

use crate::call::{Answered, Call, CallEvent, answer_in_call, close_call};
use crate::dialog::Dialog;
use crate::endpoint::{DialogEvent, Endpoint};
use crate::ids;
use crate::message;
use crate::outcome::{CallOutcome, HangupBy, Outcome};
use crate::transaction::ServerTransaction;
use crate::transport::Protocol;

/// An INVITE to one of the host's numbers, not answered yet. Dropping it unanswered
/// answers 500.
pub struct IncomingCall {
    endpoint: Endpoint,
    transaction: ServerTransaction,
    /// The number called: the Request-URI's user part.
    pub number: String,
    /// Who calls: the user part of P-Asserted-Identity when the trunk sent one, else of
    /// From. As the trunk wrote it: not checked, not normalised.
    pub caller: String,
    received: Instant,
}

impl std::fmt::Debug for IncomingCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncomingCall")
            .field("number", &self.number)
            .field("caller", &self.caller)
            .field("peer", &self.transaction.peer)
            .finish_non_exhaustive()
    }
}

impl IncomingCall {
    pub(crate) fn new(endpoint: Endpoint, transaction: ServerTransaction, number: String) -> Self {
        let caller = caller_of(&transaction.request).unwrap_or_default();
        IncomingCall {
            endpoint,
            transaction,
            number,
            caller,
            received: Instant::now(),
        }
    }

    /// The caller's session description (empty when the INVITE carried none).
    pub fn offer(&self) -> &[u8] {
        &self.transaction.request.body
    }

    /// Refuses the call with a final response (`480`, `486`, `488`, ...).
    pub fn refuse(self, code: u16, reason: &str) {
        self.transaction.reply(code, reason, Vec::new());
    }

    /// Answers with `sdp` (our answer to the caller's offer); the call's events and
    /// hang-up go through the returned [`Call`], which reports no `Answered` (the call
    /// is answered now) and ends with a [`CallOutcome`] whose ring time is the time
    /// from the INVITE to the answer.
    pub fn answer(self, sdp: Vec<u8>) -> Call {
        let (call, events, hangup) = Call::channel();
        tokio::spawn(async move {
            let outcome = self.run(sdp, hangup).await;
            let _ = events.send(CallEvent::Ended(outcome));
        });
        call
    }

    async fn run(self, sdp: Vec<u8>, mut hangup: mpsc::UnboundedReceiver<()>) -> CallOutcome {
        let peer = self.transaction.peer;
        let request = &self.transaction.request;
        let transport = self.endpoint.transport().clone();
        let local = transport.local_addr(peer.protocol);
        let to_tag = ids::tag();
        let contact = local.map(|local| {
            let transport_param = match peer.protocol {
                Protocol::Udp => "",
                Protocol::Tcp => ";transport=tcp",
            };
            format!("<sip:ringhost@{local}{transport_param}>")
        });
        let dialog = contact.as_deref().zip(local).and_then(|(contact, local)| {
            Dialog::from_invite(request, &to_tag, contact, local, peer)
        });
        let ring_ms = self.received.elapsed().as_millis() as u64;
        let ended = |outcome, code| CallOutcome {
            outcome,
            sip_code: code,
            q850_cause: None,
            ring_ms,
            talk_ms: 0,
            hangup_by: None,
            trunk: None,
        };
        let (Some(mut dialog), Some(contact)) = (dialog, contact) else {
            tracing::warn!(%peer.addr, "inbound INVITE without the headers of a dialog: 400");
            self.transaction.reply(400, "Bad Request", Vec::new());
            return ended(Outcome::Failed, Some(400));
        };
        let mut dialog_events = self.endpoint.register_dialog(dialog.id.clone());
        let extra = vec![
            Header::Contact(rsip::headers::Contact::new(contact)),
            Header::Allow(rsip::headers::Allow::new(
                "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO",
            )),
            Header::ContentType(rsip::headers::ContentType::new("application/sdp")),
            Header::Server(rsip::headers::Server::new(
                self.endpoint.inner.user_agent.clone(),
            )),
        ];
        let ok = message::response_to(request, 200, "OK", &to_tag, extra, sdp.clone());
        let ok_bytes = Bytes::from(ok.to_string());
        self.transaction.respond(ok);
        let answered_at = Instant::now();

        // 13.3.1.4: the 2xx again until its ACK, over UDP; no ACK by 64*T1 ends the call.
        let timers = self.endpoint.inner.layer.timers();
        let mut retransmit_every = timers.t1;
        let mut retransmit_at = tokio::time::Instant::now() + retransmit_every;
        let give_up_at = tokio::time::Instant::now() + timers.transaction_timeout();
        let unreliable = !peer.protocol.is_reliable();
        let mut acked = false;

        let (hangup_by, q850) = loop {
            tokio::select! {
                _ = hangup.recv() => break (HangupBy::Ringhost, None),
                event = dialog_events.recv() => match event {
                    Some(DialogEvent::Ack) => acked = true,
                    Some(DialogEvent::Request(server)) => {
                        if let Some(q850) = answer_in_call(&server, Some(&sdp)) {
                            break (HangupBy::Callee, q850);
                        }
                    }
                    Some(DialogEvent::Retransmitted2xx) | None => {}
                },
                () = tokio::time::sleep_until(retransmit_at), if unreliable && !acked => {
                    let _ = transport.send(peer, ok_bytes.clone()).await;
                    retransmit_every = (retransmit_every * 2).min(timers.t2);
                    retransmit_at = tokio::time::Instant::now() + retransmit_every;
                }
                () = tokio::time::sleep_until(give_up_at), if !acked => {
                    tracing::info!(%peer.addr, "no ACK for the 2xx to an inbound call: hanging up");
                    break (HangupBy::Ringhost, None);
                }
            }
        };
        let answer = Answered {
            sip_code: 200,
            ring_ms,
            at: answered_at,
        };
        close_call(&self.endpoint, &mut dialog, answer, (hangup_by, q850)).await
    }
}

/// The user part of P-Asserted-Identity, else of From.
fn caller_of(request: &Request) -> Option<String> {
    let asserted = request.headers.iter().find_map(|header| match header {
        Header::Other(name, value) if name.eq_ignore_ascii_case("P-Asserted-Identity") => {
            Some(value.clone())
        }
        _ => None,
    });
    let uri = match asserted {
        Some(value) => rsip::headers::To::new(value).typed().ok()?.uri,
        None => request.from_header().ok()?.typed().ok()?.uri,
    };
    uri.auth.map(|auth| auth.user)
}

/// The user part of a request's Request-URI: the number called.
pub(crate) fn number_called(request: &Request) -> Option<String> {
    request.uri.auth.as_ref().map(|auth| auth.user.clone())
}
