//! `ringhost plugin check` and `pace` on packages built from source, good and bad,
//! the C example among them.

use std::path::{Path, PathBuf};

use crate::guests::{build, build_c, package, repository};
use crate::support::{Host, http_get, run, write_config};

#[test]
fn check_prints_a_good_package_and_refuses_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = build("plugins");
    let good = package(
        dir.path(),
        "progressive",
        "pacer",
        &wasm.join("progressive.wasm"),
        &[("ratio", "0")],
    );
    let (code, stdout, stderr) = run(dir.path(), &["plugin", "check", good.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    for line in [
        "name: progressive",
        "kind: pacer",
        "wit: ringhost:plugin@0.1.1",
        "config: ratio = \"0\"",
        "world pacer: ok",
    ] {
        assert!(stdout.contains(line), "{line:?} missing from:\n{stdout}");
    }

    // The predictive pacer is found to look ahead.
    let predictive = package(
        dir.path(),
        "predictive",
        "pacer",
        &wasm.join("predictive.wasm"),
        &[],
    );
    let (code, stdout, stderr) = run(
        dir.path(),
        &["plugin", "check", predictive.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("world look-ahead-pacer: ok"), "{stdout}");

    // A pacer's component claiming to be a mapper lacks the mapper's export.
    let liar = package(
        dir.path(),
        "liar",
        "disposition-mapper",
        &wasm.join("progressive.wasm"),
        &[],
    );
    let (code, _, stderr) = run(dir.path(), &["plugin", "check", liar.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("liar@1.0.0") && stderr.contains("dispositions"),
        "{stderr}"
    );

    // A truncated component, and a manifest with a typo.
    let truncated = package(
        dir.path(),
        "truncated",
        "pacer",
        &wasm.join("progressive.wasm"),
        &[],
    );
    let bytes = std::fs::read(truncated.join("truncated.wasm")).unwrap();
    std::fs::write(truncated.join("truncated.wasm"), &bytes[..bytes.len() / 3]).unwrap();
    let (code, _, stderr) = run(
        dir.path(),
        &["plugin", "check", truncated.to_str().unwrap()],
    );
    assert_eq!(code, 1, "{stderr}");
    std::fs::write(
        good.join("plugin.toml"),
        "name = \"progressive\"\nversion = \"1\"\nkind = \"pacer\"\nwit = \"0.1.0\"\nkinds = 2\n",
    )
    .unwrap();
    let (code, _, stderr) = run(dir.path(), &["plugin", "check", good.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("unknown field") && stderr.contains("kinds"),
        "{stderr}"
    );
}

#[test]
fn pace_prints_what_a_pacer_asks_for_a_snapshot_file() {
    let dir = tempfile::tempdir().unwrap();
    let power = package(
        dir.path(),
        "power",
        "pacer",
        &build("plugins").join("power.wasm"),
        &[],
    );
    let power = power.to_str().unwrap();
    let (code, stdout, stderr) = pace(dir.path(), power, &example_snapshot(), &[]);
    assert_eq!((code, stdout.as_str()), (0, "8\n"), "{stderr}");

    let snapshot = dir.path().join("two-agents.json");
    std::fs::write(
        &snapshot,
        r#"{"agents-ready": 2, "parameters": {"multiplier": 3.0}}"#,
    )
    .unwrap();
    let (code, stdout, stderr) = pace(dir.path(), power, &snapshot, &["--json"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.trim(), r#"{"plugin":"power@1.0.0","calls":6}"#);

    // A misspelt field is refused, never read as zero agents.
    std::fs::write(&snapshot, r#"{"agent-ready": 2}"#).unwrap();
    let (code, _, stderr) = pace(dir.path(), power, &snapshot, &[]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("two-agents.json") && stderr.contains("unknown field `agent-ready`"),
        "{stderr}"
    );
}

/// examples/c-pacer built from source as its build.sh says, checked, and asked with
/// the example snapshot: it answers as the power pacer it copies.
#[test]
fn the_c_pacer_example_builds_checks_and_paces() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("c-power");
    let Some(folder) = build_c("c-pacer", &folder) else {
        return;
    };
    std::fs::copy(
        repository().join("examples/c-pacer/plugin.toml"),
        folder.join("plugin.toml"),
    )
    .unwrap();
    let folder = folder.to_str().unwrap();
    let (code, stdout, stderr) = run(dir.path(), &["plugin", "check", folder]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("world pacer: ok"), "{stdout}");
    let (code, stdout, stderr) = pace(dir.path(), folder, &example_snapshot(), &[]);
    assert_eq!((code, stdout.as_str()), (0, "8\n"), "{stderr}");
}

fn example_snapshot() -> PathBuf {
    repository().join("examples/pacer-snapshot.json")
}

/// `ringhost plugin pace PACKAGE --snapshot FILE`, with `more` arguments.
fn pace(dir: &Path, package: &str, snapshot: &Path, more: &[&str]) -> (i32, String, String) {
    let mut args = vec!["plugin", "pace", package, "--snapshot"];
    args.push(snapshot.to_str().unwrap());
    args.extend_from_slice(more);
    run(dir, &args)
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let started = std::time::Instant::now();
    while !done() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn serve_loads_the_plugins_folder_and_reloads_what_changes() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    let wasm = build("plugins").join("progressive.wasm");
    let folder = package(&plugins, "progressive", "pacer", &wasm, &[]);
    let (config, http) = write_config(
        dir.path(),
        &format!("[plugins]\ndir = \"{}\"\n", plugins.display()),
    );
    let mut host = Host::start(
        dir.path(),
        &["serve", "--config", config.to_str().unwrap()],
        http,
        &[],
    );
    host.wait_healthy();
    wait_until("the plugin to load", || {
        host.logs().contains("plugin loaded")
    });
    assert!(host.logs().contains("progressive@1.0.0"), "{}", host.logs());
    let (_, metrics) = http_get(host.http, "/metrics").unwrap();
    assert!(
        metrics.contains("ringhost_plugin_reloads_total{result=\"loaded\"} 1"),
        "{metrics}"
    );

    // A broken new version is refused, in the log and the metrics.
    let bytes = std::fs::read(&wasm).unwrap();
    std::fs::write(folder.join("progressive.wasm"), &bytes[..bytes.len() / 2]).unwrap();
    wait_until("the refusal", || {
        host.logs().contains("plugin package refused")
    });
    let (_, metrics) = http_get(host.http, "/metrics").unwrap();
    assert!(
        metrics.contains("ringhost_plugin_reloads_total{result=\"refused\"}"),
        "{metrics}"
    );
    // The compile cache lives in the data directory.
    assert!(
        dir.path()
            .join("ringhost-data/plugin-cache")
            .read_dir()
            .unwrap()
            .count()
            >= 1
    );
    assert!(host.stop("TERM").success());
}
