//! A report's table: columns that know what their cells are, so that each format
//! writes them as the type they are (a number as a number, a share as a percentage).

use serde::Serialize;

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
}

/// A column: its key (JSON's and CSV's header), its label in Italian and English, its
/// kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The key.
    pub key: &'static str,
    /// The label, Italian and English.
    pub label: (&'static str, &'static str),
    /// What its cells are.
    pub kind: Kind,
}

/// One cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A whole number.
    Integer(i64),
    /// A share between 0 and 1.
    Share(f64),
}

impl Cell {
    /// The cell as CSV writes it: numbers in full, shares to four decimals.
    pub fn text(&self) -> String {
        match self {
            Cell::Text(text) => text.clone(),
            Cell::Integer(n) => n.to_string(),
            Cell::Share(share) => format!("{share:.4}"),
        }
    }
}

/// A report's columns and rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The report's name.
    pub report: &'static str,
    /// The columns.
    pub columns: Vec<Column>,
    /// The rows, each a cell per column.
    pub rows: Vec<Vec<Cell>>,
    /// The columns a chart of the table draws: the label's column, the value's
    /// column, and the column whose values split it into one chart each.
    pub chart: Option<Chart>,
}

/// How a table is drawn: one pie per value of `group`, each slice a `label` with its
/// `value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chart {
    /// The column splitting the rows into charts.
    pub group: usize,
    /// The slices' names.
    pub label: usize,
    /// The slices' sizes.
    pub value: usize,
}
