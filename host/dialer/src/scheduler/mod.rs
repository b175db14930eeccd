//! The scheduler: picks the next contacts across the active campaigns and starts their
//! calls, then records how each went.
//!
//! It runs whenever something may have changed (a call ends, a campaign is started or
//! resumed: [`Dialer::wake`]) and at least every `tick`, since time itself makes
//! contacts due (retry waits, calling hours, a `*Schedule*` time). One pass:
//! 0. New rows of the exchange table become contacts.
//! 1. Scheduled campaigns whose start has come begin running.
//! 2. The running campaigns, by priority then start time, up to the maximum of active
//!    campaigns, each: asks its pacer how many calls to start (clamped to the ledger's
//!    headroom), claims that many due contacts, and for each checks do-not-call and
//!    calling hours, takes a permit, writes the attempt, and only then places the call.
//! 3. A campaign with no contact left to call and no call in progress ends its run.
//!
//! A call's task holds the permit; when the call ends it asks the disposition mapper,
//! writes the attempt's end and the contact's next state in one transaction, drops the
//! permit, pushes the result to the campaign's CRM connector, and wakes the scheduler.
//!
//! One concept per module: this one holds the [`Dialer`] handle and its run loop;
//! `pass` a pass over the campaigns, `pacing` how many calls a campaign starts,
//! `placing` a claimed contact's checks and its call's start (shared with an agent's
//! call from the desk, `crate::desk_call`), `call` a call's life
//! from its placing to its record, `in_flight` a campaign's calls in progress,
//! `recovery` what a crash left behind.

mod call;
mod in_flight;
mod pacing;
mod pass;
mod placing;
mod recovery;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ringhost_call::Carrier;
use ringhost_plugins::PluginRegistry;
use ringhost_store::Store;
use ringhost_store::pacing::CallMoments;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::clock::Clock;
use crate::events::DialerEvent;
use crate::ledger::Ledger;
use in_flight::InFlight;

pub use pacing::Rates;
pub(crate) use placing::{CloseReason, Held, Placement};
pub use recovery::Recovery;

/// How the scheduler runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedulerConfig {
    /// This host's name among those sharing the database: its claims and attempts
    /// carry it, so that its recovery after a crash closes only its own.
    pub host: String,
    /// The longest time between two passes.
    pub tick: Duration,
    /// Campaigns dialling at once at most (by priority, then start time); 0 for no
    /// limit.
    pub max_active_campaigns: u32,
    /// How missed calls are called back.
    pub missed: crate::missed::MissedSettings,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            host: "ringhost".into(),
            tick: Duration::from_millis(250),
            max_active_campaigns: 0,
            missed: crate::missed::MissedSettings::default(),
        }
    }
}

/// The dialer: shared by the scheduler's task, the calls' tasks and the API.
#[derive(Clone)]
pub struct Dialer {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) store: Store,
    pub(crate) ledger: Ledger,
    pub(crate) carrier: Arc<dyn Carrier>,
    plugins: Option<PluginRegistry>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) config: SchedulerConfig,
    wake: Notify,
    calls: Mutex<HashMap<i64, InFlight>>,
    /// Each campaign's call times for a look-ahead pacer, and when they were read.
    measured: Mutex<HashMap<i64, (i64, CallMoments)>>,
    tasks: TaskTracker,
    pub(crate) events: tokio::sync::broadcast::Sender<DialerEvent>,
    /// Set when another host took over this one's lease: no more calls are placed.
    pub(crate) fenced: std::sync::atomic::AtomicBool,
    /// This host's events for the other hosts, once they are relayed.
    pub(crate) outbox: std::sync::OnceLock<tokio::sync::mpsc::UnboundedSender<DialerEvent>>,
    /// The agents' day so far, of the states long over (see `desk::SettledDay`).
    pub(crate) settled_day: tokio::sync::Mutex<crate::desk::SettledDay>,
}

/// A campaign's calls in progress, by stage: the pacer's snapshot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallCounts {
    /// Placed, not ringing yet.
    pub dialing: u32,
    /// Ringing.
    pub ringing: u32,
    /// Answered, with no agent: hearing a message or an IVR, or waiting in the queue
    /// for an agent (what a pacer counts as queued).
    pub answered: u32,
    /// Answered and put through to an agent.
    pub talking: u32,
}

impl CallCounts {
    /// Every call in progress, at any stage.
    pub fn in_progress(&self) -> u32 {
        self.dialing + self.ringing + self.answered + self.talking
    }
}

impl Dialer {
    /// A dialer over `store`, placing calls through `carrier`.
    pub fn new(
        store: Store,
        ledger: Ledger,
        carrier: Arc<dyn Carrier>,
        plugins: Option<PluginRegistry>,
        clock: Arc<dyn Clock>,
        config: SchedulerConfig,
    ) -> Dialer {
        Dialer {
            inner: Arc::new(Inner {
                store,
                ledger,
                carrier,
                plugins,
                clock,
                config,
                wake: Notify::new(),
                calls: Mutex::default(),
                measured: Mutex::default(),
                tasks: TaskTracker::new(),
                events: crate::events::channel(),
                outbox: std::sync::OnceLock::new(),
                fenced: std::sync::atomic::AtomicBool::new(false),
                settled_day: tokio::sync::Mutex::default(),
            }),
        }
    }

    /// The channel ledger.
    pub fn ledger(&self) -> &Ledger {
        &self.inner.ledger
    }

    /// The plugins folder's registry, when the host has one: what the panel lists,
    /// and where it installs an uploaded package.
    pub fn plugins(&self) -> Option<&PluginRegistry> {
        self.inner.plugins.as_ref()
    }

    /// Asks for a pass soon (something changed).
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// A campaign's calls in progress.
    pub fn calls(&self, campaign_id: i64) -> CallCounts {
        self.inner
            .lock_calls()
            .get(&campaign_id)
            .map(InFlight::counts)
            .unwrap_or_default()
    }

    /// Runs passes until `stop` is cancelled, then waits for the calls in progress.
    pub async fn run_until(self, stop: CancellationToken) {
        loop {
            if let Err(error) = self.pass().await {
                tracing::error!(
                    error = format!("{error:#}"),
                    "scheduler pass failed; retrying at the next tick"
                );
            }
            tokio::select! {
                () = stop.cancelled() => break,
                () = self.inner.wake.notified() => {}
                () = tokio::time::sleep(self.inner.config.tick) => {}
            }
        }
        self.inner.tasks.close();
        self.inner.tasks.wait().await;
    }

    /// Waits until every call started so far has ended and been recorded.
    pub async fn settle(&self) {
        self.inner.tasks.close();
        self.inner.tasks.wait().await;
        self.inner.tasks.reopen();
    }
}

impl Inner {
    fn lock_calls(&self) -> std::sync::MutexGuard<'_, HashMap<i64, InFlight>> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_measured(&self) -> std::sync::MutexGuard<'_, HashMap<i64, (i64, CallMoments)>> {
        self.measured.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes the campaign's calls in progress.
    fn in_flight(&self, campaign_id: i64, change: impl FnOnce(&mut InFlight)) {
        change(self.lock_calls().entry(campaign_id).or_default());
    }
}
