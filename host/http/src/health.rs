//! `/healthz`: 200 when the database answers, 503 when it does not. A host that cannot
//! write attempts must not be sent traffic, so the check is a real round trip.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use crate::AppState;

/// The body of `/healthz`.
#[derive(Debug, Serialize)]
pub(crate) struct Health {
    status: &'static str,
    database: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    schema_version: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// True once a shutdown signal arrived: no new calls start.
    draining: bool,
}

pub(crate) async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let database = match state.store.backend() {
        ringhost_store::Backend::Sqlite => "sqlite",
        ringhost_store::Backend::Postgres => "postgres",
    };
    let draining = state.draining.is_cancelled();
    let checked = async {
        state.store.ping().await?;
        state.store.schema_version().await
    };
    match checked.await {
        Ok(version) => (
            StatusCode::OK,
            Json(Health {
                status: "ok",
                database,
                schema_version: Some(version),
                error: None,
                draining,
            }),
        ),
        Err(error) => {
            tracing::warn!(%error, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "unavailable",
                    database,
                    schema_version: None,
                    error: Some(format!("{error:#}")),
                    draining,
                }),
            )
        }
    }
}
