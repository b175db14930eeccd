//! How many legs playing a prompt one core sustains with every frame on time.
//!
//!     cargo run --release -p ringhost-media --example play_load -- 500 1000 2000 3000
//!
//! For each count of legs: that many media sessions on one single-threaded tokio
//! runtime (one core), each looping a 10 s prompt to a far end on loopback, for 10 s
//! after 2 s of warm-up. The far ends are sockets drained by a thread on the other core.
//! Prints, per count: frames sent, frames later than 2 ms after their time on the
//! clock, the latest frame, and the runtime thread's CPU time per leg as a share of a
//! core (RustPBX publishes 0.076% of a core per relayed G.711 channel).
//! `tests/bench/media.sh` runs it and docs/benchmarks.md keeps the figures.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ringhost_media::sdp::{Direction, Negotiated};
use ringhost_media::{Law, MediaSession, PendingSession, Prompt, RtpPorts};

const WARM_UP: Duration = Duration::from_secs(2);
const MEASURE: Duration = Duration::from_secs(10);
const SINKS: usize = 8;

fn main() {
    let counts: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let counts = if counts.is_empty() { vec![500, 1000, 2000] } else { counts };
    println!("| legs | frames sent | late > 2 ms | latest frame | CPU per leg (% of a core) | CPU in all (% of a core) |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for legs in counts {
        run(legs);
    }
}

fn run(legs: usize) {
    // The far ends, drained on the other core.
    let stop = Arc::new(AtomicBool::new(false));
    let received = Arc::new(AtomicU64::new(0));
    let mut sinks: Vec<SocketAddr> = Vec::new();
    let mut drains = Vec::new();
    for _ in 0..SINKS {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
        sinks.push(socket.local_addr().unwrap());
        let (stop, received) = (stop.clone(), received.clone());
        drains.push(std::thread::spawn(move || {
            let mut buffer = [0u8; 2048];
            while !stop.load(Ordering::Relaxed) {
                if std::env::var("NODRAIN").is_ok() { std::thread::sleep(Duration::from_millis(50)); continue; }
                if socket.recv_from(&mut buffer).is_ok() {
                    received.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let ports = RtpPorts::new("127.0.0.1".parse().unwrap(), 20_000, 60_000).unwrap();
        let samples: Vec<i16> = (0..80_000)
            .map(|i| (8000.0 * (2.0 * std::f32::consts::PI * 440.0 * i as f32 / 8000.0).sin()) as i16)
            .collect();
        let prompt = Arc::new(Prompt::from_samples("music", Law::Pcma, &samples));
        let mut sessions: Vec<MediaSession> = Vec::with_capacity(legs);
        for i in 0..legs {
            let pending = PendingSession::open(&ports).await.expect("free RTP ports");
            let session = pending.start(Negotiated {
                remote: sinks[i % SINKS],
                law: Law::Pcma,
                payload_type: 8,
                event_payload_type: Some(101),
                ptime_ms: Some(20),
                direction: Direction::SendRecv,
            });
            session.play_loop(prompt.clone());
            sessions.push(session);
            if std::env::var("STAGGER").is_ok() { tokio::time::sleep(Duration::from_micros(20_000 / legs as u64)).await; }
        }
        tokio::time::sleep(WARM_UP).await;
        let before: Vec<_> = sessions.iter().map(MediaSession::stats).collect();
        let cpu = cpu_time::ThreadTime::now();
        let wall = Instant::now();
        tokio::time::sleep(MEASURE).await;
        let cpu = cpu.elapsed();
        let wall = wall.elapsed();
        let after: Vec<_> = sessions.iter().map(MediaSession::stats).collect();
        let sent: u64 = after.iter().zip(&before).map(|(a, b)| a.packets_sent - b.packets_sent).sum();
        let late: u64 = after.iter().zip(&before).map(|(a, b)| a.frames_late - b.frames_late).sum();
        let latest = after.iter().map(|a| a.max_lateness_us).max().unwrap_or(0);
        let share = cpu.as_secs_f64() / wall.as_secs_f64();
        println!(
            "| {legs} | {sent} | {late} ({:.3}%) | {:.2} ms | {:.4}% | {:.1}% |",
            late as f64 * 100.0 / sent.max(1) as f64,
            latest as f64 / 1000.0,
            share * 100.0 / legs as f64,
            share * 100.0,
        );
        let expected = (legs as f64 * wall.as_secs_f64() * 50.0) as u64;
        if sent < expected * 98 / 100 {
            println!("  (only {sent} of {expected} frames were sent: the core is saturated)");
        }
        drop(sessions);
    });
    stop.store(true, Ordering::Relaxed);
    for drain in drains {
        drain.join().unwrap();
    }
}
