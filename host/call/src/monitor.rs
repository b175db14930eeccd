//! A supervisor on a call in progress: their phone is rung and, once they answer, put
//! on the call's bridge as a third leg that listens, whispers to the agent or barges
//! in ([`MonitorMode`]; the mixing is `ringhost-media`'s).
//!
//! [`BridgedCalls`] lists the calls bridged to a person, by attempt: `queued` lists
//! each bridge while it lasts ([`BridgedCalls::list`]). A monitor is a task of its own
//! beside the call: it rings the supervisor's phone, attaches on the answer, follows
//! the mode asked, and hangs the supervisor up when the call ends, when asked to stop,
//! or when the host stops. The call never waits for it.
//!
//! **Security:** a monitor leg only ever rings a phone registered with this host's
//! registrar ([`CallContext::phone_of`], then `Endpoint::call_phone`), never a number
//! through a trunk: a request naming any other extension is refused
//! ([`MonitorRefusal::NotAPhone`]), so a monitor cannot be made into an outside call
//! (toll fraud) or a way to send a customer's audio off the host.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

pub use ringhost_media::MonitorMode;
use ringhost_media::{Bridge, BridgeHandle, Monitor};
use ringhost_sip::Dial;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::context::CallContext;
use crate::leg::{Leg, LegEvent};

/// How long a supervisor's phone rings.
const SUPERVISOR_RING: Duration = Duration::from_secs(30);

/// Why a monitor was not started, or its mode not changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MonitorRefusal {
    /// This carrier cannot monitor calls (the dialer's scripted test carriers).
    #[error("this carrier cannot monitor calls")]
    Unsupported,
    /// No call of this attempt is bridged to a person on this host.
    #[error("attempt {0} has no call bridged to a person")]
    NotBridged(i64),
    /// The extension is not a phone registered with this host: a monitor rings
    /// nothing else.
    #[error("{0:?} is not a phone registered with this host")]
    NotAPhone(String),
    /// Someone is monitoring the call already.
    #[error("attempt {0} is monitored already")]
    AlreadyMonitored(i64),
    /// Nobody is monitoring the call.
    #[error("attempt {0} is not monitored")]
    NotMonitored(i64),
    /// The supervisor's phone could not be rung (no free RTP port).
    #[error("the supervisor's phone cannot be rung: {0}")]
    CannotRing(String),
}

/// The calls of the host bridged to a person, by attempt id.
#[derive(Default)]
pub struct BridgedCalls {
    calls: Mutex<HashMap<i64, Entry>>,
    next_monitor: AtomicU64,
}

/// A bridged call as a supervisor finds it.
struct Entry {
    bridge: BridgeHandle,
    /// The customer's number, shown on the supervisor's phone.
    number: String,
    /// Cancelled when the bridge ends: the monitor hangs up.
    ended: CancellationToken,
    monitor: Option<Watching>,
}

/// The monitor on a call: the mode asked (`None`: stop).
struct Watching {
    id: u64,
    wanted: watch::Sender<Option<MonitorMode>>,
}

/// What a new monitor needs of its call.
struct Claim {
    id: u64,
    bridge: BridgeHandle,
    number: String,
    ended: CancellationToken,
    wanted: watch::Receiver<Option<MonitorMode>>,
}

impl BridgedCalls {
    /// Lists `bridge`, attempt `attempt_id`'s call to `number`, for as long as the
    /// returned value lives; dropping it ends any monitor on it. A call that is no
    /// attempt (`None`: an inbound call) is held, not listed: no supervisor finds it.
    pub(crate) fn list(&self, attempt_id: Option<i64>, number: &str, bridge: Bridge) -> Listed<'_> {
        if let Some(attempt_id) = attempt_id {
            let entry = Entry {
                bridge: bridge.handle(),
                number: number.to_owned(),
                ended: CancellationToken::new(),
                monitor: None,
            };
            if let Some(old) = self.lock().insert(attempt_id, entry) {
                old.ended.cancel();
            }
        }
        Listed {
            calls: self,
            attempt_id,
            _bridge: bridge,
        }
    }

    /// Whether attempt `attempt_id`'s call is bridged now.
    pub fn is_bridged(&self, attempt_id: i64) -> bool {
        self.lock().contains_key(&attempt_id)
    }

    /// Changes the mode of the monitor on attempt `attempt_id`'s call (ringing or
    /// attached).
    ///
    /// # Errors
    /// When the call is not bridged or not monitored.
    pub fn set_mode(&self, attempt_id: i64, mode: MonitorMode) -> Result<(), MonitorRefusal> {
        self.ask(attempt_id, Some(mode))
    }

    /// Hangs up the monitor on attempt `attempt_id`'s call.
    ///
    /// # Errors
    /// When the call is not bridged or not monitored.
    pub fn stop(&self, attempt_id: i64) -> Result<(), MonitorRefusal> {
        self.ask(attempt_id, None)
    }

    fn ask(&self, attempt_id: i64, wanted: Option<MonitorMode>) -> Result<(), MonitorRefusal> {
        let calls = self.lock();
        let entry = calls
            .get(&attempt_id)
            .ok_or(MonitorRefusal::NotBridged(attempt_id))?;
        let watching = entry
            .monitor
            .as_ref()
            .ok_or(MonitorRefusal::NotMonitored(attempt_id))?;
        watching.wanted.send_replace(wanted);
        Ok(())
    }

    /// Reserves attempt `attempt_id`'s call for a new monitor in `mode`.
    fn claim(&self, attempt_id: i64, mode: MonitorMode) -> Result<Claim, MonitorRefusal> {
        let mut calls = self.lock();
        let entry = calls
            .get_mut(&attempt_id)
            .ok_or(MonitorRefusal::NotBridged(attempt_id))?;
        if entry.monitor.is_some() {
            return Err(MonitorRefusal::AlreadyMonitored(attempt_id));
        }
        let id = self.next_monitor.fetch_add(1, Ordering::Relaxed);
        let (wanted, receiver) = watch::channel(Some(mode));
        entry.monitor = Some(Watching { id, wanted });
        Ok(Claim {
            id,
            bridge: entry.bridge.clone(),
            number: entry.number.clone(),
            ended: entry.ended.clone(),
            wanted: receiver,
        })
    }

    /// Frees the call of monitor `id`, if still listed: another may start.
    fn release(&self, attempt_id: i64, id: u64) {
        if let Some(entry) = self.lock().get_mut(&attempt_id)
            && entry.monitor.as_ref().is_some_and(|w| w.id == id)
        {
            entry.monitor = None;
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<i64, Entry>> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A bridge listed in [`BridgedCalls`]; dropping it takes it off the list, hangs up
/// its monitor, then separates the bridge's legs.
pub(crate) struct Listed<'a> {
    calls: &'a BridgedCalls,
    attempt_id: Option<i64>,
    _bridge: Bridge,
}

impl Drop for Listed<'_> {
    fn drop(&mut self) {
        let Some(attempt_id) = self.attempt_id else {
            return;
        };
        if let Some(entry) = self.calls.lock().remove(&attempt_id) {
            entry.ended.cancel();
        }
    }
}

/// Rings the phone registered as `extension` and puts it on attempt `attempt_id`'s
/// bridged call in `mode` once answered; returns once the phone rings (the monitor
/// goes on as a task of its own).
///
/// # Errors
/// When `extension` is not a registered phone of this host, the call is not bridged
/// or is monitored already, or the phone cannot be rung.
pub(crate) async fn start(
    context: Arc<CallContext>,
    attempt_id: i64,
    extension: &str,
    mode: MonitorMode,
) -> Result<(), MonitorRefusal> {
    // The one check that keeps a monitor off the trunks: a registered phone or nothing.
    let phone = context
        .phone_of(extension)
        .ok_or_else(|| MonitorRefusal::NotAPhone(extension.to_owned()))?;
    let claim = context.bridged.claim(attempt_id, mode)?;
    let dial = Dial {
        number: extension.to_owned(),
        caller_id: Some(claim.number.clone()),
        ring_timeout: SUPERVISOR_RING,
        offer: None,
    };
    let leg = match context.ring_phone(&phone, dial).await {
        Ok(leg) => leg,
        Err(error) => {
            context.bridged.release(attempt_id, claim.id);
            return Err(MonitorRefusal::CannotRing(format!("{error:#}")));
        }
    };
    tracing::info!(attempt = attempt_id, %extension, mode = mode.as_str(), "ringing a supervisor");
    tokio::spawn(follow(context, attempt_id, leg, claim));
    Ok(())
}

/// The supervisor's leg from ringing to its end: attached on the answer, its mode
/// changed as asked, hung up when the call ends or the monitor is stopped.
async fn follow(context: Arc<CallContext>, attempt_id: i64, mut leg: Leg, mut claim: Claim) {
    let mut monitor: Option<Monitor> = None;
    let mut hanging_up = false;
    loop {
        tokio::select! {
            event = leg.next() => match event {
                Some(LegEvent::Answered) => {
                    let mode = *claim.wanted.borrow();
                    match (mode, leg.media()) {
                        (Some(mode), Some(media)) if !hanging_up => {
                            match claim.bridge.monitor(media, mode) {
                                Ok(attached) => monitor = Some(attached),
                                Err(error) => {
                                    tracing::info!(attempt = attempt_id, %error, "the supervisor answered too late");
                                    hanging_up = true;
                                    leg.hangup();
                                }
                            }
                        }
                        _ => {
                            hanging_up = true;
                            leg.hangup();
                        }
                    }
                }
                Some(LegEvent::Ended(_)) | None => break,
                Some(_) => {}
            },
            () = claim.ended.cancelled(), if !hanging_up => {
                hanging_up = true;
                monitor = None;
                leg.hangup();
            }
            changed = claim.wanted.changed(), if !hanging_up => {
                let wanted = *claim.wanted.borrow_and_update();
                match (changed, wanted) {
                    (Ok(()), Some(mode)) => {
                        if let Some(monitor) = &monitor {
                            monitor.set_mode(mode);
                        }
                    }
                    _ => {
                        hanging_up = true;
                        monitor = None;
                        leg.hangup();
                    }
                }
            }
        }
    }
    drop(monitor);
    context.bridged.release(attempt_id, claim.id);
    tracing::info!(attempt = attempt_id, "the supervisor left the call");
}
