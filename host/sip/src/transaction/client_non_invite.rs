//! The non-INVITE client transaction (RFC 3261 17.1.2, figure 6):
//! Trying -> Proceeding -> Completed -> Terminated.
//!
//! Timer E retransmits over UDP, doubling from T1 up to T2 (at T2 once a provisional
//! response arrived); timer F gives up after 64*T1; timer K lingers T4 over UDP to
//! absorb retransmitted final responses.

use rsip::{Request, Response};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use super::{ClientEvent, TransactionLayer};
use crate::transport::Peer;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Trying,
    Proceeding,
    Completed,
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
    let mut state = State::Trying;
    let mut interval_e = timers.t1;
    let mut timer_e = Instant::now() + interval_e;
    let timer_f = Instant::now() + timers.transaction_timeout();
    let mut timer_k = Instant::now();

    loop {
        tokio::select! {
            response = inbox.recv() => {
                let Some(response) = response else { return };
                let code = response.status_code.code();
                match state {
                    State::Trying | State::Proceeding if code < 200 => {
                        state = State::Proceeding;
                        let _ = events.send(ClientEvent::Response(response));
                    }
                    State::Trying | State::Proceeding => {
                        state = State::Completed;
                        timer_k = Instant::now() + if unreliable { timers.t4 } else { std::time::Duration::ZERO };
                        let _ = events.send(ClientEvent::Response(response));
                    }
                    State::Completed => {}
                }
            }
            () = sleep_until(timer_e), if unreliable && matches!(state, State::Trying | State::Proceeding) => {
                if let Err(error) = layer.send(peer, &bytes).await {
                    let _ = events.send(ClientEvent::TransportError(error.to_string()));
                    return;
                }
                interval_e = if state == State::Proceeding { timers.t2 } else { (interval_e * 2).min(timers.t2) };
                timer_e = Instant::now() + interval_e;
            }
            () = sleep_until(timer_f), if matches!(state, State::Trying | State::Proceeding) => {
                let _ = events.send(ClientEvent::Timeout);
                return;
            }
            () = sleep_until(timer_k), if state == State::Completed => return,
        }
    }
}
