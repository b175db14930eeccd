//! Retransmission over UDP (RFC 3261 17.1.2.2 and 17.2.1): a message that wants an
//! answer is sent again after T1, then at doubling intervals capped at T2, and given up
//! after 64*T1. The same schedule serves the UAS's final responses to an INVITE (timers
//! G and H, until the ACK) and the sim's own BYE and REGISTER (timers E and F, until a
//! final response).
//!
//! The sim uses the RFC's default values: it talks to a host over loopback, and the
//! host's own transactions run on the same defaults unless a test shortens them.

use std::time::Duration;

use tokio::time::Instant;

/// Round-trip estimate: the first retransmission interval.
pub(crate) const T1: Duration = Duration::from_millis(500);
/// The longest retransmission interval.
pub(crate) const T2: Duration = Duration::from_secs(4);
/// 64*T1: when a transaction gives up (timers F and H), and how long a finished call
/// keeps answering the far end's retransmissions (timer J).
pub(crate) const TIMEOUT: Duration = Duration::from_secs(32);

/// When to send a message again, and when to stop.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Retransmit {
    next: Instant,
    interval: Duration,
    give_up: Instant,
}

impl Retransmit {
    /// The schedule of a message sent just now.
    pub(crate) fn start() -> Retransmit {
        let now = Instant::now();
        Retransmit {
            next: now + T1,
            interval: T1,
            give_up: now + TIMEOUT,
        }
    }

    /// When the next retransmission is due.
    pub(crate) fn next(&self) -> Instant {
        self.next
    }

    /// Called when [`Retransmit::next`] has passed: `false` once 64*T1 has gone by (give
    /// up), otherwise `true` (send again) with the next interval doubled up to T2.
    pub(crate) fn fire(&mut self) -> bool {
        let now = Instant::now();
        if now >= self.give_up {
            return false;
        }
        self.interval = (self.interval * 2).min(T2);
        self.next = (now + self.interval).min(self.give_up);
        true
    }
}

/// Sleeps until `when`, or forever when there is nothing to wait for: lets a
/// `tokio::select!` branch stand idle without a flag.
pub(crate) async fn until(when: Option<Instant>) {
    match when {
        Some(when) => tokio::time::sleep_until(when).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Timer G's schedule: 0.5, 1, 2, 4, 4, 4 ... seconds, given up at 32 s sharp.
    #[tokio::test(start_paused = true)]
    async fn doubles_up_to_t2_then_gives_up_at_64_t1() {
        let start = Instant::now();
        let mut schedule = Retransmit::start();
        let mut sent_at = Vec::new();
        loop {
            tokio::time::sleep_until(schedule.next()).await;
            if !schedule.fire() {
                break;
            }
            sent_at.push((Instant::now() - start).as_millis());
        }
        assert_eq!(
            &sent_at[..6],
            &[500, 1500, 3500, 7500, 11_500, 15_500],
            "{sent_at:?}"
        );
        assert_eq!((Instant::now() - start).as_millis(), 32_000, "{sent_at:?}");
        assert!(sent_at.iter().all(|&ms| ms < 32_000), "{sent_at:?}");
    }
}
