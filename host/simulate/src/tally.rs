//! What one shift counted, and the figures made from it ([`Metrics`]): occupancy and
//! utilisation, the abandon rate as each regulator counts it, the worst rolling
//! windows, agents' idle time between calls, connects and dials per agent-hour.

use serde::Serialize;

/// One shift's counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// Calls placed.
    pub dials: u64,
    /// Dials a person answered.
    pub answered_people: u64,
    /// Dials a machine answered.
    pub answered_machines: u64,
    /// People put through to an agent.
    pub connected: u64,
    /// People answered and dropped (no agent within the grace).
    pub abandoned: u64,
    /// Each person's fate as it was decided: (when, dropped).
    pub people: Vec<(u64, bool)>,
    /// Agents' talk and wrap-up time.
    pub talk_ms: u64,
    /// See `talk_ms`.
    pub wrap_ms: u64,
    /// Agents' time on breaks (within the shift).
    pub break_ms: u64,
    /// Each stretch an agent spent ready between calls.
    pub idle: Vec<u64>,
    /// When each agent logged in.
    pub logins: Vec<u64>,
    /// The shift's length.
    pub shift_ms: u64,
}

impl Tally {
    pub(crate) fn new(agents: u32) -> Tally {
        Tally {
            logins: vec![0; agents as usize],
            ..Tally::default()
        }
    }

    pub(crate) fn logged_in(&mut self, agent: u32, at: u64) {
        self.logins[agent as usize] = at;
    }

    pub(crate) fn on_break(&mut self, from: u64, to: u64) {
        self.break_ms += to - from;
    }

    /// Agents' working time: logged in, not on a break.
    pub fn working_ms(&self) -> u64 {
        let logged: u64 = self
            .logins
            .iter()
            .map(|&at| self.shift_ms.saturating_sub(at))
            .sum();
        logged.saturating_sub(self.break_ms)
    }

    /// The shift's figures.
    pub fn metrics(&self) -> Metrics {
        let ratio = |n: u64, of: u64| if of == 0 { 0.0 } else { n as f64 / of as f64 };
        let working = self.working_ms();
        let agent_hours = working as f64 / 3_600_000.0;
        let per_hour = |n: u64| {
            if agent_hours > 0.0 {
                n as f64 / agent_hours
            } else {
                0.0
            }
        };
        let mut idle = self.idle.clone();
        idle.sort_unstable();
        let percentile = |p: f64| {
            if idle.is_empty() {
                0.0
            } else {
                let at = ((idle.len() - 1) as f64 * p).round() as usize;
                idle[at] as f64 / 1000.0
            }
        };
        // Every person here was answered by a person and either handled or dropped:
        // the FTC's and Ofcom's denominators are the same people (machines are
        // detected, so none is dropped); the Garante counts machines' answers too.
        let people = self.connected + self.abandoned;
        Metrics {
            occupancy: ratio(self.talk_ms + self.wrap_ms, working),
            utilisation: ratio(self.talk_ms, working),
            abandon_ftc: ratio(self.abandoned, people),
            abandon_ofcom: ratio(self.abandoned, people),
            abandon_garante: ratio(self.abandoned, people + self.answered_machines),
            worst_15min: self.worst_window(15 * 60_000),
            worst_1h: self.worst_window(3_600_000),
            idle_p50_s: percentile(0.50),
            idle_p90_s: percentile(0.90),
            idle_p99_s: percentile(0.99),
            connects_per_agent_hour: per_hour(self.connected),
            dials_per_agent_hour: per_hour(self.dials),
        }
    }

    /// The highest abandon rate over any window of `width` (ending at a person's
    /// fate) that holds at least 30 people: fewer make a rate of noise.
    fn worst_window(&self, width: u64) -> f64 {
        let mut worst: f64 = 0.0;
        let (mut start, mut drops) = (0usize, 0u64);
        for (end, &(at, dropped)) in self.people.iter().enumerate() {
            drops += u64::from(dropped);
            while self.people[start].0 + width <= at {
                drops -= u64::from(self.people[start].1);
                start += 1;
            }
            let people = (end - start + 1) as u64;
            if people >= 30 {
                worst = worst.max(drops as f64 / people as f64);
            }
        }
        worst
    }
}

/// One shift's figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Metrics {
    /// (talk + wrap-up) / (logged in, not on a break).
    pub occupancy: f64,
    /// talk / (logged in, not on a break).
    pub utilisation: f64,
    /// Dropped / answered by a person, over the campaign (the FTC's 30 days).
    pub abandon_ftc: f64,
    /// D / (D + L) per 24 h (Ofcom): the shift is within one day.
    pub abandon_ofcom: f64,
    /// Dropped / answered (machines too), per day (the Garante).
    pub abandon_garante: f64,
    /// The worst rolling 15 minutes' FTC rate.
    pub worst_15min: f64,
    /// The worst rolling hour's FTC rate.
    pub worst_1h: f64,
    /// Agents' ready stretches between calls, seconds: median.
    pub idle_p50_s: f64,
    /// 90th percentile.
    pub idle_p90_s: f64,
    /// 99th percentile.
    pub idle_p99_s: f64,
    /// People put through per working agent-hour.
    pub connects_per_agent_hour: f64,
    /// Calls placed per working agent-hour.
    pub dials_per_agent_hour: f64,
}

impl Metrics {
    /// The figures by name, in the order of the fields, for summaries over seeds.
    pub fn fields(&self) -> [(&'static str, f64); 12] {
        [
            ("occupancy", self.occupancy),
            ("utilisation", self.utilisation),
            ("abandon_ftc", self.abandon_ftc),
            ("abandon_ofcom", self.abandon_ofcom),
            ("abandon_garante", self.abandon_garante),
            ("worst_15min", self.worst_15min),
            ("worst_1h", self.worst_1h),
            ("idle_p50_s", self.idle_p50_s),
            ("idle_p90_s", self.idle_p90_s),
            ("idle_p99_s", self.idle_p99_s),
            ("connects_per_agent_hour", self.connects_per_agent_hour),
            ("dials_per_agent_hour", self.dials_per_agent_hour),
        ]
    }
}

/// A figure over seeds: its mean and 95% interval (Student's t).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// The mean.
    pub mean: f64,
    /// The interval's low end.
    pub low: f64,
    /// The interval's high end.
    pub high: f64,
    /// The lowest of the seeds.
    pub min: f64,
    /// The highest of the seeds.
    pub max: f64,
}

impl Estimate {
    /// The estimate from one value per seed.
    pub fn of(values: &[f64]) -> Estimate {
        let n = values.len();
        if n == 0 {
            return Estimate {
                mean: 0.0,
                low: 0.0,
                high: 0.0,
                min: 0.0,
                max: 0.0,
            };
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let half = if n > 1 {
            let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            t_975(n - 1) * (variance / n as f64).sqrt()
        } else {
            0.0
        };
        Estimate {
            mean,
            low: mean - half,
            high: mean + half,
            min: values.iter().copied().fold(f64::INFINITY, f64::min),
            max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }
}

/// Student's t, 97.5th percentile, for `df` degrees of freedom (a table: no crate
/// needed for 30 numbers).
fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    TABLE.get(df.wrapping_sub(1)).copied().unwrap_or(1.96)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_window_needs_thirty_people() {
        let mut tally = Tally::default();
        // 29 people, 10 dropped, in one minute: too few to count.
        for i in 0..29 {
            tally.people.push((i * 1000, i < 10));
        }
        assert_eq!(tally.worst_window(60_000), 0.0);
        tally.people.push((29_000, false));
        assert!((tally.worst_window(60_000) - 10.0 / 30.0).abs() < 1e-9);
        // An hour later the early drops are out of a 15-minute window.
        for i in 0..40 {
            tally.people.push((3_600_000 + i * 1000, false));
        }
        let fifteen = tally.worst_window(15 * 60_000);
        assert!((fifteen - 10.0 / 30.0).abs() < 1e-9, "{fifteen}");
    }

    #[test]
    fn an_estimate_has_student_s_interval() {
        let e = Estimate::of(&[1.0, 2.0, 3.0]);
        assert_eq!(e.mean, 2.0);
        // s = 1, n = 3, t(2) = 4.303.
        assert!((e.high - (2.0 + 4.303 / 3f64.sqrt())).abs() < 1e-9);
        assert_eq!((e.min, e.max), (1.0, 3.0));
    }
}
