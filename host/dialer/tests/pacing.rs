//! The first-party predictive pacer (built from source) driving the scheduler against a
//! carrier whose calls take time, on a real SQLite store.
//!
//! The carrier is a script, not a network (a real carrier's answers cannot be had
//! here): each number's fate is drawn from the number itself, as `PACING.md`'s model
//! says (a person answers 30% of calls, after a log-normal ring around 10 s; 10% are
//! busy after 3 s; the rest ring out at 25 s), and answered people wait up to the grace
//! for an agent of the queue, then talk a log-normal time and the agent wraps up. Time
//! is the dialer's manual clock, moved a quarter second at a time with a scheduler pass
//! after each step, so that half an hour of calls runs in seconds; the call tasks wait
//! on it, and the clock moves on only once each has caught up with it.

#[path = "../../../tests/support/guests.rs"]
mod guests;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ringhost_call::{
    Agents, CallReport, CallRequest, Carrier, Class, OnAnswer, Outcome, Placing, Progress,
    QueueResult,
};
use ringhost_dialer::agents::AgentState;
use ringhost_dialer::clock::{Clock as _, ManualClock};
use ringhost_dialer::ledger::{Ledger, Limits};
use ringhost_dialer::lifecycle::Command;
use ringhost_dialer::scheduler::{Dialer, SchedulerConfig};
use ringhost_plugins::{Limits as PluginLimits, PluginEngine, PluginRegistry};
use ringhost_store::Store;
use serde_json::json;
use tokio::sync::{mpsc, watch};

/// Monday 2026-11-30 10:00 in Rome.
const MONDAY_10_ROME: i64 = 1_796_029_200_000;
/// The clock's step between two passes.
const STEP_MS: i64 = 250;
const GRACE_MS: i64 = 2_000;
const RING_TIMEOUT_MS: i64 = 25_000;
const TALK_MEAN_MS: f64 = 30_000.0;
const WRAP_S: i64 = 5;

/// What the carrier saw.
#[derive(Debug, Default)]
struct Tally {
    placed: u64,
    people: u64,
    abandoned: u64,
    /// Agents' talk, ms.
    talk_ms: i64,
    /// Calls put through to agents.
    connected: u64,
}

/// What becomes of a call.
#[derive(Debug, Clone, Copy)]
enum Fate {
    /// A person answers after this long, and would talk this long with an agent.
    Person {
        ring_ms: i64,
        talk_ms: i64,
    },
    Busy,
    NoAnswer,
}

/// SplitMix64: a number's draws, the same in every run.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn uniform(seed: u64) -> f64 {
    ((mix(seed) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// A log-normal draw of mean `mean` and coefficient of variation `cv`.
fn log_normal(seed: u64, mean: f64, cv: f64) -> f64 {
    let sigma2 = (1.0 + cv * cv).ln();
    let mu = mean.ln() - sigma2 / 2.0;
    // Box-Muller from two uniforms.
    let (u, v) = (uniform(seed), uniform(seed ^ 0x5555));
    let z = (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos();
    (mu + sigma2.sqrt() * z).exp()
}

fn fate(number: &str) -> Fate {
    let seed: u64 = number.bytes().fold(7, |h, b| mix(h ^ u64::from(b)));
    let draw = uniform(seed);
    if draw < 0.3 {
        let ring_ms = log_normal(seed ^ 1, 10_000.0, 0.5) as i64;
        if ring_ms < RING_TIMEOUT_MS {
            let talk_ms = log_normal(seed ^ 2, TALK_MEAN_MS, 0.8).max(1_000.0) as i64;
            return Fate::Person { ring_ms, talk_ms };
        }
        return Fate::NoAnswer;
    }
    if draw < 0.4 {
        return Fate::Busy;
    }
    Fate::NoAnswer
}

/// The calls in progress and the times those waiting wait for: the test moves the
/// clock again only once every call has caught up with it.
#[derive(Debug, Default)]
struct Waits {
    live: usize,
    waiting: Vec<i64>,
}

impl Waits {
    /// Every call waits for a time still to come.
    fn caught_up(&self, now: i64) -> bool {
        self.live == self.waiting.len() && self.waiting.iter().all(|&at| at > now)
    }
}

#[derive(Clone)]
struct TimedCarrier {
    clock: ManualClock,
    time: watch::Receiver<i64>,
    tally: Arc<Mutex<Tally>>,
    waits: Arc<Mutex<Waits>>,
}

impl TimedCarrier {
    /// Waits until the clock shows `at`.
    async fn until(&self, at: i64) {
        let mut time = self.time.clone();
        if *time.borrow_and_update() >= at {
            return;
        }
        self.waits.lock().unwrap().waiting.push(at);
        while *time.borrow_and_update() < at {
            if time.changed().await.is_err() {
                break;
            }
        }
        let mut waits = self.waits.lock().unwrap();
        if let Some(i) = waits.waiting.iter().position(|&t| t == at) {
            waits.waiting.swap_remove(i);
        }
    }

    async fn call(
        &self,
        call: CallRequest,
        progress: mpsc::UnboundedSender<Progress>,
        queues: Arc<dyn Agents>,
    ) -> CallReport {
        let start = self.clock.now_ms();
        self.tally.lock().unwrap().placed += 1;
        let _ = progress.send(Progress::Ringing);
        let (ring_ms, talk_ms) = match fate(&call.number) {
            Fate::Busy => {
                self.until(start + 3_000).await;
                return CallReport::failed(Outcome::Busy);
            }
            Fate::NoAnswer => {
                self.until(start + RING_TIMEOUT_MS).await;
                return CallReport::failed(Outcome::NoAnswer);
            }
            Fate::Person { ring_ms, talk_ms } => (ring_ms, talk_ms),
        };
        self.until(start + ring_ms).await;
        let answered = self.clock.now_ms();
        let _ = progress.send(Progress::Answered);
        self.tally.lock().unwrap().people += 1;
        let OnAnswer::Queue { queue, .. } = &call.on_answer else {
            panic!("an agent campaign's call goes to its queue");
        };
        let mut report = CallReport {
            ring: Duration::from_millis((answered - start) as u64),
            ..CallReport::failed(Outcome::Answered)
        };
        // The longest-idle free agent, asked at each step until the grace is over.
        let offer = loop {
            if let Some(offer) = queues.take(queue, Some(call.attempt_id)).await.unwrap() {
                break Some(offer);
            }
            if self.clock.now_ms() >= answered + GRACE_MS {
                break None;
            }
            self.until(self.clock.now_ms() + STEP_MS).await;
        };
        let Some(offer) = offer else {
            self.tally.lock().unwrap().abandoned += 1;
            report.queue_result = Some(QueueResult::Abandoned);
            report.tags.push("abandoned".to_owned());
            report.talk = Duration::from_millis((self.clock.now_ms() - answered) as u64);
            return report;
        };
        let _ = progress.send(Progress::Agent(offer.agent.clone()));
        let connected = self.clock.now_ms();
        self.until(connected + talk_ms).await;
        queues.release(&offer).await;
        {
            let mut tally = self.tally.lock().unwrap();
            tally.connected += 1;
            tally.talk_ms += self.clock.now_ms() - connected;
        }
        report.queue_result = Some(QueueResult::Answer);
        report.agent = Some(offer.agent.clone());
        report.talk = Duration::from_millis((self.clock.now_ms() - answered) as u64);
        report
    }
}

impl Carrier for TimedCarrier {
    fn class_of(&self, _number: &str) -> Class {
        Class::External
    }

    fn place(
        &self,
        call: CallRequest,
        progress: mpsc::UnboundedSender<Progress>,
        queues: Arc<dyn Agents>,
    ) -> Placing {
        let this = self.clone();
        Box::pin(async move {
            this.waits.lock().unwrap().live += 1;
            let report = this.call(call, progress, queues).await;
            this.waits.lock().unwrap().live -= 1;
            report
        })
    }
}

/// Twenty agents of queue `sales` (5 s wrap-up) and a campaign paced by the predictive
/// plugin over 8,000 numbers, run for half an hour of the clock: the share of answered
/// people abandoned stays under the 3% rule, and the pacer dials ahead of its agents
/// (the built-in progressive pacer, one call per ready agent, keeps agents busy about
/// 60% of their time in this model; the simulator's figures are in
/// docs/benchmarks.md).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_predictive_plugin_holds_the_abandon_rate_under_three_percent() {
    let Some(out) = guests::build_if_possible("plugins") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    guests::package(
        &plugins,
        "predictive",
        "pacer",
        &out.join("predictive.wasm"),
        &[],
    );
    let engine = PluginEngine::new(None, PluginLimits::default()).unwrap();
    let registry = tokio::task::block_in_place(|| PluginRegistry::open(engine, &plugins)).unwrap();
    assert!(registry.pacer("predictive").unwrap().looks_ahead());
    let store = Store::open(&format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("d.db").display()
    ))
    .await
    .unwrap();
    let clock = ManualClock::new(MONDAY_10_ROME);
    let (time, watching) = watch::channel(clock.now_ms());
    let tally = Arc::new(Mutex::new(Tally::default()));
    let waits = Arc::new(Mutex::new(Waits::default()));
    let carrier = TimedCarrier {
        clock: clock.clone(),
        time: watching,
        tally: tally.clone(),
        waits: waits.clone(),
    };
    // Moves the clock a step, once every call has caught up with it.
    let step = || async {
        for _ in 0..1_000 {
            if waits.lock().unwrap().caught_up(clock.now_ms()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        clock.advance(STEP_MS);
        time.send_replace(clock.now_ms());
    };
    let dialer = Dialer::new(
        store.clone(),
        Ledger::new(Limits::default()),
        Arc::new(carrier),
        Some(registry),
        Arc::new(clock.clone()),
        SchedulerConfig::default(),
    );
    const AGENTS: i64 = 20;
    for i in 0..AGENTS {
        let name = format!("agent{i}");
        dialer
            .create_agent(&name, &format!("{}", 200 + i), WRAP_S as u32)
            .await
            .unwrap();
        dialer.add_queue_member("sales", &name).await.unwrap();
        dialer
            .set_agent_state(&name, AgentState::Ready, None)
            .await
            .unwrap();
    }
    dialer
        .create_list(
            "leads",
            "",
            &serde_json::from_value(json!({"retry": {"max_attempts": 1}})).unwrap(),
        )
        .await
        .unwrap();
    let csv: String = std::iter::once("numbers\n".to_owned())
        .chain((0..8_000).map(|i| format!("06{:08}\n", 20_000_000 + i)))
        .collect();
    dialer.import("leads", csv.as_bytes()).await.unwrap();
    let id = dialer
        .create_campaign(
            "predictive",
            None,
            &["leads".to_owned()],
            json!({
                "kind": "agent",
                "queue": "sales",
                "ring_timeout_s": RING_TIMEOUT_MS / 1000,
                "abandon_after_ms": GRACE_MS,
                "pacing": {"strategy": "predictive", "target_abandon_rate": 0.03},
            }),
            None,
        )
        .await
        .unwrap();
    dialer.command(id, Command::Start).await.unwrap();
    let span = 1_800_000;
    let until = clock.now_ms() + span;
    while clock.now_ms() < until {
        step().await;
        dialer.pass().await.unwrap();
        // The calls just placed start.
        tokio::task::yield_now().await;
    }
    dialer.command(id, Command::Pause).await.unwrap();
    // Whatever is still ringing or talking ends as time goes on.
    for _ in 0..2_000 {
        step().await;
        if dialer.calls(id).in_progress() == 0 {
            break;
        }
    }
    dialer.settle().await;
    let tally = std::mem::take(&mut *tally.lock().unwrap());
    let abandon = tally.abandoned as f64 / tally.people as f64;
    // Talk and wrap-up over the agents' half hour.
    let busy =
        (tally.talk_ms + tally.connected as i64 * WRAP_S * 1000) as f64 / (AGENTS * span) as f64;
    eprintln!("{tally:?}: abandon {abandon:.4}, agents busy {busy:.3}");
    assert!(tally.people >= 300, "{tally:?}");
    assert!(abandon < 0.03, "{tally:?}: {abandon}");
    assert!(busy > 0.75, "{tally:?}: {busy}");
    // What the pacer was told of the day is what happened.
    let day = MONDAY_10_ROME - MONDAY_10_ROME.rem_euclid(86_400_000);
    let moments = store.call_moments(id, day, i64::MAX, 0).await.unwrap();
    assert_eq!(
        (moments.dials, moments.answered, moments.abandoned),
        (
            tally.placed as i64,
            tally.people as i64,
            tally.abandoned as i64
        )
    );
}
