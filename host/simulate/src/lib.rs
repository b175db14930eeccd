//! The pacing simulator: how busy a pacer keeps agents, and how many of the people who
//! answer it drops, measured honestly.
//!
//! - [`scenario`]: the agents, the shift and the people a list reaches (`PACING.md`'s
//!   model), each contact's fate drawn once per seed (common random numbers).
//! - [`engine`]: one shift in simulated time; the pacer is asked as the scheduler asks
//!   it, with the same snapshot, whenever something changes and every second.
//! - [`pacers`]: the host's progressive pacer, VICIdial's RATIO and adaptive methods
//!   (baselines written from their description), and pacer packages run exactly as the
//!   host runs them.
//! - `measure`: what the host measures of the calls for a pacer, from complete
//!   cohorts only (no early bias toward short rings and talks).
//! - [`tally`]: a shift's counts and figures ([`Metrics`]); [`Estimate`]s over seeds.
//! - [`grid`]: many scenarios and pacers at once (`--scenarios FILE`).
//!
//! `ringhost simulate` is this crate's command line.

pub mod engine;
pub mod grid;
mod measure;
pub mod pacers;
pub mod scenario;
pub mod tally;

use serde::Serialize;

pub use engine::{View, run};
pub use pacers::{Pacer, by_name};
pub use scenario::Scenario;
pub use tally::{Estimate, Metrics, Tally};

/// A pacer's figures on a scenario over seeds: each a mean with its 95% interval.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The pacer's name.
    pub pacer: String,
    /// Seeds run (1, 2, ... `seeds`).
    pub seeds: u32,
    /// (talk + wrap-up) / (logged in, not on a break).
    pub occupancy: Estimate,
    /// talk / (logged in, not on a break).
    pub utilisation: Estimate,
    /// The abandon rate as each rule counts it, and its worst windows.
    pub abandon: Abandon,
    /// Agents' idle stretches between calls, seconds.
    pub idle_p50_s: Estimate,
    /// See `idle_p50_s`.
    pub idle_p90_s: Estimate,
    /// See `idle_p50_s`.
    pub idle_p99_s: Estimate,
    /// People put through per working agent-hour.
    pub connects_per_agent_hour: Estimate,
    /// Calls placed per working agent-hour.
    pub dials_per_agent_hour: Estimate,
    /// Each seed's figures, in seed order.
    #[serde(skip)]
    pub per_seed: Vec<Metrics>,
}

/// The abandon rates of a [`Summary`].
#[derive(Debug, Clone, Serialize)]
pub struct Abandon {
    /// Dropped / answered by a person, per campaign.
    pub ftc: Estimate,
    /// D / (D + L) per 24 h.
    pub ofcom: Estimate,
    /// Dropped / answered, per day.
    pub garante: Estimate,
    /// The worst rolling 15 minutes (FTC's count).
    pub worst_15min: Estimate,
    /// The worst rolling hour.
    pub worst_1h: Estimate,
}

impl Summary {
    /// The summary of `pacer`'s shifts, one per seed.
    pub fn of(pacer: String, per_seed: Vec<Metrics>) -> Summary {
        let estimate = |field: fn(&Metrics) -> f64| {
            Estimate::of(&per_seed.iter().map(field).collect::<Vec<_>>())
        };
        Summary {
            pacer,
            seeds: per_seed.len() as u32,
            occupancy: estimate(|m| m.occupancy),
            utilisation: estimate(|m| m.utilisation),
            abandon: Abandon {
                ftc: estimate(|m| m.abandon_ftc),
                ofcom: estimate(|m| m.abandon_ofcom),
                garante: estimate(|m| m.abandon_garante),
                worst_15min: estimate(|m| m.worst_15min),
                worst_1h: estimate(|m| m.worst_1h),
            },
            idle_p50_s: estimate(|m| m.idle_p50_s),
            idle_p90_s: estimate(|m| m.idle_p90_s),
            idle_p99_s: estimate(|m| m.idle_p99_s),
            connects_per_agent_hour: estimate(|m| m.connects_per_agent_hour),
            dials_per_agent_hour: estimate(|m| m.dials_per_agent_hour),
            per_seed,
        }
    }

    /// Whether every seed kept the FTC abandon rate within `limit`.
    pub fn within(&self, limit: f64) -> bool {
        self.per_seed.iter().all(|m| m.abandon_ftc <= limit)
    }
}

/// What one core of [`simulate_named`] did: its pacer's name, and its seeds' figures.
type Worked = (String, Vec<(u64, Metrics)>);

/// Runs the pacer `name` (see [`by_name`]) on `scenario` for seeds 1 to `seeds`, the
/// seeds shared out over the machine's cores, each core with a pacer of its own.
///
/// # Errors
/// A scenario that cannot be simulated; a pacer that cannot be made or started.
pub fn simulate_named(
    scenario: &Scenario,
    name: &str,
    extra: &[(String, String)],
    seeds: u32,
) -> anyhow::Result<Summary> {
    scenario.check().map_err(anyhow::Error::msg)?;
    let seeds: Vec<u64> = (1..=u64::from(seeds)).collect();
    let (label, per_seed) = run_seeds(scenario, name, extra, &seeds)?;
    Ok(Summary::of(
        label,
        per_seed.into_iter().map(|(_, m)| m).collect(),
    ))
}

/// Runs the pacer `name` on `scenario` for `seeds`, shared out over the machine's
/// cores: its name, and each seed's figures in the order of the seeds.
pub(crate) fn run_seeds(
    scenario: &Scenario,
    name: &str,
    extra: &[(String, String)],
    seeds: &[u64],
) -> anyhow::Result<Worked> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = cores.min(seeds.len()).max(1);
    let results: Vec<anyhow::Result<Worked>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|worker| {
                scope.spawn(move || {
                    let mut pacer = by_name(name, extra.to_vec())?;
                    let mut done = Vec::new();
                    for &seed in seeds.iter().skip(worker).step_by(workers) {
                        done.push((seed, run(scenario, seed, pacer.as_mut())?.metrics()));
                    }
                    Ok((pacer.name(), done))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a simulation thread panicked")))
            })
            .collect()
    });
    let mut label = String::new();
    let mut per_seed = Vec::with_capacity(seeds.len());
    for result in results {
        let (name, done) = result?;
        label = name;
        per_seed.extend(done);
    }
    per_seed.sort_by_key(|(seed, _)| *seed);
    Ok((label, per_seed))
}

/// Runs `pacer` on `scenario` for seeds 1 to `seeds`.
///
/// # Errors
/// A scenario that cannot be simulated; a pacer that cannot start a shift.
pub fn simulate(scenario: &Scenario, pacer: &mut dyn Pacer, seeds: u32) -> anyhow::Result<Summary> {
    scenario.check().map_err(anyhow::Error::msg)?;
    let mut per_seed = Vec::with_capacity(seeds as usize);
    for seed in 1..=u64::from(seeds) {
        per_seed.push(run(scenario, seed, pacer)?.metrics());
    }
    Ok(Summary::of(pacer.name(), per_seed))
}
