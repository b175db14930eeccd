//! `ringhost plugin`: plugin packages from the command line.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Subcommand;

use ringhost_plugins::pacer;
use ringhost_plugins::{Kind, Limits, Package, Plugin, PluginEngine};

#[derive(Debug, Subcommand)]
pub(crate) enum PluginCommand {
    /// Check a plugin package (a folder with plugin.toml and its component): the
    /// manifest, the world it claims, the exports it must have. Prints what it found;
    /// exits 1 on a bad package.
    Check {
        /// The package: a folder, or a `.tar.gz` of one.
        path: PathBuf,
    },
    /// Ask a pacer package once how many calls to start, with a snapshot of agents,
    /// calls and parameters read from a JSON file (no phones, no database). Prints the
    /// number; exits 1 on a bad package, a bad file or a failing call.
    Pace {
        /// The pacer package: a folder, or a `.tar.gz` of one.
        package: PathBuf,
        /// The snapshot: the pacer world's `snapshot` record as JSON, WIT names
        /// (`agents-ready`, `parameters.ratio-percent`); fields left out take a
        /// default campaign's values.
        #[arg(long, value_name = "FILE.json")]
        snapshot: PathBuf,
        /// Print `{"plugin": "NAME@VERSION", "calls": N}` instead of the number.
        #[arg(long)]
        json: bool,
    },
    /// Write the skeleton of a new plugin, ready to build: its manifest, the WIT it is
    /// written against, the source of one of each world's functions, and `build.sh`.
    New {
        /// The plugin's name (lowercase letters, digits and '-'), also its folder's.
        name: String,
        /// What the plugin is.
        #[arg(long, value_enum)]
        kind: KindArg,
        /// The language to write it in.
        #[arg(long, value_enum, default_value_t = crate::scaffold::Lang::Rust)]
        lang: crate::scaffold::Lang,
        /// The folder to create the skeleton in.
        #[arg(long, default_value = ".", value_name = "DIR")]
        dir: PathBuf,
    },
}

/// The plugin kinds, as the command line names them (the worlds' names).
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum KindArg {
    /// How many calls a campaign starts now.
    Pacer,
    /// What an attempt's result means for the contact.
    DispositionMapper,
    /// The script of an answered call.
    Ivr,
    /// Lookups, results and contacts from a CRM.
    CrmConnector,
}

impl From<KindArg> for Kind {
    fn from(kind: KindArg) -> Self {
        match kind {
            KindArg::Pacer => Self::Pacer,
            KindArg::DispositionMapper => Self::DispositionMapper,
            KindArg::Ivr => Self::Ivr,
            KindArg::CrmConnector => Self::CrmConnector,
        }
    }
}

/// Asks a pacer package once with the snapshot in `file`; the line to print.
pub(crate) fn pace(package: &Path, file: &Path, json: bool) -> anyhow::Result<String> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let snapshot = pacer::read_snapshot(&text).with_context(|| file.display().to_string())?;
    let answer = pacer::ask(package, &snapshot).with_context(|| package.display().to_string())?;
    Ok(if json {
        serde_json::to_string(&answer)?
    } else {
        answer.calls.to_string()
    })
}

/// Reads, compiles and instantiates a package as the host would; what it found.
pub(crate) fn check(path: &Path) -> anyhow::Result<String> {
    let package = Package::read(path)?;
    let manifest = &package.manifest;
    let mut report = String::new();
    writeln!(report, "name: {}", manifest.name)?;
    writeln!(report, "version: {}", manifest.version)?;
    writeln!(report, "kind: {}", manifest.kind.world())?;
    writeln!(report, "wit: ringhost:plugin@{}", manifest.wit)?;
    writeln!(
        report,
        "component: {} ({} bytes)",
        manifest.component_file(),
        package.component.len()
    )?;
    if !manifest.capabilities.allowed_hosts.is_empty() {
        writeln!(
            report,
            "allowed hosts: {}",
            manifest.capabilities.allowed_hosts.join(", ")
        )?;
    }
    for (key, value) in &manifest.config {
        writeln!(report, "config: {key} = {value:?}")?;
    }
    let engine = PluginEngine::new(None, Limits::default())?;
    let world = match Plugin::load(&engine, &package, Default::default())? {
        Plugin::Pacer(pacer) if pacer.looks_ahead() => "look-ahead-pacer",
        _ => manifest.kind.world(),
    };
    writeln!(
        report,
        "world {world}: ok (compiled, imports satisfied, exports present, started)"
    )?;
    Ok(report)
}
