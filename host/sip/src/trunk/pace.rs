//! The calls-per-second cap: a token bucket holding up to one second of calls, so a
//! trunk allowed 10 CPS may start 10 calls at once but never more than 10 in any
//! second on average. On tokio's clock, so tests pause time.

use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug)]
pub(super) struct TokenBucket {
    rate: f64,
    capacity: f64,
    tokens: f64,
    last: Option<Instant>,
}

impl TokenBucket {
    pub(super) fn new(rate: f64) -> TokenBucket {
        let capacity = rate.max(1.0);
        TokenBucket {
            rate,
            capacity,
            tokens: capacity,
            last: None,
        }
    }

    /// Takes one token, or says how long until one is there.
    pub(super) fn take(&mut self, now: Instant) -> Result<(), Duration> {
        if let Some(last) = self.last {
            let refill = now.saturating_duration_since(last).as_secs_f64() * self.rate;
            self.tokens = (self.tokens + refill).min(self.capacity);
        }
        self.last = Some(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / self.rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_of_burst_then_the_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(10.0);
        for _ in 0..10 {
            bucket.take(start).unwrap();
        }
        let wait = bucket.take(start).unwrap_err();
        assert_eq!(wait, Duration::from_millis(100));
        // Over 10 s of steady demand, 100 more calls and not one more.
        let mut granted = 0;
        for ms in (0..10_000).step_by(10) {
            if bucket.take(start + Duration::from_millis(ms + 1)).is_ok() {
                granted += 1;
            }
        }
        assert!((99..=100).contains(&granted), "{granted}");
    }

    #[test]
    fn below_one_cps_waits_seconds() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(0.5);
        bucket.take(start).unwrap();
        assert_eq!(bucket.take(start).unwrap_err(), Duration::from_secs(2));
        assert!(bucket.take(start + Duration::from_secs(2)).is_ok());
    }
}
