//! Many scenarios and pacers at once (`ringhost simulate --scenarios FILE`): a base
//! scenario, axes whose every combination is a cell, and the pacers run on each cell
//! over the same seeds.
//!
//! ```toml
//! seeds = 10
//! pacers = ["progressive", "ratio:best", "vicidial-adapt-hard"]
//! [base]            # scenario fields; what is left out is the default
//! hours = 8
//! [grid]            # each a list of values
//! agents = [10, 50, 200]
//! answer_rate = [0.15, 0.3, 0.6]
//! ```
//!
//! `ratio:best` is the highest fixed ratio whose every seed stays within the
//! scenario's target abandon rate (found by bisection).

use serde::{Deserialize, Serialize};

use crate::pacers::Builtin;
use crate::pacers::Pacer as _;
use crate::scenario::Scenario;
use crate::{Summary, run_seeds, simulate, simulate_named};

/// A grid file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GridFile {
    /// Seeds per cell and pacer.
    #[serde(default = "ten")]
    pub seeds: u32,
    /// The pacers, by `--pacer`'s names, and `ratio:best`.
    pub pacers: Vec<String>,
    /// Scenario fields every cell shares.
    #[serde(default)]
    pub base: toml::Table,
    /// Scenario fields with the values each takes in turn.
    #[serde(default)]
    pub grid: toml::Table,
}

fn ten() -> u32 {
    10
}

/// What sets a cell apart: each axis and its value there.
pub type Axes = Vec<(String, toml::Value)>;

/// One cell's results.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    /// What sets this cell apart: each axis and its value.
    pub cell: Axes,
    /// The cell's scenario.
    pub scenario: Scenario,
    /// Each pacer's summary, in the file's order.
    pub results: Vec<Summary>,
}

impl GridFile {
    /// Reads a grid file's text.
    ///
    /// # Errors
    /// Not TOML, an unknown key, an axis that is not a list.
    pub fn parse(text: &str) -> anyhow::Result<GridFile> {
        let file: GridFile = toml::from_str(text)?;
        for (axis, values) in &file.grid {
            anyhow::ensure!(values.is_array(), "grid.{axis} is not a list of values");
        }
        Ok(file)
    }

    /// Every cell's scenario, the first axis varying slowest.
    ///
    /// # Errors
    /// A field that no scenario has, or a value of the wrong type.
    pub fn cells(&self) -> anyhow::Result<Vec<(Axes, Scenario)>> {
        let mut cells: Vec<Axes> = vec![Vec::new()];
        for (axis, values) in &self.grid {
            let values = values.as_array().expect("checked when read");
            cells = cells
                .into_iter()
                .flat_map(|cell| {
                    values.iter().map(move |v| {
                        let mut cell = cell.clone();
                        cell.push((axis.clone(), v.clone()));
                        cell
                    })
                })
                .collect();
        }
        cells
            .into_iter()
            .map(|cell| {
                let mut table = self.base.clone();
                for (axis, value) in &cell {
                    table.insert(axis.clone(), value.clone());
                }
                let scenario: Scenario = table
                    .try_into()
                    .map_err(|e| anyhow::anyhow!("a cell's scenario: {e}"))?;
                scenario.check().map_err(anyhow::Error::msg)?;
                Ok((cell, scenario))
            })
            .collect()
    }

    /// Runs every pacer on every cell; `progress` hears of each cell as it is done.
    ///
    /// # Errors
    /// A bad cell or pacer.
    pub fn run(&self, mut progress: impl FnMut(&Cell)) -> anyhow::Result<Vec<Cell>> {
        let mut done = Vec::new();
        for (cell, scenario) in self.cells()? {
            let mut results = Vec::with_capacity(self.pacers.len());
            for name in &self.pacers {
                results.push(if name == "ratio:best" {
                    best_ratio(&scenario, self.seeds)?
                } else {
                    simulate_named(&scenario, name, &[], self.seeds)?
                });
            }
            let cell = Cell {
                cell,
                scenario,
                results,
            };
            progress(&cell);
            done.push(cell);
        }
        Ok(done)
    }
}

/// The highest fixed ratio (to 0.01) whose every seed keeps the FTC abandon rate within
/// the scenario's target, by bisection between 1 and 4; ratio 1.0 when even that does
/// not.
///
/// A level is tried a core's worth of seeds at a time, and given up at the first seed
/// over the target, which is tried first at the next level: about half the levels of
/// a bisection fail, most of them on one seed.
///
/// # Errors
/// A scenario that cannot be simulated.
pub fn best_ratio(scenario: &Scenario, seeds: u32) -> anyhow::Result<Summary> {
    scenario.check().map_err(anyhow::Error::msg)?;
    let mut order: Vec<u64> = (1..=u64::from(seeds)).collect();
    if let Some(top) = trial(scenario, 4.0, &mut order)? {
        return Ok(top);
    }
    let (mut low, mut high) = (1.0_f64, 4.0_f64);
    let mut best = None;
    while high - low > 0.01 {
        let mid = ((low + high) / 2.0 * 100.0).round() / 100.0;
        if mid <= low || mid >= high {
            break;
        }
        match trial(scenario, mid, &mut order)? {
            Some(summary) => {
                low = mid;
                best = Some(summary);
            }
            None => high = mid,
        }
    }
    match best {
        Some(best) => Ok(best),
        None => simulate(scenario, &mut Builtin::Ratio(1.0), seeds),
    }
}

/// The ratio `level` on the seeds in `order`: every seed's figures when all stay
/// within the target, else `None`, the first seed over it moved to the front.
fn trial(scenario: &Scenario, level: f64, order: &mut Vec<u64>) -> anyhow::Result<Option<Summary>> {
    let name = Builtin::Ratio(level).name();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut per_seed = Vec::with_capacity(order.len());
    for chunk in order.clone().chunks(cores) {
        let (_, done) = run_seeds(scenario, &name, &[], chunk)?;
        if let Some(&(over, _)) = done
            .iter()
            .find(|(_, m)| m.abandon_ftc > scenario.target_abandon)
        {
            order.retain(|&seed| seed != over);
            order.insert(0, over);
            return Ok(None);
        }
        per_seed.extend(done);
    }
    per_seed.sort_by_key(|(seed, _)| *seed);
    Ok(Some(Summary::of(
        name,
        per_seed.into_iter().map(|(_, m)| m).collect(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_multiply_into_cells_over_the_base() {
        let file = GridFile::parse(
            "seeds = 2\npacers = [\"progressive\"]\n[base]\nhours = 0.5\n\
             [grid]\nagents = [5, 10]\nanswer_rate = [0.15, 0.3, 0.6]\n",
        )
        .unwrap();
        let cells = file.cells().unwrap();
        assert_eq!(cells.len(), 6);
        assert_eq!(cells[0].1.agents, 5);
        assert_eq!(cells[5].1.agents, 10);
        assert_eq!(cells[5].1.answer_rate, 0.6);
        assert!(cells.iter().all(|(_, s)| s.hours == 0.5));
        let done = file.run(|_| {}).unwrap();
        assert_eq!(done[0].results[0].seeds, 2);
        let bad = GridFile::parse("pacers = []\n[grid]\nagentz = [1]\n").unwrap();
        assert!(bad.cells().unwrap_err().to_string().contains("agentz"));
    }

    #[test]
    fn the_best_ratio_stays_within_the_target_and_the_next_does_not() {
        let scenario = Scenario {
            agents: 20,
            hours: 1.0,
            ..Scenario::default()
        };
        let best = best_ratio(&scenario, 3).unwrap();
        assert!(best.within(0.03), "{best:?}");
        let level: f64 = best.pacer.trim_start_matches("ratio:").parse().unwrap();
        assert!(level > 1.0, "{level}");
        let over = simulate(&scenario, &mut Builtin::Ratio(level + 0.3), 3).unwrap();
        assert!(!over.within(0.03) || level + 0.3 > 4.0, "{over:?}");
    }
}
