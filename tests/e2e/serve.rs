//! `ringhost serve`: start, health, metrics, restart on the same data, signals.

use std::path::Path;

use crate::support::{Host, http_get, sqlite_rows, write_config};

fn host_starts(data_dir: &Path) -> Vec<(String, Option<String>)> {
    sqlite_rows(
        &data_dir.join("ringhost.db"),
        "SELECT CAST(id AS TEXT), CAST(stopped_at_ms AS TEXT) FROM host_start ORDER BY id",
    )
}

/// The README's run command on a fresh folder: the embedded defaults, HTTP on
/// 127.0.0.1:8080, SQLite created with its schema; a second start keeps the data.
#[test]
fn starts_on_embedded_defaults_and_keeps_data_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let http = "127.0.0.1:8080".parse().unwrap();
    let mut host = Host::start(dir.path(), &["serve"], http, &[]);
    let health = host.wait_healthy();
    let health: serde_json::Value = serde_json::from_str(&health).unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["database"], "sqlite");
    assert!(host.stop("TERM").success(), "{}", host.logs());

    let data = dir.path().join("ringhost-data");
    let tables = sqlite_rows(
        &data.join("ringhost.db"),
        "SELECT name, NULL FROM sqlite_master WHERE type = 'table' ORDER BY name",
    );
    let tables: Vec<_> = tables.into_iter().map(|(name, _)| name).collect();
    assert!(tables.contains(&"host_start".to_owned()), "{tables:?}");
    assert!(
        tables.contains(&"_sqlx_migrations".to_owned()),
        "{tables:?}"
    );
    let mode = sqlite_rows(
        &data.join("ringhost.db"),
        "SELECT journal_mode, NULL FROM pragma_journal_mode",
    );
    assert_eq!(mode[0].0, "wal");

    let mut host = Host::start(dir.path(), &["serve"], http, &[]);
    host.wait_healthy();
    assert!(host.stop("INT").success(), "{}", host.logs());
    let starts = host_starts(&data);
    assert_eq!(starts.len(), 2, "{starts:?}");
    assert!(
        starts.iter().all(|(_, stopped)| stopped.is_some()),
        "{starts:?}"
    );
    assert!(
        !host.logs().contains("did not stop cleanly"),
        "{}",
        host.logs()
    );
}

#[test]
fn a_killed_host_is_reported_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let (config, http) = write_config(dir.path(), "");
    let config = config.to_str().unwrap();
    let mut host = Host::start(dir.path(), &["serve", "--config", config], http, &[]);
    host.wait_healthy();
    host.stop("KILL");

    let mut host = Host::start(dir.path(), &["serve", "--config", config], http, &[]);
    host.wait_healthy();
    assert!(host.stop("TERM").success());
    assert!(
        host.logs().contains("did not stop cleanly"),
        "{}",
        host.logs()
    );
    let starts = host_starts(&dir.path().join("ringhost-data"));
    assert_eq!(starts.len(), 2);
    assert_eq!(starts[0].1, None, "the killed run has no stop time");
    assert!(starts[1].1.is_some());
}

#[test]
fn metrics_are_in_prometheus_text_format() {
    let dir = tempfile::tempdir().unwrap();
    let (config, http) = write_config(dir.path(), "");
    let mut host = Host::start(
        dir.path(),
        &["serve", "--config", config.to_str().unwrap()],
        http,
        &[],
    );
    host.wait_healthy();
    let (status, body) = http_get(host.http, "/metrics").unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("# TYPE ringhost_build_info gauge"), "{body}");
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        body.contains(&format!("ringhost_build_info{{version=\"{version}\"}} 1")),
        "{body}"
    );
    assert!(body.contains("ringhost_draining 0"), "{body}");
    host.stop("TERM");
}

#[test]
fn json_logs_and_env_database_url() {
    let dir = tempfile::tempdir().unwrap();
    let (config, http) = write_config(dir.path(), "[log]\nformat = \"json\"\n");
    let db = dir.path().join("elsewhere.db");
    let url = format!("sqlite://{}?mode=rwc", db.display());
    let mut host = Host::start(
        dir.path(),
        &["serve", "--config", config.to_str().unwrap()],
        http,
        &[("RINGHOST_DATABASE_URL", &url)],
    );
    host.wait_healthy();
    assert!(host.stop("TERM").success());
    assert!(db.exists(), "RINGHOST_DATABASE_URL was not used");
    let logs = host.logs();
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert!(
        lines.iter().any(|l| l["message"] == "stopped cleanly"),
        "{logs}"
    );
}

#[test]
fn a_busy_http_port_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap();
    let path = dir.path().join("ringhost.toml");
    std::fs::write(
        &path,
        format!("[http]\nlisten = \"{addr}\"\n[sip]\nudp = [\"127.0.0.1:0\"]\ntcp = []\n"),
    )
    .unwrap();
    let (code, _, stderr) =
        crate::support::run(dir.path(), &["serve", "--config", path.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&format!("cannot listen for HTTP on {addr}")),
        "{stderr}"
    );
}
