//! The pacers a shift can be run with, by the name `--pacer` gives them:
//!
//! - `progressive`: the host's built-in pacer (one call per ready agent);
//! - `predictive`: Ringhost's look-ahead pacer (`predictive`), the predictive plugin's
//!   own code run natively;
//! - `ratio:L`: VICIdial's RATIO, a fixed dial level;
//! - `vicidial-adapt-hard`, `-tapered`, `-average`: VICIdial's adaptive methods
//!   (`vicidial`), with their settings after a colon (`:intensity=20,diff=1,max=4`);
//! - a path: a pacer package, run exactly as the host runs it (`plugin`).
//!
//! The baselines are written in Rust from VICIdial's documented behaviour (VICIdial is
//! AGPL: no code of it is copied).

pub mod plugin;
pub mod predictive;
pub mod vicidial;

use std::path::Path;

use crate::engine::View;

pub use plugin::PluginPacer;
pub use predictive::Predictive;
pub use vicidial::{AdaptSettings, Adaptive, DropMode};

/// Something that decides how many calls to start, as the scheduler asks it.
pub trait Pacer {
    /// Its name in tables and JSON.
    fn name(&self) -> String;

    /// The campaign's `extra` pacing parameters it is given.
    fn extra(&self) -> Vec<(String, String)> {
        Vec::new()
    }

    /// Whether it reads [`View::ahead`], which costs a shift more to fill.
    fn looks_ahead(&self) -> bool {
        false
    }

    /// A new shift begins: forget what the last one taught.
    ///
    /// # Errors
    /// When it cannot start again (a plugin that cannot be instantiated).
    fn reset(&mut self) -> anyhow::Result<()> {
        Ok(())
    }

    /// How many calls to start now.
    fn pace(&mut self, view: &View<'_>) -> u32;
}

/// The pacers with no settings beyond their name.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Builtin {
    /// The host's built-in pacer: a call for each ready agent with none on its way.
    Progressive,
    /// VICIdial's RATIO: `round(L x (ready + talking agents))` calls in the system
    /// (ringing, waiting for an agent, talking).
    Ratio(f64),
}

impl Pacer for Builtin {
    fn name(&self) -> String {
        match self {
            Builtin::Progressive => "progressive".into(),
            Builtin::Ratio(level) => format!("ratio:{level}"),
        }
    }

    fn pace(&mut self, view: &View<'_>) -> u32 {
        match *self {
            Builtin::Progressive => ringhost_plugins::pacer::progressive(view.snapshot),
            Builtin::Ratio(level) => ratio_dials(level, view),
        }
    }
}

/// VICIdial's RATIO at dial level `level`: the calls to add to those in the system.
pub(crate) fn ratio_dials(level: f64, view: &View<'_>) -> u32 {
    let agents = f64::from(view.snapshot.agents_ready + view.agents_talking);
    let wanted = (level * agents).round() as i64;
    (wanted - i64::from(view.calls_in_system())).max(0) as u32
}

/// The pacer `name` names (see the module's list), with `extra` for a package.
///
/// # Errors
/// An unknown name, a bad setting, a package that does not load.
pub fn by_name(name: &str, extra: Vec<(String, String)>) -> anyhow::Result<Box<dyn Pacer>> {
    if name == "progressive" {
        return Ok(Box::new(Builtin::Progressive));
    }
    if name == "predictive" {
        return Ok(Box::new(Predictive::new()));
    }
    if let Some(level) = name.strip_prefix("ratio:") {
        let level: f64 = level
            .parse()
            .ok()
            .filter(|l: &f64| *l > 0.0 && l.is_finite())
            .ok_or_else(|| anyhow::anyhow!("ratio:{level}: the level is a positive number"))?;
        return Ok(Box::new(Builtin::Ratio(level)));
    }
    if let Some(rest) = name.strip_prefix("vicidial-adapt-") {
        let (mode, settings) = rest.split_once(':').unwrap_or((rest, ""));
        let mode = DropMode::parse(mode)
            .ok_or_else(|| anyhow::anyhow!("{name}: the mode is hard, tapered or average"))?;
        let settings =
            AdaptSettings::parse(settings).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        return Ok(Box::new(Adaptive::new(mode, settings)));
    }
    let path = Path::new(name);
    if path.exists() {
        return Ok(Box::new(PluginPacer::load(path, extra)?));
    }
    anyhow::bail!(
        "no pacer {name:?}: progressive, predictive, ratio:L, vicidial-adapt-hard|tapered|average, or a \
         pacer package's path"
    )
}
