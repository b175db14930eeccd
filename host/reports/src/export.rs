//! A table written as JSON, CSV or a spreadsheet: every format from the same cells.
//!
//! Text that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`,
//! a tab or a carriage return) is written into CSV behind an apostrophe, which
//! spreadsheets show as text (OWASP's advice on CSV injection); in the XLSX every
//! text cell is a string, never a formula.

use std::io::Write;

use rust_xlsxwriter::{Chart, ChartType, Format as CellFormat, FormatBorder, Workbook};
use serde_json::{Map, Value, json};

use crate::table::{Cell, Kind, Table};

/// A label in the reader's language, from its Italian and English.
pub type Pick = fn((&'static str, &'static str)) -> &'static str;

/// The table as JSON: the report, its columns (key, label, kind) and its rows, each an
/// object by column key.
pub fn json(table: &Table, pick: Pick) -> Value {
    let columns: Vec<Value> = table
        .columns
        .iter()
        .map(|c| json!({"key": c.key, "label": pick(c.label), "kind": c.kind}))
        .collect();
    let rows: Vec<Value> = table
        .rows
        .iter()
        .map(|row| {
            let object: Map<String, Value> = table
                .columns
                .iter()
                .zip(row)
                .map(|(column, cell)| (column.key.to_owned(), json!(cell)))
                .collect();
            Value::Object(object)
        })
        .collect();
    json!({"report": table.report, "columns": columns, "rows": rows})
}

/// The table as CSV: a header of the columns' keys, then the rows as they are read.
///
/// # Errors
/// When `out` cannot be written.
pub fn csv(table: &Table, out: impl Write) -> anyhow::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(table.columns.iter().map(|c| c.key))?;
    for row in &table.rows {
        writer.write_record(row.iter().map(|cell| match cell {
            Cell::Text(text) => defused(text),
            other => other.text(),
        }))?;
    }
    writer.flush()?;
    Ok(())
}

/// `text`, behind an apostrophe when a spreadsheet would run it as a formula.
fn defused(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// The table as an XLSX workbook: one sheet, a bold and frozen header with an
/// autofilter, numbers and shares as typed cells, and a native pie chart per group of
/// a table that has a chart.
///
/// # Errors
/// When the workbook cannot be made (a table too large for a sheet).
pub fn xlsx(table: &Table, pick: Pick) -> anyhow::Result<Vec<u8>> {
    let mut workbook = Workbook::new();
    let header = CellFormat::new()
        .set_bold()
        .set_border_bottom(FormatBorder::Thin)
        .set_background_color("#E8EEF6");
    let share = CellFormat::new().set_num_format("0.00%");
    let whole = CellFormat::new().set_num_format("0");
    let sheet_name = table.report;
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name)?;
    for (c, column) in table.columns.iter().enumerate() {
        let c = u16::try_from(c)?;
        sheet.write_string_with_format(0, c, pick(column.label), &header)?;
        sheet.set_column_width(c, 18)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        let r = u32::try_from(r + 1)?;
        for (c, cell) in row.iter().enumerate() {
            let c = u16::try_from(c)?;
            match cell {
                Cell::Text(text) => sheet.write_string(r, c, text)?,
                Cell::Integer(n) => sheet.write_number_with_format(r, c, *n as f64, &whole)?,
                Cell::Share(x) => sheet.write_number_with_format(r, c, *x, &share)?,
            };
        }
    }
    let last_row = u32::try_from(table.rows.len())?;
    let last_col = u16::try_from(table.columns.len().saturating_sub(1))?;
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, last_row.max(1), last_col)?;
    if let Some(chart) = table.chart {
        // One pie per run of rows of the same group, side by side right of the table.
        let mut start = 0;
        let mut placed = 0u32;
        while start < table.rows.len() {
            let group = &table.rows[start][chart.group];
            let end = table.rows[start..]
                .iter()
                .position(|row| &row[chart.group] != group)
                .map_or(table.rows.len(), |n| start + n);
            let (first, last) = (u32::try_from(start + 1)?, u32::try_from(end)?);
            let (label, value) = (u16::try_from(chart.label)?, u16::try_from(chart.value)?);
            let mut pie = Chart::new(ChartType::Pie);
            pie.add_series()
                .set_name(group.text().as_str())
                .set_categories((sheet_name, first, label, last, label))
                .set_values((sheet_name, first, value, last, value));
            pie.title().set_name(&group.text());
            sheet.insert_chart(1 + placed * 16, last_col + 2, &pie)?;
            placed += 1;
            start = end;
        }
    }
    // Kinds the sheet writes typed; a new kind must say how.
    debug_assert!(
        table
            .columns
            .iter()
            .all(|c| matches!(c.kind, Kind::Text | Kind::Integer | Kind::Share))
    );
    Ok(workbook.save_to_buffer()?)
}

/// A way of writing a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// [`json`].
    Json,
    /// [`csv`].
    Csv,
    /// [`xlsx`].
    Xlsx,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 3] = [Format::Json, Format::Csv, Format::Xlsx];

    /// Its name in addresses, and its files' extension.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    /// The format called `name`.
    pub fn parse(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.as_str() == name)
    }

    /// Its media type.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// `table` written in `format`.
///
/// # Errors
/// When it cannot be written (a table too large for a sheet).
pub fn write(table: &Table, format: Format, pick: Pick) -> anyhow::Result<Vec<u8>> {
    Ok(match format {
        Format::Json => serde_json::to_vec(&json(table, pick))?,
        Format::Csv => {
            let mut bytes = Vec::new();
            csv(table, &mut bytes)?;
            bytes
        }
        Format::Xlsx => xlsx(table, pick)?,
    })
}

/// A report written as a file to download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    /// Its media type.
    pub content_type: &'static str,
    /// Its `Content-Disposition`: an attachment named after the report.
    pub disposition: String,
    /// The file.
    pub bytes: Vec<u8>,
}

/// `table` as a file in `format`.
///
/// # Errors
/// As [`write`].
pub fn download(table: &Table, format: Format, pick: Pick) -> anyhow::Result<Download> {
    Ok(Download {
        content_type: format.content_type(),
        disposition: format!(
            "attachment; filename=\"{}.{}\"",
            table.report,
            format.as_str()
        ),
        bytes: write(table, format, pick)?,
    })
}
