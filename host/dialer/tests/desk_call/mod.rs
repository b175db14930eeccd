//! Calls from an agent's desk (click-to-call) through the scripted carrier: who may
//! call through which campaign, the checks every campaign's call passes, the agent
//! taken and given back, the attempt written before the call.

use ringhost_dialer::agents::AgentState;
use ringhost_dialer::desk_call::DeskTarget;
use ringhost_dialer::refusal::{AdminError, Refused};

use super::*;

const LEADS: &str = "numbers,name\n0611111111,Anna\n0622222222,Bruno\n";

/// An agents' campaign over the list `leads` (Anna, Bruno) whose queue is `sales`,
/// started then paused (agents still call from the desk; the pacer does not); the
/// agent `desk` in the queue, ready. The campaign's id.
async fn paused_campaign(rig: &Rig) -> i64 {
    rig.dialer.import("leads", LEADS.as_bytes()).await.unwrap();
    let id = rig
        .start(
            "sales",
            "leads",
            json!({"kind": "agent", "queue": "sales", "pacing": {"strategy": "fixed"}, "max_calls": 5}),
        )
        .await;
    rig.dialer.command(id, Command::Pause).await.unwrap();
    rig.dialer.create_agent("desk", "201", 0).await.unwrap();
    rig.dialer.add_queue_member("sales", "desk").await.unwrap();
    rig.dialer
        .set_agent_state("desk", AgentState::Ready, None)
        .await
        .unwrap();
    id
}

/// The reason of a refusal; fails the test on anything else.
fn refused<T: std::fmt::Debug>(result: Result<T, AdminError>) -> String {
    match result {
        Err(AdminError::Refused(Refused::Conflict(why) | Refused::Invalid(why))) => why,
        Err(AdminError::Refused(Refused::NotFound(what))) => format!("{what} not found"),
        other => panic!("not refused: {other:?}"),
    }
}

/// The agent's stored state, reason, since and call.
async fn agent(rig: &Rig, name: &str) -> (String, Option<String>, i64, Option<i64>) {
    let row = rig.store.agent(name).await.unwrap().unwrap();
    (row.state, row.reason, row.since_ms, row.attempt_id)
}

#[tokio::test]
async fn a_typed_number_is_called_through_the_campaign_with_its_attempt_written_first() {
    let hold = Arc::new(Semaphore::new(0));
    let rig = rig(Limits::default(), Some(hold.clone())).await;
    let id = paused_campaign(&rig).await;
    rig.clock.advance(MINUTE);

    let attempt_id = rig
        .dialer
        .call_from_desk("desk", id, DeskTarget::Number("06 5555 5555".into()))
        .await
        .unwrap();
    // Written before the call, the agent on it: the call is held in the carrier.
    let (state, _, _, on) = agent(&rig, "desk").await;
    assert_eq!((state.as_str(), on), ("on_call", Some(attempt_id)));
    let attempts = rig.store.open_attempts("ringhost").await.unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].id, attempt_id);
    let contact = attempts[0].start.contact_id;
    assert_eq!(attempts[0].start.number, "+390655555555");
    // Claimed for this call: no pass dials it (nor anything else: paused).
    rig.dialer.pass().await.unwrap();
    assert_eq!(rig.placed(), ["+390655555555"]);
    // Already on a call: no second one from the desk.
    let again = rig
        .dialer
        .call_from_desk("desk", id, DeskTarget::Contact(1))
        .await;
    assert!(refused(again).contains("on_call"));

    hold.add_permits(10);
    rig.dialer.settle().await;
    assert_eq!(rig.script.lock().unwrap().desk, ["desk"]);
    let ended = rig.store.attempts_of_contact(contact).await.unwrap();
    assert_eq!(ended[0].outcome.as_deref(), Some("answered"));
    assert_eq!(ended[0].agent.as_deref(), Some("desk"));
    // Talked: into wrap-up; the contact is done.
    assert_eq!(agent(&rig, "desk").await.0, "wrap_up");
    let stored = rig.store.contact(contact).await.unwrap().unwrap();
    assert_eq!(stored.state, "done");
}

#[tokio::test]
async fn the_campaigns_checks_refuse_a_call_and_give_the_agent_and_contact_back() {
    let rig = rig(Limits::default(), None).await;
    let id = paused_campaign(&rig).await;
    rig.dialer
        .set_agent_state("desk", AgentState::Paused, Some("lunch"))
        .await
        .unwrap();
    let paused = agent(&rig, "desk").await;
    let now = rig.dialer.now_ms();
    rig.store
        .add_do_not_call("+390655555555", 0, None, "asked", now)
        .await
        .unwrap();
    rig.store
        .add_do_not_call("+390622222222", 0, None, "asked", now)
        .await
        .unwrap();

    // A typed number on the do-not-call list: refused, nothing written or placed, the
    // agent paused as they were.
    let typed = rig
        .dialer
        .call_from_desk("desk", id, DeskTarget::Number("0655555555".into()))
        .await;
    assert!(refused(typed).contains("do-not-call"));
    assert_eq!(agent(&rig, "desk").await, paused);
    let counts = rig.store.contact_counts(&[1]).await.unwrap();
    assert_eq!((counts.ready, counts.dialing, counts.done), (2, 0, 0));

    // A picked contact on it: closed as the scheduler would close it.
    let preview = rig.dialer.preview_contacts("desk", id, 10).await.unwrap();
    let numbers: Vec<_> = preview.iter().map(|c| c.number.as_str()).collect();
    assert_eq!(numbers, ["+390611111111", "+390622222222"]);
    assert_eq!(preview[0].variables, json!({"name": "Anna"}));
    let bruno = preview[1].id;
    let picked = rig
        .dialer
        .call_from_desk("desk", id, DeskTarget::Contact(bruno))
        .await;
    assert!(refused(picked).contains("do-not-call"));
    let stored = rig.store.contact(bruno).await.unwrap().unwrap();
    assert_eq!(
        (stored.state.as_str(), stored.status.as_deref()),
        ("done", Some("DNC"))
    );
    assert_eq!(agent(&rig, "desk").await, paused);
    assert!(
        rig.store
            .open_attempts("ringhost")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(rig.placed().is_empty());
}

#[tokio::test]
async fn with_no_channel_free_the_call_is_refused_and_the_contact_waits() {
    // One external channel, held by a first call from the desk.
    let hold = Arc::new(Semaphore::new(0));
    let limits = Limits {
        external: 1,
        ..Limits::default()
    };
    let rig = rig(limits, Some(hold.clone())).await;
    let id = paused_campaign(&rig).await;
    rig.dialer.create_agent("second", "202", 0).await.unwrap();
    rig.dialer
        .add_queue_member("sales", "second")
        .await
        .unwrap();
    rig.dialer
        .set_agent_state("second", AgentState::Ready, None)
        .await
        .unwrap();
    let second = agent(&rig, "second").await;
    rig.dialer
        .call_from_desk("desk", id, DeskTarget::Number("0655555555".into()))
        .await
        .unwrap();

    let anna = rig.dialer.preview_contacts("second", id, 1).await.unwrap()[0].id;
    let none = rig
        .dialer
        .call_from_desk("second", id, DeskTarget::Contact(anna))
        .await;
    assert!(refused(none).contains("no channel"));
    let stored = rig.store.contact(anna).await.unwrap().unwrap();
    assert_eq!((stored.state.as_str(), stored.attempts), ("ready", 0));
    assert_eq!(agent(&rig, "second").await, second);
    hold.add_permits(10);
    rig.dialer.settle().await;
    assert_eq!(rig.placed(), ["+390655555555"]);
}

#[tokio::test]
async fn only_a_member_of_the_queue_calls_and_only_the_campaigns_contacts() {
    let rig = rig(Limits::default(), None).await;
    let id = paused_campaign(&rig).await;
    // Another campaign, its own list and queue.
    rig.dialer
        .import("others", "numbers\n0633333333\n".as_bytes())
        .await
        .unwrap();
    let other = rig
        .start(
            "others",
            "others",
            json!({"kind": "agent", "queue": "support", "pacing": {"strategy": "fixed"}, "max_calls": 0}),
        )
        .await;
    let foreign = rig.store.contacts(2, 0, 10).await.unwrap()[0].id;
    rig.dialer.create_agent("stranger", "202", 0).await.unwrap();
    rig.dialer
        .set_agent_state("stranger", AgentState::Ready, None)
        .await
        .unwrap();

    let of_another = rig
        .dialer
        .call_from_desk("desk", id, DeskTarget::Contact(foreign))
        .await;
    assert!(refused(of_another).contains("not found"));
    let not_in_queue = rig
        .dialer
        .call_from_desk("stranger", id, DeskTarget::Number("0644444444".into()))
        .await;
    assert!(refused(not_in_queue).contains("not in the queue"));
    let not_theirs = rig
        .dialer
        .call_from_desk("desk", other, DeskTarget::Number("0644444444".into()))
        .await;
    assert!(refused(not_theirs).contains("not in the queue"));
    assert!(
        rig.dialer
            .preview_contacts("stranger", id, 5)
            .await
            .is_err()
    );
    let bad = rig
        .dialer
        .call_from_desk("desk", id, DeskTarget::Number("not a number".into()))
        .await;
    assert!(matches!(bad, Err(AdminError::Refused(Refused::Invalid(_)))));
    // Nothing placed, nobody taken.
    assert!(rig.placed().is_empty());
    assert_eq!(agent(&rig, "desk").await.0, "ready");
    assert_eq!(agent(&rig, "stranger").await.0, "ready");

    // The desk offers the campaigns of the agent's queues that run or are paused.
    let names = |list: Vec<ringhost_dialer::desk_call::DeskCampaign>| {
        list.into_iter().map(|c| c.name).collect::<Vec<_>>()
    };
    assert_eq!(
        names(rig.dialer.desk_campaigns("desk").await.unwrap()),
        ["sales"]
    );
    assert!(
        rig.dialer
            .desk_campaigns("stranger")
            .await
            .unwrap()
            .is_empty()
    );
    rig.dialer.command(id, Command::Cancel).await.unwrap();
    assert!(rig.dialer.desk_campaigns("desk").await.unwrap().is_empty());
    let cancelled = rig
        .dialer
        .call_from_desk("desk", id, DeskTarget::Number("0644444444".into()))
        .await;
    assert!(refused(cancelled).contains("runs or is paused"));
}

#[tokio::test]
async fn a_busy_contact_picked_from_the_preview_gives_the_agent_back_and_is_retried() {
    let rig = rig(Limits::default(), None).await;
    let id = paused_campaign(&rig).await;
    rig.script
        .lock()
        .unwrap()
        .outcomes
        .insert("+390611111111".into(), Outcome::Busy);
    let ready = agent(&rig, "desk").await;
    let anna = rig.dialer.preview_contacts("desk", id, 1).await.unwrap()[0].id;
    rig.dialer
        .call_from_desk("desk", id, DeskTarget::Contact(anna))
        .await
        .unwrap();
    rig.dialer.settle().await;
    assert_eq!(rig.placed(), ["+390611111111"]);
    // The callee was busy: the agent is ready again, in their place in line.
    assert_eq!(agent(&rig, "desk").await, ready);
    let attempts = rig.store.attempts_of_contact(anna).await.unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].outcome.as_deref(), Some("busy"));
    let stored = rig.store.contact(anna).await.unwrap().unwrap();
    assert_eq!((stored.state.as_str(), stored.attempts), ("ready", 1));
}
