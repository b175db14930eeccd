//! Reports (`/reports/{name}`, for those who may call `getReport`): a report's filter,
//! its tables and charts (Apache ECharts, vendored, drawn as SVG: pies, and daily
//! bars with a zoom on the dates), and its exports as CSV, XLSX and JSON, which run
//! in the background while the page shows their progress (`crate::exports`). The
//! page and the files are written from the same `ringhost_reports::Output`, read by
//! one query per request, so they agree.

use askama::Template;
use axum::Form;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use ringhost_reports::export::Format;
use ringhost_reports::locale::Language as ReportLanguage;
use ringhost_reports::{Cell, DailyBars, Filter, Locale, Report, Use};
use serde::Deserialize;

use super::{Frame, failed, render};
use crate::WebState;
use crate::exports::{self, Export, ExportState, StartError};
use crate::language::Language;
use crate::session::Signed;

/// The vendored ECharts, as the page names it.
const ECHARTS: &str = "/assets/echarts-5.6.0.min.js";

/// The lines a page shows of a long report (the export has them all).
pub const PAGE_ROWS: usize = 200;

/// The filter as the page's form writes it: dates in the panel's zone.
#[derive(Debug, Default, Deserialize)]
pub struct FilterForm {
    /// Campaign names, comma-separated.
    #[serde(default)]
    campaigns: String,
    #[serde(default)]
    accountcode: String,
    /// `YYYY-MM`: the whole month (the monthly history), over `from` and `until`.
    #[serde(default)]
    month: String,
    /// `YYYY-MM-DD`, from the start of that day.
    #[serde(default)]
    from: String,
    /// `YYYY-MM-DD`, to the end of that day.
    #[serde(default)]
    until: String,
    /// The export's format.
    #[serde(default)]
    format: String,
    /// The anti-forgery token (exports).
    #[serde(default)]
    csrf: String,
}

impl FilterForm {
    /// The report's filter, or which field cannot be read.
    fn filter(&self, locale: &Locale) -> Result<Filter, &'static str> {
        let day =
            |raw: &str, field: &'static str| -> Result<Option<chrono::NaiveDate>, &'static str> {
                let raw = raw.trim();
                if raw.is_empty() {
                    return Ok(None);
                }
                chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| field)
            };
        let (from, until) = match self.month.trim() {
            "" => (
                day(&self.from, "from")?,
                day(&self.until, "until")?.and_then(|d| d.succ_opt()),
            ),
            month => {
                let first = day(&format!("{month}-01"), "month")?.ok_or("month")?;
                let next = first
                    .checked_add_months(chrono::Months::new(1))
                    .ok_or("month")?;
                (Some(first), Some(next))
            }
        };
        let start = |d: Option<chrono::NaiveDate>| d.map(|d| locale.start_of(d));
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
            from_ms: start(from),
            until_ms: start(until),
        })
    }

    /// The filter's fields, for the exports' forms.
    fn fields(&self) -> [(&'static str, &str); 5] {
        [
            ("campaigns", &self.campaigns),
            ("accountcode", &self.accountcode),
            ("month", &self.month),
            ("from", &self.from),
            ("until", &self.until),
        ]
    }
}

/// The reader's zone and language.
pub(super) fn locale_of(state: &WebState, language: Language) -> Locale {
    Locale {
        zone: state.settings.time_zone,
        language: match language {
            Language::It => ReportLanguage::It,
            Language::En => ReportLanguage::En,
        },
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

/// A table as the page shows it: its cells already written as text.
struct ShownTable {
    name: &'static str,
    title: String,
    labels: Vec<String>,
    /// Whether each column is a number (aligned right).
    numeric: Vec<bool>,
    rows: Vec<Vec<String>>,
    /// Lines the table has in all (a long report's page shows the first).
    total: u64,
}

/// Bars by day as ECharts reads them.
struct Bars {
    title: String,
    /// JSON: days, series, stacked.
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
    tables: Vec<ShownTable>,
    pies: Vec<Pie>,
    bars: Vec<Bars>,
    echarts: &'static str,
    csrf: String,
}

impl ReportPage {
    fn tr(&self, it: &'static str, en: &'static str) -> &'static str {
        self.frame.language.pick((it, en))
    }

    fn title_of(&self, report: &Report) -> &'static str {
        self.frame.language.pick(report.title())
    }

    fn reports(&self) -> [Report; Report::ALL.len()] {
        Report::ALL
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

    /// The formats a report exports as.
    fn formats(&self) -> [&'static str; 3] {
        [Format::Xlsx, Format::Csv, Format::Json].map(Format::as_str)
    }
}

/// A cell as the page shows it, in the reader's zone and language.
fn shown(cell: &Cell, locale: &Locale) -> String {
    let italian = locale.language == ReportLanguage::It;
    match cell {
        Cell::Empty => String::new(),
        Cell::Text(text) => text.clone(),
        Cell::Integer(n) => n.to_string(),
        Cell::Share(share) => format!("{:.1}%", share * 100.0),
        Cell::Duration(ms) => {
            let s = ringhost_reports::table::seconds(*ms);
            format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
        }
        Cell::Time(ms) => {
            let pattern = if italian {
                "%d/%m/%Y %H:%M:%S"
            } else {
                "%Y-%m-%d %H:%M:%S"
            };
            locale.time(*ms).format(pattern).to_string()
        }
        Cell::Day(day) => day
            .format(if italian { "%d/%m/%Y" } else { "%Y-%m-%d" })
            .to_string(),
    }
}

/// The pies of campaign statistics: one per group, its rows as slices.
fn pies(rows: &[Vec<Cell>], table: &ringhost_reports::table::Pies) -> Vec<Pie> {
    let mut pies: Vec<(String, Vec<serde_json::Value>)> = Vec::new();
    for row in rows {
        let Cell::Text(group) = &row[table.group] else {
            continue;
        };
        let Some(value) = row[table.value].value() else {
            continue;
        };
        let name = match &row[table.label] {
            Cell::Text(text) => text.clone(),
            _ => String::new(),
        };
        let slice = serde_json::json!({"name": name, "value": value});
        match pies.iter_mut().find(|(g, _)| g == group) {
            Some((_, slices)) => slices.push(slice),
            None => pies.push((group.clone(), vec![slice])),
        }
    }
    pies.into_iter()
        .map(|(title, slices)| Pie {
            title,
            data: serde_json::Value::Array(slices).to_string(),
        })
        .collect()
}

/// A bar's value as the page writes it: to two decimals, or to three significant
/// digits when smaller, so that a small value is not drawn as nothing (an agent's
/// minute of a day, in hours, is 0.0167).
fn chart_value(value: f64) -> f64 {
    if value == 0.0 || !value.is_finite() {
        return value;
    }
    let digits = (2 - value.abs().log10().floor() as i32).clamp(2, 12);
    let scale = 10f64.powi(digits);
    (value * scale).round() / scale
}

/// Daily bars as the page's script reads them.
fn bars(chart: &DailyBars, locale: &Locale) -> Bars {
    let days: Vec<String> = chart
        .days
        .iter()
        .map(|d| d.format("%Y-%m-%d").to_string())
        .collect();
    let series: Vec<serde_json::Value> = chart
        .series
        .iter()
        .map(|(name, values)| {
            let rounded: Vec<f64> = values.iter().copied().map(chart_value).collect();
            serde_json::json!({"name": name, "data": rounded})
        })
        .collect();
    Bars {
        title: locale.label(&chart.title).to_owned(),
        data: serde_json::json!({"days": days, "series": series, "stacked": chart.stacked})
            .to_string(),
    }
}

/// `GET /reports`: the first report.
pub async fn index(signed: Signed) -> Response {
    if let Some(refused) = signed.refuse_unless_may("getReport") {
        return refused;
    }
    Redirect::to(&format!("/reports/{}", Report::CampaignStats.as_str())).into_response()
}

/// The refusal for a user who may not read reports, or a report that does not exist.
fn refuse(signed: &Signed, name: &str) -> Result<Report, Box<Response>> {
    if let Some(refused) = signed.refuse_unless_may("getReport") {
        return Err(Box::new(refused));
    }
    Report::parse(name).ok_or_else(|| Box::new(signed.not_found()))
}

/// The words for a filter that cannot be read.
fn bad_filter(signed: &Signed) -> String {
    signed
        .language
        .pick((
            "Le date si scrivono AAAA-MM-GG, i mesi AAAA-MM.",
            "Dates are written YYYY-MM-DD, months YYYY-MM.",
        ))
        .to_owned()
}

/// `GET /reports/{name}`: the report's page, its tables and charts for the filter.
pub async fn report(
    State(state): State<WebState>,
    signed: Signed,
    Path(name): Path<String>,
    Query(form): Query<FilterForm>,
) -> Response {
    let report = match refuse(&signed, &name) {
        Ok(report) => report,
        Err(refused) => return *refused,
    };
    let locale = locale_of(&state, signed.language);
    let mut page = ReportPage {
        frame: Frame::of(&signed),
        report,
        form,
        error: None,
        tables: Vec::new(),
        pies: Vec::new(),
        bars: Vec::new(),
        echarts: ECHARTS,
        csrf: signed.csrf.clone(),
    };
    let filter = match page.form.filter(&locale) {
        Ok(filter) => filter,
        Err(field) => {
            tracing::debug!(field, "a report's filter could not be read");
            page.error = Some(bad_filter(&signed));
            return (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response();
        }
    };
    let output = match report
        .read(&state.store, &filter, &locale, crate::now_ms(), Use::Page)
        .await
    {
        Ok(output) => output,
        Err(error) => return failed(&error, "cannot read a report"),
    };
    page.bars = output.bars.iter().map(|b| bars(b, &locale)).collect();
    for table in output.tables {
        let total = table.rows.total();
        let rows = match table.rows.first(PAGE_ROWS).await {
            Ok(rows) => rows,
            Err(error) => return failed(&error, "cannot read a report"),
        };
        if let Some(p) = &table.pies {
            page.pies.extend(pies(&rows, p));
        }
        page.tables.push(ShownTable {
            name: table.name,
            title: locale.label(&table.title).to_owned(),
            labels: table
                .columns
                .iter()
                .map(|c| locale.label(&c.label).to_owned())
                .collect(),
            numeric: table
                .columns
                .iter()
                .map(|c| !matches!(c.kind, ringhost_reports::Kind::Text))
                .collect(),
            total: total.max(rows.len() as u64),
            rows: rows
                .iter()
                .map(|row| row.iter().map(|c| shown(c, &locale)).collect())
                .collect(),
        });
    }
    render(&page).into_response()
}

/// `POST /reports/{name}/exports`: starts an export of the report for the filter;
/// to its page (which shows its progress, then hands over the file).
pub async fn start_export(
    State(state): State<WebState>,
    signed: Signed,
    Path(name): Path<String>,
    Form(form): Form<FilterForm>,
) -> Response {
    let report = match refuse(&signed, &name) {
        Ok(report) => report,
        Err(refused) => return *refused,
    };
    if let Some(refused) = signed.refuse_forged(&form.csrf) {
        return refused;
    }
    let locale = locale_of(&state, signed.language);
    let (Some(format), Ok(filter)) = (Format::parse(&form.format), form.filter(&locale)) else {
        return super::error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            signed.language,
            &bad_filter(&signed),
        );
    };
    let output = match report
        .read(&state.store, &filter, &locale, crate::now_ms(), Use::File)
        .await
    {
        Ok(output) => output,
        Err(error) => return failed(&error, "cannot read a report"),
    };
    match state
        .exports
        .start(signed.user.id, report, format, output, locale)
    {
        Ok(job) => Redirect::to(&format!("/reports/exports/{}", job.id)).into_response(),
        Err(StartError::TooMany) => super::error_page(
            StatusCode::TOO_MANY_REQUESTS,
            signed.language,
            signed.language.pick((
                "Ci sono già due esportazioni in corso: attendi che finiscano.",
                "Two exports are running already: wait for them to finish.",
            )),
        ),
        Err(error) => failed(&anyhow::Error::from(error), "cannot start an export"),
    }
}

#[derive(Template)]
#[template(path = "export.html")]
struct ExportPage {
    frame: Frame,
    report: Report,
    format: &'static str,
    id: String,
    state: &'static str,
    rows: u64,
    total: u64,
    percent: u32,
}

impl ExportPage {
    fn tr(&self, it: &'static str, en: &'static str) -> &'static str {
        self.frame.language.pick((it, en))
    }
}

/// The export `id` of the signed-in user, or the 404 page.
fn own_export(
    state: &WebState,
    signed: &Signed,
    id: &str,
) -> Result<std::sync::Arc<Export>, Box<Response>> {
    if let Some(refused) = signed.refuse_unless_may("getReport") {
        return Err(Box::new(refused));
    }
    state
        .exports
        .get(id, signed.user.id)
        .ok_or_else(|| Box::new(signed.not_found()))
}

/// `GET /reports/exports/{id}`: an export's progress, and its file when complete
/// (the page refreshes itself without a script; with one, it follows the status).
pub async fn export_page(
    State(state): State<WebState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Response {
    let job = match own_export(&state, &signed, &id) {
        Ok(job) => job,
        Err(refused) => return *refused,
    };
    let page = ExportPage {
        frame: Frame::of(&signed),
        report: job.report,
        format: job.format.as_str(),
        id: job.id.clone(),
        state: job.state().as_str(),
        rows: job.rows.load(std::sync::atomic::Ordering::Relaxed),
        total: job.total,
        percent: (exports::done_share(&job) * 100.0).round() as u32,
    };
    render(&page).into_response()
}

/// `GET /reports/exports/{id}/status`: `{state, rows, total}` as JSON.
pub async fn export_status(
    State(state): State<WebState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Response {
    let job = match own_export(&state, &signed, &id) {
        Ok(job) => job,
        Err(refused) => return *refused,
    };
    axum::Json(serde_json::json!({
        "state": job.state().as_str(),
        "rows": job.rows.load(std::sync::atomic::Ordering::Relaxed),
        "total": job.total,
        "file": format!("/reports/exports/{}/file", job.id),
    }))
    .into_response()
}

/// `GET /reports/exports/{id}/file`: the complete file, read from disk as it is sent.
pub async fn export_file(
    State(state): State<WebState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Response {
    let job = match own_export(&state, &signed, &id) {
        Ok(job) => job,
        Err(refused) => return *refused,
    };
    if job.state() != ExportState::Done {
        return signed.not_found();
    }
    let file = match tokio::fs::File::open(job.path()).await {
        Ok(file) => file,
        Err(error) => return failed(&anyhow::Error::from(error), "cannot open an export"),
    };
    let length = file.metadata().await.map(|m| m.len()).unwrap_or_default();
    (
        [
            (header::CONTENT_TYPE, job.format.content_type().to_owned()),
            (header::CONTENT_DISPOSITION, job.disposition()),
            (header::CONTENT_LENGTH, length.to_string()),
        ],
        Body::from_stream(tokio_util::io::ReaderStream::new(file)),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::chart_value;

    #[test]
    fn chart_values_keep_small_values_and_whole_numbers() {
        // Seconds of an agent's day in hours: not rounded to nothing.
        assert_eq!(chart_value(14.0 / 3600.0), 0.00389);
        assert_eq!(chart_value(0.0), 0.0);
        // Two decimals at most for the rest (an abandon rate in percent, counts).
        assert_eq!(chart_value(100.0 / 3.0), 33.33);
        assert_eq!(chart_value(1.0 / 3.0), 0.333);
        assert_eq!(chart_value(12_345.0), 12_345.0);
        assert_eq!(chart_value(7.005_1), 7.01);
    }
}
