//! Reports (`GET /api/v1/reports/{name}`): a report's tables as JSON, CSV or a
//! spreadsheet, read once by `ringhost-reports` so that every format, and the panel's
//! page, say the same. The file is streamed as it is written: a report of a million
//! lines starts arriving at once and never sits whole in memory.

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use ringhost_reports::export::{self, Format};
use ringhost_reports::locale::Language;
use ringhost_reports::{Filter, Locale, Report, Use};
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
    /// The IANA zone days are counted and times written in (`Europe/Rome`); UTC by
    /// default.
    zone: Option<String>,
    /// The labels' language: `en` (the default) or `it`.
    language: Option<String>,
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
/// tag), `detailed` (a line per contact: its record and last attempt), `attempts`
/// (every attempt, every field; a month of them is the monthly history), `agents`
/// (per agent per day) or `compliance` (abandon rates per day, 24 hours and 30 days;
/// the numbers held back). As JSON, or downloaded as CSV or XLSX.
#[utoipa::path(
    get,
    path = "/api/v1/reports/{name}",
    operation_id = "getReport",
    tag = "reports",
    params(
        ("name" = String, Path, description = "The report: campaign-stats, detailed, attempts, agents or compliance"),
        ReportQuery
    ),
    responses(
        (status = 200, description = "The report: JSON (report, tables: name, title, columns, rows), CSV (each table's header and rows) or XLSX (a sheet per table)"),
        (status = 400, description = "No such format, zone or language", body = super::error::ErrorBody),
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
    let zone = match query.zone.as_deref() {
        None => chrono_tz::UTC,
        Some(name) => name.parse().map_err(|_| {
            ApiError::invalid(format!(
                "{name:?} is not an IANA time zone (such as Europe/Rome)"
            ))
        })?,
    };
    let language = match query.language.as_deref() {
        None | Some("en") => Language::En,
        Some("it") => Language::It,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "{other:?} is not a language: en or it"
            )));
        }
    };
    let locale = Locale { zone, language };
    let now = state.dialer.now_ms();
    let output = report
        .read(&state.store, &query.filter(), &locale, now, Use::File)
        .await?;
    let chunks = export::stream(output, report.as_str(), format, locale);
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format.disposition(report.as_str()),
            ),
        ],
        Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(chunks)),
    )
        .into_response())
}
