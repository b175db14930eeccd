//! The INVITE client transaction (RFC 3261 17.1.1, figure 5, with RFC 6026's Accepted
//! state): Calling -> Proceeding -> Completed | Accepted -> Terminated.
//!
//! Timer A retransmits the INVITE over UDP, doubling from T1; timer B gives up in
//! Calling after 64*T1. A non-2xx final response is acknowledged here (17.1.1.3) and
//! retransmissions of it are acknowledged again for timer D. A 2xx is acknowledged by
//! the dialog, so in Accepted the 2xx retransmissions are passed up for timer M.

use bytes::Bytes;
use rsip::prelude::*;
use rsip::{Method, Request, Response};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use super::{ClientEvent, TransactionLayer};
use crate::transport::Peer;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Calling,
    Proceeding,
    Completed,
    Accepted,
}

pub(super) async fn run(
    layer: &TransactionLayer,
    request: Request,
    peer: Peer,
    mut inbox: mpsc::UnboundedReceiver<Response>,
    events: mpsc::UnboundedSender<ClientEvent>,
) {
    let timers = layer.timers();
    let Some(bytes) = layer.send_first(peer, &request, &events).await else {
        return;
    };
    let unreliable = !peer.protocol.is_reliable();
    let mut state = State::Calling;
    let mut interval_a = timers.t1;
    let mut timer_a = Instant::now() + interval_a;
    let timer_b = Instant::now() + timers.transaction_timeout();
    // Timer D (Completed) or M (Accepted): how long to linger for retransmissions.
    let mut linger_until = Instant::now();
    let mut ack: Option<Bytes> = None;

    loop {
        tokio::select! {
            response = inbox.recv() => {
                let Some(response) = response else { return };
                let code = response.status_code.code();
                match (state, code) {
                    (State::Calling | State::Proceeding, 100..=199) => {
                        state = State::Proceeding;
                        let _ = events.send(ClientEvent::Response(response));
                    }
                    (State::Calling | State::Proceeding, 200..=299) => {
                        state = State::Accepted;
                        linger_until = Instant::now() + timers.transaction_timeout();
                        let _ = events.send(ClientEvent::Response(response));
                    }
                    (State::Accepted, 200..=299) => {
                        let _ = events.send(ClientEvent::Response(response));
                    }
                    (State::Calling | State::Proceeding, _) if code >= 300 => {
                        let ack_request = crate::message::same_transaction_request(
                            &request,
                            Method::Ack,
                            response.to_header().ok(),
                        );
                        let built = Bytes::from(ack_request.to_string());
                        let _ = layer.send(peer, &built).await;
                        ack = Some(built);
                        state = State::Completed;
                        linger_until = Instant::now() + if unreliable {
                            std::time::Duration::from_secs(32)
                        } else {
                            std::time::Duration::ZERO
                        };
                        let _ = events.send(ClientEvent::Response(response));
                    }
                    (State::Completed, _) if code >= 300 => {
                        if let Some(ack) = &ack {
                            let _ = layer.send(peer, ack).await;
                        }
                    }
                    _ => {}
                }
            }
            () = sleep_until(timer_a), if unreliable && state == State::Calling => {
                if let Err(error) = layer.send(peer, &bytes).await {
                    let _ = events.send(ClientEvent::TransportError(error.to_string()));
                    return;
                }
                interval_a *= 2;
                timer_a = Instant::now() + interval_a;
            }
            () = sleep_until(timer_b), if state == State::Calling => {
                let _ = events.send(ClientEvent::Timeout);
                return;
            }
            () = sleep_until(linger_until), if matches!(state, State::Completed | State::Accepted) => {
                return;
            }
        }
    }
}
