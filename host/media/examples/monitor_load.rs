//! What a supervisor on a call costs: the CPU of N bridged calls, then of the same
//! calls each with a monitor attached (listen, then barge), measured in one run.
//!
//!     cargo run --release -p ringhost-media --example monitor_load -- 100 200
//!
//! For each count N: N customer legs bridged to N agent legs, every far end sending
//! a 20 ms G.711 frame every 20 ms (one thread sends for all of them, whose own CPU is
//! measured inside it and taken off the process's). Measured for 10 s after 2 s of
//! warm-up, three times: the plain bridges (the reference: packets relayed); with a
//! supervisor's leg on each call in listen (the supervisor's far end talks too, the
//! mixer sums two voices per call); then in barge (three mixes per call). One media
//! clock thread. Prints the host's CPU as a share of a core, per call, and the ratio
//! to the reference. The far ends are sockets nobody reads: the kernel drops what
//! fills them. `tests/bench/monitor.sh` runs it; docs/benchmarks.md keeps the figures.

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ringhost_media::rtp::OutgoingStream;
use ringhost_media::sdp::{Direction, Negotiated};
use ringhost_media::{Law, MediaSession, MonitorMode, PendingSession, RtpPorts};

const WARM_UP: Duration = Duration::from_secs(2);
const MEASURE: Duration = Duration::from_secs(10);

fn main() {
    ringhost_media::set_clock_threads(1);
    let counts: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let counts = if counts.is_empty() {
        vec![100, 200]
    } else {
        counts
    };
    println!(
        "| calls | plain bridges (% of a core) | listening (% of a core) | ratio | barging (% of a core) | ratio | cost of a monitor (% of a core) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for calls in counts {
        runtime.block_on(run(calls));
    }
}

/// A far end: its socket (it sends from where the host sends to) and its leg.
struct Party {
    socket: UdpSocket,
    leg: MediaSession,
}

async fn party(ports: &RtpPorts, law: Law) -> Party {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let pending = PendingSession::open(ports).await.expect("free RTP ports");
    let leg = pending
        .start(Negotiated {
            remote: socket.local_addr().unwrap(),
            law,
            payload_type: law.payload_type(),
            event_payload_type: Some(101),
            ptime_ms: Some(20),
            direction: Direction::SendRecv,
        })
        .unwrap();
    Party { socket, leg }
}

async fn run(calls: usize) {
    let ports = RtpPorts::new("127.0.0.1".parse().unwrap(), 20_000, 60_000).unwrap();
    let mut customers = Vec::with_capacity(calls);
    let mut agents = Vec::with_capacity(calls);
    for _ in 0..calls {
        customers.push(party(&ports, Law::Pcma).await);
        agents.push(party(&ports, Law::Pcmu).await);
    }
    let bridges: Vec<_> = customers
        .iter()
        .zip(&agents)
        .map(|(c, a)| c.leg.bridge(&a.leg))
        .collect();
    let talking: Vec<&Party> = customers.iter().chain(&agents).collect();
    let plain = measure(&talking).await;

    let mut supervisors = Vec::with_capacity(calls);
    for _ in 0..calls {
        supervisors.push(party(&ports, Law::Pcma).await);
    }
    let monitors: Vec<_> = bridges
        .iter()
        .zip(&supervisors)
        .map(|(b, s)| b.handle().monitor(&s.leg, MonitorMode::Listen).unwrap())
        .collect();
    let talking: Vec<&Party> = talking.into_iter().chain(&supervisors).collect();
    let listening = measure(&talking).await;
    for monitor in &monitors {
        monitor.set_mode(MonitorMode::Barge);
    }
    let barging = measure(&talking).await;
    println!(
        "| {calls} | {:.1}% | {:.1}% | {:.2} | {:.1}% | {:.2} | {:.3}% to {:.3}% |",
        plain * 100.0,
        listening * 100.0,
        listening / plain,
        barging * 100.0,
        barging / plain,
        (listening - plain) * 100.0 / calls as f64,
        (barging - plain) * 100.0 / calls as f64,
    );
    drop(monitors);
    drop(bridges);
    drop((customers, agents, supervisors));
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// The host's CPU, as a share of a core, while every far end of `talking` sends a
/// frame every 20 ms.
async fn measure(talking: &[&Party]) -> f64 {
    let streams: Vec<(UdpSocket, SocketAddr)> = talking
        .iter()
        .map(|p| (p.socket.try_clone().unwrap(), p.leg.local_addr()))
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let sender = {
        let stop = stop.clone();
        std::thread::spawn(move || send(&streams, &stop))
    };
    tokio::time::sleep(WARM_UP).await;
    let cpu = cpu_time::ProcessTime::now();
    let wall = Instant::now();
    tokio::time::sleep(MEASURE).await;
    let cpu = cpu.elapsed();
    let wall = wall.elapsed();
    stop.store(true, Ordering::Relaxed);
    // The sender's steady load: its share of a core over its whole run.
    let (sender_cpu, sender_wall) = sender.join().unwrap();
    let sender_share = sender_cpu.as_secs_f64() / sender_wall.as_secs_f64();
    cpu.as_secs_f64() / wall.as_secs_f64() - sender_share
}

/// Sends a frame on every stream every 20 ms until `stop`; returns its own CPU time
/// and how long it ran.
fn send(streams: &[(UdpSocket, SocketAddr)], stop: &AtomicBool) -> (Duration, Duration) {
    let cpu = cpu_time::ThreadTime::now();
    let start = Instant::now();
    let frame = [0x55u8; 160];
    let mut outs: Vec<OutgoingStream> = streams.iter().map(|_| OutgoingStream::new()).collect();
    let mut tick = 0u32;
    while !stop.load(Ordering::Relaxed) {
        for ((socket, to), out) in streams.iter().zip(&mut outs) {
            let _ = socket.send_to(out.audio(8, &frame), to);
        }
        tick += 1;
        let due = start + Duration::from_millis(20 * u64::from(tick));
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
    (cpu.elapsed(), start.elapsed())
}
