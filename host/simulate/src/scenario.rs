//! What is simulated: the agents and their shift, and the people a list reaches (the
//! model of `PACING.md`). Each contact's fate is drawn once per seed from its own
//! index, so every pacer run on one seed meets the same people in the same order
//! (common random numbers): comparisons are paired.

use rand::{Rng as _, SeedableRng as _};
use rand_distr::{Distribution as _, LogNormal};
use serde::{Deserialize, Serialize};

/// A campaign's conditions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scenario {
    /// Agents on the shift.
    pub agents: u32,
    /// Share of dials a person answers.
    pub answer_rate: f64,
    /// A list used up: the share a person answers falls (or rises) in a straight line
    /// from `answer_rate` at the first contact to `answer_rate_end` at contact
    /// `list_contacts`, and stays there (0: no drift). A pacer that dials faster uses
    /// the list up sooner, as on a real list.
    pub list_contacts: u64,
    /// See `list_contacts`.
    pub answer_rate_end: f64,
    /// Share of dials an answering machine answers (detected, hung up: no agent).
    pub machine_rate: f64,
    /// Share of dials busy or failed, within a few seconds.
    pub fail_rate: f64,
    /// Mean time from the dial to a person's answer, seconds (log-normal, cv 0.5).
    pub ring_mean_s: f64,
    /// Mean time from the dial to a machine's answer, seconds (log-normal, cv 0.3).
    pub machine_after_s: f64,
    /// Calls nobody answers are released after this long, seconds.
    pub ring_timeout_s: f64,
    /// Mean talk time, seconds (log-normal).
    pub talk_mean_s: f64,
    /// Talk time's coefficient of variation.
    pub talk_cv: f64,
    /// Outbound talk is often bimodal: this share of talks are quick refusals of
    /// `quick_talk_s` on average (log-normal, cv 0.5), the rest as `talk_mean_s` says.
    pub quick_share: f64,
    /// See `quick_share`.
    pub quick_talk_s: f64,
    /// Wrap-up after each call, seconds.
    pub wrap_s: f64,
    /// The shift, hours.
    pub hours: f64,
    /// A person answered and not put through to an agent within this many seconds is
    /// abandoned (the FTC's 2 s).
    pub grace_s: f64,
    /// Agents log in evenly over this many minutes from the start (0: all at once).
    pub login_ramp_min: f64,
    /// Each agent takes a break of `break_min` minutes every `break_every_h` hours,
    /// staggered across agents (0: none).
    pub break_every_h: f64,
    /// See `break_every_h`.
    pub break_min: f64,
    /// The abandon rate the campaign must stay under (given to the pacers).
    pub target_abandon: f64,
    /// The campaign's channels (0: four per agent).
    pub channels: u32,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            agents: 50,
            answer_rate: 0.30,
            list_contacts: 0,
            answer_rate_end: 0.30,
            machine_rate: 0.15,
            fail_rate: 0.10,
            ring_mean_s: 10.0,
            machine_after_s: 20.0,
            ring_timeout_s: 25.0,
            talk_mean_s: 90.0,
            talk_cv: 0.8,
            quick_share: 0.0,
            quick_talk_s: 15.0,
            wrap_s: 10.0,
            hours: 8.0,
            grace_s: 2.0,
            login_ramp_min: 0.0,
            break_every_h: 0.0,
            break_min: 0.0,
            target_abandon: 0.03,
            channels: 0,
        }
    }
}

impl Scenario {
    /// Refuses what cannot be simulated, saying which field.
    ///
    /// # Errors
    /// A share outside 0 to 1 or summing over 1, a time that is not positive, no agents.
    pub fn check(&self) -> Result<(), String> {
        let shares = [
            ("answer_rate", self.answer_rate),
            ("answer_rate_end", self.answer_rate_end),
            ("quick_share", self.quick_share),
            ("machine_rate", self.machine_rate),
            ("fail_rate", self.fail_rate),
            ("target_abandon", self.target_abandon),
        ];
        for (name, share) in shares {
            if !(0.0..=1.0).contains(&share) {
                return Err(format!("{name} {share} is not between 0 and 1"));
            }
        }
        if self.answer_rate.max(self.answer_rate_end) + self.machine_rate + self.fail_rate > 1.0 {
            return Err(
                "answer_rate (or answer_rate_end) + machine_rate + fail_rate is over 1".into(),
            );
        }
        let times = [
            ("ring_mean_s", self.ring_mean_s),
            ("machine_after_s", self.machine_after_s),
            ("ring_timeout_s", self.ring_timeout_s),
            ("talk_mean_s", self.talk_mean_s),
            ("quick_talk_s", self.quick_talk_s),
            ("hours", self.hours),
        ];
        for (name, time) in times {
            if !(time > 0.0 && time.is_finite()) {
                return Err(format!("{name} {time} is not a positive time"));
            }
        }
        let non_negative = [
            ("talk_cv", self.talk_cv),
            ("wrap_s", self.wrap_s),
            ("grace_s", self.grace_s),
            ("login_ramp_min", self.login_ramp_min),
            ("break_every_h", self.break_every_h),
            ("break_min", self.break_min),
        ];
        for (name, value) in non_negative {
            if !(value >= 0.0 && value.is_finite()) {
                return Err(format!("{name} {value} is negative"));
            }
        }
        if self.agents == 0 {
            return Err("agents is 0".into());
        }
        Ok(())
    }

    /// The share a person answers at contact `index` (see `list_contacts`).
    pub fn answer_rate_at(&self, index: u64) -> f64 {
        if self.list_contacts == 0 {
            return self.answer_rate;
        }
        let used = (index as f64 / self.list_contacts as f64).min(1.0);
        self.answer_rate + (self.answer_rate_end - self.answer_rate) * used
    }

    /// The campaign's channels.
    pub fn channels(&self) -> u32 {
        if self.channels == 0 {
            self.agents.saturating_mul(4)
        } else {
            self.channels
        }
    }
}

/// What happens to one dial, milliseconds after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// A person answers after `after_ms`; once with an agent, they talk `talk_ms`.
    Person {
        /// From the dial to the answer.
        after_ms: u64,
        /// Talk time, once put through.
        talk_ms: u64,
    },
    /// A machine answers after `after_ms` (detected and hung up).
    Machine {
        /// From the dial to the answer.
        after_ms: u64,
    },
    /// Busy or failed after `after_ms`.
    Failed {
        /// From the dial to the failure.
        after_ms: u64,
    },
    /// Nobody answers: released at the ring timeout.
    NoAnswer {
        /// The ring timeout.
        after_ms: u64,
    },
}

impl Fate {
    /// When the dial is over or answered, from the dial.
    pub fn after_ms(self) -> u64 {
        match self {
            Fate::Person { after_ms, .. }
            | Fate::Machine { after_ms }
            | Fate::Failed { after_ms }
            | Fate::NoAnswer { after_ms } => after_ms,
        }
    }
}

/// The fates of one seed's contacts, drawn by index.
#[derive(Debug, Clone)]
pub struct Draws {
    seed: u64,
    ring: LogNormal<f64>,
    machine: LogNormal<f64>,
    talk: LogNormal<f64>,
    quick: LogNormal<f64>,
    scenario: Scenario,
}

/// A log-normal with this mean and coefficient of variation.
fn log_normal(mean: f64, cv: f64) -> LogNormal<f64> {
    // For a log-normal, cv^2 = exp(sigma^2) - 1 and mean = exp(mu + sigma^2 / 2).
    let sigma2 = (1.0 + cv * cv).ln();
    LogNormal::new(mean.ln() - sigma2 / 2.0, sigma2.sqrt()).expect("a finite log-normal")
}

impl Draws {
    /// The draws of `seed` for `scenario` (checked).
    pub fn new(scenario: &Scenario, seed: u64) -> Draws {
        Draws {
            seed,
            ring: log_normal(scenario.ring_mean_s, 0.5),
            machine: log_normal(scenario.machine_after_s, 0.3),
            talk: log_normal(scenario.talk_mean_s, scenario.talk_cv.max(1e-6)),
            quick: log_normal(scenario.quick_talk_s, 0.5),
            scenario: scenario.clone(),
        }
    }

    /// Contact `index`'s fate: the same for every pacer on this seed.
    pub fn fate(&self, index: u64) -> Fate {
        let mut rng = rand::rngs::StdRng::seed_from_u64(mix(self.seed, index));
        let s = &self.scenario;
        let timeout = ms(s.ring_timeout_s);
        let u: f64 = rng.random();
        // Both times are drawn for every contact, whatever its fate, so that a change
        // of one share leaves the other contacts' times alone.
        let ring = ms(self.ring.sample(&mut rng));
        let talk = ms(self.talk.sample(&mut rng)).max(1_000);
        let machine = ms(self.machine.sample(&mut rng));
        let fail = 1_000 + (rng.random::<f64>() * 4_000.0) as u64;
        // Drawn after the others, so that scenarios without quick talks draw as before.
        let quick_u: f64 = rng.random();
        let quick = ms(self.quick.sample(&mut rng)).max(1_000);
        let talk = if quick_u < s.quick_share { quick } else { talk };
        let answer_rate = s.answer_rate_at(index);
        if u < answer_rate {
            if ring >= timeout {
                return Fate::NoAnswer { after_ms: timeout };
            }
            Fate::Person {
                after_ms: ring,
                talk_ms: talk,
            }
        } else if u < answer_rate + s.machine_rate {
            if machine >= timeout {
                return Fate::NoAnswer { after_ms: timeout };
            }
            Fate::Machine { after_ms: machine }
        } else if u < answer_rate + s.machine_rate + s.fail_rate {
            Fate::Failed { after_ms: fail }
        } else {
            Fate::NoAnswer { after_ms: timeout }
        }
    }
}

/// Seconds to whole milliseconds.
pub(crate) fn ms(seconds: f64) -> u64 {
    (seconds * 1000.0).round().max(0.0) as u64
}

/// One 64-bit seed from a run's seed and a contact's index (SplitMix64's finaliser):
/// neighbouring indexes get unrelated streams.
fn mix(seed: u64, index: u64) -> u64 {
    let mut z = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(index)
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_used_up_answers_less_and_quick_talks_come_in_their_share() {
        let scenario = Scenario {
            answer_rate: 0.6,
            list_contacts: 10_000,
            answer_rate_end: 0.1,
            quick_share: 0.4,
            quick_talk_s: 10.0,
            ..Scenario::default()
        };
        scenario.check().unwrap();
        let draws = Draws::new(&scenario, 3);
        let people = |from: u64| -> Vec<u64> {
            (from..from + 4_000)
                .filter_map(|i| match draws.fate(i) {
                    Fate::Person { talk_ms, .. } => Some(talk_ms),
                    _ => None,
                })
                .collect()
        };
        let (first, used_up) = (people(0), people(20_000));
        // About 0.55 of the first 4,000 (0.6 falling to 0.5), 0.1 past the list's end,
        // less the answers after the ring timeout.
        assert!((1_900..2_250).contains(&first.len()), "{}", first.len());
        assert!((330..420).contains(&used_up.len()), "{}", used_up.len());
        let quick = first.iter().filter(|&&t| t < 25_000).count() as f64 / first.len() as f64;
        assert!((0.40..0.50).contains(&quick), "{quick}");
        // Without quick talks or drift, the same seed draws the same fates as before
        // both were added: they are drawn after every other draw.
        let plain = Draws::new(&Scenario::default(), 3);
        let with_nothing_quick = Draws::new(
            &Scenario {
                quick_talk_s: 10.0,
                ..Scenario::default()
            },
            3,
        );
        assert!((0..500).all(|i| plain.fate(i) == with_nothing_quick.fate(i)));
        let bad = Scenario {
            answer_rate_end: 0.9,
            ..Scenario::default()
        };
        assert!(bad.check().unwrap_err().contains("answer_rate_end"));
    }

    #[test]
    fn fates_follow_the_shares_and_repeat_by_seed() {
        let scenario = Scenario::default();
        let draws = Draws::new(&scenario, 7);
        let n = 50_000u64;
        let (mut people, mut machines, mut failed, mut talk) = (0u64, 0u64, 0u64, 0u64);
        for i in 0..n {
            match draws.fate(i) {
                Fate::Person { talk_ms, .. } => {
                    people += 1;
                    talk += talk_ms;
                }
                Fate::Machine { .. } => machines += 1,
                Fate::Failed { .. } => failed += 1,
                Fate::NoAnswer { .. } => {}
            }
        }
        let share = |k: u64| k as f64 / n as f64;
        // A few people ring past the timeout and become no answer.
        assert!((0.28..0.31).contains(&share(people)), "{}", share(people));
        assert!(
            (0.12..0.16).contains(&share(machines)),
            "{}",
            share(machines)
        );
        assert!((0.09..0.11).contains(&share(failed)), "{}", share(failed));
        let mean_talk = talk as f64 / people as f64 / 1000.0;
        assert!((85.0..95.0).contains(&mean_talk), "{mean_talk}");
        // Same seed, same fates; another seed, others.
        assert_eq!(Draws::new(&scenario, 7).fate(123), draws.fate(123));
        let other = Draws::new(&scenario, 8);
        assert!((0..100).any(|i| other.fate(i) != draws.fate(i)));
    }

    #[test]
    fn bad_scenarios_are_refused_by_field() {
        let bad = Scenario {
            answer_rate: 0.9,
            machine_rate: 0.2,
            ..Scenario::default()
        };
        assert!(bad.check().unwrap_err().contains("over 1"));
        let bad = Scenario {
            talk_mean_s: 0.0,
            ..Scenario::default()
        };
        assert!(bad.check().unwrap_err().contains("talk_mean_s"));
        assert_eq!(Scenario::default().check(), Ok(()));
    }
}
