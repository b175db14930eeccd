//! The media clock: dedicated threads that send every playing leg's frames on time.
//!
//! A task per leg with its own 20 ms timer was measured first (see docs/benchmarks.md):
//! with a few hundred legs, tokio's timer wheel is only looked at between task polls,
//! legs started together fire together, and most frames left more than 2 ms late. Here
//! each clock thread ticks every millisecond against the monotonic clock and keeps its
//! legs in 20 buckets, one per millisecond of the frame: a leg joins the bucket of the
//! millisecond it starts in, so its frames leave at the same phase every 20 ms and
//! the work of a tick is a twentieth of the legs. A tick that runs late is caught up
//! at once (the frames leave late, not never), and the lateness of each frame is
//! counted.
//!
//! What a clock thread ticks is [`Clocked`]: a leg's player, or the mixer of a
//! monitored bridge (which sends the mixed legs' frames itself). Both are held weakly:
//! one whose owner is gone drops out at its next tick.

use std::sync::{Arc, LazyLock, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

/// Buckets per frame: one per millisecond of a 20 ms frame.
const BUCKETS: usize = 20;

static THREADS: OnceLock<usize> = OnceLock::new();

/// Sets how many clock threads send frames (one per core by default). Only the first
/// call before the first leg starts counts; returns whether this one did.
pub fn set_clock_threads(threads: usize) -> bool {
    THREADS.set(threads.max(1)).is_ok()
}

/// Something that sends frames on the clock.
pub(crate) trait Clocked: Send {
    /// One tick of the frame clock, due at `due`; false once it is gone (the clock
    /// forgets it).
    fn on_clock(&mut self, due: Instant) -> bool;
}

/// What a clock thread holds of each [`Clocked`].
type Held = Weak<Mutex<dyn Clocked>>;

/// The clock threads of the process.
pub(crate) struct MediaClock {
    threads: Vec<Arc<ClockThread>>,
    next: std::sync::atomic::AtomicUsize,
}

#[derive(Default)]
struct ClockThread {
    /// Legs and mixers started since the thread's last tick.
    joining: Mutex<Vec<Held>>,
}

impl MediaClock {
    /// The process's clock, started on first use with [`set_clock_threads`] threads
    /// (one per core by default).
    pub(crate) fn global() -> &'static MediaClock {
        static CLOCK: LazyLock<MediaClock> = LazyLock::new(|| {
            let default = || std::thread::available_parallelism().map_or(1, |n| n.get());
            MediaClock::start(THREADS.get().copied().unwrap_or_else(default))
        });
        &CLOCK
    }

    fn start(threads: usize) -> MediaClock {
        let threads: Vec<Arc<ClockThread>> = (0..threads.max(1)).map(|_| Arc::default()).collect();
        for (i, thread) in threads.iter().enumerate() {
            let thread = thread.clone();
            std::thread::Builder::new()
                .name(format!("ringhost-media-clock-{i}"))
                .spawn(move || thread.run())
                .expect("cannot start a media clock thread");
        }
        MediaClock {
            threads,
            next: Default::default(),
        }
    }

    /// Puts a leg's player or a mixer on a clock thread (round-robin); its first frame
    /// leaves at the next tick.
    pub(crate) fn add<T: Clocked + 'static>(&self, clocked: &Arc<Mutex<T>>) {
        let weak: Weak<Mutex<T>> = Arc::downgrade(clocked);
        let held: Held = weak;
        let index =
            self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % self.threads.len();
        self.threads[index]
            .joining
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(held);
    }
}

impl ClockThread {
    fn run(&self) {
        let mut buckets: [Vec<Held>; BUCKETS] = std::array::from_fn(|_| Vec::new());
        let start = Instant::now();
        let mut tick: u64 = 0;
        loop {
            let due = start + Duration::from_millis(tick);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            let bucket = &mut buckets[(tick % BUCKETS as u64) as usize];
            bucket.append(&mut self.joining.lock().unwrap_or_else(|e| e.into_inner()));
            bucket.retain(|held| match held.upgrade() {
                Some(clocked) => clocked
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .on_clock(due),
                None => false,
            });
            tick += 1;
        }
    }
}
