//! A simulated agent's desk phone: it registers with the host's registrar as a real
//! phone does (digest, refreshed before it lapses), then takes the calls the host
//! puts through to its agent on the same socket, one at a time: a second call while
//! one is ringing or answered is refused 486, and counted, so the demo can show that
//! the host never offers a busy agent a call.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::record::Heard;
use crate::register::{Account, Registration};
use crate::socket::SimSocket;
use crate::uas::{AfterRing, Ending, Note, Plan, Role, Talk};
use crate::{pick, rtp_ports};

/// How the agent at the phone behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneBehaviour {
    /// How long the phone rings before the agent picks up.
    pub answer_after: Duration,
    /// How long the agent talks before hanging up, drawn uniformly from this range.
    pub talk: (Duration, Duration),
    /// Whether the agent picks up at all; `false` rings until the host gives up (an
    /// agent away from the desk, whom the host should skip).
    pub answer: bool,
    /// What the agent says: a steady tone of this many hertz, so that a test can tell
    /// their voice from a callee's; comfort noise when unset.
    pub voice_hz: Option<u16>,
}

impl Default for PhoneBehaviour {
    /// An attentive agent: picks up within a second, talks for half a minute or so.
    fn default() -> Self {
        PhoneBehaviour {
            answer_after: Duration::from_secs(1),
            talk: (Duration::from_secs(15), Duration::from_secs(45)),
            answer: true,
            voice_hz: None,
        }
    }
}

/// What the phone has seen so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PhoneStats {
    /// Calls the agent picked up.
    pub calls_answered: u64,
    /// INVITEs refused 486 because a call was already ringing or answered.
    pub busy_refusals: u64,
    /// The most calls offered at once, counting the one being refused: above 1 means
    /// the host offered this agent a call while they were busy.
    pub max_concurrent_calls: u64,
    /// Calls ringing or answered now: 0 or 1.
    pub calls_in_progress: u64,
}

/// A simulated desk phone, registered with the host. Dropping it stops its calls and
/// its registration refreshes at once (the binding lapses on its own, as when a phone
/// loses power).
#[derive(Debug)]
pub struct SimPhone {
    socket: Arc<SimSocket>,
    state: Arc<PhoneState>,
}

impl SimPhone {
    /// Binds a UDP socket on loopback (port 0), registers `user` with the registrar at
    /// `registrar` (Expires 300, answering its digest challenge with `password`) and
    /// keeps the registration fresh. Its calls' RTP uses ports from
    /// [`crate::SIM_RTP_PORTS`].
    ///
    /// # Errors
    /// When the socket cannot be bound, or the first registration fails (no answer,
    /// a challenge in no algorithm the phone speaks, a refusal such as 403).
    pub async fn start(
        registrar: SocketAddr,
        user: &str,
        password: &str,
        behaviour: PhoneBehaviour,
    ) -> anyhow::Result<SimPhone> {
        let loopback = match registrar.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        };
        let state = Arc::new(PhoneState::default());
        let role = Arc::new(Agent {
            behaviour,
            state: state.clone(),
        });
        let socket = SimSocket::bind(
            SocketAddr::new(loopback, 0),
            user,
            rtp_ports(loopback),
            role,
        )
        .await?;
        // Built before registering, so that a failure stops the socket's task.
        let phone = SimPhone { socket, state };
        let account = Account {
            registrar,
            user: user.to_owned(),
            password: password.to_owned(),
        };
        let mut registration = Registration::new(phone.socket.clone(), account);
        let granted = registration.register().await?;
        phone.state.registered_for(granted);
        tracing::info!(user, addr = %phone.local_addr(), "simulated phone registered");
        let state = phone.state.clone();
        phone
            .socket
            .spawn(registration.keep(granted, move |granted| state.registered_for(granted)));
        Ok(phone)
    }

    /// The phone's SIP address: its Contact, and where the host sends its calls.
    pub fn local_addr(&self) -> SocketAddr {
        self.socket.local_addr()
    }

    /// Whether the last registration was accepted and has not lapsed.
    pub fn registered(&self) -> bool {
        self.state
            .registered_until
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some_and(|until| until > Instant::now())
    }

    /// Records what the calls the agent picks up from now on hear from the host
    /// (the callee's voice, bridged), read back with [`SimPhone::heard`]; as
    /// [`crate::SimCarrier::record_audio`].
    pub fn record_audio(&self) {
        self.socket.recorder.start();
    }

    /// What each recorded call has heard so far, in the order they were answered.
    pub fn heard(&self) -> Vec<Heard> {
        self.socket.recorder.heard()
    }

    /// The counters so far.
    pub fn stats(&self) -> PhoneStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        PhoneStats {
            calls_answered: get(&self.state.calls_answered),
            busy_refusals: get(&self.state.busy_refusals),
            max_concurrent_calls: get(&self.state.max_concurrent_calls),
            calls_in_progress: get(&self.state.on_call),
        }
    }
}

impl Drop for SimPhone {
    fn drop(&mut self) {
        self.socket.stop();
    }
}

#[derive(Debug, Default)]
struct PhoneState {
    /// Calls ringing or answered now (not those being refused).
    on_call: AtomicU64,
    calls_answered: AtomicU64,
    busy_refusals: AtomicU64,
    max_concurrent_calls: AtomicU64,
    registered_until: Mutex<Option<Instant>>,
}

impl PhoneState {
    fn registered_for(&self, granted: Duration) {
        *self
            .registered_until
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(Instant::now() + granted);
    }
}

/// The phone's [`Role`]: one line, answered as the behaviour says.
struct Agent {
    behaviour: PhoneBehaviour,
    state: Arc<PhoneState>,
}

impl Role for Agent {
    fn plan(&self) -> Plan {
        let state = &self.state;
        // Only the socket's receiving task calls `plan`, and only `note` (which
        // decrements) runs elsewhere: the count read here can only have gone down.
        let on_call = state.on_call.load(Ordering::Relaxed);
        state
            .max_concurrent_calls
            .fetch_max(on_call + 1, Ordering::Relaxed);
        if on_call > 0 {
            state.busy_refusals.fetch_add(1, Ordering::Relaxed);
            return Plan::Busy;
        }
        state.on_call.fetch_add(1, Ordering::Relaxed);
        let then = if self.behaviour.answer {
            AfterRing::Answer(Talk {
                talk: pick(self.behaviour.talk),
                digits: None,
                voice_hz: self.behaviour.voice_hz,
            })
        } else {
            AfterRing::KeepRinging
        };
        Plan::Ring {
            ring: self.behaviour.answer_after,
            then,
        }
    }

    fn note(&self, note: Note) {
        match note {
            Note::Answered => {
                self.state.calls_answered.fetch_add(1, Ordering::Relaxed);
            }
            Note::Ended(Ending::Busy) | Note::DigitsSent => {}
            Note::Ended(_) => {
                self.state.on_call.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }
}
