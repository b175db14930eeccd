//! Look-ahead predictive pacing (after Samuelson, Interfaces 29(5), 1999): a new call
//! is placed only while the chance that its person, should one answer, finds no agent
//! within the grace stays under a bound; the bound is steered so that the campaign's
//! abandon rate spends its budget (the target, less a margin) and never more.
//!
//! The chance is computed from the floor as it is now, call by call and agent by
//! agent: each ringing call's chance that a person answers within the next seconds,
//! given how long it has rung; each talking agent's chance to be free by then, given
//! how long they have talked (the residual life of a log-normal talk time); the agents
//! in wrap-up at their known end; people already waiting. People answered by a time
//! are demand, agents free by then plus the grace are supply; both are sums of
//! independent chances, taken as normal. A call is placed while its person's chance
//! of being dropped stays under the bound.
//!
//! Pure arithmetic with no dependencies: the predictive pacer plugin (wasm32-wasip2)
//! and the host's simulator run the same code.

/// The floor now, as the host sees it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Floor<'a> {
    /// Agents ready for a call.
    pub agents_ready: u32,
    /// People answered and waiting for an agent.
    pub calls_waiting: u32,
    /// Each ringing (or dialling) call's time since it was placed, ms.
    pub ringing_for_ms: &'a [u64],
    /// Each talking agent's time on the call, ms.
    pub talking_for_ms: &'a [u64],
    /// Each agent in wrap-up: the wrap-up left, ms.
    pub wrap_left_ms: &'a [u64],
    /// The most calls that may start now.
    pub headroom: u32,
}

/// What the host has measured of the campaign's calls (or assumes before it has).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    /// Share of placed calls a person answers.
    pub person_rate: f64,
    /// Mean and coefficient of variation of the time from dial to a person's answer.
    pub answer_mean_ms: f64,
    /// See `answer_mean_ms`.
    pub answer_cv: f64,
    /// Mean and coefficient of variation of talk time.
    pub talk_mean_ms: f64,
    /// See `talk_mean_ms`.
    pub talk_cv: f64,
    /// Wrap-up after a call, ms.
    pub wrap_ms: f64,
    /// How long an answered person may wait for an agent, ms.
    pub grace_ms: f64,
    /// Calls nobody answers are released after this long, ms.
    pub ring_timeout_ms: f64,
}

impl Default for Measured {
    /// `PACING.md`'s typical campaign: what is assumed until calls are measured.
    fn default() -> Self {
        Measured {
            person_rate: 0.3,
            answer_mean_ms: 10_000.0,
            answer_cv: 0.5,
            talk_mean_ms: 90_000.0,
            talk_cv: 0.8,
            wrap_ms: 10_000.0,
            grace_ms: 2_000.0,
            ring_timeout_ms: 25_000.0,
        }
    }
}

/// Times measured: how many, their mean and their coefficient of variation.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sample {
    /// How many.
    pub count: u64,
    /// Their mean, ms.
    pub mean_ms: f64,
    /// Their standard deviation over their mean.
    pub cv: f64,
}

/// What the host has measured of a campaign's calls (the WIT `look-ahead` interface's
/// `measured` record), each from complete cohorts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observed {
    /// Dials counted.
    pub dials: u64,
    /// The share of them a person answered.
    pub person_rate: f64,
    /// From the dial to a person's answer.
    pub answer: Sample,
    /// Talk times.
    pub talk: Sample,
    /// Every talk ended so far, and their total, ms.
    pub talks_ended: (u64, f64),
    /// Wrap-up after a call, ms.
    pub wrap_ms: f64,
    /// How long an answered person may wait for an agent, ms.
    pub grace_ms: f64,
    /// Calls nobody answers are released after this long, ms.
    pub ring_timeout_ms: f64,
}

/// Times measured before their mean and spread replace the assumed ones.
const MEASURED_AFTER: u64 = 20;

/// Dials counted before their answer rate replaces the assumed one (every call a
/// person's).
const DIALS_MEASURED_AFTER: u64 = 30;

/// The assumed mean talk counts as this many talks in the measured one.
const PRIOR_TALKS: f64 = 5.0;

impl Measured {
    /// The model's distributions from what the host observed, given each talking
    /// agent's time so far:
    /// - until 30 dials are counted every call is taken to bring a person, so a
    ///   campaign starts as a progressive one and learns its answer rate;
    /// - a spread or a time to answer is the assumed one until 20 are measured;
    /// - the mean talk is by total time on test (the talks ended, the time the agents
    ///   on calls have talked so far and five of the assumed mean's, over the talks
    ///   ended and five): early in a shift the talks that ended are the short ones,
    ///   and the agents still talking say how long the others are.
    pub fn estimate(observed: &Observed, talking_for_ms: &[u64]) -> Measured {
        let assumed = Measured::default();
        let person_rate = if observed.dials >= DIALS_MEASURED_AFTER {
            observed.person_rate
        } else {
            1.0
        };
        let (answer_mean_ms, answer_cv) = if observed.answer.count >= MEASURED_AFTER {
            (observed.answer.mean_ms, observed.answer.cv)
        } else {
            (assumed.answer_mean_ms, assumed.answer_cv)
        };
        let talk_cv = if observed.talk.count >= MEASURED_AFTER {
            observed.talk.cv
        } else {
            assumed.talk_cv
        };
        let (ended, ended_ms) = observed.talks_ended;
        let talked: f64 = talking_for_ms.iter().map(|&t| t as f64).sum();
        let talk_mean_ms =
            (ended_ms + talked + PRIOR_TALKS * assumed.talk_mean_ms) / (ended as f64 + PRIOR_TALKS);
        Measured {
            person_rate,
            answer_mean_ms,
            answer_cv,
            talk_mean_ms,
            talk_cv,
            wrap_ms: observed.wrap_ms,
            grace_ms: observed.grace_ms,
            ring_timeout_ms: observed.ring_timeout_ms,
        }
    }
}

/// The abandon budget: the target and how it has been spent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// The rate not to exceed (0.03).
    pub target: f64,
    /// People answered over the window the rule counts (dropped included).
    pub answered: u64,
    /// Of them, dropped.
    pub dropped: u64,
}

/// The pacer's state between questions: the bound and the abandon counts it was last
/// steered on (kept by [`Lookahead::to_bytes`]), and the distributions' tables
/// (rebuilt when the measured distributions move).
#[derive(Debug, Clone)]
pub struct Lookahead {
    /// The highest chance of a drop a new call's person may carry.
    pub bound: f64,
    /// The budget's counts when the bound was last steered.
    pub seen: (u64, u64),
    tables: Option<Tables>,
}

impl Default for Lookahead {
    fn default() -> Self {
        Lookahead::new()
    }
}

impl PartialEq for Lookahead {
    fn eq(&self, other: &Lookahead) -> bool {
        self.bound == other.bound && self.seen == other.seen
    }
}

/// The bound a campaign starts with.
const START_BOUND: f64 = 0.01;
/// The bound's range.
const BOUND_RANGE: (f64, f64) = (0.000_1, 0.5);
/// The share of the target aimed at: the rest is the margin for chance.
const AIM: f64 = 0.85;
/// People added to the window's in the margin for chance, so that it starts finite.
const SPREAD_PEOPLE: f64 = 100.0;
/// How far the bound moves: by a factor `exp(STEP x (aim x people - drops))` for the
/// people answered and dropped since the last steer (a drop takes it down by about a
/// fifth, forty people without one bring it back).
const STEP: f64 = 0.2;
/// Slots of the new call's answer time, ms.
const SLOT_MS: f64 = 2_000.0;

impl Lookahead {
    /// A campaign's start state.
    pub fn new() -> Lookahead {
        Lookahead {
            bound: START_BOUND,
            seen: (0, 0),
            tables: None,
        }
    }

    /// The state as 24 bytes, for a plugin's key-value store.
    pub fn to_bytes(&self) -> [u8; 24] {
        let mut out = [0; 24];
        out[..8].copy_from_slice(&self.bound.to_le_bytes());
        out[8..16].copy_from_slice(&self.seen.0.to_le_bytes());
        out[16..].copy_from_slice(&self.seen.1.to_le_bytes());
        out
    }

    /// The state from [`Lookahead::to_bytes`]; the start state from anything else.
    pub fn from_bytes(bytes: &[u8]) -> Lookahead {
        let word = |i: usize| -> Option<[u8; 8]> { bytes.get(i..i + 8)?.try_into().ok() };
        let (Some(bound), Some(answered), Some(dropped)) = (word(0), word(8), word(16)) else {
            return Lookahead::new();
        };
        let bound = f64::from_le_bytes(bound);
        if !bound.is_finite() {
            return Lookahead::new();
        }
        Lookahead {
            bound: bound.clamp(BOUND_RANGE.0, BOUND_RANGE.1),
            seen: (u64::from_le_bytes(answered), u64::from_le_bytes(dropped)),
            tables: None,
        }
    }

    /// Steers the bound by the people answered and dropped since the last steer: up
    /// while drops come slower than the aim, down as they come faster. Counts that
    /// went back (a new window) are taken as the new start.
    pub fn steer(&mut self, budget: &Budget) {
        let (answered, dropped) = (budget.answered, budget.dropped);
        if answered < self.seen.0 || dropped < self.seen.1 {
            self.seen = (answered, dropped);
            return;
        }
        let people = (answered - self.seen.0) as f64;
        let drops = (dropped - self.seen.1) as f64;
        self.seen = (answered, dropped);
        // The margin for chance shrinks as the window's people grow: a rate over few
        // people wanders further from its aim.
        let spread = (budget.target / (answered as f64 + SPREAD_PEOPLE)).sqrt();
        let aim = (budget.target * AIM - spread).max(budget.target * 0.5);
        let moved = self.bound * (STEP * (aim * people - drops)).exp();
        self.bound = moved.clamp(BOUND_RANGE.0, BOUND_RANGE.1);
    }

    /// How many calls to start now.
    pub fn dials(&mut self, floor: &Floor<'_>, measured: &Measured, budget: &Budget) -> u32 {
        self.steer(budget);
        let tables = match self.tables.take() {
            Some(mut tables) if tables.fit(measured) => {
                tables.rescale(measured);
                tables
            }
            _ => Tables::new(measured),
        };
        let model = Model::new(floor, measured, &tables);
        self.tables = Some(tables);
        let mut dials = 0;
        while dials < floor.headroom && model.drop_chance(dials) <= self.bound {
            dials += 1;
        }
        // Never fewer than one call per ready agent with none on its way, which cannot
        // drop anyone: the normal law puts a little chance on fewer agents than are
        // ready, and a bound steered low after a run of drops would leave agents idle.
        let on_their_way = floor.ringing_for_ms.len() as u32 + floor.calls_waiting;
        let progressive = floor.agents_ready.saturating_sub(on_their_way);
        dials.max(progressive.min(floor.headroom))
    }
}

/// The floor's supply and demand over the slots of a new call's answer time.
struct Model {
    /// Per slot: the chance a new call's person answers in it (given one answers
    /// before the timeout), the new call's chance to be answered by a person by then,
    /// and the supply's and demand's means and variances.
    slots: Vec<Slot>,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    weight: f64,
    answered_by: f64,
    supply: f64,
    supply_var: f64,
    demand: f64,
    demand_var: f64,
}

impl Model {
    fn new(floor: &Floor<'_>, m: &Measured, tables: &Tables) -> Model {
        let (answer, talk) = (&tables.answer, &tables.talk);
        let p = m.person_rate.clamp(0.001, 1.0);
        let count = (m.ring_timeout_ms / SLOT_MS).ceil().max(1.0) as usize;
        let within = answer.cdf(m.ring_timeout_ms).max(1e-9);
        // Each slot's middle, when a new call's person would answer.
        let times: Vec<f64> = (0..count).map(|i| (i as f64 + 0.5) * SLOT_MS).collect();
        let mut slots: Vec<Slot> = times
            .iter()
            .enumerate()
            .map(|(i, &at)| {
                let (from, to) = (i as f64 * SLOT_MS, (i as f64 + 1.0) * SLOT_MS);
                // Supply: agents ready, and those whose wrap-up ends by the answer
                // plus the grace; demand: people waiting.
                let by = at + m.grace_ms;
                let wrapped = floor
                    .wrap_left_ms
                    .iter()
                    .filter(|&&w| (w as f64) <= by)
                    .count();
                Slot {
                    weight: (answer.cdf(to.min(m.ring_timeout_ms)) - answer.cdf(from)) / within,
                    answered_by: p * answer.cdf(at),
                    supply: f64::from(floor.agents_ready) + wrapped as f64,
                    supply_var: 0.0,
                    demand: f64::from(floor.calls_waiting),
                    demand_var: 0.0,
                }
            })
            .collect();
        // Each talking agent: the chance to be free (wrap-up done) by each slot's
        // answer plus the grace, given how long they have talked (the residual life).
        for &elapsed in floor.talking_for_ms {
            let elapsed = elapsed as f64;
            let talked = talk.cdf(elapsed);
            let survive = (1.0 - talked).max(1e-9);
            for (slot, &at) in slots.iter_mut().zip(&times) {
                let ends_by = at + m.grace_ms - m.wrap_ms;
                if ends_by <= 0.0 {
                    continue;
                }
                let chance = ((talk.cdf(elapsed + ends_by) - talked) / survive).clamp(0.0, 1.0);
                slot.supply += chance;
                slot.supply_var += chance * (1.0 - chance);
            }
        }
        // Each ringing call: the chance a person answers it before each slot's answer,
        // given how long it has rung. A call that is no person's resolves in its own
        // time; it is taken as unresolved until the timeout (the conservative side:
        // more demand). Calls placed together have rung as long: counted once.
        let mut ringing = floor.ringing_for_ms.to_vec();
        ringing.sort_unstable();
        for calls in ringing.chunk_by(|a, b| a == b) {
            let (n, rung) = (calls.len() as f64, calls[0] as f64);
            let f = answer.cdf(rung);
            let unresolved = (p * (1.0 - f) + (1.0 - p)).max(1e-9);
            for (slot, &at) in slots.iter_mut().zip(&times) {
                let chance = (p * (answer.cdf(rung + at) - f) / unresolved).clamp(0.0, 1.0);
                slot.demand += n * chance;
                slot.demand_var += n * chance * (1.0 - chance);
            }
        }
        Model { slots }
    }

    /// The chance that a new call placed after `earlier` others now, if a person
    /// answers it, finds no agent within the grace: over its answer time, the chance
    /// that the people answered before it outnumber the agents free by then plus the
    /// grace.
    fn drop_chance(&self, earlier: u32) -> f64 {
        let k = f64::from(earlier);
        self.slots
            .iter()
            .map(|s| {
                let demand = s.demand + k * s.answered_by;
                let var = s.supply_var + s.demand_var + k * s.answered_by * (1.0 - s.answered_by);
                let gap = s.supply - demand - 0.5;
                let chance = if var <= 1e-12 {
                    if gap < 0.0 { 1.0 } else { 0.0 }
                } else {
                    normal_cdf(-gap / var.sqrt())
                };
                s.weight * chance
            })
            .sum()
    }
}

/// The answer-time and talk-time distributions, tabulated.
#[derive(Debug, Clone)]
struct Tables {
    answer: Table,
    talk: Table,
}

impl Tables {
    fn new(m: &Measured) -> Tables {
        Tables {
            answer: Table::new(m.answer_mean_ms, m.answer_cv),
            talk: Table::new(m.talk_mean_ms, m.talk_cv),
        }
    }

    /// Whether the tables still describe `m`'s shapes (their coefficients of variation
    /// within half a percent): a mean is only a scale.
    fn fit(&self, m: &Measured) -> bool {
        self.answer.describes(m.answer_cv) && self.talk.describes(m.talk_cv)
    }

    /// Reads the tables at `m`'s means.
    fn rescale(&mut self, m: &Measured) {
        self.answer.rescale(m.answer_mean_ms);
        self.talk.rescale(m.talk_mean_ms);
    }
}

/// A log-normal's distribution function at steps of 1/200 of its mean, up to where it
/// is 1 within 1e-7, read with linear interpolation: the model reads it thousands of
/// times a question, and a logarithm and an exponential each time cost more than
/// the rest of the model. The shape depends on the coefficient of variation alone,
/// so a new mean only rescales the reading (the mean talk moves at every question).
#[derive(Debug, Clone)]
struct Table {
    cv: f64,
    /// Entries per millisecond: 200 over the mean.
    per_ms: f64,
    values: Vec<f64>,
}

/// Steps per mean in a [`Table`], and its most entries.
const TABLE_STEPS_PER_MEAN: f64 = 200.0;
const TABLE_MAX: usize = 100_000;

impl Table {
    fn new(mean: f64, cv: f64) -> Table {
        // The law of mean 200 read at whole numbers: entry i is the law of any mean
        // read at i/200 of it.
        let law = LogNormal::new(TABLE_STEPS_PER_MEAN, cv);
        let mut values = Vec::with_capacity(2_000);
        loop {
            let value = law.cdf(values.len() as f64);
            values.push(value);
            if value > 1.0 - 1e-7 || values.len() == TABLE_MAX {
                break;
            }
        }
        let mut table = Table {
            cv,
            per_ms: 0.0,
            values,
        };
        table.rescale(mean);
        table
    }

    fn rescale(&mut self, mean: f64) {
        self.per_ms = TABLE_STEPS_PER_MEAN / mean.max(1.0);
    }

    fn describes(&self, cv: f64) -> bool {
        (self.cv - cv).abs() <= 0.005 * cv.max(0.01)
    }

    fn cdf(&self, x: f64) -> f64 {
        if x <= 0.0 {
            return 0.0;
        }
        let at = x * self.per_ms;
        let i = at as usize;
        match (self.values.get(i), self.values.get(i + 1)) {
            (Some(&a), Some(&b)) => a + (b - a) * (at - i as f64),
            _ => *self.values.last().unwrap_or(&1.0),
        }
    }
}

/// A log-normal by its mean and coefficient of variation.
#[derive(Debug, Clone, Copy)]
struct LogNormal {
    mu: f64,
    sigma: f64,
}

impl LogNormal {
    fn new(mean: f64, cv: f64) -> LogNormal {
        let sigma2 = (1.0 + cv.max(1e-3).powi(2)).ln();
        LogNormal {
            mu: mean.max(1.0).ln() - sigma2 / 2.0,
            sigma: sigma2.sqrt(),
        }
    }

    fn cdf(&self, x: f64) -> f64 {
        if x <= 0.0 {
            return 0.0;
        }
        normal_cdf((x.ln() - self.mu) / self.sigma)
    }
}

/// The standard normal's distribution function, by the complementary error function
/// of Numerical Recipes (`erfcc`, fractional error under 1.2e-7): written here so that
/// the crate has no dependency and builds for wasm32 as it is.
pub fn normal_cdf(x: f64) -> f64 {
    let z = (x / std::f64::consts::SQRT_2).abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let erfc = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 {
        1.0 - erfc / 2.0
    } else {
        erfc / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_normal_cdf_matches_its_table() {
        for (x, want) in [
            (0.0, 0.5),
            (1.0, 0.841_344_7),
            (-1.96, 0.024_997_9),
            (3.0, 0.998_650_1),
        ] {
            assert!((normal_cdf(x) - want).abs() < 1e-6, "{x}");
        }
    }

    #[test]
    fn a_table_reads_as_the_law_does() {
        let mut table = Table::new(90_000.0, 0.8);
        for mean in [90_000.0, 31_000.0] {
            table.rescale(mean);
            let law = LogNormal::new(mean, 0.8);
            for x in [0.0, 1_000.0, 45_123.0, 90_000.0, 300_000.0, 5_000_000.0] {
                assert!((table.cdf(x) - law.cdf(x)).abs() < 1e-4, "{mean} {x}");
            }
        }
        assert!(table.describes(0.801));
        assert!(!table.describes(0.82));
    }

    #[test]
    fn idle_agents_get_calls_and_a_full_floor_gets_none() {
        let measured = Measured::default();
        let budget = Budget {
            target: 0.03,
            answered: 0,
            dropped: 0,
        };
        let mut pacer = Lookahead::new();
        // Ten ready agents, nothing ringing: at 30% answering, about three calls per
        // agent before a person would find nobody.
        let idle = Floor {
            agents_ready: 10,
            headroom: 1000,
            ..Floor::default()
        };
        let calls = pacer.dials(&idle, &measured, &budget);
        assert!((20..45).contains(&calls), "{calls}");
        // Everyone talking for a few seconds, people waiting: nothing.
        let talking = [5_000u64; 10];
        let busy = Floor {
            calls_waiting: 2,
            talking_for_ms: &talking,
            headroom: 1000,
            ..Floor::default()
        };
        assert_eq!(pacer.dials(&busy, &measured, &budget), 0);
        // However low the bound, a ready agent with nothing on its way gets a call
        // (the normal law alone would put their supply below one).
        let mut wary = Lookahead {
            bound: 1e-4,
            ..Lookahead::new()
        };
        let one_ready = Floor {
            agents_ready: 1,
            talking_for_ms: &talking,
            headroom: 1000,
            ..Floor::default()
        };
        let tables = Tables::new(&measured);
        assert!(Model::new(&one_ready, &measured, &tables).drop_chance(0) > 1e-4);
        assert_eq!(wary.dials(&one_ready, &measured, &budget), 1);
        // The headroom holds.
        let narrow = Floor {
            headroom: 3,
            ..idle
        };
        assert_eq!(pacer.dials(&narrow, &measured, &budget), 3);
    }

    #[test]
    fn measurements_replace_assumptions_once_enough() {
        let early = Observed {
            dials: 29,
            person_rate: 0.2,
            answer: Sample {
                count: 19,
                mean_ms: 4_000.0,
                cv: 0.1,
            },
            talk: Sample {
                count: 19,
                mean_ms: 30_000.0,
                cv: 0.2,
            },
            talks_ended: (0, 0.0),
            wrap_ms: 5_000.0,
            grace_ms: 2_000.0,
            ring_timeout_ms: 30_000.0,
        };
        let m = Measured::estimate(&early, &[]);
        let assumed = Measured::default();
        assert_eq!(m.person_rate, 1.0);
        assert_eq!((m.answer_mean_ms, m.answer_cv), (10_000.0, 0.5));
        assert_eq!((m.talk_mean_ms, m.talk_cv), (assumed.talk_mean_ms, 0.8));
        assert_eq!((m.wrap_ms, m.ring_timeout_ms), (5_000.0, 30_000.0));
        let later = Observed {
            dials: 30,
            answer: Sample {
                count: 20,
                ..early.answer
            },
            talk: Sample {
                count: 20,
                ..early.talk
            },
            talks_ended: (20, 600_000.0),
            ..early
        };
        // Twenty talks of 30 s ended, one agent 200 s into a call, five assumed 90 s.
        let m = Measured::estimate(&later, &[200_000]);
        assert_eq!(m.person_rate, 0.2);
        assert_eq!((m.answer_mean_ms, m.answer_cv), (4_000.0, 0.1));
        assert_eq!(m.talk_cv, 0.2);
        assert_eq!(m.talk_mean_ms, (600_000.0 + 200_000.0 + 450_000.0) / 25.0);
    }

    #[test]
    fn the_bound_falls_with_drops_and_rises_without() {
        let mut pacer = Lookahead::new();
        let start = pacer.bound;
        pacer.steer(&Budget {
            target: 0.03,
            answered: 100,
            dropped: 10,
        });
        assert!(pacer.bound < start);
        let low = pacer.bound;
        pacer.steer(&Budget {
            target: 0.03,
            answered: 300,
            dropped: 10,
        });
        assert!(pacer.bound > low);
        // Counts that go back start again, unmoved.
        let before = pacer.bound;
        pacer.steer(&Budget {
            target: 0.03,
            answered: 5,
            dropped: 0,
        });
        assert_eq!((pacer.bound, pacer.seen), (before, (5, 0)));
        // Kept as bytes, read back.
        assert_eq!(Lookahead::from_bytes(&pacer.to_bytes()), pacer);
        assert_eq!(Lookahead::from_bytes(b"junk"), Lookahead::new());
    }
}
