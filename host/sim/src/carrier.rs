//! The simulated carrier: a SIP trunk on a loopback address whose callees answer, are
//! busy or ring out at the rates the demo sets, talk for a while and sometimes press 1
//! to confirm a notification. The host sees an ordinary trunk: it sends INVITEs,
//! CANCELs, BYEs and OPTIONS keepalives, and gets real responses and real RTP back.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::record::Heard;
use crate::socket::SimSocket;
use crate::uas::{AfterRing, Ending, Note, Plan, Role, Talk};
use crate::{pick, rtp_ports};

/// How the carrier's callees behave. Rates are probabilities in `0.0..=1.0`; a rate of
/// 1.0 or 0.0 is certain, so tests can ask for one outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct CarrierBehaviour {
    /// Share of calls answered.
    pub answer_rate: f64,
    /// Share of calls refused 486 Busy Here (of all calls: the rest of those neither
    /// answered nor busy ring until the host cancels).
    pub busy_rate: f64,
    /// How long a callee's phone rings before the answer or the 486, drawn uniformly
    /// from this range.
    pub ring: (Duration, Duration),
    /// How long an answered callee talks before hanging up, drawn uniformly from this
    /// range.
    pub talk: (Duration, Duration),
    /// Share of answered callees who press 1 (RFC 4733) to confirm.
    pub confirm_rate: f64,
    /// When a confirming callee presses 1, after the answer; never if the talk time is
    /// shorter.
    pub confirm_after: Duration,
    /// What callees say: a steady tone of this many hertz, so that a test can tell
    /// their voice from an agent's; comfort noise when unset.
    pub voice_hz: Option<u16>,
}

impl Default for CarrierBehaviour {
    /// A plausible mix for the demo: most answer within a few seconds, some are busy,
    /// the rest never pick up; half of those who answer confirm.
    fn default() -> Self {
        CarrierBehaviour {
            answer_rate: 0.6,
            busy_rate: 0.15,
            ring: (Duration::from_secs(2), Duration::from_secs(8)),
            talk: (Duration::from_secs(8), Duration::from_secs(30)),
            confirm_rate: 0.5,
            confirm_after: Duration::from_secs(4),
            voice_hz: None,
        }
    }
}

/// What the carrier's callees have done so far, for the demo to show next to the
/// host's own view of the same calls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CarrierStats {
    /// INVITEs received (retransmissions not counted).
    pub invites: u64,
    /// Calls answered 200 OK.
    pub answered: u64,
    /// Calls refused 486 Busy Here.
    pub busy: u64,
    /// Calls that rang until the host cancelled them (or, should it never, until the sim
    /// gave up with 480 after three minutes).
    pub no_answer: u64,
    /// Answered callees who pressed 1.
    pub confirmed: u64,
    /// Answered calls the callee hung up (the sim sent the BYE).
    pub hung_up_by_sim: u64,
    /// Answered calls the host hung up first.
    pub hung_up_by_host: u64,
}

/// A simulated carrier on a loopback UDP address. Dropping it stops every call at once,
/// without a BYE.
#[derive(Debug)]
pub struct SimCarrier {
    socket: Arc<SimSocket>,
    counters: Arc<Counters>,
}

impl SimCarrier {
    /// Binds `addr` (port 0 picks one) and starts answering. Its calls' RTP uses ports
    /// from [`crate::SIM_RTP_PORTS`] on the same address.
    ///
    /// # Errors
    /// When `addr` is not a loopback address (a sim answering anyone's INVITEs does not
    /// belong on a network), or cannot be bound.
    pub async fn bind(
        addr: SocketAddr,
        behaviour: CarrierBehaviour,
    ) -> std::io::Result<SimCarrier> {
        if !addr.ip().is_loopback() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("the simulated carrier binds loopback addresses only, not {addr}"),
            ));
        }
        let counters = Arc::new(Counters::default());
        let role = Arc::new(Callees {
            behaviour,
            counters: counters.clone(),
        });
        let socket = SimSocket::bind(addr, "callee", rtp_ports(addr.ip()), role).await?;
        tracing::info!(addr = %socket.local_addr(), "simulated carrier listening");
        Ok(SimCarrier { socket, counters })
    }

    /// Where the host sends its INVITEs: the trunk's address.
    pub fn local_addr(&self) -> SocketAddr {
        self.socket.local_addr()
    }

    /// The IP the host must trust as a trunk.
    pub fn ip(&self) -> IpAddr {
        self.local_addr().ip()
    }

    /// Records what the callees answered from now on hear from the host: each RTP
    /// packet with its arrival time, read back with [`SimCarrier::heard`]. For tests
    /// that check the host's audio (see the `record` module for how); off by default,
    /// as in the demo.
    pub fn record_audio(&self) {
        self.socket.recorder.start();
    }

    /// What each recorded call has heard so far, in the order they were answered.
    pub fn heard(&self) -> Vec<Heard> {
        self.socket.recorder.heard()
    }

    /// The counters so far.
    pub fn stats(&self) -> CarrierStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let c = &self.counters;
        CarrierStats {
            invites: get(&c.invites),
            answered: get(&c.answered),
            busy: get(&c.busy),
            no_answer: get(&c.no_answer),
            confirmed: get(&c.confirmed),
            hung_up_by_sim: get(&c.hung_up_by_sim),
            hung_up_by_host: get(&c.hung_up_by_host),
        }
    }
}

impl Drop for SimCarrier {
    fn drop(&mut self) {
        self.socket.stop();
    }
}

#[derive(Debug, Default)]
struct Counters {
    invites: AtomicU64,
    answered: AtomicU64,
    busy: AtomicU64,
    no_answer: AtomicU64,
    confirmed: AtomicU64,
    hung_up_by_sim: AtomicU64,
    hung_up_by_host: AtomicU64,
}

/// The carrier's [`Role`]: each INVITE is a new callee drawn from the behaviour.
struct Callees {
    behaviour: CarrierBehaviour,
    counters: Arc<Counters>,
}

impl Role for Callees {
    fn plan(&self) -> Plan {
        self.counters.invites.fetch_add(1, Ordering::Relaxed);
        plan(&self.behaviour)
    }

    fn note(&self, note: Note) {
        let counter = match note {
            Note::Answered => &self.counters.answered,
            Note::DigitsSent => &self.counters.confirmed,
            Note::Ended(Ending::Rejected(486)) => &self.counters.busy,
            Note::Ended(Ending::Cancelled | Ending::Rejected(480)) => &self.counters.no_answer,
            Note::Ended(Ending::HungUpBySim) => &self.counters.hung_up_by_sim,
            Note::Ended(Ending::HungUpByHost) => &self.counters.hung_up_by_host,
            Note::Ended(_) => return,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// One callee: a single draw decides answer, busy or no answer, so that the rates
/// are shares of all calls and 1.0 and 0.0 are certain (`random` is below 1.0).
fn plan(behaviour: &CarrierBehaviour) -> Plan {
    let draw: f64 = rand::random();
    let then = if draw < behaviour.answer_rate {
        let confirms = rand::random::<f64>() < behaviour.confirm_rate;
        AfterRing::Answer(Talk {
            talk: pick(behaviour.talk),
            digits: confirms.then(|| (behaviour.confirm_after, "1".to_owned())),
            voice_hz: behaviour.voice_hz,
        })
    } else if draw < behaviour.answer_rate + behaviour.busy_rate {
        AfterRing::Reject(486)
    } else {
        AfterRing::KeepRinging
    };
    Plan::Ring {
        ring: pick(behaviour.ring),
        then,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn behaviour(answer_rate: f64, busy_rate: f64, confirm_rate: f64) -> CarrierBehaviour {
        CarrierBehaviour {
            answer_rate,
            busy_rate,
            ring: (Duration::from_millis(10), Duration::from_millis(20)),
            talk: (Duration::from_secs(1), Duration::from_secs(1)),
            confirm_rate,
            confirm_after: Duration::from_millis(300),
            voice_hz: None,
        }
    }

    #[test]
    fn certain_rates_always_give_the_same_plan() {
        for _ in 0..1000 {
            let Plan::Ring { ring, then } = plan(&behaviour(1.0, 0.0, 1.0)) else {
                panic!("a callee is never busy at once");
            };
            assert!((10..=20).contains(&ring.as_millis()), "{ring:?}");
            assert_eq!(
                then,
                AfterRing::Answer(Talk {
                    talk: Duration::from_secs(1),
                    digits: Some((Duration::from_millis(300), "1".into())),
                    voice_hz: None,
                })
            );
            let Plan::Ring { then, .. } = plan(&behaviour(1.0, 0.0, 0.0)) else {
                unreachable!()
            };
            assert!(matches!(then, AfterRing::Answer(Talk { digits: None, .. })));
            let Plan::Ring { then, .. } = plan(&behaviour(0.0, 1.0, 1.0)) else {
                unreachable!()
            };
            assert_eq!(then, AfterRing::Reject(486));
            let Plan::Ring { then, .. } = plan(&behaviour(0.0, 0.0, 1.0)) else {
                unreachable!()
            };
            assert_eq!(then, AfterRing::KeepRinging);
        }
    }

    #[test]
    fn rates_are_shares_of_all_calls() {
        let mix = behaviour(0.5, 0.3, 0.0);
        let (mut answered, mut busy, mut ringing) = (0, 0, 0);
        for _ in 0..10_000 {
            match plan(&mix) {
                Plan::Ring {
                    then: AfterRing::Answer(_),
                    ..
                } => answered += 1,
                Plan::Ring {
                    then: AfterRing::Reject(486),
                    ..
                } => busy += 1,
                _ => ringing += 1,
            }
        }
        // Five standard deviations or so either way.
        assert!((4_750..=5_250).contains(&answered), "{answered}");
        assert!((2_750..=3_250).contains(&busy), "{busy}");
        assert!((1_750..=2_250).contains(&ringing), "{ringing}");
    }
}
