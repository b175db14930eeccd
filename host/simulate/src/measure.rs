//! What the host measures of a campaign's calls for a pacer that models them: the
//! share of dials a person answers, the time to a person's answer, and talk time,
//! each from complete cohorts only. Early in a shift the calls that have ended are
//! the short ones, so a plain average would tell a pacer that people answer and
//! agents free up sooner than they do: a dial counts once every dial placed as early
//! has resolved (the ring timeout after it), a talk once three mean talks have passed
//! since it began.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A count, a sum and a sum of squares.
pub type Moments = (u64, f64, f64);

/// Until this many talks are counted, a cohort waits three times this long (ms).
const PRIOR_TALK_MS: u64 = 90_000;

/// The measurements, cohort by cohort.
#[derive(Debug, Default)]
pub(crate) struct Measure {
    ring_timeout_ms: u64,
    /// Resolved dials by dial time: a person's answer time, or none.
    dials: BinaryHeap<Reverse<(u64, Option<u64>)>>,
    dials_counted: u64,
    people_counted: u64,
    answers: Moments,
    /// Ended talks by their start: their length.
    talks: BinaryHeap<Reverse<(u64, u64)>>,
    talk: Moments,
}

fn add((n, sum, squares): Moments, x: f64) -> Moments {
    (n + 1, sum + x, squares + x * x)
}

impl Measure {
    pub(crate) fn new(ring_timeout_ms: u64) -> Measure {
        Measure {
            ring_timeout_ms,
            ..Measure::default()
        }
    }

    /// A dial placed at `dialled` resolved: a person answered after `person`, or not.
    pub(crate) fn resolved(&mut self, dialled: u64, person: Option<u64>) {
        self.dials.push(Reverse((dialled, person)));
    }

    /// A talk that began at `began` lasted `length`.
    pub(crate) fn talked(&mut self, began: u64, length: u64) {
        self.talks.push(Reverse((began, length)));
    }

    /// Counts the cohorts complete at `now`.
    pub(crate) fn advance(&mut self, now: u64) {
        while let Some(&Reverse((dialled, person))) = self.dials.peek() {
            if dialled + self.ring_timeout_ms > now {
                break;
            }
            self.dials.pop();
            self.dials_counted += 1;
            if let Some(after) = person {
                self.people_counted += 1;
                self.answers = add(self.answers, after as f64);
            }
        }
        let mean = if self.talk.0 >= 20 {
            (self.talk.1 / self.talk.0 as f64) as u64
        } else {
            PRIOR_TALK_MS
        };
        while let Some(&Reverse((began, length))) = self.talks.peek() {
            if began + 3 * mean > now {
                break;
            }
            self.talks.pop();
            self.talk = add(self.talk, length as f64);
        }
    }

    /// The dials counted, and the share of them a person answered (0 before any).
    pub(crate) fn person_rate(&self) -> (u64, f64) {
        let rate = if self.dials_counted == 0 {
            0.0
        } else {
            self.people_counted as f64 / self.dials_counted as f64
        };
        (self.dials_counted, rate)
    }

    /// Times from dial to a person's answer.
    pub(crate) fn answers(&self) -> Moments {
        self.answers
    }

    /// Talk times.
    pub(crate) fn talks(&self) -> Moments {
        self.talk
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cohorts_count_once_complete() {
        let mut m = Measure::new(25_000);
        m.resolved(0, Some(5_000));
        m.resolved(1_000, None);
        m.resolved(20_000, Some(3_000));
        m.advance(25_999);
        assert_eq!(m.answers(), (1, 5_000.0, 25e6));
        assert_eq!(m.person_rate(), (1, 1.0));
        m.advance(26_000);
        assert_eq!(m.person_rate(), (2, 0.5));
        m.advance(45_000);
        assert_eq!(m.answers().0, 2);
        m.talked(0, 10_000);
        m.advance(269_999);
        assert_eq!(m.talks().0, 0, "three prior means have not passed");
        m.advance(270_000);
        assert_eq!(m.talks(), (1, 10_000.0, 1e8));
    }
}
