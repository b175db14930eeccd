//! What a plugin call costs inside the host, next to the same logic built in.
//!
//!     cargo run --release -p ringhost-plugins --example call_cost
//!
//! Builds the first-party plugins from source (wasm32-wasip2), then for the
//! `progressive` pacer and the `default` disposition mapper (and the `notify-confirm`
//! IVR's session start and events): the time per call through
//! the plugin (the kept instance, under its epoch deadline) and per call of the
//! built-in function (the reference, measured side by side), each the median of 5 runs
//! of 100,000 calls; and the time to load a package: compiled from scratch, and again
//! from the on-disk cache; and, through a watched plugins folder, the time from a
//! file written to the new version serving, with the component unchanged (cached) and
//! changed (compiled). The Python and JavaScript examples are built too when their
//! tools are installed (tests/run.sh installs them). docs/benchmarks.md keeps the
//! figures.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use ringhost_plugins::disposition::wit::Outcome;
use ringhost_plugins::disposition::{self, AttemptResult, MapperPlugin, RetryPolicy};
use ringhost_plugins::ivr::{Event, IvrPlugin};
use ringhost_plugins::pacer::{self, AgentBasis, PacerPlugin, Parameters, Snapshot};
use ringhost_plugins::{Limits, Package, PluginEngine, PluginRegistry};

#[path = "../../../tests/support/guests.rs"]
mod guests;

const CALLS: u32 = 100_000;
const RUNS: usize = 5;

fn main() -> anyhow::Result<()> {
    let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| repository.join("target"), PathBuf::from)
        .join("guests");
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args([
            "build",
            "--quiet",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--manifest-path",
        ])
        .arg(repository.join("plugins/Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        .status()?;
    anyhow::ensure!(status.success(), "building the plugins failed");
    let wasm = target.join("wasm32-wasip2/release");
    let dir = tempfile::tempdir()?;
    let progressive = package(
        dir.path(),
        "progressive",
        "pacer",
        &wasm.join("progressive.wasm"),
    )?;
    let default = package(
        dir.path(),
        "default",
        "disposition-mapper",
        &wasm.join("default_mapper.wasm"),
    )?;

    let cache = dir.path().join("cache");
    let engine = PluginEngine::new(Some(cache), Limits::default())?;
    let started = Instant::now();
    let pacer_plugin = PacerPlugin::load(&engine, &progressive, Default::default())?;
    let cold = started.elapsed();
    let started = Instant::now();
    let reloaded = PacerPlugin::load(&engine, &progressive, Default::default())?;
    let cached = started.elapsed();
    assert!(reloaded.from_cache());
    let mapper_plugin = MapperPlugin::load(&engine, &default, Default::default())?;

    let snapshot = Snapshot {
        campaign: "bench".into(),
        agents_ready: 12,
        agents_present: 20,
        agents_busy: 8,
        calls_dialing: 2,
        calls_ringing: 3,
        calls_queued: 0,
        answer_rate: 0.35,
        abandon_rate: 0.02,
        mean_handle_ms: 150_000,
        channel_headroom: 40,
        parameters: Parameters {
            ratio_percent: 0,
            ratio_on: AgentBasis::Ready,
            multiplier: 1.0,
            only_when_agents_free: false,
            target_abandon_rate: 0.03,
            max_calls: 0,
            extra: Vec::new(),
        },
    };
    let attempt = AttemptResult {
        outcome: Outcome::Busy,
        sip_code: Some(486),
        q850_cause: Some(17),
        ring_ms: 3000,
        talk_ms: 0,
        hangup_by: None,
        ivr_result: None,
        queue_result: None,
        confirmed: false,
        tags: vec!["bench".into()],
        attempt: 1,
        policy: RetryPolicy {
            max_attempts: 3,
            wait_busy_s: 300,
            wait_no_answer_s: 1800,
            wait_congestion_s: 60,
            wait_other_s: 600,
        },
    };
    println!("| what | per call, plugin (Rust guest) | per call, built in | ratio |");
    println!("|---|---:|---:|---:|");
    let plugin = median(|| {
        black_box(pacer_plugin.pace(black_box(&snapshot)).ok());
    });
    let native = median(|| {
        black_box(pacer::progressive(black_box(&snapshot)));
    });
    row("pacer `progressive`", plugin, native);
    let plugin = median(|| {
        black_box(mapper_plugin.dispose(black_box(&attempt)).ok());
    });
    let native = median(|| {
        black_box(disposition::ads(black_box(&attempt)));
    });
    row("mapper `default`", plugin, native);
    let ivr_wasm = wasm.join("notify_confirm.wasm");
    let ivr = std::sync::Arc::new(IvrPlugin::load(
        &engine,
        &package(dir.path(), "notify-confirm", "ivr", &ivr_wasm)?,
        Default::default(),
    )?);
    let variables = vec![("message".to_owned(), "recall-notice".to_owned())];
    let start = median_of(1_000, || {
        black_box(ivr.start(black_box(&variables)).ok());
    });
    let mut session = ivr.start(&variables).map_err(|e| anyhow::anyhow!("{e}"))?;
    let event = median(|| {
        black_box(session.on_event(black_box(&Event::PlaybackDone)).ok());
    });
    println!(
        "| IVR `notify-confirm` (Rust): a session started (an instance of its own) | {:.1} µs | | |",
        start.as_secs_f64() * 1e6
    );
    println!(
        "| IVR `notify-confirm` (Rust): one event | {:.0} ns | | |",
        event.as_nanos() as f64
    );
    let native = median(|| {
        black_box(pacer::progressive(black_box(&snapshot)));
    });
    let others = [
        (
            "pacer `ratio-py` (Python)",
            guests::build_python("python-pacer", "pacer"),
        ),
        (
            "pacer `multiplier-js` (JavaScript)",
            guests::build_js("js-pacer", "pacer"),
        ),
    ];
    // Mappers in Python and JavaScript: the skeletons `ringhost plugin new` writes.
    let mapper_native = median(|| {
        black_box(disposition::ads(black_box(&attempt)));
    });
    let templates = guests::repository().join("host/ringhost/templates");
    for (what, lang, file) in [
        ("mapper skeleton (Python)", "python", "app.py"),
        ("mapper skeleton (JavaScript)", "js", "app.js"),
    ] {
        let folder = dir.path().join(format!("mapper-{lang}"));
        std::fs::create_dir_all(&folder)?;
        let ext = file.rsplit('.').next().unwrap_or_default();
        std::fs::copy(
            templates
                .join(lang)
                .join(format!("disposition-mapper.{ext}")),
            folder.join(file),
        )?;
        let name = format!("mapper-{lang}");
        let built = if lang == "python" {
            guests::build_python_in(&folder, &name, "disposition-mapper")
        } else {
            guests::build_js_in(&folder, &name, "disposition-mapper")
        };
        let Some(wasm) = built else { continue };
        let guest = MapperPlugin::load(
            &engine,
            &package(dir.path(), &name, "disposition-mapper", &wasm)?,
            Default::default(),
        )?;
        let plugin = median(|| {
            black_box(guest.dispose(black_box(&attempt)).ok());
        });
        row(what, plugin, mapper_native);
    }
    for (what, wasm) in others {
        let Some(wasm) = wasm else { continue };
        let name = what.split('`').nth(1).unwrap_or("guest");
        let started = Instant::now();
        let guest = PacerPlugin::load(
            &engine,
            &package(dir.path(), name, "pacer", &wasm)?,
            Default::default(),
        )?;
        let compiled = started.elapsed();
        let started = Instant::now();
        PacerPlugin::load(
            &engine,
            &package(dir.path(), name, "pacer", &wasm)?,
            Default::default(),
        )?;
        let cached = started.elapsed();
        let plugin = median(|| {
            black_box(guest.pace(black_box(&snapshot)).ok());
        });
        row(what, plugin, native);
        println!(
            "|   its load: compiled {:.0} ms, from the cache {:.1} ms | | | |",
            compiled.as_secs_f64() * 1e3,
            cached.as_secs_f64() * 1e3
        );
    }
    println!();
    println!("| load of `progressive` | time |");
    println!("|---|---:|");
    println!(
        "| compiled from scratch | {:.1} ms |",
        cold.as_secs_f64() * 1e3
    );
    println!(
        "| from the compile cache | {:.2} ms |",
        cached.as_secs_f64() * 1e3
    );
    reloads(&wasm.join("progressive.wasm"), dir.path())?;
    Ok(())
}

/// From a file written in a watched plugins folder to the new version serving: the
/// median of 9 reloads each, the manifest rewritten with the component unchanged (a
/// cache hit), and the component changed (a custom section added: compiled again).
fn reloads(wasm: &Path, dir: &Path) -> anyhow::Result<()> {
    let plugins = dir.join("watched");
    let folder = plugins.join("progressive");
    std::fs::create_dir_all(&folder)?;
    let component = std::fs::read(wasm)?;
    std::fs::write(folder.join("progressive.wasm"), &component)?;
    write_manifest(&folder, 0)?;
    let engine = PluginEngine::new(Some(dir.join("watched-cache")), Limits::default())?;
    let registry = PluginRegistry::open(engine, &plugins)?;
    let mut cached = Vec::new();
    let mut compiled = Vec::new();
    for version in 1..=18u32 {
        let started = Instant::now();
        if version % 2 == 0 {
            // A custom section (id 0): a new component as far as the cache can tell.
            let mut changed = component.clone();
            let name = format!("bench-{version}");
            changed.extend([0, name.len() as u8 + 1, name.len() as u8]);
            changed.extend(name.as_bytes());
            let temporary = folder.join("progressive.wasm.tmp");
            std::fs::write(&temporary, &changed)?;
            std::fs::rename(&temporary, folder.join("progressive.wasm"))?;
        }
        write_manifest(&folder, version)?;
        let label = format!("progressive@{version}.0.0");
        while registry
            .pacer("progressive")
            .is_none_or(|p| p.label() != label)
        {
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(10),
                "version {version} never served"
            );
            std::thread::sleep(Duration::from_micros(200));
        }
        let took = started.elapsed();
        if version % 2 == 0 {
            compiled.push(took);
        } else {
            cached.push(took);
        }
    }
    cached.sort();
    compiled.sort();
    println!();
    println!("| file written to the new version serving (median of 9) | time |");
    println!("|---|---:|");
    println!(
        "| manifest changed, component cached | {:.1} ms |",
        cached[4].as_secs_f64() * 1e3
    );
    println!(
        "| component changed, compiled | {:.1} ms |",
        compiled[4].as_secs_f64() * 1e3
    );
    Ok(())
}

fn write_manifest(folder: &Path, version: u32) -> anyhow::Result<()> {
    let temporary = folder.join("plugin.toml.tmp");
    std::fs::write(
        &temporary,
        format!(
            "name = \"progressive\"\nversion = \"{version}.0.0\"\nkind = \"pacer\"\nwit = \"0.1.0\"\n"
        ),
    )?;
    std::fs::rename(&temporary, folder.join("plugin.toml"))?;
    Ok(())
}

fn package(dir: &Path, name: &str, kind: &str, wasm: &Path) -> anyhow::Result<Package> {
    let folder = dir.join(name);
    std::fs::create_dir_all(&folder)?;
    std::fs::copy(wasm, folder.join(format!("{name}.wasm")))?;
    std::fs::write(
        folder.join("plugin.toml"),
        format!("name = \"{name}\"\nversion = \"1.0.0\"\nkind = \"{kind}\"\nwit = \"0.1.0\"\n"),
    )?;
    Ok(Package::read(&folder)?)
}

/// The median over `RUNS` runs of the time per call of `f`.
fn median(f: impl FnMut()) -> Duration {
    median_of(CALLS, f)
}

/// The median over `RUNS` runs of `calls` calls of the time per call of `f`.
fn median_of(calls: u32, mut f: impl FnMut()) -> Duration {
    let mut runs: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..calls {
                f();
            }
            started.elapsed() / calls
        })
        .collect();
    runs.sort();
    runs[RUNS / 2]
}

fn row(what: &str, plugin: Duration, native: Duration) {
    println!(
        "| {what} | {:.0} ns | {:.1} ns | {:.0}x |",
        plugin.as_nanos() as f64,
        native.as_nanos() as f64,
        plugin.as_nanos() as f64 / (native.as_nanos() as f64).max(0.1),
    );
}
