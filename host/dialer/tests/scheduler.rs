//! The scheduler against a real SQLite store, with the clock moved by hand.
//!
//! The carrier here is a script, not a network: it answers each call with the outcome
//! the test gives its number, at once (or holds calls until released, for the channel
//! tests). It stands for the SIP trunks so that hours of retry waits and calling hours
//! run in milliseconds; the same paths through real SIP, against SIPp carriers, are in
//! `tests/e2e/campaign.rs`.

mod desk_call;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ringhost_call::Outcome;
use ringhost_call::{
    Agents, CallReport, CallRequest, Carrier, Class, MonitorMode, MonitorRefusal, Monitoring,
    OnAnswer, Placing, Progress, QueueResult, Skip,
};
use ringhost_dialer::clock::ManualClock;
use ringhost_dialer::ledger::{Ledger, Limits};
use ringhost_dialer::lifecycle::Command;
use ringhost_dialer::scheduler::{Dialer, SchedulerConfig};
use ringhost_store::Store;
use serde_json::json;
use tokio::sync::{Semaphore, mpsc};

/// Monday 2026-11-30 10:00 in Rome.
const MONDAY_10_ROME: i64 = 1_796_029_200_000;
const MINUTE: i64 = 60_000;

#[derive(Default)]
struct Script {
    /// Outcome per number; `answered` when missing.
    outcomes: HashMap<String, Outcome>,
    /// Numbers that confirm when answered.
    confirming: Vec<String>,
    /// Numbers whose answered call no agent takes.
    abandoned: Vec<String>,
    /// Every call placed: (number, clock at placing).
    placed: Vec<(String, i64)>,
    /// Calls in progress now, and the most seen at once.
    live: u32,
    peak: u32,
    /// Whether answered queued calls take an agent, as the host's carrier does.
    take_agents: bool,
    /// Agents on a call now.
    talking: Vec<String>,
    /// Every agent a call was put through to, in order.
    taken: Vec<String>,
    /// Agents given a call while on another (there must be none).
    double_booked: Vec<String>,
    /// What supervisors asked: (attempt, mode; `None` to stop).
    monitors: Vec<(i64, Option<MonitorMode>)>,
    /// The agent of each call from the desk, in order.
    desk: Vec<String>,
}

#[derive(Clone)]
struct ScriptedCarrier {
    script: Arc<Mutex<Script>>,
    clock: ManualClock,
    /// When set, each call holds until a permit is added.
    hold: Option<Arc<Semaphore>>,
}

impl Carrier for ScriptedCarrier {
    fn class_of(&self, number: &str) -> Class {
        if ScriptedCarrier::internal(number) {
            Class::Internal
        } else {
            Class::External
        }
    }

    fn place(
        &self,
        call: CallRequest,
        progress: mpsc::UnboundedSender<Progress>,
        queues: Arc<dyn Agents>,
    ) -> Placing {
        let this = self.clone();
        Box::pin(async move {
            let (outcome, confirmed) = {
                let mut s = this.script.lock().unwrap();
                s.placed.push((call.number.clone(), this.clock_now()));
                s.live += 1;
                s.peak = s.peak.max(s.live);
                let outcome = s
                    .outcomes
                    .get(&call.number)
                    .copied()
                    .unwrap_or(Outcome::Answered);
                (outcome, s.confirming.contains(&call.number))
            };
            let abandoned = this.script.lock().unwrap().abandoned.contains(&call.number);
            let _ = progress.send(Progress::Ringing);
            let mut agent = None;
            if outcome == Outcome::Answered {
                let _ = progress.send(Progress::Answered);
                if let OnAnswer::Queue { queue, .. } = &call.on_answer
                    && this.script.lock().unwrap().take_agents
                    && let Some(offer) = queues.take(queue, Some(call.attempt_id)).await.unwrap()
                {
                    let mut s = this.script.lock().unwrap();
                    if s.talking.contains(&offer.agent) {
                        s.double_booked.push(offer.agent.clone());
                    }
                    s.talking.push(offer.agent.clone());
                    s.taken.push(offer.agent.clone());
                    let _ = progress.send(Progress::Agent(offer.agent.clone()));
                    agent = Some(offer);
                }
            }
            // A call from the desk: its agent was taken by the dialer; the agent talks
            // once the callee answers, else is given back.
            if let OnAnswer::Desk { agent: offer, .. } = &call.on_answer {
                this.script.lock().unwrap().desk.push(offer.agent.clone());
                if outcome == Outcome::Answered {
                    let _ = progress.send(Progress::Agent(offer.agent.clone()));
                    agent = Some(offer.clone());
                } else {
                    queues.skip(offer, Skip::CallGone).await;
                }
            }
            if let Some(hold) = &this.hold {
                hold.acquire().await.unwrap().forget();
            }
            if let Some(offer) = &agent {
                this.script
                    .lock()
                    .unwrap()
                    .talking
                    .retain(|a| *a != offer.agent);
                queues.release(offer).await;
            }
            this.script.lock().unwrap().live -= 1;
            CallReport {
                agent: agent.map(|offer| offer.agent),
                confirmed: confirmed && outcome == Outcome::Answered,
                queue_result: abandoned.then_some(QueueResult::Abandoned),
                ring: Duration::from_millis(1500),
                talk: if outcome == Outcome::Answered {
                    Duration::from_secs(20)
                } else {
                    Duration::ZERO
                },
                ..CallReport::failed(outcome)
            }
        })
    }

    /// Only extensions (short numbers) are phones a supervisor may be rung on.
    fn monitor(&self, attempt_id: i64, extension: String, mode: MonitorMode) -> Monitoring {
        let script = self.script.clone();
        Box::pin(async move {
            if !ScriptedCarrier::internal(&extension) {
                return Err(MonitorRefusal::NotAPhone(extension));
            }
            script
                .lock()
                .unwrap()
                .monitors
                .push((attempt_id, Some(mode)));
            Ok(())
        })
    }

    fn set_monitor_mode(&self, attempt_id: i64, mode: MonitorMode) -> Result<(), MonitorRefusal> {
        self.script
            .lock()
            .unwrap()
            .monitors
            .push((attempt_id, Some(mode)));
        Ok(())
    }

    fn stop_monitor(&self, attempt_id: i64) -> Result<(), MonitorRefusal> {
        self.script
            .lock()
            .unwrap()
            .monitors
            .push((attempt_id, None));
        Ok(())
    }
}

impl ScriptedCarrier {
    /// Extensions (short numbers) are internal, as the host's registered phones are.
    fn internal(number: &str) -> bool {
        number.len() <= 4
    }

    fn clock_now(&self) -> i64 {
        use ringhost_dialer::clock::Clock as _;
        self.clock.now_ms()
    }
}

struct Rig {
    _dir: tempfile::TempDir,
    store: Store,
    clock: ManualClock,
    script: Arc<Mutex<Script>>,
    dialer: Dialer,
}

async fn rig(limits: Limits, hold: Option<Arc<Semaphore>>) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("d.db").display()
    ))
    .await
    .unwrap();
    let clock = ManualClock::new(MONDAY_10_ROME);
    let script = Arc::new(Mutex::new(Script::default()));
    let carrier = ScriptedCarrier {
        script: script.clone(),
        clock: clock.clone(),
        hold,
    };
    let dialer = Dialer::new(
        store.clone(),
        Ledger::new(limits),
        Arc::new(carrier),
        None,
        Arc::new(clock.clone()),
        SchedulerConfig::default(),
    );
    Rig {
        _dir: dir,
        store,
        clock,
        script,
        dialer,
    }
}

impl Rig {
    /// Passes until nothing more happens at this instant.
    async fn run_now(&self) {
        for _ in 0..4 {
            self.dialer.pass().await.unwrap();
            self.dialer.settle().await;
        }
    }

    /// Makes `names` agents of queue `sales` (no wrap-up), ready a minute apart in
    /// this order; calls take agents from then on.
    async fn ready_agents(&self, names: &[&str]) {
        use ringhost_dialer::agents::AgentState;
        self.script.lock().unwrap().take_agents = true;
        for name in names {
            self.dialer.create_agent(name, name, 0).await.unwrap();
            self.dialer.add_queue_member("sales", name).await.unwrap();
            self.dialer
                .set_agent_state(name, AgentState::Ready, None)
                .await
                .unwrap();
            self.clock.advance(MINUTE);
        }
    }

    /// Creates the campaign `name` over `list` with `settings` and starts it; its id.
    async fn start(&self, name: &str, list: &str, settings: serde_json::Value) -> i64 {
        let id = self
            .dialer
            .create_campaign(name, None, &[list.to_owned()], settings, None)
            .await
            .unwrap();
        self.dialer.command(id, Command::Start).await.unwrap();
        id
    }

    fn placed(&self) -> Vec<String> {
        self.script
            .lock()
            .unwrap()
            .placed
            .iter()
            .map(|(n, _)| n.clone())
            .collect()
    }

    async fn state(&self, id: i64) -> String {
        self.store.campaign(id).await.unwrap().unwrap().state
    }
}

const LIST: &str = "\
numbers,name,*Schedule*
0611111111|3331111111,Busy Anna,
0622222222,Answering Bruno,
0633333333,Do-not-call Carla,
0644444444,Scheduled Dario,1796040000:201
";

#[tokio::test]
async fn a_campaign_rotates_numbers_retries_honours_limits_and_finishes() {
    let rig = rig(Limits::default(), None).await;
    {
        let mut s = rig.script.lock().unwrap();
        s.outcomes.insert("+390611111111".into(), Outcome::Busy);
        s.outcomes.insert("+393331111111".into(), Outcome::Busy);
    }
    rig.dialer
        .create_list(
            "leads",
            "",
            &serde_json::from_value(json!({"retry": {"max_attempts": 3, "wait_busy_s": 600}}))
                .unwrap(),
        )
        .await
        .unwrap();
    let summary = rig.dialer.import("leads", LIST.as_bytes()).await.unwrap();
    assert_eq!(summary.imported, 4);
    rig.dialer
        .add_do_not_call("06 3333 3333", None, None, "asked")
        .await
        .unwrap();
    let id = rig
        .start(
            "spring",
            "leads",
            json!({
                "kind": "agent",
                "pacing": {"strategy": "fixed"},
                "max_calls": 10,
                "calling_hours": [{"days": [0, 1, 2, 3, 4], "from": "09:00", "to": "20:00"}],
            }),
        )
        .await;
    rig.run_now().await;
    // Anna (first number), Bruno; Carla is on the do-not-call list, Dario is due at
    // 13:00 (his *Schedule*).
    assert_eq!(rig.placed(), ["+390611111111", "+390622222222"]);
    // Nine minutes later Anna's wait (10 min) is not over.
    rig.clock.advance(9 * MINUTE);
    rig.run_now().await;
    assert_eq!(rig.placed().len(), 2);
    // Then her second number.
    rig.clock.advance(2 * MINUTE);
    rig.run_now().await;
    assert_eq!(rig.placed()[2], "+393331111111");
    // At 13:00 Dario; at 10:22 nothing.
    rig.clock.set(1_796_040_000_000 - 1);
    rig.run_now().await;
    assert!(rig.placed().contains(&"+390611111111".to_owned()));
    let third_anna = rig
        .placed()
        .iter()
        .filter(|n| n.ends_with("0611111111"))
        .count();
    assert_eq!(
        third_anna, 2,
        "Anna's third attempt wraps to her first number"
    );
    assert!(!rig.placed().contains(&"+390644444444".to_owned()));
    rig.clock.set(1_796_040_000_000);
    rig.run_now().await;
    assert!(rig.placed().contains(&"+390644444444".to_owned()));
    // Anna had her three attempts; the campaign has nothing left and finishes.
    rig.clock.advance(60 * MINUTE);
    rig.run_now().await;
    let placed = rig.placed();
    assert_eq!(placed.iter().filter(|n| n.contains("1111111")).count(), 3);
    assert!(!placed.contains(&"+390633333333".to_owned()));
    assert_eq!(rig.state(id).await, "finished");
    let status = rig.dialer.status(id).await.unwrap();
    assert_eq!(status.contacts_done, 4);
    assert!(
        status.attempts_by_status.contains(&("BUSY".to_owned(), 3)),
        "{status:?}"
    );
}

#[tokio::test]
async fn no_call_outside_calling_hours_in_the_contacts_zone() {
    let rig = rig(Limits::default(), None).await;
    let csv = "numbers,name,timezone\n0611111111,Rome,\n+12125550100,New York,America/New_York\n";
    rig.dialer.import("zones", csv.as_bytes()).await.unwrap();
    rig.start(
        "hours",
        "zones",
        json!({
            "kind": "notification",
            "calling_hours": [{"days": [0, 1, 2, 3, 4, 5, 6], "from": "09:00", "to": "20:00"}],
        }),
    )
    .await;
    // 10:00 in Rome is 04:00 in New York.
    rig.run_now().await;
    assert_eq!(rig.placed(), ["+390611111111"]);
    // 15:00 in Rome, 09:00 in New York.
    rig.clock.advance(5 * 60 * MINUTE);
    rig.run_now().await;
    assert_eq!(rig.placed(), ["+390611111111", "+12125550100"]);
    let at_placing = rig.script.lock().unwrap().placed[1].1;
    assert_eq!(at_placing, MONDAY_10_ROME + 5 * 60 * MINUTE);
}

#[tokio::test]
async fn a_reservation_of_20_percent_of_50_channels_never_holds_more_than_10() {
    let hold = Arc::new(Semaphore::new(0));
    let rig = rig(
        Limits {
            dialer_channels: 50,
            ..Limits::default()
        },
        Some(hold.clone()),
    )
    .await;
    let csv: String = std::iter::once("numbers\n".to_owned())
        .chain((0..40).map(|i| format!("06{:08}\n", 11_000_000 + i)))
        .collect();
    rig.dialer.import("many", csv.as_bytes()).await.unwrap();
    rig.start(
        "reserved",
        "many",
        json!({"kind": "notification", "reserved_percent": 20}),
    )
    .await;
    for _ in 0..5 {
        rig.dialer.pass().await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert!(rig.dialer.ledger().counts().external <= 10);
    }
    assert_eq!(rig.script.lock().unwrap().live, 10);
    // Releasing calls one by one: each pass refills to 10, never past it.
    for _ in 0..30 {
        hold.add_permits(1);
        tokio::time::sleep(Duration::from_millis(5)).await;
        rig.dialer.pass().await.unwrap();
        tokio::task::yield_now().await;
        assert!(rig.dialer.ledger().counts().external <= 10);
    }
    hold.add_permits(100);
    rig.run_now().await;
    assert_eq!(rig.script.lock().unwrap().peak, 10);
    assert_eq!(rig.placed().len(), 40);
}

#[tokio::test]
async fn a_crash_mid_call_is_recovered_without_passing_the_maximum() {
    let hold = Arc::new(Semaphore::new(0));
    let rig = rig(Limits::default(), Some(hold)).await;
    rig.dialer
        .create_list(
            "crash",
            "",
            &serde_json::from_value(json!({"retry": {"max_attempts": 2, "wait_other_s": 60}}))
                .unwrap(),
        )
        .await
        .unwrap();
    rig.dialer
        .import("crash", "numbers\n0611111111\n0622222222\n".as_bytes())
        .await
        .unwrap();
    let id = rig
        .start("c", "crash", json!({"kind": "notification"}))
        .await;
    rig.dialer.pass().await.unwrap();
    // Both calls answered and recorded so: the host dies with both calls up (the old
    // dialer's tasks stay blocked; a dead host writes nothing more).
    for _ in 0..200 {
        let open = rig.store.open_attempts("ringhost").await.unwrap();
        if open.len() == 2 && open.iter().all(|a| a.state == "answered") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(rig.placed().len(), 2);
    // The host dies with both calls up: a new dialer over the same database, with a
    // carrier that answers at once.
    let script = Arc::new(Mutex::new(Script::default()));
    script
        .lock()
        .unwrap()
        .outcomes
        .insert("+390611111111".into(), Outcome::NoAnswer);
    script
        .lock()
        .unwrap()
        .outcomes
        .insert("+390622222222".into(), Outcome::NoAnswer);
    let restarted = Dialer::new(
        rig.store.clone(),
        Ledger::new(Limits::default()),
        Arc::new(ScriptedCarrier {
            script: script.clone(),
            clock: rig.clock.clone(),
            hold: None,
        }),
        None,
        Arc::new(rig.clock.clone()),
        SchedulerConfig::default(),
    );
    let recovery = restarted.recover().await.unwrap();
    assert_eq!((recovery.interrupted, recovery.rescheduled), (2, 2));
    // Due again after the "other" wait, then the second (last) attempt each.
    for _ in 0..3 {
        restarted.pass().await.unwrap();
        restarted.settle().await;
    }
    assert!(script.lock().unwrap().placed.is_empty());
    rig.clock.advance(MINUTE);
    for _ in 0..3 {
        restarted.pass().await.unwrap();
        restarted.settle().await;
        rig.clock.advance(2 * 60 * MINUTE);
    }
    assert_eq!(
        script.lock().unwrap().placed.len(),
        2,
        "one more attempt each, no more"
    );
    for contact in rig.store.contacts(1, 0, 10).await.unwrap() {
        assert_eq!(contact.attempts, 2);
        assert_eq!(contact.state, "done");
        let attempts = rig.store.attempts_of_contact(contact.id).await.unwrap();
        let states: Vec<&str> = attempts.iter().map(|a| a.state.as_str()).collect();
        assert_eq!(states, ["interrupted", "ended"]);
    }
    assert_eq!(rig.state(id).await, "incomplete");
}

#[tokio::test]
async fn notification_runs_complete_or_end_incomplete_and_get_more_attempts() {
    let rig = rig(Limits::default(), None).await;
    rig.dialer
        .create_list(
            "notify",
            "",
            &serde_json::from_value(json!({"retry": {"max_attempts": 1}})).unwrap(),
        )
        .await
        .unwrap();
    rig.dialer
        .import(
            "notify",
            "numbers\n0611111111\n0622222222\n0633333333\n".as_bytes(),
        )
        .await
        .unwrap();
    rig.script.lock().unwrap().confirming = vec!["+390611111111".into(), "+390622222222".into()];
    // Two confirmations required of three: Completed.
    let done = rig
        .start(
            "recall",
            "notify",
            json!({"kind": "notification", "min_successes": 2}),
        )
        .await;
    rig.run_now().await;
    assert_eq!(rig.state(done).await, "completed");
    assert_eq!(rig.dialer.status(done).await.unwrap().confirmed, 2);

    // All three required: Incomplete; more attempts for the third, who now confirms.
    rig.dialer
        .import(
            "all",
            "numbers\n0611111111\n0622222222\n0633333333\n".as_bytes(),
        )
        .await
        .unwrap();
    let all = rig
        .start("all", "all", json!({"kind": "notification"}))
        .await;
    rig.run_now().await;
    assert_eq!(rig.state(all).await, "incomplete");
    let third = rig
        .store
        .contacts(
            rig.store.list_by_name("all").await.unwrap().unwrap().id,
            0,
            10,
        )
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.numbers[0] == "+390633333333")
        .unwrap();
    rig.script
        .lock()
        .unwrap()
        .confirming
        .push("+390633333333".into());
    assert_eq!(rig.dialer.more_attempts(all, &[third.id]).await.unwrap(), 1);
    rig.run_now().await;
    assert_eq!(rig.state(all).await, "completed");
    let status = rig.dialer.status(all).await.unwrap();
    assert_eq!(status.confirmed, 3);
}

#[tokio::test]
async fn an_abandoned_number_is_not_called_again_by_any_campaign_for_its_days() {
    let rig = rig(Limits::default(), None).await;
    rig.script.lock().unwrap().abandoned = vec!["+390611111111".into()];
    rig.dialer
        .import("first", "numbers\n0611111111\n".as_bytes())
        .await
        .unwrap();
    rig.dialer
        .import("second", "numbers\n0611111111\n".as_bytes())
        .await
        .unwrap();
    let settings =
        json!({"kind": "agent", "pacing": {"strategy": "fixed"}, "abandoned_no_call_days": 7});
    let first = rig
        .dialer
        .create_campaign("first", None, &["first".to_owned()], settings.clone(), None)
        .await
        .unwrap();
    rig.dialer.command(first, Command::Start).await.unwrap();
    rig.run_now().await;
    assert_eq!(rig.placed().len(), 1);
    // Another campaign, another list, the same person: held back for 7 days.
    let second = rig
        .dialer
        .create_campaign("second", None, &["second".to_owned()], settings, None)
        .await
        .unwrap();
    rig.dialer.command(second, Command::Start).await.unwrap();
    rig.clock.advance(6 * 24 * 60 * MINUTE);
    rig.run_now().await;
    assert_eq!(rig.placed().len(), 1);
    assert_eq!(rig.state(second).await, "finished");
    let list = rig.store.list_by_name("second").await.unwrap().unwrap();
    let contact = &rig.store.contacts(list.id, 0, 1).await.unwrap()[0];
    assert_eq!(contact.status.as_deref(), Some("DNC"));
    let now = MONDAY_10_ROME + 6 * 24 * 60 * MINUTE;
    assert!(
        rig.store
            .is_do_not_call("+390611111111", list.id, now)
            .await
            .unwrap()
    );
    assert!(
        !rig.store
            .is_do_not_call("+390611111111", list.id, now + 2 * 24 * 60 * MINUTE)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn beyond_the_maximum_of_active_campaigns_the_lower_priority_waits() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("d.db").display()
    ))
    .await
    .unwrap();
    let clock = ManualClock::new(MONDAY_10_ROME);
    let script = Arc::new(Mutex::new(Script::default()));
    let dialer = Dialer::new(
        store.clone(),
        Ledger::new(Limits::default()),
        Arc::new(ScriptedCarrier {
            script: script.clone(),
            clock: clock.clone(),
            hold: None,
        }),
        None,
        Arc::new(clock.clone()),
        SchedulerConfig {
            max_active_campaigns: 1,
            ..SchedulerConfig::default()
        },
    );
    dialer
        .import("low", "numbers\n0611111111\n".as_bytes())
        .await
        .unwrap();
    dialer
        .import("high", "numbers\n0622222222\n".as_bytes())
        .await
        .unwrap();
    let fixed = |priority: i64| json!({"kind": "agent", "pacing": {"strategy": "fixed"}, "priority": priority});
    let low = dialer
        .create_campaign("low", None, &["low".to_owned()], fixed(1), None)
        .await
        .unwrap();
    let high = dialer
        .create_campaign("high", None, &["high".to_owned()], fixed(9), None)
        .await
        .unwrap();
    dialer.command(low, Command::Start).await.unwrap();
    dialer.command(high, Command::Start).await.unwrap();
    dialer.pass().await.unwrap();
    dialer.settle().await;
    let placed: Vec<String> = script
        .lock()
        .unwrap()
        .placed
        .iter()
        .map(|(n, _)| n.clone())
        .collect();
    assert_eq!(placed, ["+390622222222"], "only the higher priority dials");
    // Once it finishes, the other gets its turn.
    for _ in 0..3 {
        dialer.pass().await.unwrap();
        dialer.settle().await;
    }
    assert_eq!(script.lock().unwrap().placed.len(), 2);
}

#[tokio::test]
async fn exchange_table_rows_become_contacts_and_reset_reads_them_again() {
    use ringhost_store::exchange::ExchangeRow;
    let rig = rig(Limits::default(), None).await;
    rig.dialer
        .import("base", "numbers\n".as_bytes())
        .await
        .unwrap();
    let id = rig
        .start(
            "crm",
            "base",
            json!({"kind": "agent", "pacing": {"strategy": "fixed"}}),
        )
        .await;
    let row = |id: &str, number: &str, campaign: &str| ExchangeRow {
        id: id.into(),
        phone_number: number.into(),
        campaign: campaign.into(),
        list: "from-crm".into(),
        data: r#"{"customer": "ACME", "order": "42"}"#.into(),
        picked_at_ms: None,
        contact_id: None,
        error: None,
    };
    rig.store
        .insert_exchange_rows(&[
            row("a1", "06 1111 1111", "crm"),
            row("a2", "12", "crm"),
            row("a3", "06 2222 2222", "nope"),
        ])
        .await
        .unwrap();
    rig.run_now().await;
    assert_eq!(rig.placed(), ["+390611111111"]);
    let rows = rig.store.exchange_rows("", 10).await.unwrap();
    assert!(rows[0].contact_id.is_some(), "{rows:?}");
    assert!(rows[1].error.as_deref().unwrap().contains("12"), "{rows:?}");
    assert!(
        rows[2].error.as_deref().unwrap().contains("nope"),
        "{rows:?}"
    );
    let contact = rig
        .store
        .contact(rows[0].contact_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    let variables: serde_json::Value = serde_json::from_str(&contact.variables).unwrap();
    assert_eq!(variables["customer"], "ACME");
    assert_eq!(rig.state(id).await, "finished");
    // Reset statistics: the row is read again and called again in a new run.
    assert_eq!(rig.dialer.reset_exchange().await.unwrap(), 3);
    rig.dialer.command(id, Command::Start).await.unwrap();
    rig.run_now().await;
    assert_eq!(rig.placed(), ["+390611111111", "+390611111111"]);
}

#[tokio::test]
async fn with_limits_10_8_6_internal_and_external_calls_never_pass_them() {
    let hold = Arc::new(Semaphore::new(0));
    let rig = rig(
        Limits {
            dialer_channels: 0,
            total: 10,
            internal: 8,
            external: 6,
        },
        Some(hold.clone()),
    )
    .await;
    // Twelve extensions and twelve outside numbers in one list, interleaved. The
    // importer takes only numbers of a numbering plan, so the extensions are stored
    // directly, as the agents' own lists will be.
    let list = rig.store.create_list("mixed", "", "{}", 0).await.unwrap();
    let rows: Vec<_> = (0..24)
        .map(|i| ringhost_store::contact::NewContactRow {
            line: i + 2,
            numbers: vec![if i % 2 == 0 {
                format!("{}", 200 + i)
            } else {
                format!("+39061111{:04}", i)
            }],
            variables: "{}".into(),
            time_zone: "Europe/Rome".into(),
            next_at_ms: MONDAY_10_ROME - 1000 + i,
            schedule_extension: None,
            external_id: None,
        })
        .collect();
    rig.store.insert_contacts(list, &rows, 0).await.unwrap();
    rig.start("mixed", "mixed", json!({"kind": "notification"}))
        .await;
    let mut seen = (0, 0);
    for round in 0..40 {
        rig.dialer.pass().await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        let counts = rig.dialer.ledger().counts();
        assert!(counts.internal <= 8, "{counts:?}");
        assert!(counts.external <= 6, "{counts:?}");
        assert!(counts.internal + counts.external <= 10, "{counts:?}");
        seen = (seen.0.max(counts.internal), seen.1.max(counts.external));
        if round % 2 == 1 {
            // Calls end one by one; the next pass fills what they freed.
            hold.add_permits(1);
        }
    }
    // Both kinds ran side by side, up to the total.
    assert!(seen.0 >= 4 && seen.1 >= 2, "{seen:?}");
    hold.add_permits(100);
    rig.run_now().await;
    assert_eq!(rig.placed().len(), 24);
}

#[tokio::test]
async fn progressive_pacing_places_one_call_per_ready_agent_of_the_queue() {
    use ringhost_dialer::agents::AgentState;
    let hold = Arc::new(Semaphore::new(0));
    let rig = rig(Limits::default(), Some(hold.clone())).await;
    for (name, extension) in [("anna", "201"), ("bruno", "202"), ("carla", "203")] {
        rig.dialer.create_agent(name, extension, 5).await.unwrap();
        rig.dialer.add_queue_member("sales", name).await.unwrap();
        rig.dialer
            .set_agent_state(name, AgentState::Present, None)
            .await
            .unwrap();
    }
    rig.dialer
        .set_agent_state("anna", AgentState::Ready, None)
        .await
        .unwrap();
    rig.dialer
        .set_agent_state("bruno", AgentState::Ready, None)
        .await
        .unwrap();
    rig.dialer
        .set_agent_state("carla", AgentState::Paused, Some("coffee"))
        .await
        .unwrap();
    let csv: String = std::iter::once("numbers\n".to_owned())
        .chain((0..6).map(|i| format!("06{:08}\n", 11_000_000 + i)))
        .collect();
    rig.dialer.import("leads", csv.as_bytes()).await.unwrap();
    rig.start("power", "leads", json!({"kind": "agent", "queue": "sales"}))
        .await;
    for _ in 0..3 {
        rig.dialer.pass().await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Two ready agents: two calls; answered, they wait in the queue and count.
    assert_eq!(rig.placed().len(), 2);
    let info = rig.dialer.queue_info("sales").await.unwrap();
    assert_eq!((info.ready, info.present, info.busy), (2, 3, 0));
    // A pause needs a reason; an agent cannot put themself on a call.
    assert!(
        rig.dialer
            .set_agent_state("carla", AgentState::Paused, None)
            .await
            .is_err()
    );
    assert!(
        rig.dialer
            .set_agent_state("carla", AgentState::OnCall, None)
            .await
            .is_err()
    );
    rig.dialer
        .set_agent_state("carla", AgentState::Ready, None)
        .await
        .unwrap();
    for _ in 0..3 {
        rig.dialer.pass().await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(rig.placed().len(), 3);
    hold.add_permits(100);
    rig.dialer.settle().await;
}

/// A call put through to an agent counts as talking, not as queued: a pacer that saw
/// those calls as waiting for an agent would hold back calls the agents need.
#[tokio::test]
async fn calls_with_agents_count_as_talking_and_are_not_queued() {
    let hold = Arc::new(Semaphore::new(0));
    let rig = rig(Limits::default(), Some(hold.clone())).await;
    rig.ready_agents(&["anna", "bruno"]).await;
    let csv: String = std::iter::once("numbers\n".to_owned())
        .chain((0..4).map(|i| format!("06{:08}\n", 12_000_000 + i)))
        .collect();
    rig.dialer.import("leads", csv.as_bytes()).await.unwrap();
    let id = rig
        .start("power", "leads", json!({"kind": "agent", "queue": "sales"}))
        .await;
    for _ in 0..3 {
        rig.dialer.pass().await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(rig.placed().len(), 2);
    let calls = rig.dialer.calls(id);
    assert_eq!(
        (calls.dialing, calls.ringing, calls.answered, calls.talking),
        (0, 0, 0, 2)
    );
    let status = rig.dialer.status(id).await.unwrap();
    assert_eq!((status.calls_answered, status.calls_talking), (0, 2));
    hold.add_permits(100);
    rig.dialer.settle().await;
    let calls = rig.dialer.calls(id);
    assert_eq!(calls.in_progress(), 0, "{calls:?}");
}

#[tokio::test]
async fn dialer_new_call_places_one_call_through_a_running_campaign() {
    let rig = rig(Limits::default(), None).await;
    rig.dialer
        .import("api", "numbers\n".as_bytes())
        .await
        .unwrap();
    let id = rig
        .dialer
        .create_campaign(
            "api",
            None,
            &["api".to_owned()],
            json!({"kind": "agent", "pacing": {"strategy": "fixed"}, "keep_running": true}),
            None,
        )
        .await
        .unwrap();
    let variables = [("name".to_owned(), "Zoe".to_owned())];
    // Not before the campaign runs: no call reaches a trunk unless a campaign asks.
    assert!(
        rig.dialer
            .new_call(id, "06 9999 9999", &variables)
            .await
            .is_err()
    );
    rig.dialer.command(id, Command::Start).await.unwrap();
    assert!(
        rig.dialer
            .new_call(id, "not a number", &variables)
            .await
            .is_err()
    );
    // With nothing to call, a campaign that keeps running waits for calls.
    rig.run_now().await;
    assert_eq!(rig.state(id).await, "running");
    let contact = rig
        .dialer
        .new_call(id, "06 9999 9999", &variables)
        .await
        .unwrap();
    rig.run_now().await;
    assert_eq!(rig.placed(), ["+390699999999"]);
    let attempts = rig.store.attempts_of_contact(contact).await.unwrap();
    assert_eq!(attempts.len(), 1);
    let stored = rig.store.contact(contact).await.unwrap().unwrap();
    assert_eq!(stored.variables, r#"{"name":"Zoe"}"#);
    assert_eq!(rig.state(id).await, "running");
}

#[tokio::test]
async fn an_answered_call_brings_the_contacts_data_to_the_event_stream() {
    use ringhost_dialer::events::DialerEvent;
    let rig = rig(Limits::default(), None).await;
    let mut events = rig.dialer.subscribe();
    rig.dialer
        .import(
            "pop",
            "numbers,name,order\n0611111111,Anna,A-42\n".as_bytes(),
        )
        .await
        .unwrap();
    rig.start(
        "pop",
        "pop",
        json!({"kind": "agent", "pacing": {"strategy": "fixed"}}),
    )
    .await;
    rig.run_now().await;
    let mut kinds = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let DialerEvent::CallAnswered {
            variables, number, ..
        } = &event
        {
            assert_eq!(number, "+390611111111");
            assert_eq!(variables, &json!({"name": "Anna", "order": "A-42"}));
        }
        let json = serde_json::to_value(&event).unwrap();
        kinds.push(json["event"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        kinds,
        [
            "campaign_state",
            "call_started",
            "call_ringing",
            "call_answered",
            "call_ended",
            "campaign_state"
        ]
    );
}

#[tokio::test]
async fn queued_calls_take_free_agents_of_their_queue_and_never_two_to_one() {
    use ringhost_dialer::events::DialerEvent;
    let hold = Arc::new(Semaphore::new(0));
    let rig = rig(Limits::default(), Some(hold.clone())).await;
    let mut events = rig.dialer.subscribe();
    // Ready a minute apart (the store's tests check the longest idle goes first).
    rig.ready_agents(&["anna", "bruno", "carla"]).await;
    rig.dialer
        .import(
            "leads",
            "numbers,name\n0611111110,A\n0622222220,B\n0633333330,C\n0644444440,D\n0655555550,E\n"
                .as_bytes(),
        )
        .await
        .unwrap();
    rig.start(
        "sales",
        "leads",
        json!({"kind": "agent", "queue": "sales", "pacing": {"strategy": "progressive"}}),
    )
    .await;
    pump(&rig).await;
    // One call per ready agent: three, each with its own agent.
    {
        let s = rig.script.lock().unwrap();
        assert_eq!(s.placed.len(), 3);
        let mut talking = s.talking.clone();
        talking.sort();
        assert_eq!(talking, ["anna", "bruno", "carla"]);
    }
    // Calls end one at a time; each freed agent takes the next call.
    for _ in 0..5 {
        hold.add_permits(1);
        pump(&rig).await;
    }
    rig.dialer.settle().await;
    let s = rig.script.lock().unwrap();
    assert_eq!(s.taken.len(), 5, "{:?}", s.taken);
    assert!(s.talking.is_empty());
    assert!(s.double_booked.is_empty(), "{:?}", s.double_booked);
    drop(s);
    // The screen pop reaches the agent's desk with the contact's columns.
    let mut connected = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let DialerEvent::CallConnected {
            agent, variables, ..
        } = event
        {
            connected.push((agent, variables["name"].clone()));
        }
    }
    assert_eq!(connected.len(), 5, "{connected:?}");
    assert!(connected.iter().all(|(_, name)| name.is_string()));
}

/// A few passes, letting the calls' tasks run between them (calls may be held).
async fn pump(rig: &Rig) {
    for _ in 0..3 {
        rig.dialer.pass().await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn the_longest_idle_agent_takes_the_next_call() {
    let hold = Arc::new(Semaphore::new(0));
    let rig = rig(Limits::default(), Some(hold.clone())).await;
    rig.ready_agents(&["anna", "bruno", "carla"]).await;
    let csv: String = std::iter::once("numbers\n".to_owned())
        .chain((0..5).map(|i| format!("06{:08}\n", 12_000_000 + i)))
        .collect();
    rig.dialer.import("leads", csv.as_bytes()).await.unwrap();
    // One call at a time; each agent's wrap-up (none) starts when their call ends.
    rig.start(
        "sales",
        "leads",
        json!({"kind": "agent", "queue": "sales", "pacing": {"strategy": "fixed"}, "max_calls": 1}),
    )
    .await;
    pump(&rig).await;
    for _ in 0..5 {
        rig.clock.advance(MINUTE);
        hold.add_permits(1);
        pump(&rig).await;
    }
    rig.dialer.settle().await;
    let s = rig.script.lock().unwrap();
    assert_eq!(s.taken, ["anna", "bruno", "carla", "anna", "bruno"]);
}

#[tokio::test]
async fn a_supervisor_listens_in_on_an_agents_call_and_each_step_is_audited() {
    use ringhost_dialer::refusal::{AdminError, Refused};
    let hold = Arc::new(Semaphore::new(0));
    let rig = rig(Limits::default(), Some(hold.clone())).await;
    rig.ready_agents(&["anna"]).await;
    rig.dialer
        .import("leads", "numbers,name\n0611111110,A\n".as_bytes())
        .await
        .unwrap();
    fn refused<T>(result: Result<T, AdminError>) -> Refused {
        match result {
            Err(AdminError::Refused(refused)) => refused,
            Ok(_) => panic!("not refused"),
            Err(error) => panic!("failed: {error:#}"),
        }
    }
    // Not on a call yet.
    let dialer = &rig.dialer;
    let listen = MonitorMode::Listen;
    assert!(matches!(
        refused(dialer.monitor("boss", "anna", "200", listen).await),
        Refused::Conflict(_)
    ));
    rig.start(
        "sales",
        "leads",
        json!({"kind": "agent", "queue": "sales", "pacing": {"strategy": "progressive"}}),
    )
    .await;
    pump(&rig).await;
    assert!(matches!(
        refused(dialer.monitor("boss", "nobody", "200", listen).await),
        Refused::NotFound(_)
    ));
    // A number beyond a trunk is no supervisor's phone.
    assert!(matches!(
        refused(dialer.monitor("boss", "anna", "0699999999", listen).await),
        Refused::Invalid(_)
    ));

    let attempt = dialer.monitor("boss", "anna", "200", listen).await.unwrap();
    rig.clock.advance(1_000);
    dialer
        .set_monitor_mode("boss", "anna", MonitorMode::Whisper)
        .await
        .unwrap();
    rig.clock.advance(1_000);
    dialer.stop_monitor("boss", "anna").await.unwrap();
    assert_eq!(
        rig.script.lock().unwrap().monitors,
        [
            (attempt, Some(MonitorMode::Listen)),
            (attempt, Some(MonitorMode::Whisper)),
            (attempt, None)
        ]
    );
    let audit = rig.store.monitor_changes("anna", 10).await.unwrap();
    let steps: Vec<_> = audit
        .iter()
        .map(|c| {
            (
                c.attempt_id,
                c.changed_by.as_str(),
                c.extension.as_deref(),
                c.mode.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            (attempt, "boss", None, None),
            (attempt, "boss", None, Some("whisper")),
            (attempt, "boss", Some("200"), Some("listen")),
        ]
    );
    assert!(audit[0].at_ms > audit[1].at_ms && audit[1].at_ms > audit[2].at_ms);

    // The call is over: nothing to monitor.
    hold.add_permits(1);
    pump(&rig).await;
    rig.dialer.settle().await;
    assert!(matches!(
        refused(dialer.set_monitor_mode("boss", "anna", listen).await),
        Refused::Conflict(_)
    ));
}

/// The agents' day read again and again as time passes (the states long over kept
/// between reads) equals the day read whole from the log each time.
#[tokio::test]
async fn an_agents_day_kept_between_reads_equals_the_day_read_whole() {
    use ringhost_dialer::agents::AgentState;
    use ringhost_store::agent::Closed;
    let rig = rig(Limits::default(), None).await;
    let day = MONDAY_10_ROME - 3_600_000;
    rig.dialer.create_agent("ida", "301", 4).await.unwrap();
    rig.dialer.create_agent("leo", "302", 0).await.unwrap();
    let moves = [
        ("ida", AgentState::Present, None),
        ("ida", AgentState::Ready, None),
        ("leo", AgentState::Present, None),
        ("ida", AgentState::Paused, Some("lunch")),
        ("leo", AgentState::Paused, Some("training")),
        ("ida", AgentState::Ready, None),
        ("leo", AgentState::Ready, None),
        ("ida", AgentState::Paused, Some("lunch")),
        ("leo", AgentState::LoggedOut, None),
        ("ida", AgentState::Ready, None),
    ];
    for (i, (agent, state, reason)) in moves.into_iter().enumerate() {
        rig.dialer
            .set_agent_state(agent, state, reason)
            .await
            .unwrap();
        // Reads between moves a few seconds apart, so that states settle between
        // some reads and not others.
        for _ in 0..3 {
            rig.clock.advance(3_000 + 1_000 * i as i64);
            let kept = rig.dialer.agents_days(day).await.unwrap();
            let now = rig.dialer.now_ms();
            let whole = rig
                .store
                .agent_state_times(day, now, Closed::SinceOrOpen(day + 1))
                .await
                .unwrap();
            for agent in ["ida", "leo"] {
                let ms = |state: &str| -> i64 {
                    whole
                        .iter()
                        .filter(|t| t.agent == agent && t.state == state)
                        .map(|t| t.ms)
                        .sum()
                };
                let got = &kept[agent];
                assert_eq!(
                    (got.ready_ms, got.paused_ms),
                    (ms("ready"), ms("paused")),
                    "{agent} after move {i}"
                );
            }
        }
    }
    let ida = &rig.dialer.agents_days(day).await.unwrap()["ida"];
    assert_eq!(ida.pauses.len(), 1, "two pauses for lunch are one line");
    assert!(ida.paused_ms > 0 && ida.ready_ms > 0);
}

#[tokio::test]
async fn a_campaign_leaves_alone_a_number_booked_for_a_callback() {
    let rig = rig(Limits::default(), None).await;
    let csv = "numbers,name\n0287654321,Booked\n0611111111,Free\n";
    rig.dialer.import("mixed", csv.as_bytes()).await.unwrap();
    // The first contact called in and missed; an operator booked the request.
    let form = ringhost_dialer::missed::MissedCallForm {
        caller: "0287654321".into(),
        ..Default::default()
    };
    let ringhost_store::missed::Intake::Counted { request_id, .. } =
        rig.dialer.intake_missed_call(form).await.unwrap()
    else {
        panic!("not counted")
    };
    rig.dialer.create_agent("op", "201", 0).await.unwrap();
    rig.dialer.book_missed("op", request_id).await.unwrap();
    rig.start("c", "mixed", json!({"kind": "notification"}))
        .await;
    rig.run_now().await;
    assert_eq!(rig.placed(), ["+390611111111"]);
    // Given back by the operator: the campaign calls it when its wait is over.
    rig.dialer.unbook_missed("op", request_id).await.unwrap();
    rig.run_now().await;
    assert_eq!(rig.placed(), ["+390611111111"], "it waits its 15 minutes");
    rig.clock.advance(16 * MINUTE);
    rig.run_now().await;
    assert_eq!(rig.placed(), ["+390611111111", "+390287654321"]);
}
