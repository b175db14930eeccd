//! Pacer packages in the simulator, built from source: run as the host runs them, on
//! the simulation's clock, started afresh each shift.

#[path = "../../../tests/support/guests.rs"]
mod guests;

use ringhost_simulate::pacers::{Builtin, PluginPacer, Predictive};
use ringhost_simulate::{Scenario, simulate};

fn scenario() -> Scenario {
    Scenario {
        agents: 20,
        hours: 1.0,
        ..Scenario::default()
    }
}

/// The first-party pacer package `name`, built from source and loaded as the host
/// loads it (with the folder it is in); `None` without the wasm32 target.
fn first_party(name: &str) -> Option<(tempfile::TempDir, PluginPacer)> {
    let out = guests::build_if_possible("plugins")?;
    let dir = tempfile::tempdir().unwrap();
    let wasm = out.join(format!("{name}.wasm"));
    let package = guests::package(dir.path(), name, "pacer", &wasm, &[]);
    let plugin = PluginPacer::load(&package, Vec::new()).unwrap();
    Some((dir, plugin))
}

/// The first-party progressive package decides as the built-in pacer does: the same
/// shifts, call for call.
#[test]
fn the_progressive_package_matches_the_built_in_pacer() {
    let Some((_dir, mut plugin)) = first_party("progressive") else {
        return;
    };
    let from_package = simulate(&scenario(), &mut plugin, 2).unwrap();
    let built_in = simulate(&scenario(), &mut Builtin::Progressive, 2).unwrap();
    assert_eq!(from_package.pacer, "progressive@1.0.0");
    assert_eq!(from_package.per_seed, built_in.per_seed);
}

/// The predictive package, asked through `look-ahead` with what the scheduler gives
/// it, paces as the native look-ahead pacer does: the same shifts, call for call (the
/// same code, compiled for wasm32; should the two maths libraries ever round a
/// logarithm apart, a decision could differ here first). The same seed gives the same
/// shift again, the package started afresh.
#[test]
fn the_predictive_package_paces_as_the_native_look_ahead_pacer() {
    let Some((_dir, mut plugin)) = first_party("predictive") else {
        return;
    };
    let first = simulate(&scenario(), &mut plugin, 2).unwrap();
    let again = simulate(&scenario(), &mut plugin, 2).unwrap();
    assert_eq!(
        first.per_seed, again.per_seed,
        "a shift depends on its seed alone"
    );
    let native = simulate(&scenario(), &mut Predictive::new(), 2).unwrap();
    assert_eq!(first.per_seed, native.per_seed);
}
