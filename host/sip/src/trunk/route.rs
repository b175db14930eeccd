//! Failover along a route: the call goes to the first trunk of the route that is up,
//! has a free channel and whose pace allows a call now; when that trunk cannot carry
//! the call (no SIP answer, transport failure, 503 congestion) before anything rang, the
//! next trunk is tried. A busy, unanswered or unknown number is the callee's answer and
//! ends the call: trying it again elsewhere would ring the same person twice.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::{Trunk, TrunkPermit, Trunks, Unavailable};
use crate::call::{Call, CallEvent, CallSetup};
use crate::outcome::{CallOutcome, Outcome};

/// A call to place through a route.
#[derive(Debug, Clone)]
pub struct Dial {
    /// The number to call.
    pub number: String,
    /// Caller ID; the trunk's when `None`.
    pub caller_id: Option<String>,
    /// How long to let it ring.
    pub ring_timeout: Duration,
    /// The SDP offer.
    pub offer: Option<Vec<u8>>,
}

impl Trunks {
    /// Places a call through `route` (a route's or a trunk's name). Its events arrive on
    /// the returned [`Call`]; the outcome names the trunk that carried it.
    ///
    /// # Errors
    /// When there is no such route.
    pub fn place_call(self: &Arc<Self>, route: &str, dial: Dial) -> anyhow::Result<Call> {
        let trunks = self
            .routes
            .get(route)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("no route or trunk named `{route}`"))?;
        let (call, events, hangup) = Call::channel();
        let this = self.clone();
        tokio::spawn(async move {
            let outcome = this.fail_over(trunks, dial, &events, hangup).await;
            let _ = events.send(CallEvent::Ended(outcome));
        });
        Ok(call)
    }

    async fn fail_over(
        &self,
        trunks: Vec<Arc<Trunk>>,
        dial: Dial,
        events: &mpsc::UnboundedSender<CallEvent>,
        mut hangup: mpsc::UnboundedReceiver<()>,
    ) -> CallOutcome {
        let started = tokio::time::Instant::now();
        let mut tried = vec![false; trunks.len()];
        let mut last: Option<CallOutcome> = None;
        loop {
            let (index, permit) = match pick(&trunks, &tried) {
                Pick::Trunk(index, permit) => (index, permit),
                Pick::Wait(wait) => {
                    tokio::select! {
                        () = tokio::time::sleep(wait) => continue,
                        _ = hangup.recv() => return unplaced(Outcome::Cancelled, started),
                    }
                }
                Pick::None => {
                    return last.unwrap_or_else(|| unplaced(Outcome::ChannelUnavailable, started));
                }
            };
            tried[index] = true;
            let trunk = &trunks[index];
            let (outcome, progressed) = self
                .on_trunk(trunk, permit, &dial, events, &mut hangup)
                .await;
            let fail_over = !progressed
                && matches!(
                    outcome.outcome,
                    Outcome::ChannelUnavailable | Outcome::Congestion
                );
            if !fail_over {
                return outcome;
            }
            tracing::info!(trunk = trunk.name(), outcome = ?outcome.outcome, "trying the next trunk of the route");
            last = Some(outcome);
        }
    }

    /// The call on one trunk; the outcome, and whether it rang or was answered or hung
    /// up by us (then it must not move on).
    async fn on_trunk(
        &self,
        trunk: &Arc<Trunk>,
        permit: TrunkPermit,
        dial: &Dial,
        events: &mpsc::UnboundedSender<CallEvent>,
        hangup: &mut mpsc::UnboundedReceiver<()>,
    ) -> (CallOutcome, bool) {
        let Some(peer) = trunk.next_hop() else {
            return (
                unplaced(Outcome::ChannelUnavailable, tokio::time::Instant::now()),
                false,
            );
        };
        let spec = &trunk.spec;
        let mut call = self.endpoint.place_call(CallSetup {
            number: dial.number.clone(),
            trunk: peer,
            domain: trunk.domain.clone(),
            caller_id: dial
                .caller_id
                .clone()
                .unwrap_or_else(|| spec.caller_id.clone()),
            asserted_identity: spec.asserted_identity.clone(),
            ring_timeout: dial.ring_timeout,
            offer: dial.offer.clone(),
            follow_redirect: spec.follow_redirect,
            login: spec.login.clone(),
            route: trunk.route(),
            target: None,
        });
        let mut progressed = false;
        let mut hung_up = false;
        loop {
            tokio::select! {
                event = call.next_event() => match event {
                    Some(CallEvent::Ended(mut outcome)) => {
                        drop(permit);
                        outcome.trunk = Some(spec.name.clone());
                        return (outcome, progressed);
                    }
                    Some(event) => {
                        progressed = true;
                        let _ = events.send(event);
                    }
                    None => {
                        return (unplaced(Outcome::Failed, tokio::time::Instant::now()), progressed);
                    }
                },
                // A hang-up, or the caller dropped its `Call`: either way, hang up.
                _ = hangup.recv(), if !hung_up => {
                    hung_up = true;
                    progressed = true;
                    call.hangup();
                }
            }
        }
    }
}

enum Pick {
    Trunk(usize, TrunkPermit),
    Wait(Duration),
    None,
}

/// The first untried trunk that takes the call now; else how long until a paced one
/// does; else none.
fn pick(trunks: &[Arc<Trunk>], tried: &[bool]) -> Pick {
    let mut wait: Option<Duration> = None;
    for (index, trunk) in trunks.iter().enumerate() {
        if tried[index] {
            continue;
        }
        match trunk.try_acquire() {
            Ok(permit) => return Pick::Trunk(index, permit),
            Err(Unavailable::Paced(w)) => wait = Some(wait.map_or(w, |x| x.min(w))),
            Err(Unavailable::Down | Unavailable::Full) => {}
        }
    }
    wait.map_or(Pick::None, Pick::Wait)
}

fn unplaced(outcome: Outcome, started: tokio::time::Instant) -> CallOutcome {
    CallOutcome {
        outcome,
        sip_code: None,
        q850_cause: None,
        ring_ms: started.elapsed().as_millis() as u64,
        talk_ms: 0,
        hangup_by: None,
        trunk: None,
    }
}
