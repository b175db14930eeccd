//! Reports (`GET /api/v1/reports/{name}`): a report's table as JSON, CSV or a
//! spreadsheet, read once by `ringhost-reports` so that every format, and the panel's
//! page, say the same.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use ringhost_reports::export::{self, Format};
use ringhost_reports::{Filter, Report};
use serde::Deserialize;

use super::{ApiError, Path, Query};
use crate::AppState;

/// What a report covers and how it is written.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ReportQuery {
    /// Campaigns by name, comma-separated; every campaign when absent.
    campaigns: Option<String>,
    /// Only campaigns billed to this accountcode.
    accountcode: Option<String>,
    /// One run of the campaign.
    run: Option<i64>,
    /// Attempts started at or after (ms since the epoch).
    from_ms: Option<i64>,
    /// Attempts started before (ms since the epoch).
    until_ms: Option<i64>,
    /// `json` (the default), `csv` or `xlsx`.
    format: Option<String>,
}

impl ReportQuery {
    /// The report's filter.
    fn filter(&self) -> Filter {
        Filter {
            campaigns: self
                .campaigns
                .as_deref()
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect(),
            accountcode: self.accountcode.clone(),
            run: self.run,
            from_ms: self.from_ms,
            until_ms: self.until_ms,
        }
    }
}

/// A report: `campaign-stats` (records by final status, by number of attempts and by
/// tag, each with its share). As JSON, or downloaded as CSV or XLSX.
#[utoipa::path(
    get,
    path = "/api/v1/reports/{name}",
    operation_id = "getReport",
    tag = "reports",
    params(("name" = String, Path, description = "The report: campaign-stats"), ReportQuery),
    responses(
        (status = 200, description = "The report: JSON (report, columns, rows), CSV or XLSX"),
        (status = 400, description = "No such format", body = super::error::ErrorBody),
        (status = 404, description = "No such report", body = super::error::ErrorBody),
    )
)]
pub(crate) async fn get_report(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let report =
        Report::parse(&name).ok_or_else(|| ApiError::not_found(format!("report {name:?}")))?;
    let format = match query.format.as_deref() {
        None => Format::Json,
        Some(name) => Format::parse(name).ok_or_else(|| {
            ApiError::invalid(format!("{name:?} is not a format: json, csv or xlsx"))
        })?,
    };
    let table = report.read(&state.store, &query.filter()).await?;
    let file = export::download(&table, format, |(_, en)| en)?;
    Ok((
        [
            (header::CONTENT_TYPE, file.content_type.to_owned()),
            (header::CONTENT_DISPOSITION, file.disposition),
        ],
        file.bytes,
    )
        .into_response())
}
