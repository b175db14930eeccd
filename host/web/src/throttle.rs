//! Failed sign-ins, counted per account and per source address: past the limit within
//! the window, that account (or address) is refused without its password being checked
//! until the window has passed since its first failure. In memory: a restart forgets,
//! which costs an attacker a restart they cannot cause.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per account or address within the window.
const MAX_FAILURES: u32 = 5;

/// How long failures count, and how long a blocked account or address waits.
const WINDOW: Duration = Duration::from_secs(15 * 60);

/// What is counted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Account(String),
    Address(IpAddr),
}

/// The sign-in throttle.
#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<HashMap<Key, (u32, Instant)>>,
}

impl Throttle {
    /// Whether a sign-in as `account` from `address` may be checked now.
    pub fn allows(&self, account: &str, address: IpAddr) -> bool {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        failures.retain(|_, (_, since)| now.duration_since(*since) < WINDOW);
        [Key::Account(account.to_owned()), Key::Address(address)]
            .iter()
            .all(|key| failures.get(key).is_none_or(|(n, _)| *n < MAX_FAILURES))
    }

    /// Counts a failed sign-in.
    pub fn failed(&self, account: &str, address: IpAddr) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        for key in [Key::Account(account.to_owned()), Key::Address(address)] {
            failures.entry(key).or_insert((0, now)).0 += 1;
        }
    }

    /// Forgets the account's failures after a sign-in that succeeded.
    pub fn succeeded(&self, account: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures.remove(&Key::Account(account.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_an_account_and_an_address_past_the_limit() {
        let throttle = Throttle::default();
        let here: IpAddr = "127.0.0.1".parse().unwrap();
        let there: IpAddr = "127.0.0.2".parse().unwrap();
        for _ in 0..MAX_FAILURES {
            assert!(throttle.allows("anna", here));
            throttle.failed("anna", here);
        }
        assert!(!throttle.allows("anna", there), "the account is blocked");
        assert!(!throttle.allows("bruno", here), "the address is blocked");
        assert!(throttle.allows("bruno", there));
    }
}
