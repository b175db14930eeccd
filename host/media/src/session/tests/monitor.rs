//! A supervisor on a bridge, with three far ends on loopback each talking at its own
//! constant level: what each far end hears, decoded, says whose voices reach it.
//! The levels are chosen so that every sum of them is apart from every other.

use std::sync::Arc;

use super::*;

/// What the customer, the agent and the supervisor say: constant linear levels.
const CUSTOMER: i16 = 1000;
const AGENT: i16 = 3000;
const SUPERVISOR: i16 = -8000;

/// How close a decoded level is to a sum of levels (G.711's steps near 8000 are 256).
const CLOSE: i32 = 400;

/// Frames each far end sends in one round of talk (one second).
const ROUND: usize = 50;

/// A far end: its socket (it talks and listens on the one port, as a phone does),
/// the law it speaks, and the leg the host runs for it.
struct FarEnd {
    socket: Arc<UdpSocket>,
    law: Law,
    level: i16,
    leg: MediaSession,
}

impl FarEnd {
    async fn start(law: Law, level: i16) -> FarEnd {
        let (socket, negotiated) = far_end(law, Some(101)).await;
        let leg = open().await.start(negotiated).unwrap();
        FarEnd {
            socket: Arc::new(socket),
            law,
            level,
            leg,
        }
    }

    /// Throws away what arrived so far.
    fn forget(&self) {
        let mut buffer = [0u8; 2048];
        while self.socket.try_recv_from(&mut buffer).is_ok() {}
    }

    /// The levels of the audio packets that arrived so far, in order.
    fn heard(&self) -> Vec<i32> {
        let mut buffer = [0u8; 2048];
        let mut levels = Vec::new();
        while let Ok((len, _)) = self.socket.try_recv_from(&mut buffer) {
            let packet = RtpReader::new(&buffer[..len]).unwrap();
            if packet.payload_type() == self.law.payload_type() {
                let payload = packet.payload();
                let sum: i32 = payload.iter().map(|&c| i32::from(self.law.decode(c))).sum();
                levels.push(sum / payload.len().max(1) as i32);
            }
        }
        levels
    }
}

/// The three far ends talk for a round, each a frame every 20 ms; then what each
/// heard: customer, agent, supervisor.
async fn talk(ends: [&FarEnd; 3]) -> [Vec<i32>; 3] {
    for end in ends {
        end.forget();
    }
    let senders: Vec<_> = ends
        .iter()
        .map(|end| {
            let (socket, to) = (end.socket.clone(), end.leg.local_addr());
            let payload = end.law.encode_all(&[end.level; 160]);
            let payload_type = end.law.payload_type();
            tokio::spawn(async move {
                let mut out = OutgoingStream::new();
                let mut every = tokio::time::interval(Duration::from_millis(20));
                for _ in 0..ROUND {
                    every.tick().await;
                    let packet = out.audio(payload_type, &payload).to_vec();
                    socket.send_to(&packet, to).await.unwrap();
                }
            })
        })
        .collect();
    for sender in senders {
        sender.await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    ends.map(FarEnd::heard)
}

/// How many of `levels` are close to `level`.
fn count_near(levels: &[i32], level: i32) -> usize {
    levels.iter().filter(|l| (*l - level).abs() < CLOSE).count()
}

/// Whether any packet of `levels` carries the supervisor's voice (the only negative
/// one: a sum holding it is below zero).
fn hears_supervisor(levels: &[i32]) -> bool {
    levels.iter().any(|l| *l < -CLOSE)
}

/// Most of a round's frames (the mix takes a frame of each voice on its own clock, so
/// a frame now and then misses one of them).
const MOST: usize = ROUND * 7 / 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_listens_whispers_and_barges_in_then_leaves_the_bridge_as_it_was() {
    let customer = FarEnd::start(Law::Pcma, CUSTOMER).await;
    let agent = FarEnd::start(Law::Pcmu, AGENT).await;
    let supervisor = FarEnd::start(Law::Pcma, SUPERVISOR).await;
    let bridge = customer.leg.bridge(&agent.leg);
    let monitor = bridge
        .handle()
        .monitor(&supervisor.leg, MonitorMode::Listen)
        .unwrap();
    let ends = [&customer, &agent, &supervisor];
    let (c, a) = (i32::from(CUSTOMER), i32::from(AGENT));
    let s = i32::from(SUPERVISOR);

    // Listen: the supervisor gets both parties' voices in one stream, a packet every
    // 20 ms; the customer and the agent hear each other as on a plain bridge.
    let [at_customer, at_agent, at_supervisor] = talk(ends).await;
    assert!(
        at_supervisor.len() >= ROUND,
        "{} packets",
        at_supervisor.len()
    );
    assert!(
        count_near(&at_supervisor, c + a) >= MOST,
        "the supervisor heard {at_supervisor:?}"
    );
    assert_eq!(count_near(&at_customer, a), ROUND, "{at_customer:?}");
    assert_eq!(count_near(&at_agent, c), ROUND, "{at_agent:?}");
    assert!(!hears_supervisor(&at_customer) && !hears_supervisor(&at_agent));
    let relayed = (
        customer.leg.stats().relayed_out,
        agent.leg.stats().relayed_out,
    );
    assert_eq!(relayed, (ROUND as u64, ROUND as u64));

    // Whisper: only the agent hears the supervisor, mixed with the customer.
    monitor.set_mode(MonitorMode::Whisper);
    assert_eq!(monitor.mode(), MonitorMode::Whisper);
    let [at_customer, at_agent, at_supervisor] = talk(ends).await;
    assert!(
        count_near(&at_supervisor, c + a) >= MOST,
        "{at_supervisor:?}"
    );
    assert!(
        count_near(&at_agent, c + s) >= MOST,
        "the agent heard {at_agent:?}"
    );
    assert_eq!(count_near(&at_customer, a), ROUND, "{at_customer:?}");
    assert!(!hears_supervisor(&at_customer), "{at_customer:?}");

    // Barge: each hears the other two.
    monitor.set_mode(MonitorMode::Barge);
    let [at_customer, at_agent, at_supervisor] = talk(ends).await;
    assert!(
        count_near(&at_supervisor, c + a) >= MOST,
        "{at_supervisor:?}"
    );
    assert!(count_near(&at_agent, c + s) >= MOST, "{at_agent:?}");
    assert!(count_near(&at_customer, a + s) >= MOST, "{at_customer:?}");

    // Gone: the plain bridge again, and comfort noise for the supervisor.
    drop(monitor);
    let [at_customer, at_agent, at_supervisor] = talk(ends).await;
    assert_eq!(count_near(&at_customer, a), ROUND, "{at_customer:?}");
    assert_eq!(count_near(&at_agent, c), ROUND, "{at_agent:?}");
    assert!(at_supervisor.len() >= ROUND);
    assert!(
        at_supervisor.iter().all(|l| l.abs() < 100),
        "{at_supervisor:?}"
    );
    drop(bridge);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_monitor_at_a_time_and_none_once_the_bridge_is_separated() {
    let customer = FarEnd::start(Law::Pcmu, CUSTOMER).await;
    let agent = FarEnd::start(Law::Pcmu, AGENT).await;
    let first = FarEnd::start(Law::Pcmu, SUPERVISOR).await;
    let second = FarEnd::start(Law::Pcma, SUPERVISOR).await;
    let bridge = customer.leg.bridge(&agent.leg);
    let handle = bridge.handle();
    let monitor = handle.monitor(&first.leg, MonitorMode::Barge).unwrap();
    assert_eq!(
        handle
            .monitor(&second.leg, MonitorMode::Listen)
            .unwrap_err(),
        MonitorError::AlreadyMonitored
    );
    drop(monitor);
    let monitor = handle.monitor(&second.leg, MonitorMode::Whisper).unwrap();

    // The call ends under the monitor: its legs and the supervisor's hear comfort
    // noise, and the monitor's end changes nothing.
    drop(bridge);
    tokio::time::sleep(Duration::from_millis(60)).await;
    let [at_customer, at_agent, at_supervisor] = talk([&customer, &agent, &second]).await;
    for heard in [&at_customer, &at_agent, &at_supervisor] {
        assert!(heard.len() >= ROUND, "{} packets", heard.len());
        assert!(heard.iter().all(|l| l.abs() < 100), "{heard:?}");
    }
    drop(monitor);
    assert_eq!(
        handle.monitor(&first.leg, MonitorMode::Listen).unwrap_err(),
        MonitorError::BridgeGone
    );
}
