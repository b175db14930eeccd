//! The INVITE server transaction (RFC 3261 17.2.1, figure 7, with RFC 6026's Accepted
//! state): Proceeding -> Completed -> Confirmed, or Proceeding -> Accepted.
//!
//! A retransmitted INVITE gets the last provisional response again. A non-2xx final
//! response is retransmitted by timer G (UDP, T1 doubling up to T2) until its ACK
//! arrives or timer H (64*T1) gives up; timer I then absorbs ACK retransmissions.
//! After a 2xx the transaction absorbs INVITE retransmissions for timer L; the 2xx
//! itself is retransmitted by the dialog until its ACK (13.3.1.4).

use bytes::Bytes;
use rsip::{Method, Request, Response};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use super::{FinalSent, TransactionLayer};
use crate::transport::Peer;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Proceeding,
    Completed,
    Confirmed,
    Accepted,
}

pub(super) async fn run(
    layer: &TransactionLayer,
    peer: Peer,
    mut inbox: mpsc::UnboundedReceiver<Request>,
    mut responses: mpsc::UnboundedReceiver<Response>,
    final_sent: &mut FinalSent<'_>,
) {
    let timers = layer.timers();
    let unreliable = !peer.protocol.is_reliable();
    let mut state = State::Proceeding;
    let mut last: Option<Bytes> = None;
    let mut interval_g = timers.t1;
    let mut timer_g = Instant::now();
    let mut timer_h = Instant::now();
    // Timer I (Confirmed) or L (Accepted).
    let mut linger_until = Instant::now();

    loop {
        tokio::select! {
            response = responses.recv(), if state == State::Proceeding => {
                let Some(response) = response else {
                    // The transaction user went away without answering.
                    return;
                };
                let code = response.status_code.code();
                let bytes = Bytes::from(response.to_string());
                let _ = layer.send(peer, &bytes).await;
                last = Some(bytes);
                if code >= 200 {
                    final_sent.mark();
                }
                if (200..300).contains(&code) {
                    state = State::Accepted;
                    linger_until = Instant::now() + timers.transaction_timeout();
                } else if code >= 300 {
                    state = State::Completed;
                    timer_g = Instant::now() + interval_g;
                    timer_h = Instant::now() + timers.transaction_timeout();
                }
            }
            request = inbox.recv() => {
                let Some(request) = request else { return };
                match (state, request.method) {
                    (State::Proceeding | State::Completed, Method::Invite) => {
                        if let Some(last) = &last {
                            let _ = layer.send(peer, last).await;
                        }
                    }
                    (State::Completed, Method::Ack) => {
                        state = State::Confirmed;
                        linger_until = Instant::now() + if unreliable { timers.t4 } else { std::time::Duration::ZERO };
                    }
                    _ => {}
                }
            }
            () = sleep_until(timer_g), if unreliable && state == State::Completed => {
                if let Some(last) = &last {
                    let _ = layer.send(peer, last).await;
                }
                interval_g = (interval_g * 2).min(timers.t2);
                timer_g = Instant::now() + interval_g;
            }
            () = sleep_until(timer_h), if state == State::Completed => {
                tracing::debug!(remote = %peer.addr, "no ACK for a final response (timer H)");
                return;
            }
            () = sleep_until(linger_until), if matches!(state, State::Confirmed | State::Accepted) => return,
        }
    }
}
