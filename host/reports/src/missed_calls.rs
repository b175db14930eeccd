//! Missed calls and how they were handled (Kalliope's Missed Calls dashboard), per day
//! of the reader's calendar.
//!
//! A request is counted on the day of its first missed call, in one of five ways by
//! where it stands now: served inbound (the customer called again and reached an
//! agent), handled by callback, closed by force (by a supervisor, one by one or
//! flushed), callbacks not answered (open, called back without success), not handled
//! (open, never called back). The backlog is the work of each day on requests of
//! earlier days: those it closed, by how, and its callbacks that failed. The queues'
//! table counts the missed calls themselves (a customer calling three times is three).
//!
//! The filter's accountcode applies; its campaigns do not (a missed call has none).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use ringhost_store::Store;
use ringhost_store::missed::{Closure, MissedReportRequest, Span};

use crate::filter::Filter;
use crate::locale::Locale;
use crate::table::{Cell, Column, DailyBars, Kind, Label, Output, Pies, Rows, Table};

/// Days a report without a start covers.
const DEFAULT_DAYS: i64 = 30;

/// The five ways a request is counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Figures {
    total: i64,
    inbound: i64,
    callback: i64,
    forced: i64,
    not_answered: i64,
    not_handled: i64,
}

impl Figures {
    fn add(&mut self, request: &MissedReportRequest) {
        self.total += 1;
        match request.closure.map(|(closure, _)| closure) {
            Some(Closure::Inbound) => self.inbound += 1,
            Some(Closure::Callback) => self.callback += 1,
            Some(Closure::Forced | Closure::Flushed) => self.forced += 1,
            None if request.recalled > 0 => self.not_answered += 1,
            None => self.not_handled += 1,
        }
    }

    fn cells(&self) -> [Cell; 6] {
        [
            Cell::Integer(self.total),
            Cell::Integer(self.inbound),
            Cell::Integer(self.callback),
            Cell::Integer(self.forced),
            Cell::Integer(self.not_answered),
            Cell::Integer(self.not_handled),
        ]
    }
}

/// The figures' columns, after the first (the period or the day).
const FIGURES: [Column; 6] = [
    Column::new("total", "Totali", "Total", Kind::Integer),
    Column::new(
        "inbound",
        "Servite in ingresso",
        "Served inbound",
        Kind::Integer,
    ),
    Column::new(
        "callback",
        "Gestite con richiamata",
        "Handled by callback",
        Kind::Integer,
    ),
    Column::new(
        "forced",
        "Chiusura forzata",
        "Forced closure",
        Kind::Integer,
    ),
    Column::new(
        "not_answered",
        "Richiamate senza risposta",
        "Callbacks not answered",
        Kind::Integer,
    ),
    Column::new("not_handled", "Non gestite", "Not handled", Kind::Integer),
];

/// The backlog's columns: the day, and the figures that close or recall a request
/// (a backlog has no new requests, nor any left alone).
fn backlog_columns() -> Vec<Column> {
    let mut columns = vec![Column::new("day", "Giorno", "Day", Kind::Day)];
    columns.extend(FIGURES[BACKLOG_FIGURES].iter().cloned());
    columns
}

/// Which of [`FIGURES`] the backlog counts.
const BACKLOG_FIGURES: std::ops::Range<usize> = 1..5;

/// The queues' columns.
const QUEUES: [Column; 4] = [
    Column::new("group", "Gruppo", "Group", Kind::Text),
    Column::new("queue", "Coda", "Queue", Kind::Text),
    Column::new("calls", "Chiamate perse", "Missed calls", Kind::Integer),
    Column::new("share", "Percentuale", "Share", Kind::Share),
];

/// The day table's, the summary's columns.
fn columns(first: Column) -> Vec<Column> {
    let mut columns = vec![first];
    columns.extend(FIGURES);
    columns
}

/// Reads the missed calls of the filter's span (the last 30 days without one), up to
/// `now_ms`.
///
/// # Errors
/// When the database cannot be read.
pub async fn read(
    store: &Store,
    filter: &Filter,
    locale: &Locale,
    now_ms: i64,
) -> anyhow::Result<Output> {
    let until = filter.until_ms.unwrap_or(now_ms).min(now_ms.max(0) + 1);
    let from = filter
        .from_ms
        .unwrap_or_else(|| locale.last_days(now_ms, DEFAULT_DAYS));
    let span = Span {
        from_ms: Some(from),
        until_ms: Some(until),
    };
    let read = store
        .missed_report(span, filter.accountcode.as_deref())
        .await?;
    let days = locale.days(from, until);
    let today = locale.day_of(now_ms);
    let within = |ms: i64| from <= ms && ms < until;

    let mut span_figures = Figures::default();
    let mut today_figures = Figures::default();
    let mut by_day: BTreeMap<NaiveDate, Figures> = BTreeMap::new();
    let mut backlog: BTreeMap<NaiveDate, Figures> = BTreeMap::new();
    for request in &read.requests {
        let first_day = locale.day_of(request.first_call_ms);
        if within(request.first_call_ms) {
            span_figures.add(request);
            by_day.entry(first_day).or_default().add(request);
            if first_day == today {
                today_figures.add(request);
            }
        }
        if let Some((_, closed_ms)) = request.closure {
            let closed_day = locale.day_of(closed_ms);
            if within(closed_ms) && closed_day > first_day {
                // Counted as it stands: closed, so in exactly one closure column.
                backlog.entry(closed_day).or_default().add(request);
            }
        }
    }
    for callback in read.callbacks.iter().filter(|c| !c.done) {
        let day = locale.day_of(callback.at_ms);
        if day > locale.day_of(callback.first_call_ms) {
            backlog.entry(day).or_default().not_answered += 1;
        }
    }
    let mut by_queue: BTreeMap<&str, i64> = BTreeMap::new();
    let mut queue_days: BTreeMap<&str, BTreeMap<NaiveDate, i64>> = BTreeMap::new();
    for call in &read.calls {
        *by_queue.entry(call.name.as_str()).or_default() += 1;
        *queue_days
            .entry(call.name.as_str())
            .or_default()
            .entry(locale.day_of(call.at_ms))
            .or_default() += 1;
    }

    let summary = [
        (Label::Words("Periodo", "Period"), span_figures),
        (Label::Words("Oggi", "Today"), today_figures),
    ]
    .into_iter()
    .map(|(label, figures)| {
        let mut row = vec![Cell::Text(locale.label(&label).to_owned())];
        row.extend(figures.cells());
        row
    })
    .collect();
    let day_rows = by_day
        .iter()
        .map(|(day, figures)| {
            let mut row = vec![Cell::Day(*day)];
            row.extend(figures.cells());
            row
        })
        .collect();
    let backlog_rows = backlog
        .iter()
        .map(|(day, figures)| {
            let mut row = vec![Cell::Day(*day)];
            row.extend(figures.cells()[BACKLOG_FIGURES].iter().cloned());
            row
        })
        .collect();
    let calls = read.calls.len() as i64;
    let queue_group = locale
        .pick(("Chiamate perse per coda", "Missed calls by queue"))
        .to_owned();
    let queue_rows = by_queue
        .iter()
        .map(|(queue, n)| {
            vec![
                Cell::Text(queue_group.clone()),
                Cell::Text((*queue).to_owned()),
                Cell::Integer(*n),
                Cell::Share(*n as f64 / calls.max(1) as f64),
            ]
        })
        .collect();

    let series = |pick: fn(&Figures) -> i64, column: usize| {
        let values = days
            .iter()
            .map(|day| by_day.get(day).map_or(0.0, |f| pick(f) as f64))
            .collect();
        (locale.label(&FIGURES[column].label).to_owned(), values)
    };
    let handled = DailyBars {
        title: Label::Words(
            "Richieste per giorno, per come sono state gestite",
            "Requests per day, by how they were handled",
        ),
        days: days.clone(),
        series: vec![
            series(|f| f.inbound, 1),
            series(|f| f.callback, 2),
            series(|f| f.forced, 3),
            series(|f| f.not_answered, 4),
            series(|f| f.not_handled, 5),
        ],
        stacked: true,
    };
    let queues = DailyBars {
        title: Label::Words(
            "Chiamate perse per coda al giorno",
            "Missed calls per queue per day",
        ),
        days: days.clone(),
        series: queue_days
            .into_iter()
            .map(|(queue, per_day)| {
                let values = days
                    .iter()
                    .map(|day| per_day.get(day).copied().unwrap_or(0) as f64)
                    .collect();
                (queue.to_owned(), values)
            })
            .collect(),
        stacked: true,
    };
    Ok(Output {
        tables: vec![
            Table {
                name: "summary",
                title: Label::Words("Riepilogo", "Summary"),
                columns: columns(Column::new("period", "Periodo", "Period", Kind::Text)),
                rows: Rows::Ready(summary),
                pies: None,
            },
            Table {
                name: "by-day",
                title: Label::Words("Richieste per giorno", "Requests per day"),
                columns: columns(Column::new("day", "Giorno", "Day", Kind::Day)),
                rows: Rows::Ready(day_rows),
                pies: None,
            },
            Table {
                name: "backlog",
                title: Label::Words(
                    "Arretrato: richieste dei giorni prima, gestite nel giorno",
                    "Backlog: earlier days' requests, handled on the day",
                ),
                columns: backlog_columns(),
                rows: Rows::Ready(backlog_rows),
                pies: None,
            },
            Table {
                name: "queues",
                title: Label::Words("Chiamate perse per coda", "Missed calls by queue"),
                columns: QUEUES.to_vec(),
                rows: Rows::Ready(queue_rows),
                pies: Some(Pies {
                    group: 0,
                    label: 1,
                    value: 2,
                }),
            },
        ],
        bars: vec![handled, queues],
    })
}
