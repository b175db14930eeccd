//! A supervisor on a queued call, end to end: the callee (ringhost-sim's carrier),
//! the agent's and the supervisor's phones (ringhost-sim's, registered) each say a
//! tone of their own, and what each far end heard tells whose voices reached it.

use std::time::{Duration, Instant};

use ringhost_call::{Carrier, MonitorMode, MonitorRefusal, Progress};
use ringhost_sim::HeardPacket;

use crate::harness::{
    AGENT_HZ, CALLEE_HZ, Host, MS, MemoryAgents, ONE_CALL_OVER, SPOKEN, agent_answering, amplitude,
    callee, law_of, queue, request, settled,
};

/// The supervisor's voice, beside the harness's callee's and agent's.
const SUPERVISOR_HZ: u16 = 1700;

/// The attempt the harness's requests belong to.
const ATTEMPT: i64 = 7;

/// Of the audio packets that arrived between `from` and `to`: how many, and how
/// many held each voice (callee, agent, supervisor).
fn voices(packets: &[HeardPacket], from: Instant, to: Instant) -> (usize, [usize; 3]) {
    let law = law_of(packets);
    let audio: Vec<_> = packets
        .iter()
        .filter(|p| p.payload_type == law.payload_type() && (from..to).contains(&p.at))
        .collect();
    let mut held = [0; 3];
    for packet in &audio {
        for (count, hz) in held.iter_mut().zip([CALLEE_HZ, AGENT_HZ, SUPERVISOR_HZ]) {
            if amplitude(law, &packet.payload, hz) > SPOKEN {
                *count += 1;
            }
        }
    }
    (audio.len(), held)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_listens_to_a_bridged_call_then_whispers_to_the_agent() {
    let callees = ringhost_sim::CarrierBehaviour {
        voice_hz: Some(CALLEE_HZ),
        ..callee(Duration::from_secs(10))
    };
    let host = Host::start(callees, None).await;
    let voice = |hz, talk| ringhost_sim::PhoneBehaviour {
        voice_hz: Some(hz),
        ..agent_answering(200 * MS, talk)
    };
    // The agent hangs up at 4.5 s, ending the call.
    let agent = host.phone("agent1", voice(AGENT_HZ, 4_500 * MS)).await;
    let supervisor = host
        .phone("supervisor", voice(SUPERVISOR_HZ, Duration::from_secs(30)))
        .await;
    let agents = MemoryAgents::queue("sales", &[("agent1", 1_000)]);
    let carrier = host.carrier();

    // Nothing to monitor before the call is bridged.
    assert_eq!(
        carrier
            .monitor(ATTEMPT, "supervisor".into(), MonitorMode::Listen)
            .await,
        Err(MonitorRefusal::NotBridged(ATTEMPT))
    );
    let on_answer = queue("sales", Duration::from_secs(5), Duration::from_secs(3));
    let (call, mut progress) = host.spawn(request("0633333333", on_answer), agents);
    loop {
        match tokio::time::timeout(Duration::from_secs(5), progress.recv()).await {
            Ok(Some(Progress::Agent(_))) => break,
            Ok(Some(_)) => {}
            other => panic!("the call was not bridged: {other:?}"),
        }
    }

    // Only a phone registered with the host is ever rung: a number beyond the trunk,
    // or an extension with no phone registered, is refused without a call.
    let invites = host.carrier.stats().invites;
    for stranger in ["0612345678", "agent2"] {
        assert_eq!(
            carrier
                .monitor(ATTEMPT, stranger.into(), MonitorMode::Listen)
                .await,
            Err(MonitorRefusal::NotAPhone(stranger.into()))
        );
    }
    assert_eq!(host.carrier.stats().invites, invites);
    assert_eq!(
        carrier.set_monitor_mode(ATTEMPT, MonitorMode::Whisper),
        Err(MonitorRefusal::NotMonitored(ATTEMPT))
    );

    // Listen for 1.5 s, then whisper for 1.5 s.
    carrier
        .monitor(ATTEMPT, "supervisor".into(), MonitorMode::Listen)
        .await
        .unwrap();
    assert_eq!(
        carrier
            .monitor(ATTEMPT, "supervisor".into(), MonitorMode::Barge)
            .await,
        Err(MonitorRefusal::AlreadyMonitored(ATTEMPT))
    );
    settled(1, Duration::from_secs(2), || {
        supervisor.stats().calls_answered
    })
    .await;
    let listening = Instant::now() + 200 * MS;
    tokio::time::sleep(1_700 * MS).await;
    let switched = Instant::now();
    carrier
        .set_monitor_mode(ATTEMPT, MonitorMode::Whisper)
        .unwrap();
    let whispering = switched + 200 * MS;
    tokio::time::sleep(1_700 * MS).await;
    let end = Instant::now();

    // The agent's end ends the call, and the host hangs the supervisor up.
    let report = tokio::time::timeout(Duration::from_secs(10), call)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.agent.as_deref(), Some("agent1"), "{report:?}");
    settled(ONE_CALL_OVER, Duration::from_secs(3), || supervisor.stats()).await;
    assert_eq!(
        carrier.stop_monitor(ATTEMPT),
        Err(MonitorRefusal::NotBridged(ATTEMPT))
    );

    let at_supervisor = &supervisor.heard()[0].packets;
    let at_agent = &agent.heard()[0].packets;
    let at_callee = &host.carrier.heard()[0].packets;

    // Listening: the supervisor gets a packet every 20 ms carrying both voices; the
    // callee and the agent hear each other, and nobody hears the supervisor.
    let (packets, [callee, agent_voice, own]) = voices(at_supervisor, listening, switched);
    assert!(packets >= 75, "{packets} packets in 1.5 s");
    assert!(
        callee >= packets * 8 / 10 && agent_voice >= packets * 8 / 10,
        "{packets}: {callee} {agent_voice}"
    );
    assert_eq!(own, 0);
    let (packets, [callee, _, heard_supervisor]) = voices(at_agent, listening, switched);
    assert!(callee >= packets * 9 / 10, "{packets}: {callee}");
    assert_eq!(
        heard_supervisor, 0,
        "the agent heard a listening supervisor"
    );
    let (packets, [_, agent_voice, heard_supervisor]) = voices(at_callee, listening, switched);
    assert!(agent_voice >= packets * 9 / 10, "{packets}: {agent_voice}");
    assert_eq!(
        heard_supervisor, 0,
        "the callee heard a listening supervisor"
    );

    // Whispering: the agent hears the callee and the supervisor; the callee still
    // hears the agent alone; the supervisor still hears both.
    let (packets, [callee, agent_voice, _]) = voices(at_supervisor, whispering, end);
    assert!(packets >= 75, "{packets} packets in 1.5 s");
    assert!(
        callee >= packets * 8 / 10 && agent_voice >= packets * 8 / 10,
        "{packets}: {callee} {agent_voice}"
    );
    let (packets, [callee, _, heard_supervisor]) = voices(at_agent, whispering, end);
    assert!(packets >= 75, "{packets} packets in 1.5 s");
    assert!(callee >= packets * 8 / 10, "{packets}: {callee}");
    assert!(
        heard_supervisor >= packets * 8 / 10,
        "the agent did not hear the whisper: {packets}: {heard_supervisor}"
    );
    let (packets, [_, agent_voice, heard_supervisor]) = voices(at_callee, whispering, end);
    assert!(agent_voice >= packets * 9 / 10, "{packets}: {agent_voice}");
    assert_eq!(heard_supervisor, 0, "the callee heard a whisper");
}
