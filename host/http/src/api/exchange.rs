//! The exchange table through the API: what an external application that cannot write
//! into Ringhost's database posts instead, and TVox's "reset statistics".

use axum::extract::State;
use ringhost_store::exchange::ExchangeRow;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiError, Json, Query, page_limit};
use crate::AppState;

/// A row for the exchange table.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewExchangeRow {
    /// The application's own id; a row whose id exists is ignored.
    id: String,
    /// The number to call, international or in the list's region.
    phone_number: String,
    /// The campaign that calls it, by name.
    campaign: String,
    /// The list it joins, by name (created if missing, and attached to the campaign).
    list: String,
    /// Data for the agent's screen pop: a JSON object's fields become the contact's
    /// variables; any other text becomes the variable `data`.
    #[serde(default)]
    data: String,
}

/// A row of the exchange table and what became of it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ExchangeRowView {
    /// The application's id.
    id: String,
    /// The number as written.
    phone_number: String,
    /// The campaign.
    campaign: String,
    /// The list.
    list: String,
    /// The screen pop's data.
    data: String,
    /// When the dialer picked it up; absent while it waits.
    picked_at_ms: Option<i64>,
    /// The contact it became.
    contact_id: Option<i64>,
    /// Why it could not become one.
    error: Option<String>,
}

/// How many rows a request changed.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RowCount {
    /// Rows added, or reset.
    rows: u64,
}

/// A page of the table, by id.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ExchangePage {
    /// Only rows whose id sorts after this one.
    after: Option<String>,
    /// At most this many: 100 when absent, 1000 at most.
    limit: Option<i64>,
}

/// Adds rows to the exchange table; the dialer picks them up at its next pass.
#[utoipa::path(
    post,
    path = "/api/v1/exchange",
    operation_id = "addExchangeRows",
    tag = "exchange",
    request_body = [NewExchangeRow],
    responses((status = 201, description = "Rows added (existing ids ignored)", body = RowCount))
)]
pub(crate) async fn add_exchange_rows(
    State(state): State<AppState>,
    Json(rows): Json<Vec<NewExchangeRow>>,
) -> Result<(axum::http::StatusCode, Json<RowCount>), ApiError> {
    let rows: Vec<ExchangeRow> = rows
        .into_iter()
        .map(|r| ExchangeRow {
            id: r.id,
            phone_number: r.phone_number,
            campaign: r.campaign,
            list: r.list,
            data: r.data,
            picked_at_ms: None,
            contact_id: None,
            error: None,
        })
        .collect();
    let added = state.store.insert_exchange_rows(&rows).await?;
    state.dialer.wake();
    Ok((
        axum::http::StatusCode::CREATED,
        Json(RowCount { rows: added }),
    ))
}

/// A page of the exchange table, with what became of each row.
#[utoipa::path(
    get,
    path = "/api/v1/exchange",
    operation_id = "listExchangeRows",
    tag = "exchange",
    params(ExchangePage),
    responses((status = 200, description = "The rows", body = [ExchangeRowView]))
)]
pub(crate) async fn list_exchange_rows(
    State(state): State<AppState>,
    Query(page): Query<ExchangePage>,
) -> Result<Json<Vec<ExchangeRowView>>, ApiError> {
    let rows = state
        .store
        .exchange_rows(page.after.as_deref().unwrap_or(""), page_limit(page.limit))
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| ExchangeRowView {
                id: r.id,
                phone_number: r.phone_number,
                campaign: r.campaign,
                list: r.list,
                data: r.data,
                picked_at_ms: r.picked_at_ms,
                contact_id: r.contact_id,
                error: r.error,
            })
            .collect(),
    ))
}

/// "Reset statistics" (TVox): the contacts made from the table are removed (except
/// those being dialled) and every row is read again as new.
#[utoipa::path(
    post,
    path = "/api/v1/exchange/reset",
    operation_id = "resetStatistics",
    tag = "exchange",
    responses((status = 200, description = "Rows to be read again", body = RowCount))
)]
pub(crate) async fn reset_statistics(
    State(state): State<AppState>,
) -> Result<Json<RowCount>, ApiError> {
    Ok(Json(RowCount {
        rows: state.dialer.reset_exchange().await?,
    }))
}
