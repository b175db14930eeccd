//! Abandoned and silent calls, as the regulators count them: per campaign per day
//! of the reader's calendar (the Garante), over the last 24 hours (Ofcom) and the
//! last 30 days (the FTC), each rate with the counts behind it, against the
//! campaign's cap; and the numbers held back after an abandoned call, until when.
//!
//! An abandoned call is one answered by a person that got no agent within the
//! campaign's limit (the attempt is tagged `abandoned`). It is silent when its
//! campaign's run had no message to play it: the callee heard nothing.

use std::collections::BTreeMap;

use ringhost_ads::Outcome;
use ringhost_store::Store;
use ringhost_store::report::{AttemptFilter, QuarterCount};

use crate::filter::{Filter, Scope};
use crate::locale::Locale;
use crate::table::{Cell, Column, DailyBars, Kind, Label, Output, Rows, Table};

/// The reason the dialer holds an abandoned number back with.
pub const HELD_REASON: &str = "abandoned call";

/// Days a report without a start covers.
const DEFAULT_DAYS: i64 = 30;
const DAY_MS: i64 = 86_400_000;

/// The per-day table's columns.
pub const BY_DAY: [Column; 8] = [
    Column::new("day", "Giorno", "Day", Kind::Day),
    Column::new("campaign", "Campagna", "Campaign", Kind::Text),
    Column::new(
        "answered",
        "Risposte da persone",
        "Answered by a person",
        Kind::Integer,
    ),
    Column::new("abandoned", "Abbandonate", "Abandoned", Kind::Integer),
    Column::new("silent", "Silenziose", "Silent", Kind::Integer),
    Column::new("rate", "Tasso di abbandono", "Abandon rate", Kind::Share),
    Column::new("cap", "Limite", "Cap", Kind::Share),
    Column::new("over_cap", "Oltre il limite", "Over the cap", Kind::Text),
];

/// The windows' table's columns.
pub const WINDOWS: [Column; 9] = [
    Column::new("campaign", "Campagna", "Campaign", Kind::Text),
    Column::new("window", "Finestra", "Window", Kind::Text),
    Column::new("from", "Dal", "From", Kind::Time),
    Column::new("until", "Al", "Until", Kind::Time),
    Column::new(
        "answered",
        "Risposte da persone",
        "Answered by a person",
        Kind::Integer,
    ),
    Column::new("abandoned", "Abbandonate", "Abandoned", Kind::Integer),
    Column::new("silent", "Silenziose", "Silent", Kind::Integer),
    Column::new("rate", "Tasso di abbandono", "Abandon rate", Kind::Share),
    Column::new("cap", "Limite", "Cap", Kind::Share),
];

/// The held numbers' columns.
pub const HELD: [Column; 3] = [
    Column::new("number", "Numero", "Number", Kind::Text),
    Column::new("held_since", "Trattenuto dal", "Held since", Kind::Time),
    Column::new("held_until", "Trattenuto fino al", "Held until", Kind::Time),
];

/// Answered, abandoned and silent calls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counts {
    answered: i64,
    abandoned: i64,
    silent: i64,
}

impl Counts {
    fn rate(&self) -> Option<f64> {
        (self.answered > 0).then(|| self.abandoned as f64 / self.answered as f64)
    }

    fn cells(&self) -> [Cell; 4] {
        [
            Cell::Integer(self.answered),
            Cell::Integer(self.abandoned),
            Cell::Integer(self.silent),
            self.rate().map_or(Cell::Empty, Cell::Share),
        ]
    }
}

/// Adds a quarter's attempts to `counts` (calls no person answered do not count).
fn add(counts: &mut Counts, q: &QuarterCount, scope: &Scope) {
    if q.outcome.as_deref() != Some(Outcome::Answered.as_str()) {
        return;
    }
    counts.answered += q.n;
    if q.abandoned {
        counts.abandoned += q.n;
        let message = scope
            .campaigns
            .get(&q.campaign_id)
            .and_then(|c| c.settings.abandon_message.as_ref());
        if message.is_none() {
            counts.silent += q.n;
        }
    }
}

/// The campaign's abandon cap.
fn cap(scope: &Scope, campaign: i64) -> f64 {
    scope
        .campaigns
        .get(&campaign)
        .map_or(0.03, |c| c.settings.pacing.target_abandon_rate)
}

/// Reads the compliance of the filter's campaigns over its span (the last 30 days
/// without one), up to `now_ms`.
///
/// # Errors
/// When the database cannot be read.
pub async fn read(
    store: &Store,
    filter: &Filter,
    locale: &Locale,
    now_ms: i64,
) -> anyhow::Result<Output> {
    let scope = filter.resolve(store).await?;
    let until = filter.until_ms.unwrap_or(now_ms).min(now_ms);
    let from = filter
        .from_ms
        .unwrap_or_else(|| locale.last_days(now_ms, DEFAULT_DAYS));
    let span = |from_ms: i64| AttemptFilter {
        from_ms: Some(from_ms),
        until_ms: Some(until),
        ..scope.attempts.clone()
    };
    let mut by_day: BTreeMap<(chrono::NaiveDate, String, i64), Counts> = BTreeMap::new();
    for q in store.attempt_quarters(&span(from)).await? {
        let key = (
            locale.day_of(q.quarter_ms),
            scope.campaign_name(q.campaign_id),
            q.campaign_id,
        );
        add(by_day.entry(key).or_default(), &q, &scope);
    }
    // By campaign, then window.
    let mut windows: BTreeMap<(String, usize), Vec<Cell>> = BTreeMap::new();
    for (order, (window, length)) in [("24h", DAY_MS), ("30d", 30 * DAY_MS)]
        .into_iter()
        .enumerate()
    {
        let mut counts: BTreeMap<(String, i64), Counts> = BTreeMap::new();
        for q in store.attempt_quarters(&span(until - length)).await? {
            let key = (scope.campaign_name(q.campaign_id), q.campaign_id);
            add(counts.entry(key).or_default(), &q, &scope);
        }
        for ((name, id), c) in counts {
            let name_key = name.clone();
            let mut row = vec![
                Cell::Text(name),
                Cell::Text(window.to_owned()),
                Cell::Time(until - length),
                Cell::Time(until),
            ];
            row.extend(c.cells());
            row.push(Cell::Share(cap(&scope, id)));
            windows.insert((name_key, order), row);
        }
    }
    let days = locale.days(from, until);
    let bars = rate_by_day(&days, &by_day);
    let day_rows = by_day
        .into_iter()
        .filter(|(_, c)| c.answered > 0)
        .map(|((day, name, id), c)| {
            let cap = cap(&scope, id);
            let over = c.rate().is_some_and(|rate| rate > cap);
            let mut row = vec![Cell::Day(day), Cell::Text(name)];
            row.extend(c.cells());
            row.push(Cell::Share(cap));
            row.push(Cell::Text(if over { "yes" } else { "no" }.to_owned()));
            row
        })
        .collect();
    let held = store
        .held_numbers(HELD_REASON, now_ms)
        .await?
        .into_iter()
        .map(|n| {
            vec![
                Cell::Text(n.number),
                Cell::Time(n.added_at_ms),
                Cell::time_or_empty(n.until_ms),
            ]
        })
        .collect();
    Ok(Output {
        tables: vec![
            Table {
                name: "by-day",
                title: Label::Words("Abbandoni per giorno", "Abandoned calls by day"),
                columns: BY_DAY.to_vec(),
                rows: Rows::Ready(day_rows),
                pies: None,
            },
            Table {
                name: "windows",
                title: Label::Words(
                    "Ultime 24 ore (Ofcom) e ultimi 30 giorni (FTC)",
                    "Last 24 hours (Ofcom) and last 30 days (FTC)",
                ),
                columns: WINDOWS.to_vec(),
                rows: Rows::Ready(windows.into_values().collect()),
                pies: None,
            },
            Table {
                name: "held",
                title: Label::Words(
                    "Numeri trattenuti dopo una chiamata abbandonata",
                    "Numbers held back after an abandoned call",
                ),
                columns: HELD.to_vec(),
                rows: Rows::Ready(held),
                pies: None,
            },
        ],
        bars: vec![bars],
    })
}

/// Each campaign's abandon rate per day, side by side.
fn rate_by_day(
    days: &[chrono::NaiveDate],
    by_day: &BTreeMap<(chrono::NaiveDate, String, i64), Counts>,
) -> DailyBars {
    // One pass adds up each campaign's day over its runs; then each campaign is a
    // series with a value on every day of the span.
    let mut totals: BTreeMap<&String, BTreeMap<chrono::NaiveDate, Counts>> = BTreeMap::new();
    for ((day, name, _), counts) in by_day {
        let total = totals.entry(name).or_default().entry(*day).or_default();
        total.answered += counts.answered;
        total.abandoned += counts.abandoned;
    }
    let series = totals
        .into_iter()
        .map(|(name, per_day)| {
            let values = days
                .iter()
                .map(|day| per_day.get(day).and_then(Counts::rate).unwrap_or(0.0) * 100.0)
                .collect();
            (name.clone(), values)
        })
        .collect();
    DailyBars {
        title: Label::Words(
            "Tasso di abbandono al giorno (%)",
            "Abandon rate per day (%)",
        ),
        days: days.to_vec(),
        series,
        stacked: false,
    }
}
