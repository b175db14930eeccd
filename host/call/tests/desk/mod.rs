//! Calls from an agent's desk, end to end: the agent's phone (ringhost-sim's,
//! registered) rings first, and the callee (ringhost-sim's carrier) is dialled only
//! once the agent answered; each far end says a tone of its own, so what each heard
//! tells that the bridge carried both ways.

use std::time::Duration;

use ringhost_call::{
    AGENT_UNANSWERED, Agents, CallRequest, HangupBy, OnAnswer, Outcome, Progress, Skip,
};
use ringhost_sim::{CarrierBehaviour, HeardPacket};

use crate::harness::{
    AGENT_HZ, AgentState, Asked, CALLEE_HZ, Host, MS, MemoryAgents, ONE_CALL_OVER, SPOKEN,
    agent_answering, agent_away, amplitude, callee, law_of, request, settled,
};

/// How long the far ends' counters may take to settle after a report.
const SETTLE: Duration = Duration::from_secs(3);

/// agent1 of the "sales" queue, taken for the call as the dialer takes an agent at
/// their desk; the agents and a request to `number` ringing them for `agent_ring`.
async fn desk_call(
    number: &str,
    agent_ring: Duration,
) -> (std::sync::Arc<MemoryAgents>, CallRequest) {
    let agents = MemoryAgents::queue("sales", &[("agent1", 1_000)]);
    let agent = agents.take("sales", Some(7)).await.unwrap().unwrap();
    let request = request(number, OnAnswer::Desk { agent, agent_ring });
    (agents, request)
}

/// How many audio packets of `packets` hold the voice of `hz`.
fn holding(packets: &[HeardPacket], hz: u16) -> usize {
    let law = law_of(packets);
    packets
        .iter()
        .filter(|p| p.payload_type == law.payload_type())
        .filter(|p| amplitude(law, &p.payload, hz) > SPOKEN)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_call_rings_the_agent_first_then_dials_the_callee_and_bridges_them() {
    // The callee answers after 100 ms ringing and hangs up after 3 s.
    let callees = CarrierBehaviour {
        voice_hz: Some(CALLEE_HZ),
        ..callee(Duration::from_secs(3))
    };
    let host = Host::start(callees, None).await;
    // The agent picks up after 600 ms and would talk 30 s.
    let phone = host
        .phone(
            "agent1",
            ringhost_sim::PhoneBehaviour {
                voice_hz: Some(AGENT_HZ),
                ..agent_answering(600 * MS, Duration::from_secs(30))
            },
        )
        .await;
    let (agents, request) = desk_call("0655555555", Duration::from_secs(5)).await;
    let (call, mut progress) = host.spawn(request, agents.clone());

    // While the agent's phone rings, nothing has left through the trunk.
    tokio::time::sleep(300 * MS).await;
    assert_eq!(phone.stats().calls_in_progress, 1);
    assert_eq!(
        host.carrier.stats().invites,
        0,
        "the callee was dialled first"
    );

    let report = tokio::time::timeout(Duration::from_secs(15), call)
        .await
        .unwrap()
        .unwrap();
    let mut seen = Vec::new();
    while let Ok(step) = progress.try_recv() {
        seen.push(step);
    }
    assert_eq!(report.outcome, Outcome::Answered, "{report:?}");
    assert_eq!(report.agent.as_deref(), Some("agent1"), "{report:?}");
    assert_eq!(report.hangup_by, Some(HangupBy::Callee), "{report:?}");
    assert!(report.talk >= 2_500 * MS, "{report:?}");
    assert_eq!(
        seen,
        [
            Progress::Ringing,
            Progress::Answered,
            Progress::Agent("agent1".into())
        ]
    );
    // Taken by the dialer, released into wrap-up after talking.
    assert_eq!(
        agents.asked(),
        [
            Asked::Took("agent1".into()),
            Asked::Released("agent1".into())
        ]
    );
    assert_eq!(agents.state("agent1"), AgentState::WrapUp);

    // One INVITE to the callee, after the agent answered; the host hung the agent up
    // once the callee left.
    settled(ONE_CALL_OVER, SETTLE, || phone.stats()).await;
    assert_eq!(host.carrier.stats().invites, 1);
    let at_agent = &phone.heard()[0];
    let at_callee = &host.carrier.heard()[0];
    assert_eq!(at_callee.number, "0655555555");
    assert!(
        at_callee.answered_at > at_agent.answered_at,
        "the callee answered before the agent"
    );
    // Bridged both ways: 3 s of talk is 150 frames each way.
    let callee_heard_agent = holding(&at_callee.packets, AGENT_HZ);
    let agent_heard_callee = holding(&at_agent.packets, CALLEE_HZ);
    assert!(callee_heard_agent >= 120, "{callee_heard_agent} frames");
    assert!(agent_heard_callee >= 120, "{agent_heard_callee} frames");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_call_whose_agent_does_not_answer_dials_nobody() {
    let host = Host::start(callee(Duration::from_secs(3)), None).await;
    let away = host.phone("agent1", agent_away()).await;
    let (agents, request) = desk_call("0655555556", 500 * MS).await;
    let (report, progress) = host.call(request, agents.clone()).await;
    assert_eq!(report.outcome, Outcome::Cancelled, "{report:?}");
    assert_eq!(report.tags, [AGENT_UNANSWERED], "{report:?}");
    assert_eq!(report.agent, None, "{report:?}");
    assert_eq!(progress, []);
    assert_eq!(
        agents.asked(),
        [
            Asked::Took("agent1".into()),
            Asked::Skipped("agent1".into(), Skip::NoAnswer)
        ]
    );
    assert_eq!(agents.state("agent1"), AgentState::Paused(Skip::NoAnswer));
    settled(0, SETTLE, || away.stats().calls_in_progress).await;
    assert_eq!(away.stats().max_concurrent_calls, 1);
    assert_eq!(host.carrier.stats().invites, 0, "the callee was dialled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_callee_hangs_the_waiting_agent_up() {
    let busy = CarrierBehaviour {
        answer_rate: 0.0,
        busy_rate: 1.0,
        ..callee(Duration::from_secs(3))
    };
    let host = Host::start(busy, None).await;
    let phone = host
        .phone("agent1", agent_answering(200 * MS, Duration::from_secs(30)))
        .await;
    let (agents, request) = desk_call("0655555557", Duration::from_secs(5)).await;
    let (report, progress) = host.call(request, agents.clone()).await;
    assert_eq!(report.outcome, Outcome::Busy, "{report:?}");
    assert_eq!(report.agent, None, "{report:?}");
    assert!(!progress.contains(&Progress::Answered), "{progress:?}");
    // The call went away under the agent: let go of without fault.
    assert_eq!(
        agents.asked(),
        [
            Asked::Took("agent1".into()),
            Asked::Skipped("agent1".into(), Skip::CallGone)
        ]
    );
    settled(0, SETTLE, || phone.stats().calls_in_progress).await;
    assert_eq!(phone.stats().calls_answered, 1);
    // The carrier counts its busy answer on its own task, maybe after the report.
    settled(1, SETTLE, || host.carrier.stats().busy).await;
}
