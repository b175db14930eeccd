//! `ringhost simulate`: the pacing simulator from the command line (the crate
//! `ringhost-simulate` does the work; this reads the arguments and prints).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

use clap::Args;
use ringhost_simulate::grid::{Cell, GridFile};
use ringhost_simulate::{Estimate, Scenario, Summary, simulate_named};

/// What to simulate.
#[derive(Debug, Args)]
pub(crate) struct SimulateArgs {
    /// The pacer: `progressive`, `ratio:L`, `vicidial-adapt-hard`, `-tapered`,
    /// `-average` (settings after a colon: `:intensity=20,diff=1,max=4`), or a pacer
    /// package's path (a folder or `.tar.gz`).
    #[arg(long, value_name = "NAME|PATH", default_value = "progressive")]
    pacer: String,
    /// Agents on the shift.
    #[arg(long, value_name = "N")]
    agents: Option<u32>,
    /// Share of dials a person answers.
    #[arg(long, value_name = "P")]
    answer_rate: Option<f64>,
    /// Share of dials a machine answers.
    #[arg(long, value_name = "P")]
    machine_rate: Option<f64>,
    /// Mean talk time, seconds.
    #[arg(long, value_name = "S")]
    talk_mean: Option<f64>,
    /// Talk time's coefficient of variation.
    #[arg(long, value_name = "X")]
    talk_cv: Option<f64>,
    /// Wrap-up, seconds.
    #[arg(long, value_name = "S")]
    wrap: Option<f64>,
    /// The shift, hours.
    #[arg(long, value_name = "H")]
    hours: Option<f64>,
    /// Seeds (shifts) to run.
    #[arg(long, value_name = "K", default_value_t = 10)]
    seeds: u32,
    /// Seconds a person may wait for an agent before the call is abandoned.
    #[arg(long, value_name = "S")]
    grace: Option<f64>,
    /// A pacer package's campaign settings, `KEY=VALUE` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    settings: Vec<String>,
    /// Print one JSON object (a grid: one per line, per cell).
    #[arg(long)]
    json: bool,
    /// Run a grid of scenarios and pacers from a TOML file instead.
    #[arg(long, value_name = "FILE")]
    scenarios: Option<PathBuf>,
}

/// Runs the simulation the arguments ask for; what to print.
pub(crate) fn simulate_command(args: SimulateArgs) -> anyhow::Result<String> {
    if let Some(file) = &args.scenarios {
        let text = std::fs::read_to_string(file)
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        let grid =
            GridFile::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e:#}", file.display()))?;
        let json = args.json;
        let cells = grid.run(|cell| {
            // Each cell as it is done: a long grid shows its progress.
            let mut out = std::io::stdout().lock();
            let _ = if json {
                writeln!(out, "{}", serde_json::to_string(cell).unwrap_or_default())
            } else {
                write!(out, "{}", cell_text(cell))
            };
        })?;
        let done = format!("{} cells", cells.len());
        if json {
            // Standard output stays lines of JSON, for a script to read.
            eprintln!("{done}");
            return Ok(String::new());
        }
        return Ok(done);
    }
    let d = Scenario::default();
    let scenario = Scenario {
        agents: args.agents.unwrap_or(d.agents),
        answer_rate: args.answer_rate.unwrap_or(d.answer_rate),
        machine_rate: args.machine_rate.unwrap_or(d.machine_rate),
        talk_mean_s: args.talk_mean.unwrap_or(d.talk_mean_s),
        talk_cv: args.talk_cv.unwrap_or(d.talk_cv),
        wrap_s: args.wrap.unwrap_or(d.wrap_s),
        hours: args.hours.unwrap_or(d.hours),
        grace_s: args.grace.unwrap_or(d.grace_s),
        ..d
    };
    let extra = args
        .settings
        .iter()
        .map(|s| {
            s.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .ok_or_else(|| anyhow::anyhow!("--set {s:?}: KEY=VALUE"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let summary = simulate_named(&scenario, &args.pacer, &extra, args.seeds)?;
    if args.json {
        let mut value = serde_json::to_value(&summary)?;
        value["scenario"] = serde_json::to_value(&scenario)?;
        return Ok(value.to_string());
    }
    Ok(summary_text(&summary))
}

/// An estimate as `mean [low, high]`, in percent or as a number.
fn shown(e: &Estimate, percent: bool) -> String {
    if percent {
        format!(
            "{:.2}% [{:.2}, {:.2}]",
            e.mean * 100.0,
            e.low * 100.0,
            e.high * 100.0
        )
    } else {
        format!("{:.1} [{:.1}, {:.1}]", e.mean, e.low, e.high)
    }
}

fn summary_text(s: &Summary) -> String {
    let a = &s.abandon;
    let rows = [
        ("occupancy", shown(&s.occupancy, true)),
        ("utilisation", shown(&s.utilisation, true)),
        ("abandon (FTC)", shown(&a.ftc, true)),
        ("abandon (Ofcom, 24 h)", shown(&a.ofcom, true)),
        ("abandon (Garante, day)", shown(&a.garante, true)),
        ("worst 15 min", shown(&a.worst_15min, true)),
        ("worst hour", shown(&a.worst_1h, true)),
        ("idle p50, s", shown(&s.idle_p50_s, false)),
        ("idle p90, s", shown(&s.idle_p90_s, false)),
        ("idle p99, s", shown(&s.idle_p99_s, false)),
        (
            "connects / agent-hour",
            shown(&s.connects_per_agent_hour, false),
        ),
        ("dials / agent-hour", shown(&s.dials_per_agent_hour, false)),
    ];
    let mut text = format!(
        "{} over {} seeds (mean [95% interval]); FTC worst seed {:.2}%\n",
        s.pacer,
        s.seeds,
        a.ftc.max * 100.0
    );
    for (name, value) in rows {
        let _ = writeln!(text, "  {name:<24}{value}");
    }
    text.pop();
    text
}

fn cell_text(cell: &Cell) -> String {
    let what: Vec<String> = cell.cell.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut text = format!("{}\n", what.join(" "));
    for s in &cell.results {
        let _ = writeln!(
            text,
            "  {:<44} occupancy {:>6.2}%  abandon {:>5.2}% (worst seed {:>5.2}%)",
            s.pacer,
            s.occupancy.mean * 100.0,
            s.abandon.ftc.mean * 100.0,
            s.abandon.ftc.max * 100.0
        );
    }
    text
}
