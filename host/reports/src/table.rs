//! A report's tables: columns that know what their cells are, so that each format
//! writes them as the type they are (a number as a number, a share as a percentage, a
//! time as a date in the reader's zone), and rows either read already or still
//! arriving from the store.

use std::borrow::Cow;

use chrono::NaiveDate;
use serde::Serialize;
use tokio::sync::mpsc;

/// What a column's cells are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Text.
    Text,
    /// A whole number.
    Integer,
    /// A share between 0 and 1, shown as a percentage.
    Share,
    /// A length of time, written in whole seconds.
    Duration,
    /// A moment, shown in the reader's zone.
    Time,
    /// A day of the reader's calendar.
    Day,
}

/// A column's label: words the report chose, in Italian and English, or a name
/// taken from the data (a contact list's header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Label {
    /// Italian and English.
    Words(&'static str, &'static str),
    /// The same in every language.
    Verbatim(String),
}

/// A column: its key (JSON's and CSV's header), its label, its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The key.
    pub key: Cow<'static, str>,
    /// The label.
    pub label: Label,
    /// What its cells are.
    pub kind: Kind,
}

impl Column {
    /// A column the report names.
    pub const fn new(key: &'static str, it: &'static str, en: &'static str, kind: Kind) -> Self {
        Column {
            key: Cow::Borrowed(key),
            label: Label::Words(it, en),
            kind,
        }
    }
}

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing known.
    Empty,
    /// Text.
    Text(String),
    /// A whole number.
    Integer(i64),
    /// A share between 0 and 1.
    Share(f64),
    /// Milliseconds of something, written as whole seconds.
    Duration(i64),
    /// A moment, ms since the epoch.
    Time(i64),
    /// A day.
    Day(NaiveDate),
}

impl Cell {
    /// Text, or [`Cell::Empty`] for none.
    pub fn text_or_empty(text: Option<String>) -> Cell {
        text.map_or(Cell::Empty, Cell::Text)
    }

    /// A moment, or [`Cell::Empty`] for none.
    pub fn time_or_empty(ms: Option<i64>) -> Cell {
        ms.map_or(Cell::Empty, Cell::Time)
    }

    /// A number, or [`Cell::Empty`] for none.
    pub fn integer_or_empty(n: Option<i64>) -> Cell {
        n.map_or(Cell::Empty, Cell::Integer)
    }

    /// The value a chart draws: numbers as they are, durations in hours.
    pub fn value(&self) -> Option<f64> {
        match self {
            Cell::Integer(n) => Some(*n as f64),
            Cell::Share(x) => Some(*x),
            Cell::Duration(ms) => Some(*ms as f64 / 3_600_000.0),
            _ => None,
        }
    }
}

/// Whole seconds of `ms`, rounded to the nearest.
pub fn seconds(ms: i64) -> i64 {
    (ms + 500).div_euclid(1000)
}

/// A batch of rows as the store yields them.
pub type Batch = Vec<Vec<Cell>>;

/// A table's rows: read already (a summary), or arriving in batches from a reader
/// task (a report of a million lines, never held whole).
#[derive(Debug)]
pub enum Rows {
    /// Every row.
    Ready(Vec<Vec<Cell>>),
    /// Rows still arriving: `total` of them when the report was asked for.
    Arriving {
        /// How many rows there were when the report started.
        total: u64,
        /// The batches; an error ends them.
        batches: mpsc::Receiver<anyhow::Result<Batch>>,
        /// Batches written, back to the task that made them (see [`Rows::recycle`]).
        spent: mpsc::UnboundedSender<Batch>,
    },
}

impl Rows {
    /// How many rows there are (or were, when they started arriving).
    pub fn total(&self) -> u64 {
        match self {
            Rows::Ready(rows) => rows.len() as u64,
            Rows::Arriving { total, .. } => *total,
        }
    }

    /// The next batch, waiting for it; `None` after the last.
    ///
    /// # Errors
    /// When the store could not be read.
    pub async fn next_batch(&mut self) -> anyhow::Result<Option<Batch>> {
        match self {
            Rows::Ready(rows) if rows.is_empty() => Ok(None),
            Rows::Ready(rows) => Ok(Some(std::mem::take(rows))),
            Rows::Arriving { batches, .. } => batches.recv().await.transpose(),
        }
    }

    /// As [`Rows::next_batch`], from a thread that may block (a spreadsheet being
    /// written).
    ///
    /// # Errors
    /// As [`Rows::next_batch`].
    pub fn next_batch_blocking(&mut self) -> anyhow::Result<Option<Batch>> {
        match self {
            Rows::Ready(rows) if rows.is_empty() => Ok(None),
            Rows::Ready(rows) => Ok(Some(std::mem::take(rows))),
            Rows::Arriving { batches, .. } => batches.blocking_recv().transpose(),
        }
    }

    /// Gives a batch that has been written back to the task that read it, which frees
    /// its cells (or reuses them) where they were made: freed by the writer's thread
    /// instead, a million lines' cells cost the allocator a lock each.
    pub fn recycle(&self, batch: Batch) {
        if let Rows::Arriving { spent, .. } = self {
            // The reader may be done: the batch is then freed here.
            let _ = spent.send(batch);
        }
    }

    /// The first `limit` rows, read now (a page shows those; the rest stay unread).
    ///
    /// # Errors
    /// As [`Rows::next_batch`].
    pub async fn first(mut self, limit: usize) -> anyhow::Result<Vec<Vec<Cell>>> {
        let mut rows = Vec::new();
        while rows.len() < limit {
            match self.next_batch().await? {
                Some(batch) => rows.extend(batch),
                None => break,
            }
        }
        rows.truncate(limit);
        Ok(rows)
    }
}

/// One table of a report.
#[derive(Debug)]
pub struct Table {
    /// Its name: the sheet's name, and the JSON's key for it.
    pub name: &'static str,
    /// Its title.
    pub title: Label,
    /// The columns.
    pub columns: Vec<Column>,
    /// The rows, each a cell per column.
    pub rows: Rows,
    /// A native chart of the table in its spreadsheet.
    pub pies: Option<Pies>,
}

/// One pie per value of `group`, each slice a `label` with its `value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pies {
    /// The column splitting the rows into charts.
    pub group: usize,
    /// The slices' names.
    pub label: usize,
    /// The slices' sizes.
    pub value: usize,
}

/// A chart of bars by day: one series per name, a value per day.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyBars {
    /// What the values are.
    pub title: Label,
    /// The days, in order.
    pub days: Vec<NaiveDate>,
    /// Each series: its name, and its value on each day.
    pub series: Vec<(String, Vec<f64>)>,
    /// Whether the series stack (parts of one whole) or stand side by side.
    pub stacked: bool,
}

/// A report as read: its tables, and the daily charts drawn beside them.
#[derive(Debug)]
pub struct Output {
    /// The tables, the first the main one.
    pub tables: Vec<Table>,
    /// Bars by day.
    pub bars: Vec<DailyBars>,
}

/// `name`, or `name` followed by a number when `taken` has it already: keys from a
/// customer's header must not clash with the report's own.
pub fn unique_key(name: &str, taken: &[Column]) -> String {
    let clashes = |key: &str| taken.iter().any(|c| c.key == key);
    if !clashes(name) {
        return name.to_owned();
    }
    (2..)
        .map(|n| format!("{name}_{n}"))
        .find(|key| !clashes(key))
        .unwrap_or_default()
}
