//! The call layer's calls end to end, without SIPp: [`TrunkCarrier`] places the
//! dialer's requests through a trunk to ringhost-sim's carrier and rings
//! ringhost-sim's agents' phones, with real SIP and RTP on 127.0.0.1. Each test
//! drives `Carrier::place` as the dialer does and checks the report, the progress the
//! dialer hears, and what the far ends saw and heard (the sim records every RTP
//! packet a callee or a phone receives).
//!
//! [`TrunkCarrier`]: ringhost_call::TrunkCarrier

mod desk;
mod harness;
mod monitor;

#[path = "../../../tests/support/guests.rs"]
mod guests;

use std::time::{Duration, Instant};

use ringhost_call::{HangupBy, IvrResult, OnAnswer, Outcome, Progress, QueueResult, Skip};
use ringhost_plugins::{Limits, PluginEngine, PluginRegistry};
use ringhost_sim::{CarrierStats, Heard, PhoneStats};

use harness::{
    AgentState, Asked, Host, MS, MemoryAgents, ONE_CALL_OVER, QUIET, TRUNK, agent_answering,
    agent_away, callee, callee_pressing_1, codes_of, find_frames, law_of, queue, request, settled,
    write_tone,
};

/// How long the far ends' counters may take to settle after a report: a far end
/// notes a call's end once its BYE is answered, just after the host reports it.
const SETTLE: Duration = Duration::from_secs(3);

/// A notification: the message `message.wav`, then the callee asked to press 1
/// within `confirm_wait` of its end.
fn notification(confirm_wait: Duration) -> OnAnswer {
    OnAnswer::Notify {
        audio: Some("message.wav".into()),
        confirm: true,
        confirm_wait,
        ivr: None,
    }
}

/// Checks that `heard` holds the whole of the prompt whose codes are `codes`, frame
/// after frame, starting within 100 ms of the answer.
fn heard_from_the_answer(heard: &Heard, codes: &[u8]) {
    let at = find_frames(&heard.packets, codes).unwrap_or_else(|| {
        panic!(
            "the prompt was not heard whole in {} packets",
            heard.packets.len()
        )
    });
    let after = heard.packets[at].at - heard.answered_at;
    assert!(
        after < 100 * MS,
        "the prompt began {after:?} after the answer"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_confirmed_with_1_after_its_message() {
    // The callee presses 1 at 900 ms, after the 400 ms message; they would talk 5 s.
    let host = Host::start(callee_pressing_1(Duration::from_secs(5), 900 * MS), None).await;
    let message = host.prompts().join("message.wav");
    write_tone(&message, 400, 8_000.0);
    let (report, progress) = host
        .call(
            request("0611111111", notification(Duration::from_secs(3))),
            MemoryAgents::none(),
        )
        .await;
    assert_eq!(report.outcome, Outcome::Answered, "{report:?}");
    assert_eq!(report.sip_code, Some(200), "{report:?}");
    assert_eq!(report.trunk.as_deref(), Some(TRUNK), "{report:?}");
    assert!(report.confirmed, "{report:?}");
    assert_eq!(report.ivr_result, Some(IvrResult::Confirmed), "{report:?}");
    // The host hung up as soon as the digit came, not at the end of the callee's 5 s.
    assert_eq!(report.hangup_by, Some(HangupBy::Ringhost), "{report:?}");
    assert!((850 * MS..2_000 * MS).contains(&report.talk), "{report:?}");
    assert_eq!(report.queue_result, None, "{report:?}");
    assert_eq!(progress, [Progress::Ringing, Progress::Answered]);

    settled(
        CarrierStats {
            invites: 1,
            answered: 1,
            confirmed: 1,
            hung_up_by_host: 1,
            ..CarrierStats::default()
        },
        SETTLE,
        || host.carrier.stats(),
    )
    .await;
    let heard = host.carrier.heard();
    assert_eq!(heard.len(), 1, "{heard:?}");
    assert_eq!(heard[0].number, "0611111111");
    let codes = codes_of(&message, law_of(&heard[0].packets));
    heard_from_the_answer(&heard[0], &codes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_left_unconfirmed_is_hung_up_after_the_wait() {
    // The callee listens and presses nothing; they would talk 5 s.
    let host = Host::start(callee(Duration::from_secs(5)), None).await;
    let message = host.prompts().join("message.wav");
    write_tone(&message, 400, 8_000.0);
    let (report, progress) = host
        .call(
            request("0611111112", notification(600 * MS)),
            MemoryAgents::none(),
        )
        .await;
    assert_eq!(report.outcome, Outcome::Answered, "{report:?}");
    assert!(!report.confirmed, "{report:?}");
    assert_eq!(
        report.ivr_result,
        Some(IvrResult::NotConfirmed),
        "{report:?}"
    );
    // The 400 ms message, then 600 ms for the digit, then the host's BYE.
    assert_eq!(report.hangup_by, Some(HangupBy::Ringhost), "{report:?}");
    assert!((950 * MS..1_800 * MS).contains(&report.talk), "{report:?}");
    assert_eq!(progress, [Progress::Ringing, Progress::Answered]);

    settled(
        CarrierStats {
            invites: 1,
            answered: 1,
            hung_up_by_host: 1,
            ..CarrierStats::default()
        },
        SETTLE,
        || host.carrier.stats(),
    )
    .await;
    let heard = host.carrier.heard();
    assert_eq!(heard.len(), 1, "{heard:?}");
    let codes = codes_of(&message, law_of(&heard[0].packets));
    heard_from_the_answer(&heard[0], &codes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ivr_script_transfers_its_caller_to_an_extensions_phone() {
    // A test guest built from source (tests/plugins): on answer, it sends the caller
    // to agent2's extension.
    let plugins_dir = tempfile::tempdir().unwrap();
    let plugins = {
        let _quiet = QUIET.lock().await;
        let Some(wasm) = tokio::task::block_in_place(|| guests::build_if_possible("tests/plugins"))
        else {
            return;
        };
        guests::package(
            plugins_dir.path(),
            "to-desk",
            "ivr",
            &wasm.join("misbehave_ivr.wasm"),
            &[("mode", "transfer-extension"), ("target", "agent2")],
        );
        let engine = PluginEngine::new(None, Limits::default()).unwrap();
        tokio::task::block_in_place(|| PluginRegistry::open(engine, plugins_dir.path())).unwrap()
    };
    assert!(plugins.ivr("to-desk").is_some(), "the guest was refused");
    let host = Host::start(callee(Duration::from_secs(10)), Some(plugins)).await;
    // Whoever is at the extension picks up after 200 ms and talks 1 s.
    let phone = host
        .phone("agent2", agent_answering(200 * MS, Duration::from_secs(1)))
        .await;
    let on_answer = OnAnswer::Notify {
        audio: None,
        confirm: false,
        confirm_wait: Duration::ZERO,
        ivr: Some("to-desk".into()),
    };
    // No agent has the extension: a phone anyone may ring.
    let agents = MemoryAgents::none();
    let (report, progress) = host
        .call(request("0622222222", on_answer), agents.clone())
        .await;
    assert_eq!(report.outcome, Outcome::Answered, "{report:?}");
    assert_eq!(report.agent.as_deref(), Some("agent2"), "{report:?}");
    assert_eq!(report.ivr_result, Some(IvrResult::Transfer), "{report:?}");
    assert_eq!(report.queue_result, None, "{report:?}");
    assert!(report.tags.is_empty(), "{report:?}");
    // The phone hung up after its 1 s; the host then hung the callee up.
    assert_eq!(report.hangup_by, Some(HangupBy::Ringhost), "{report:?}");
    assert_eq!(
        progress,
        [
            Progress::Ringing,
            Progress::Answered,
            Progress::Agent("agent2".into())
        ]
    );
    assert!(agents.asked().is_empty(), "{:?}", agents.asked());

    settled(ONE_CALL_OVER, SETTLE, || phone.stats()).await;
    // The phone heard the caller, bridged, for its second of talk.
    let heard = phone.heard();
    assert_eq!(heard.len(), 1, "{heard:?}");
    assert_eq!(heard[0].number, "agent2");
    assert!(heard[0].packets.len() >= 40, "{heard:?}");
    settled(1, SETTLE, || host.carrier.stats().hung_up_by_host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_call_goes_to_the_longest_idle_agent_and_is_bridged() {
    // The callee presses 1 at 1 s, while talking to the agent; agents pick up after
    // 200 ms and talk 1.5 s.
    let host = Host::start(callee_pressing_1(Duration::from_secs(10), 1_000 * MS), None).await;
    let mut phones = Vec::new();
    for name in ["agent1", "agent2", "agent3"] {
        let behaviour = agent_answering(200 * MS, 1_500 * MS);
        phones.push(host.phone(name, behaviour).await);
    }
    // agent2 has been free the longest.
    let agents = MemoryAgents::queue(
        "sales",
        &[("agent1", 3_000), ("agent2", 1_000), ("agent3", 2_000)],
    );
    let on_answer = queue("sales", Duration::from_secs(5), Duration::from_secs(3));
    let (report, progress) = host
        .call(request("0633333333", on_answer), agents.clone())
        .await;
    assert_eq!(report.outcome, Outcome::Answered, "{report:?}");
    assert_eq!(report.queue_result, Some(QueueResult::Answer), "{report:?}");
    assert_eq!(report.agent.as_deref(), Some("agent2"), "{report:?}");
    // The agent hung up after their 1.5 s; the host then hung the callee up.
    assert_eq!(report.hangup_by, Some(HangupBy::Ringhost), "{report:?}");
    assert!(report.tags.is_empty(), "{report:?}");
    assert_eq!(
        progress,
        [
            Progress::Ringing,
            Progress::Answered,
            Progress::Agent("agent2".into())
        ]
    );
    // Taken, then released into wrap-up; the others keep their places.
    assert_eq!(
        agents.asked(),
        [
            Asked::Took("agent2".into()),
            Asked::Released("agent2".into())
        ]
    );
    assert_eq!(agents.state("agent2"), AgentState::WrapUp);
    assert_eq!(agents.state("agent1"), AgentState::Free(3_000));
    assert_eq!(agents.state("agent3"), AgentState::Free(2_000));

    // Only agent2's phone rang.
    settled(ONE_CALL_OVER, SETTLE, || phones[1].stats()).await;
    for idle in [&phones[0], &phones[2]] {
        assert_eq!(idle.stats(), PhoneStats::default());
    }
    // Bridged: the callee's audio and the digit they pressed reached agent2's phone,
    // the digit as RFC 4733 events (event 1) on the phone's telephone-event type.
    let heard = phones[1].heard();
    assert_eq!(heard.len(), 1, "{heard:?}");
    let packets = &heard[0].packets;
    assert!(packets.len() >= 50, "{} packets", packets.len());
    let audio = law_of(packets).payload_type();
    let digits = packets
        .iter()
        .filter(|p| p.payload_type != audio && p.payload.first() == Some(&1))
        .count();
    assert!(digits > 0, "the callee's digit did not reach the agent");
    settled(1, SETTLE, || host.carrier.stats().hung_up_by_host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_whose_phone_does_not_answer_is_skipped_for_the_next() {
    let host = Host::start(callee(Duration::from_secs(10)), None).await;
    // agent1, the longest idle, is away from the desk; agent2 picks up after 200 ms.
    let away = host.phone("agent1", agent_away()).await;
    let there = host
        .phone("agent2", agent_answering(200 * MS, Duration::from_secs(1)))
        .await;
    let agents = MemoryAgents::queue("sales", &[("agent1", 1_000), ("agent2", 2_000)]);
    // Each phone rings 500 ms.
    let on_answer = queue("sales", Duration::from_secs(5), 500 * MS);
    let (report, progress) = host
        .call(request("0644444444", on_answer), agents.clone())
        .await;
    assert_eq!(report.queue_result, Some(QueueResult::Answer), "{report:?}");
    assert_eq!(report.agent.as_deref(), Some("agent2"), "{report:?}");
    assert_eq!(
        progress,
        [
            Progress::Ringing,
            Progress::Answered,
            Progress::Agent("agent2".into())
        ]
    );
    assert_eq!(
        agents.asked(),
        [
            Asked::Took("agent1".into()),
            Asked::Skipped("agent1".into(), Skip::NoAnswer),
            Asked::Took("agent2".into()),
            Asked::Released("agent2".into()),
        ]
    );
    assert_eq!(agents.state("agent1"), AgentState::Paused(Skip::NoAnswer));

    // agent1's phone rang and was cancelled; agent2's took the call once agent1's had
    // rung its 500 ms (and rung 200 ms itself).
    settled(0, SETTLE, || away.stats().calls_in_progress).await;
    let stats = away.stats();
    assert_eq!((stats.calls_answered, stats.max_concurrent_calls), (0, 1));
    settled(1, SETTLE, || there.stats().calls_answered).await;
    let callee_answered = host.carrier.heard()[0].answered_at;
    let agent_answered = there.heard()[0].answered_at;
    let waited = agent_answered - callee_answered;
    assert!(
        (700 * MS..2_000 * MS).contains(&waited),
        "agent2 answered {waited:?} after the callee"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_nobody_takes_in_2_s_hears_the_abandon_message_without_a_gap() {
    // Timing is measured: no CPU-heavy test at the same time.
    let _quiet = QUIET.lock().await;
    // The callee would wait 30 s.
    let host = Host::start(callee(Duration::from_secs(30)), None).await;
    let sorry = host.prompts().join("sorry.wav");
    write_tone(&sorry, 500, 12_000.0);
    let music = host.prompts().join("music.wav");
    write_tone(&music, 300, 1_500.0);
    let on_answer = OnAnswer::Queue {
        queue: "sales".into(),
        abandon_after: Duration::from_secs(2),
        max_wait: Duration::from_secs(10),
        agent_ring: Duration::from_secs(3),
        message: Some("sorry.wav".into()),
        music: Some("music.wav".into()),
    };
    // Nobody in the queue.
    let (report, progress) = host
        .call(request("0655555555", on_answer), MemoryAgents::none())
        .await;
    assert_eq!(report.outcome, Outcome::Answered, "{report:?}");
    assert_eq!(
        report.queue_result,
        Some(QueueResult::Abandoned),
        "{report:?}"
    );
    assert_eq!(report.tags, ["abandoned"], "{report:?}");
    assert_eq!(report.hangup_by, Some(HangupBy::Ringhost), "{report:?}");
    assert_eq!(report.agent, None, "{report:?}");
    // 2 s waiting, then the 0.5 s message.
    assert!(
        (2_400 * MS..3_200 * MS).contains(&report.talk),
        "{report:?}"
    );
    assert_eq!(progress, [Progress::Ringing, Progress::Answered]);
    settled(1, SETTLE, || host.carrier.stats().hung_up_by_host).await;

    let heard = host.carrier.heard();
    assert_eq!(heard.len(), 1, "{heard:?}");
    let heard = &heard[0];
    let ended = heard.ended_at.expect("the call is over");
    let packets = &heard.packets;
    // A frame every 20 ms from the answer to the hang-up: no hole over 60 ms, and the
    // host's stream unbroken (each packet the next in sequence, 160 samples on).
    let first = packets[0].at - heard.answered_at;
    assert!(
        first <= 60 * MS,
        "the first frame came {first:?} after the answer"
    );
    for pair in packets.windows(2) {
        let gap = pair[1].at - pair[0].at;
        let at = pair[0].at - heard.answered_at;
        assert!(
            gap <= 60 * MS,
            "a {gap:?} hole in the audio {at:?} after the answer"
        );
        assert_eq!(pair[1].seq, pair[0].seq.wrapping_add(1));
        assert_eq!(pair[1].timestamp, pair[0].timestamp.wrapping_add(160));
    }
    let last = ended - packets[packets.len() - 1].at;
    assert!(last <= 60 * MS, "nothing heard for {last:?} before the end");
    let span = ended - heard.answered_at;
    assert!(
        packets.len() as u128 >= span.as_millis() / 20 * 9 / 10,
        "{} frames in {span:?}",
        packets.len()
    );
    // Never digital silence.
    let law = law_of(packets);
    let silence = law.encode(0);
    assert!(
        packets
            .iter()
            .all(|p| p.payload.iter().any(|&c| c != silence)),
        "digital silence"
    );
    // The abandon message, whole, 2 s after the answer; the hang-up right after it.
    let sorry_codes = codes_of(&sorry, law);
    let message = find_frames(packets, &sorry_codes).expect("the message, whole");
    let waited = packets[message].at - heard.answered_at;
    assert!(
        (2_000 * MS..2_300 * MS).contains(&waited),
        "the message began {waited:?} after the answer"
    );
    let after = packets.len() - message - sorry_codes.len() / 160;
    assert!(after <= 5, "{after} frames after the message");
    // Before it, from the first few frames on (comfort noise until the music is
    // read), the music on hold, looped frame by frame.
    let music_codes = codes_of(&music, law);
    let loop_frames: Vec<&[u8]> = music_codes.chunks(160).collect();
    let music_from = packets
        .iter()
        .position(|p| p.payload == loop_frames[0])
        .expect("no music on hold");
    assert!(music_from <= 10, "the music began at frame {music_from}");
    for (n, packet) in packets[music_from..message].iter().enumerate() {
        assert_eq!(
            packet.payload,
            loop_frames[n % loop_frames.len()],
            "frame {n} of the music"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callee_who_hangs_up_while_queued() {
    // The callee hangs up 700 ms after answering, while agent1's phone rings on.
    let host = Host::start(callee(700 * MS), None).await;
    let away = host.phone("agent1", agent_away()).await;
    let agents = MemoryAgents::queue("sales", &[("agent1", 1_000)]);
    let on_answer = queue("sales", Duration::from_secs(5), Duration::from_secs(5));
    let (report, progress) = host
        .call(request("0666666666", on_answer), agents.clone())
        .await;
    assert_eq!(report.outcome, Outcome::Answered, "{report:?}");
    assert_eq!(report.queue_result, Some(QueueResult::Hangup), "{report:?}");
    assert_eq!(report.hangup_by, Some(HangupBy::Callee), "{report:?}");
    assert_eq!(report.agent, None, "{report:?}");
    assert!(report.tags.is_empty(), "not abandoned: {report:?}");
    assert!((600 * MS..1_300 * MS).contains(&report.talk), "{report:?}");
    assert_eq!(progress, [Progress::Ringing, Progress::Answered]);
    // The agent whose phone rang is free again, in the place they had.
    assert_eq!(
        agents.asked(),
        [
            Asked::Took("agent1".into()),
            Asked::Skipped("agent1".into(), Skip::CallGone),
        ]
    );
    assert_eq!(agents.state("agent1"), AgentState::Free(1_000));
    settled(0, SETTLE, || away.stats().calls_in_progress).await;
    assert_eq!(away.stats().calls_answered, 0);
    settled(
        CarrierStats {
            invites: 1,
            answered: 1,
            hung_up_by_sim: 1,
            ..CarrierStats::default()
        },
        SETTLE,
        || host.carrier.stats(),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutting_down_hangs_up_a_call_in_progress_and_reports_it() {
    // Callee and agent would talk for 30 s.
    let host = Host::start(callee(Duration::from_secs(30)), None).await;
    let phone = host
        .phone("agent1", agent_answering(200 * MS, Duration::from_secs(30)))
        .await;
    let agents = MemoryAgents::queue("sales", &[("agent1", 1_000)]);
    let on_answer = queue("sales", Duration::from_secs(5), Duration::from_secs(3));
    let (task, mut progress) = host.spawn(request("0677777777", on_answer), agents.clone());
    // Once they talk, the host stops.
    loop {
        let step = tokio::time::timeout(Duration::from_secs(5), progress.recv())
            .await
            .expect("no agent within 5 s")
            .expect("the call ended before its agent talked");
        if step == Progress::Agent("agent1".into()) {
            break;
        }
    }
    let stopped = Instant::now();
    host.stop.cancel();
    let report = tokio::time::timeout(Duration::from_secs(3), task)
        .await
        .expect("no report within 3 s of the stop")
        .unwrap();
    assert_eq!(report.outcome, Outcome::Answered, "{report:?}");
    assert_eq!(report.hangup_by, Some(HangupBy::Ringhost), "{report:?}");
    assert_eq!(report.queue_result, Some(QueueResult::Answer), "{report:?}");
    assert_eq!(report.agent.as_deref(), Some("agent1"), "{report:?}");
    assert!(report.talk < Duration::from_secs(5), "{report:?}");
    assert_eq!(
        agents.asked(),
        [
            Asked::Took("agent1".into()),
            Asked::Released("agent1".into())
        ]
    );
    // Both far ends got the host's BYE, long before their 30 s were up.
    settled(
        CarrierStats {
            invites: 1,
            answered: 1,
            hung_up_by_host: 1,
            ..CarrierStats::default()
        },
        SETTLE,
        || host.carrier.stats(),
    )
    .await;
    settled(0, SETTLE, || phone.stats().calls_in_progress).await;
    assert_eq!(phone.stats().calls_answered, 1);
    for heard in [&host.carrier.heard()[0], &phone.heard()[0]] {
        let ended = heard.ended_at.expect("the call is over");
        assert!(
            ended.saturating_duration_since(stopped) < Duration::from_secs(2),
            "ended {:?} after the stop",
            ended.saturating_duration_since(stopped)
        );
    }
}
