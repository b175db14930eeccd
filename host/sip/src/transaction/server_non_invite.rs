//! The non-INVITE server transaction (RFC 3261 17.2.2, figure 8):
//! Trying -> Proceeding -> Completed -> Terminated.
//!
//! A retransmitted request gets the last response again (none while Trying); timer J
//! keeps the final response for 64*T1 over UDP to answer retransmissions.

use bytes::Bytes;
use rsip::{Request, Response};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use super::{FinalSent, TransactionLayer};
use crate::transport::Peer;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Trying,
    Proceeding,
    Completed,
}

pub(super) async fn run(
    layer: &TransactionLayer,
    peer: Peer,
    mut inbox: mpsc::UnboundedReceiver<Request>,
    mut responses: mpsc::UnboundedReceiver<Response>,
    final_sent: &mut FinalSent<'_>,
) {
    let timers = layer.timers();
    let mut state = State::Trying;
    let mut last: Option<Bytes> = None;
    let mut timer_j = Instant::now();

    loop {
        tokio::select! {
            response = responses.recv(), if state != State::Completed => {
                let Some(response) = response else { return };
                let bytes = Bytes::from(response.to_string());
                let _ = layer.send(peer, &bytes).await;
                last = Some(bytes);
                if response.status_code.code() >= 200 {
                    final_sent.mark();
                    state = State::Completed;
                    timer_j = Instant::now() + if peer.protocol.is_reliable() {
                        std::time::Duration::ZERO
                    } else {
                        timers.transaction_timeout()
                    };
                } else {
                    state = State::Proceeding;
                }
            }
            request = inbox.recv() => {
                if request.is_none() { return }
                if let Some(last) = &last {
                    let _ = layer.send(peer, last).await;
                }
            }
            () = sleep_until(timer_j), if state == State::Completed => return,
        }
    }
}
