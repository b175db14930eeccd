//! Ringhost's HTTP surface on axum: `/healthz` for load balancers and supervisors,
//! `/metrics` for Prometheus, and the REST API under `/api/v1` (its OpenAPI document at
//! `/api/v1/openapi.json`, every other operation behind an API key).
//!
//! [`app`] builds the whole router from an [`AppState`], so tests drive it with
//! `tower::ServiceExt::oneshot` and no socket; the binary serves the same router.
//!
//! **Architecture invariant:** handlers hold no business logic; they translate HTTP to
//! calls on the store and the engine crates and back.

use axum::Router;
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;
use ringhost_dialer::scheduler::Dialer;
use ringhost_store::Store;
use tokio_util::sync::CancellationToken;

mod api;
mod health;
pub mod role;

/// Every operation's `operationId`, in the order the API document lists them: what an
/// API key may be allowed to call.
pub fn operation_ids() -> &'static [String] {
    api::operation_ids()
}

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// Renders the process's metrics in Prometheus' text format.
    pub metrics: PrometheusHandle,
    /// Cancelled when the host starts draining for shutdown.
    pub draining: CancellationToken,
    /// The dialer: what the API's changes go through, so that they are checked
    /// against campaigns' lifecycle and wake its scheduler.
    pub dialer: Dialer,
}

/// The complete HTTP application.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(metrics))
        .nest(api::PREFIX, api::router(&state))
        .with_state(state)
}

async fn metrics(axum::extract::State(state): axum::extract::State<AppState>) -> String {
    state.metrics.render()
}

#[cfg(test)]
mod tests;
