//! Logs through tracing, metrics through the `metrics` facade rendered by the
//! Prometheus exporter at `/metrics`.
//!
//! Logs go to standard error so that commands whose output is data (`ringhost dial`
//! prints one JSON line) keep standard output clean.

use std::io::IsTerminal as _;

use anyhow::Context as _;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use ringhost_config::{LogConfig, LogFormat};
use tracing_subscriber::EnvFilter;

/// Installs the global log subscriber. `RUST_LOG`, when set, wins over the file's filter.
pub(crate) fn init_logs(config: &LogConfig) -> anyhow::Result<()> {
    let (filter, source) = match std::env::var("RUST_LOG") {
        Ok(filter) if !filter.is_empty() => (filter, "RUST_LOG"),
        _ => (config.filter.clone(), "log.filter"),
    };
    let filter = EnvFilter::try_new(&filter)
        .with_context(|| format!("bad log filter in {source}: {filter:?}"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match config.format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
    Ok(())
}

/// Installs the global metrics recorder and describes the host-wide metrics.
pub(crate) fn init_metrics() -> anyhow::Result<PrometheusHandle> {
    let handle = PrometheusBuilder::new()
        .install_recorder()
        .context("cannot install the metrics recorder")?;
    metrics::describe_gauge!(
        "ringhost_build_info",
        "Always 1; the labels say which Ringhost is running."
    );
    metrics::describe_gauge!(
        "ringhost_draining",
        "1 once a shutdown signal arrived and no new calls start."
    );
    metrics::describe_gauge!(
        "ringhost_start_time_seconds",
        "When this process started, in seconds since the Unix epoch."
    );
    metrics::gauge!("ringhost_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    metrics::gauge!("ringhost_draining").set(0.0);
    Ok(handle)
}
