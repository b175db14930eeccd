//! Hosts sharing one PostgreSQL database (the test server that `tests/run.sh` starts):
//! each host's events reach the other hosts' listeners, once and in order. The
//! carrier places no call here: events come from agents' states.

use std::sync::Arc;
use std::time::Duration;

use ringhost_call::{Agents, CallReport, CallRequest, Carrier, Outcome, Placing, Progress};
use ringhost_dialer::agents::AgentState;
use ringhost_dialer::clock::ManualClock;
use ringhost_dialer::events::DialerEvent;
use ringhost_dialer::ledger::{Ledger, Limits};
use ringhost_dialer::scheduler::{Dialer, SchedulerConfig};
use ringhost_store::Store;
use ringhost_store::testing::{another_host, postgres_store};
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

/// Monday 2026-11-30 10:00 in Rome.
const MONDAY_10_ROME: i64 = 1_796_029_200_000;

/// A carrier no call reaches in these tests.
struct NoCalls;

impl Carrier for NoCalls {
    fn place(
        &self,
        _: CallRequest,
        _: mpsc::UnboundedSender<Progress>,
        _: Arc<dyn Agents>,
    ) -> Placing {
        Box::pin(async { CallReport::failed(Outcome::Failed) })
    }
}

fn dialer(store: Store, host: &str) -> Dialer {
    Dialer::new(
        store,
        Ledger::new(Limits::default()),
        Arc::new(NoCalls),
        None,
        Arc::new(ManualClock::new(MONDAY_10_ROME)),
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
