//! Reports (`/reports/{name}`, for those who may call `getReport`): a report's filter,
//! its table and its charts (Apache ECharts, vendored, drawn as SVG), and its
//! downloads as CSV, XLSX and JSON. The page and the downloads are written from the
//! same `ringhost_reports::Table`, read once per request, so they agree.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use ringhost_reports::export::{self, Format};
use ringhost_reports::{Cell, Filter, Report, Table};
use serde::Deserialize;

use super::{Frame, failed, render};
use crate::WebState;
use crate::campaign_form::read_moment;
use crate::session::Signed;

/// The vendored ECharts, as the page names it.
const ECHARTS: &str = "/assets/echarts-5.6.0.min.js";

/// The filter as the page's form writes it: dates in the panel's zone.
#[derive(Debug, Default, Deserialize)]
pub struct FilterForm {
    /// Campaign names, comma-separated.
    #[serde(default)]
    campaigns: String,
    #[serde(default)]
    accountcode: String,
    /// `YYYY-MM-DD`, from the start of that day.
    #[serde(default)]
    from: String,
    /// `YYYY-MM-DD`, to the end of that day.
    #[serde(default)]
    until: String,
    #[serde(default)]
    format: String,
}

impl FilterForm {
    /// The report's filter, or which field cannot be read.
    fn filter(&self, zone: chrono_tz::Tz) -> Result<Filter, &'static str> {
        let day =
            |raw: &str, field: &'static str, next: bool| -> Result<Option<i64>, &'static str> {
                let raw = raw.trim();
                if raw.is_empty() {
                    return Ok(None);
                }
                let start = read_moment(&format!("{raw}T00:00"), zone).map_err(|_| field)?;
                // The end of a day is the next day's start (23 or 25 hours on a change
                // of the clocks: a day's length is the zone's business).
                Ok(Some(if next {
                    let tomorrow = start + 36 * 3_600_000;
                    let date = crate::campaign_form::write_moment(tomorrow, zone);
                    let (date, _) = date.split_once('T').ok_or(field)?;
                    read_moment(&format!("{date}T00:00"), zone).map_err(|_| field)?
                } else {
                    start
                }))
            };
        Ok(Filter {
            campaigns: self
                .campaigns
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect(),
            accountcode: Some(self.accountcode.trim().to_owned()).filter(|a| !a.is_empty()),
            run: None,
            from_ms: day(&self.from, "from", false)?,
            until_ms: day(&self.until, "until", true)?,
        })
    }

    /// The form's fields as a query string, for the download links.
    fn query(&self) -> String {
        let pairs = [
            ("campaigns", &self.campaigns),
            ("accountcode", &self.accountcode),
            ("from", &self.from),
            ("until", &self.until),
        ];
        pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", super::path_segment(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// One chart: a pie of a group's rows.
struct Pie {
    /// The group's value, its title.
    title: String,
    /// The slices as ECharts reads them, JSON (escaped by the template into an
    /// attribute).
    data: String,
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    frame: Frame,
    report: Report,
    form: FilterForm,
    /// Why the filter cannot be read.
    error: Option<String>,
    table: Option<Table>,
    pies: Vec<Pie>,
    /// The filter as a query string, for the downloads.
    query: String,
    echarts: &'static str,
}

impl ReportPage {
    fn tr(&self, it: &'static str, en: &'static str) -> &'static str {
        self.frame.language.pick((it, en))
    }

    fn label(&self, label: &(&'static str, &'static str)) -> &'static str {
        self.frame.language.pick(*label)
    }

    /// A cell as the page shows it: shares as percentages.
    fn cell(&self, cell: &Cell) -> String {
        match cell {
            Cell::Share(share) => format!("{:.1}%", share * 100.0),
            other => other.text(),
        }
    }

    /// A group of rows (a chart's title) in words.
    fn group(&self, group: &str) -> String {
        use ringhost_reports::campaign_stats::{BY_ATTEMPTS, BY_STATUS, BY_TAG};
        let words = match group {
            BY_STATUS => ("Per esito finale", "By final status"),
            BY_ATTEMPTS => ("Per numero di tentativi", "By number of attempts"),
            BY_TAG => ("Per etichetta", "By tag"),
            other => return other.to_owned(),
        };
        self.frame.language.pick(words).to_owned()
    }

    /// The formats a report downloads as.
    fn formats(&self) -> [&'static str; 3] {
        [Format::Csv, Format::Xlsx, Format::Json].map(Format::as_str)
    }
}

/// The pies of a table that has a chart: one per group, its rows as slices.
fn pies(table: &Table) -> Vec<Pie> {
    let Some(chart) = table.chart else {
        return Vec::new();
    };
    let mut pies: Vec<(String, Vec<serde_json::Value>)> = Vec::new();
    for row in &table.rows {
        let group = row[chart.group].text();
        let value = match row[chart.value] {
            Cell::Integer(n) => n as f64,
            Cell::Share(x) => x,
            Cell::Text(_) => continue,
        };
        let slice = serde_json::json!({"name": row[chart.label].text(), "value": value});
        match pies.iter_mut().find(|(g, _)| *g == group) {
            Some((_, slices)) => slices.push(slice),
            None => pies.push((group, vec![slice])),
        }
    }
    pies.into_iter()
        .map(|(title, slices)| Pie {
            title,
            data: serde_json::Value::Array(slices).to_string(),
        })
        .collect()
}

/// `GET /reports/{name}`: the report's page, its table and charts for the filter.
pub async fn report(
    State(state): State<WebState>,
    signed: Signed,
    Path(name): Path<String>,
    Query(form): Query<FilterForm>,
) -> Response {
    if let Some(refused) = signed.refuse_unless_may("getReport") {
        return refused;
    }
    let Some(report) = Report::parse(&name) else {
        return signed.not_found();
    };
    let zone = state.settings.time_zone;
    let (status, error, table) = match form.filter(zone) {
        Ok(filter) => match report.read(&state.store, &filter).await {
            Ok(table) => (StatusCode::OK, None, Some(table)),
            Err(error) => return failed(&error, "cannot read a report"),
        },
        Err(field) => {
            let message = signed.language.pick((
                "Le date si scrivono AAAA-MM-GG.",
                "Dates are written YYYY-MM-DD.",
            ));
            tracing::debug!(field, "a report's filter could not be read");
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(message.to_owned()),
                None,
            )
        }
    };
    let page = ReportPage {
        frame: Frame::of(&signed),
        report,
        query: form.query(),
        pies: table.as_ref().map(pies).unwrap_or_default(),
        form,
        error,
        table,
        echarts: ECHARTS,
    };
    (status, render(&page)).into_response()
}

/// `GET /reports/{name}/download?format=csv|xlsx|json&...`: the report's file.
pub async fn download(
    State(state): State<WebState>,
    signed: Signed,
    Path(name): Path<String>,
    Query(form): Query<FilterForm>,
) -> Response {
    if let Some(refused) = signed.refuse_unless_may("getReport") {
        return refused;
    }
    let (Some(report), Some(format)) = (Report::parse(&name), Format::parse(&form.format)) else {
        return signed.not_found();
    };
    let Ok(filter) = form.filter(state.settings.time_zone) else {
        return StatusCode::UNPROCESSABLE_ENTITY.into_response();
    };
    let table = match report.read(&state.store, &filter).await {
        Ok(table) => table,
        Err(error) => return failed(&error, "cannot read a report"),
    };
    let pick = match signed.language {
        crate::language::Language::It => (|(it, _)| it) as export::Pick,
        crate::language::Language::En => |(_, en)| en,
    };
    match export::download(&table, format, pick) {
        Ok(file) => (
            [
                (header::CONTENT_TYPE, file.content_type.to_owned()),
                (header::CONTENT_DISPOSITION, file.disposition),
            ],
            file.bytes,
        )
            .into_response(),
        Err(error) => failed(&error, "cannot write a report"),
    }
}
