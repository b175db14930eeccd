//! The agents' days: per agent per day of the reader's calendar, the time logged in,
//! ready, talking, wrapping up and paused (in all, and by reason), the calls handled,
//! the average handle time and the occupancy, from the log of their states.
//! Campaigns do not narrow it: an agent works for every campaign of their queues.

use std::borrow::Cow;
use std::collections::BTreeMap;

use ringhost_dialer::desk::AgentDay;
use ringhost_store::Store;
use ringhost_store::agent::Closed;

use crate::filter::Filter;
use crate::locale::Locale;
use crate::table::{Cell, Column, DailyBars, Kind, Label, Output, Rows, Table};

/// Days a report without a start covers: the last week.
const DEFAULT_DAYS: i64 = 7;

/// The columns before the pauses by reason.
const LEADING: [Column; 7] = [
    Column::new("day", "Giorno", "Day", Kind::Day),
    Column::new("agent", "Operatore", "Agent", Kind::Text),
    Column::new(
        "logged_in_s",
        "Collegato (s)",
        "Logged in (s)",
        Kind::Duration,
    ),
    Column::new("ready_s", "Disponibile (s)", "Ready (s)", Kind::Duration),
    Column::new(
        "talk_s",
        "In conversazione (s)",
        "Talking (s)",
        Kind::Duration,
    ),
    Column::new(
        "wrap_up_s",
        "Post-chiamata (s)",
        "Wrap-up (s)",
        Kind::Duration,
    ),
    Column::new("paused_s", "In pausa (s)", "Paused (s)", Kind::Duration),
];

/// The columns after the pauses by reason.
const TRAILING: [Column; 3] = [
    Column::new("calls", "Chiamate", "Calls", Kind::Integer),
    Column::new(
        "handle_s",
        "Durata media (s)",
        "Average handle (s)",
        Kind::Duration,
    ),
    Column::new("occupancy", "Occupazione", "Occupancy", Kind::Share),
];

/// Reads each agent's days within the filter's span (the last week without one), up
/// to `now_ms`.
///
/// # Errors
/// When the database cannot be read.
pub async fn read(
    store: &Store,
    filter: &Filter,
    locale: &Locale,
    now_ms: i64,
) -> anyhow::Result<Output> {
    let until = filter.until_ms.unwrap_or(now_ms).min(now_ms);
    let from = filter
        .from_ms
        .unwrap_or_else(|| locale.last_days(now_ms, DEFAULT_DAYS));
    // (day, agent) -> the day's times.
    let mut days: BTreeMap<(chrono::NaiveDate, String), AgentDay> = BTreeMap::new();
    let calendar = locale.days(from, until);
    for &day in &calendar {
        let start = locale.start_of(day).max(from);
        let next = day.succ_opt().map_or(until, |d| locale.start_of(d));
        let end = next.min(until);
        if end <= start {
            continue;
        }
        for line in store
            .agent_state_times(start, end, Closed::SinceOrOpen(start))
            .await?
        {
            days.entry((day, line.agent.clone()))
                .or_default()
                .add(&line);
        }
    }
    // A column per pause reason met, in order of name.
    let mut reasons: Vec<String> = days
        .values()
        .flat_map(|d| d.pauses.iter().map(|(r, _)| r.clone()))
        .collect();
    reasons.sort();
    reasons.dedup();
    let mut columns: Vec<Column> = LEADING.to_vec();
    for reason in &reasons {
        let shown = if reason.is_empty() { "-" } else { reason };
        columns.push(Column {
            key: Cow::Owned(format!("paused_s:{reason}")),
            label: Label::Verbatim(format!("{} ({shown})", locale.pick(("Pausa", "Pause")))),
            kind: Kind::Duration,
        });
    }
    columns.extend(TRAILING);
    let rows: Vec<Vec<Cell>> = days
        .iter()
        .map(|((day, agent), d)| {
            let mut cells = vec![
                Cell::Day(*day),
                Cell::Text(agent.clone()),
                Cell::Duration(d.logged_in_ms()),
                Cell::Duration(d.ready_ms),
                Cell::Duration(d.talk_ms),
                Cell::Duration(d.wrap_up_ms),
                Cell::Duration(d.paused_ms),
            ];
            cells.extend(reasons.iter().map(|reason| {
                Cell::Duration(
                    d.pauses
                        .iter()
                        .find(|(r, _)| r == reason)
                        .map_or(0, |(_, ms)| *ms),
                )
            }));
            cells.push(Cell::Integer(d.calls));
            cells.push(d.handle_ms().map_or(Cell::Empty, Cell::Duration));
            cells.push(d.occupancy().map_or(Cell::Empty, Cell::Share));
            cells
        })
        .collect();
    let bars = hours_by_state(&calendar, &days);
    Ok(Output {
        tables: vec![Table {
            name: "agents",
            title: Label::Words("Operatori per giorno", "Agents by day"),
            columns,
            rows: Rows::Ready(rows),
            pies: None,
        }],
        bars: vec![bars],
    })
}

/// One of an agent's times.
type Part = fn(&AgentDay) -> i64;

/// Hours of all agents per day in each state, stacked.
fn hours_by_state(
    calendar: &[chrono::NaiveDate],
    days: &BTreeMap<(chrono::NaiveDate, String), AgentDay>,
) -> DailyBars {
    let parts: [(&str, Part); 4] = [
        ("talk", |d| d.talk_ms),
        ("wrap-up", |d| d.wrap_up_ms),
        ("ready", |d| d.ready_ms),
        ("paused", |d| d.paused_ms),
    ];
    let series = parts
        .iter()
        .map(|(name, part)| {
            let values = calendar
                .iter()
                .map(|day| {
                    let ms: i64 = days
                        .range((*day, String::new())..)
                        .take_while(|((d, _), _)| d == day)
                        .map(|(_, d)| part(d))
                        .sum();
                    ms as f64 / 3_600_000.0
                })
                .collect();
            ((*name).to_owned(), values)
        })
        .collect();
    DailyBars {
        title: Label::Words("Ore degli operatori al giorno", "Agents' hours per day"),
        days: calendar.to_vec(),
        series,
        stacked: true,
    }
}
