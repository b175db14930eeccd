//! How many legs playing a prompt one core sustains with every frame on time.
//!
//!     cargo run --release -p ringhost-media --example play_load -- 500 1000 2000 3000
//!
//! For each count of legs: that many media sessions on one media clock thread (one
//! core), each looping a 10 s prompt to a far end on loopback, measured for 10 s after
//! 2 s of warm-up. The far ends are sockets nobody reads, so the kernel drops what
//! fills their buffers and no reader's work is counted: the CPU time is the process's,
//! the cost of sending. Prints, per count: frames sent, frames later than 2 ms after
//! their time on the clock, the latest frame, and the CPU time per leg as a share of a
//! core (RustPBX publishes 0.076% of a core per relayed G.711 channel). Beside it, the
//! reference for lateness, measured in the same run: a bare thread that only sleeps to
//! the same 1 ms ticks, whose lateness is this machine's own (a virtual machine's timer
//! wake-ups are often late by milliseconds with no work at all).
//! `tests/bench/media.sh` runs it; docs/benchmarks.md keeps the figures.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ringhost_media::sdp::{Direction, Negotiated};
use ringhost_media::{Law, MediaSession, PendingSession, Prompt, RtpPorts};

const WARM_UP: Duration = Duration::from_secs(2);
const MEASURE: Duration = Duration::from_secs(10);
const FAR_ENDS: usize = 64;

fn main() {
    ringhost_media::set_clock_threads(1);
    let counts: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let counts = if counts.is_empty() {
        vec![500, 1000, 2000]
    } else {
        counts
    };
    println!(
        "| legs | frames sent | late > 2 ms | latest frame | idle ticker late > 2 ms | CPU per leg (% of a core) | CPU in all (% of a core) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for legs in counts {
        runtime.block_on(run(legs));
    }
}

async fn run(legs: usize) {
    let far_ends: Vec<std::net::UdpSocket> = (0..FAR_ENDS)
        .map(|_| std::net::UdpSocket::bind("127.0.0.1:0").unwrap())
        .collect();
    let addresses: Vec<SocketAddr> = far_ends.iter().map(|s| s.local_addr().unwrap()).collect();
    let ports = RtpPorts::new("127.0.0.1".parse().unwrap(), 20_000, 60_000).unwrap();
    let samples: Vec<i16> = (0..80_000)
        .map(|i| (8000.0 * (2.0 * std::f32::consts::PI * 440.0 * i as f32 / 8000.0).sin()) as i16)
        .collect();
    let prompt = Arc::new(Prompt::from_samples("music", Law::Pcma, &samples));
    let mut sessions: Vec<MediaSession> = Vec::with_capacity(legs);
    for i in 0..legs {
        let pending = PendingSession::open(&ports).await.expect("free RTP ports");
        let session = pending
            .start(Negotiated {
                remote: addresses[i % FAR_ENDS],
                law: Law::Pcma,
                payload_type: 8,
                event_payload_type: Some(101),
                ptime_ms: Some(20),
                direction: Direction::SendRecv,
            })
            .unwrap();
        session.play_loop(prompt.clone());
        sessions.push(session);
    }
    tokio::time::sleep(WARM_UP).await;
    let before: Vec<_> = sessions.iter().map(MediaSession::stats).collect();
    let ticker = std::thread::spawn(idle_ticker);
    let cpu = cpu_time::ProcessTime::now();
    let wall = Instant::now();
    tokio::time::sleep(MEASURE).await;
    let cpu = cpu.elapsed();
    let wall = wall.elapsed();
    let (ticks, ticks_late) = ticker.join().unwrap();
    let after: Vec<_> = sessions.iter().map(MediaSession::stats).collect();
    let sent: u64 = after
        .iter()
        .zip(&before)
        .map(|(a, b)| a.packets_sent - b.packets_sent)
        .sum();
    let late: u64 = after
        .iter()
        .zip(&before)
        .map(|(a, b)| a.frames_late - b.frames_late)
        .sum();
    let latest = after.iter().map(|a| a.max_lateness_us).max().unwrap_or(0);
    let share = cpu.as_secs_f64() / wall.as_secs_f64();
    println!(
        "| {legs} | {sent} | {late} ({:.3}%) | {:.2} ms | {:.3}% of {ticks} | {:.4}% | {:.1}% |",
        late as f64 * 100.0 / sent.max(1) as f64,
        latest as f64 / 1000.0,
        ticks_late as f64 * 100.0 / ticks.max(1) as f64,
        share * 100.0 / legs as f64,
        share * 100.0,
    );
    let expected = (legs as f64 * wall.as_secs_f64() * 50.0) as u64;
    if sent < expected * 98 / 100 {
        println!("  (only {sent} of {expected} frames were sent: the core is saturated)");
    }
    drop(sessions);
    // Let the clock drop the legs before the next count starts.
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// Sleeps to each 1 ms tick for the measurement's length, doing nothing else; returns
/// the ticks and how many woke more than 2 ms late (the CPU it uses is negligible).
fn idle_ticker() -> (u64, u64) {
    let start = Instant::now();
    let mut late = 0;
    let ticks = MEASURE.as_millis() as u64 - 10;
    for tick in 1..=ticks {
        let due = start + Duration::from_millis(tick);
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        }
        if due.elapsed() > Duration::from_millis(2) {
            late += 1;
        }
    }
    (ticks, late)
}
