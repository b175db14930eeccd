//! Hosts sharing one PostgreSQL database (the test server that `tests/run.sh` starts):
//! each host's events reach the other hosts' listeners, once and in order; a host
//! whose lease expired is taken over by one other host, which calls its contacts
//! again, none past its maximum. The carriers are scripts (a real trunk cannot be
//! had here): one whose calls never end, for a host that dies with calls up.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ringhost_call::{Agents, CallRequest, Carrier, Placing, Progress};
use ringhost_dialer::agents::AgentState;
use ringhost_dialer::clock::ManualClock;
use ringhost_dialer::events::DialerEvent;
use ringhost_dialer::ledger::{Ledger, Limits};
use ringhost_dialer::lifecycle::Command;
use ringhost_dialer::scheduler::{Dialer, SchedulerConfig};
use ringhost_store::Store;
use ringhost_store::testing::{another_host, postgres_store};
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

/// Monday 2026-11-30 10:00 in Rome.
const MONDAY_10_ROME: i64 = 1_796_029_200_000;

/// A carrier whose calls never end (a host that dies with them up); it counts them.
#[derive(Clone, Default)]
struct Endless(Arc<AtomicUsize>);

impl Carrier for Endless {
    fn place(
        &self,
        _: CallRequest,
        _: mpsc::UnboundedSender<Progress>,
        _: Arc<dyn Agents>,
    ) -> Placing {
        self.0.fetch_add(1, Ordering::SeqCst);
        Box::pin(std::future::pending())
    }
}

fn dialer(store: Store, host: &str) -> Dialer {
    on(
        store,
        host,
        Arc::new(Endless::default()),
        ManualClock::new(MONDAY_10_ROME),
    )
}

fn on(store: Store, host: &str, carrier: Arc<dyn Carrier>, clock: ManualClock) -> Dialer {
    Dialer::new(
        store,
        Ledger::new(Limits::default()),
        carrier,
        None,
        Arc::new(clock),
        SchedulerConfig {
            host: host.into(),
            ..SchedulerConfig::default()
        },
    )
}

fn state(agent: &str, state: &str, reason: Option<&str>) -> DialerEvent {
    DialerEvent::AgentState {
        agent: agent.into(),
        state: state.into(),
        reason: reason.map(str::to_owned),
    }
}

async fn next(events: &mut broadcast::Receiver<DialerEvent>) -> DialerEvent {
    tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .expect("an event within 5 s")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_host_hears_every_host_once_and_in_order() {
    let Some((first, name)) = postgres_store().await else {
        return;
    };
    let second = another_host(&name).await;
    let (a, b) = (dialer(first, "host-a"), dialer(second, "host-b"));
    let stop = CancellationToken::new();
    assert!(a.relay_events(stop.clone()).await.unwrap());
    assert!(b.relay_events(stop.clone()).await.unwrap());
    assert!(a.relay_events(stop.clone()).await.is_err(), "relayed twice");
    let (mut on_a, mut on_b) = (a.subscribe(), b.subscribe());
    for i in 0..20 {
        let agent = format!("agent{i}");
        a.create_agent(&agent, &format!("{}", 100 + i), 0)
            .await
            .unwrap();
        a.set_agent_state(&agent, AgentState::Present, None)
            .await
            .unwrap();
    }
    for i in 0..20 {
        let want = state(&format!("agent{i}"), "present", None);
        assert_eq!(next(&mut on_b).await, want, "host B, in order");
        assert_eq!(next(&mut on_a).await, want, "host A, its own");
    }
    // Host B's own change reaches host A; host A heard its own events once.
    b.set_agent_state("agent3", AgentState::Paused, Some("lunch"))
        .await
        .unwrap();
    let paused = state("agent3", "paused", Some("lunch"));
    assert_eq!(next(&mut on_a).await, paused);
    assert_eq!(next(&mut on_b).await, paused);
    assert!(
        tokio::time::timeout(Duration::from_millis(500), on_a.recv())
            .await
            .is_err(),
        "an echo"
    );
    stop.cancel();
}

/// On SQLite there is one host: nothing to relay.
#[tokio::test]
async fn sqlite_has_no_other_host() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("d.db").display()
    ))
    .await
    .unwrap();
    let stop = CancellationToken::new();
    assert!(!dialer(store, "only").relay_events(stop).await.unwrap());
}

/// Host A dies with three calls up; once its lease has expired, host B (and only B)
/// closes them as interrupted and calls the contacts again, each to its maximum of
/// two attempts; A, back and finding its lease gone, places no call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_hosts_calls_are_taken_over_once() {
    let Some((first, name)) = postgres_store().await else {
        return;
    };
    let (calls_a, calls_b) = (Endless::default(), Endless::default());
    let clock = ManualClock::new(MONDAY_10_ROME);
    let a = on(
        first.clone(),
        "host-a",
        Arc::new(calls_a.clone()),
        clock.clone(),
    );
    let b = on(
        another_host(&name).await,
        "host-b",
        Arc::new(calls_b.clone()),
        clock.clone(),
    );
    let c = on(
        another_host(&name).await,
        "host-c",
        Arc::new(Endless::default()),
        clock.clone(),
    );
    let lease = Duration::from_secs(15);
    for host in [&a, &b, &c] {
        assert!(host.hold_lease(lease, true).await.unwrap());
    }
    a.create_list(
        "leads",
        "",
        &serde_json::from_value(
            serde_json::json!({"retry": {"max_attempts": 2, "wait_other_s": 60}}),
        )
        .unwrap(),
    )
    .await
    .unwrap();
    a.import(
        "leads",
        "numbers\n0611111111\n0622222222\n0633333333\n".as_bytes(),
    )
    .await
    .unwrap();
    let id = a
        .create_campaign(
            "spring",
            None,
            &["leads".to_owned()],
            serde_json::json!({"kind": "notification", "max_calls": 10}),
            None,
        )
        .await
        .unwrap();
    a.command(id, Command::Start).await.unwrap();
    a.pass().await.unwrap();
    for _ in 0..200 {
        if calls_a.0.load(Ordering::SeqCst) == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(calls_a.0.load(Ordering::SeqCst), 3);
    // A dies. Before its lease runs out nobody takes it over; B and C renew theirs.
    clock.advance(10_000);
    for host in [&b, &c] {
        assert!(host.hold_lease(lease, false).await.unwrap());
        assert!(host.take_over_dead_hosts().await.unwrap().is_empty());
    }
    clock.advance(6_000);
    let (taken, by_c) = tokio::join!(b.take_over_dead_hosts(), c.take_over_dead_hosts());
    let mut taken = taken.unwrap();
    taken.extend(by_c.unwrap());
    assert_eq!(taken.len(), 1, "one host takes A over: {taken:?}");
    let (host, recovery) = &taken[0];
    assert_eq!(host, "host-a");
    assert_eq!((recovery.interrupted, recovery.rescheduled), (3, 3));
    assert!(first.open_attempts("host-a").await.unwrap().is_empty());
    // A comes back: its lease is gone, and it places no call.
    assert!(!a.hold_lease(lease, false).await.unwrap());
    clock.advance(61_000);
    a.pass().await.unwrap();
    assert_eq!(calls_a.0.load(Ordering::SeqCst), 3);
    // B calls each contact again, the last time.
    for _ in 0..3 {
        b.pass().await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(calls_b.0.load(Ordering::SeqCst), 3);
    for contact in first.contacts(1, 0, 10).await.unwrap() {
        let attempts = first.attempts_of_contact(contact.id).await.unwrap();
        assert_eq!(contact.attempts, 2);
        assert_eq!(attempts.len(), 2, "{attempts:?}");
        assert_eq!(attempts[0].state, "interrupted");
    }
}
