//! HTTP-level tests: requests through the router, a real SQLite store behind it.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use metrics_exporter_prometheus::PrometheusBuilder;
use ringhost_call::Outcome;
use ringhost_call::{Agents, CallReport, CallRequest, Carrier, Placing, Progress};
use ringhost_dialer::clock::SystemClock;
use ringhost_dialer::ledger::{Ledger, Limits};
use ringhost_dialer::scheduler::SchedulerConfig;
use tokio::sync::mpsc;
use tower::ServiceExt as _;

use super::*;

/// A carrier for a dialer whose scheduler never runs: no pass is made in these tests,
/// so no call is ever placed and `place` is never called. Were it called, every call
/// would be busy.
struct NoCalls;

impl Carrier for NoCalls {
    fn place(
        &self,
        _call: CallRequest,
        _progress: mpsc::UnboundedSender<Progress>,
        _agents: Arc<dyn Agents>,
    ) -> Placing {
        Box::pin(async { CallReport::failed(Outcome::Busy) })
    }
}

/// The application's state over a new SQLite database in `dir`, with a real dialer.
pub(crate) async fn state(dir: &tempfile::TempDir) -> AppState {
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("h.db").display());
    let store = Store::open(&url).await.unwrap();
    let dialer = Dialer::new(
        store.clone(),
        Ledger::new(Limits::default()),
        Arc::new(NoCalls),
        None,
        Arc::new(SystemClock),
        SchedulerConfig::default(),
    );
    AppState {
        store,
        metrics: PrometheusBuilder::new().build_recorder().handle(),
        draining: CancellationToken::new(),
        dialer,
    }
}

async fn get(state: &AppState, path: &str) -> (StatusCode, String) {
    let response = app(state.clone())
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn healthz_is_ok_while_the_database_answers() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir).await;
    let (status, body) = get(&state, "/healthz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["status"], "ok");
    assert_eq!(json["database"], "sqlite");
    assert_eq!(json["draining"], false);
    assert!(json["schema_version"].as_i64().unwrap() >= 1);

    state.draining.cancel();
    let (_, body) = get(&state, "/healthz").await;
    assert!(body.contains(r#""draining":true"#), "{body}");
}

#[tokio::test]
async fn healthz_is_unavailable_when_the_database_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir).await;
    state.store.close().await;
    let (status, body) = get(&state, "/healthz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains(r#""status":"unavailable""#), "{body}");
}

#[tokio::test]
async fn unknown_path_is_404() {
    let dir = tempfile::tempdir().unwrap();
    let (status, _) = get(&state(&dir).await, "/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
