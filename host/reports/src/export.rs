//! A report written as JSON, CSV or a spreadsheet: every format from the same cells,
//! written as the rows arrive, so that a report of a million lines takes the memory
//! of a few batches (the spreadsheet's sheets go to temporary files, its constant
//! memory mode, and are zipped into the output at the end).
//!
//! Text that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`,
//! a tab or a carriage return) is written into CSV behind an apostrophe, which
//! spreadsheets show as text (OWASP's advice on CSV injection); in the XLSX every
//! text cell is a string, never a formula. Phone numbers (`+39...`, and several
//! joined by `|`) are left as they are: made of digits and signs only, they can
//! name no function, cell or program.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use rust_xlsxwriter::{Chart, ChartType, Format as CellFormat, FormatBorder, Workbook, Worksheet};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::locale::Locale;
use crate::table::{Cell, Column, Kind, Output, Pies, Table, seconds};

/// A way of writing a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One object: the report and its tables, each with columns and rows.
    Json,
    /// Each table's header and rows; tables apart by an empty line.
    Csv,
    /// A workbook with a sheet per table.
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

    /// The `Content-Disposition` of report `name` in this format: an attachment
    /// named after it.
    pub fn disposition(self, name: &str) -> String {
        format!("attachment; filename=\"{name}.{}\"", self.as_str())
    }
}

/// A cell as text, as CSV and the page write it (JSON writes the same values): times
/// in the reader's zone with their offset, durations in whole seconds, text that a
/// spreadsheet would run defused.
pub fn cell_text(cell: &Cell, locale: &Locale) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Text(text) => defused(text),
        Cell::Integer(n) => n.to_string(),
        // As JSON writes it, so that the two agree to the character.
        Cell::Share(x) => json!(x).to_string(),
        Cell::Duration(ms) => seconds(*ms).to_string(),
        Cell::Time(ms) => time_text(*ms, locale),
        Cell::Day(day) => day.format("%Y-%m-%d").to_string(),
    }
}

/// A moment as RFC 3339 in the reader's zone (`2026-12-07T17:05:03+01:00`).
pub fn time_text(ms: i64, locale: &Locale) -> String {
    locale
        .time(ms)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// A cell as JSON: numbers as numbers, nothing as null.
pub fn cell_json(cell: &Cell, locale: &Locale) -> Value {
    match cell {
        Cell::Empty => Value::Null,
        Cell::Text(text) => Value::String(text.clone()),
        Cell::Integer(n) => json!(n),
        Cell::Share(x) => json!(x),
        Cell::Duration(ms) => json!(seconds(*ms)),
        Cell::Time(ms) => Value::String(time_text(*ms, locale)),
        Cell::Day(day) => Value::String(day.format("%Y-%m-%d").to_string()),
    }
}

/// Whether a spreadsheet would run `text` as a formula that can do harm: it starts
/// as a formula does and holds more than digits and arithmetic signs.
pub fn is_formula(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
        && !text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | '|' | ' ' | '(' | ')'))
}

/// `text`, behind an apostrophe when a spreadsheet would run it as a formula.
fn defused(text: &str) -> String {
    if is_formula(text) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// Writes `output` in `format` to `out` as its rows arrive, counting the rows written
/// into `progress`. Blocks (run it where that is allowed: `spawn_blocking`).
///
/// # Errors
/// When the store could not be read, or `out` written (a reader gone).
pub fn write(
    output: Output,
    report: &str,
    format: Format,
    locale: &Locale,
    out: impl Write + Send,
    progress: &AtomicU64,
) -> anyhow::Result<()> {
    match format {
        Format::Json => json(output, report, locale, out, progress),
        Format::Csv => csv(output, locale, out, progress),
        Format::Xlsx => xlsx(output, locale, out, progress),
    }
}

/// The report as one JSON object: `{"report", "tables": [{"name", "title",
/// "columns": [{"key", "label", "kind"}], "rows": [{key: value}]}]}`.
fn json(
    output: Output,
    report: &str,
    locale: &Locale,
    out: impl Write,
    progress: &AtomicU64,
) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    write!(out, "{{\"report\":{},\"tables\":[", json!(report))?;
    for (t, mut table) in output.tables.into_iter().enumerate() {
        if t > 0 {
            out.write_all(b",")?;
        }
        let columns: Vec<Value> = table
            .columns
            .iter()
            .map(|c| json!({"key": c.key, "label": locale.label(&c.label), "kind": c.kind}))
            .collect();
        write!(
            out,
            "{{\"name\":{},\"title\":{},\"columns\":{},\"rows\":[",
            json!(table.name),
            json!(locale.label(&table.title)),
            Value::Array(columns)
        )?;
        let mut first = true;
        while let Some(batch) = table.rows.next_batch_blocking()? {
            for row in &batch {
                if !first {
                    out.write_all(b",")?;
                }
                first = false;
                let object: serde_json::Map<String, Value> = table
                    .columns
                    .iter()
                    .zip(row)
                    .map(|(column, cell)| (column.key.to_string(), cell_json(cell, locale)))
                    .collect();
                serde_json::to_writer(&mut out, &object)?;
            }
            progress.fetch_add(batch.len() as u64, Ordering::Relaxed);
            table.rows.recycle(batch);
        }
        out.write_all(b"]}")?;
    }
    out.write_all(b"]}")?;
    out.flush()?;
    Ok(())
}

/// The report as CSV: each table's header of its columns' keys, then its rows.
fn csv(
    output: Output,
    locale: &Locale,
    out: impl Write,
    progress: &AtomicU64,
) -> anyhow::Result<()> {
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_writer(out);
    for (t, mut table) in output.tables.into_iter().enumerate() {
        if t > 0 {
            writer.write_record(None::<&[u8]>)?;
        }
        writer.write_record(table.columns.iter().map(|c| c.key.as_ref()))?;
        let mut text = String::new();
        while let Some(batch) = table.rows.next_batch_blocking()? {
            for row in &batch {
                for cell in row {
                    match cell {
                        // The common cells are written without a String of their own.
                        Cell::Text(t) if !is_formula(t) => {
                            writer.write_field(t)?;
                        }
                        Cell::Integer(n) => {
                            use std::fmt::Write as _;
                            text.clear();
                            write!(text, "{n}")?;
                            writer.write_field(&text)?;
                        }
                        other => writer.write_field(cell_text(other, locale))?,
                    }
                }
                writer.write_record(None::<&[u8]>)?;
            }
            progress.fetch_add(batch.len() as u64, Ordering::Relaxed);
            table.rows.recycle(batch);
        }
    }
    writer.flush()?;
    Ok(())
}

/// The cell formats of a workbook.
struct Formats {
    header: CellFormat,
    share: CellFormat,
    whole: CellFormat,
    time: CellFormat,
    day: CellFormat,
}

/// The report as an XLSX workbook: a sheet per table, a bold and frozen header with
/// an autofilter, numbers, shares, times and days as typed cells, and a native pie
/// chart per group of a table that has pies. Sheets are written row by row to
/// temporary files, so the rows are never all held.
fn xlsx(
    output: Output,
    locale: &Locale,
    out: impl Write + Send,
    progress: &AtomicU64,
) -> anyhow::Result<()> {
    let mut workbook = Workbook::new();
    let formats = Formats {
        header: CellFormat::new()
            .set_bold()
            .set_border_bottom(FormatBorder::Thin)
            .set_background_color("#E8EEF6"),
        share: CellFormat::new().set_num_format("0.00%"),
        whole: CellFormat::new().set_num_format("0"),
        time: CellFormat::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
        day: CellFormat::new().set_num_format("yyyy-mm-dd"),
    };
    for mut table in output.tables {
        let sheet = workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name(table.name)?;
        for (c, column) in table.columns.iter().enumerate() {
            let c = u16::try_from(c)?;
            sheet.write_string_with_format(0, c, locale.label(&column.label), &formats.header)?;
            sheet.set_column_width(c, width(column))?;
        }
        let mut rows: Vec<Vec<Cell>> = Vec::new();
        let mut r: u32 = 0;
        while let Some(batch) = table.rows.next_batch_blocking()? {
            for row in &batch {
                r += 1;
                write_row(sheet, r, row, locale, &formats)?;
            }
            progress.fetch_add(batch.len() as u64, Ordering::Relaxed);
            if table.pies.is_some() {
                rows.extend(batch);
            } else {
                table.rows.recycle(batch);
            }
        }
        let last_col = u16::try_from(table.columns.len().saturating_sub(1))?;
        sheet.set_freeze_panes(1, 0)?;
        sheet.autofilter(0, 0, r.max(1), last_col)?;
        if let Some(pies) = table.pies {
            insert_pies(sheet, &table, pies, &rows, last_col)?;
        }
    }
    workbook.save_to_writer(out)?;
    Ok(())
}

/// A column's width in characters, by what it holds.
fn width(column: &Column) -> f64 {
    match column.kind {
        Kind::Time => 20.0,
        Kind::Day => 12.0,
        _ => 16.0,
    }
}

/// Writes one row of cells, each as the type it is.
fn write_row(
    sheet: &mut Worksheet,
    r: u32,
    row: &[Cell],
    locale: &Locale,
    formats: &Formats,
) -> anyhow::Result<()> {
    for (c, cell) in row.iter().enumerate() {
        let c = u16::try_from(c)?;
        match cell {
            Cell::Empty => continue,
            Cell::Text(text) => sheet.write_string(r, c, text)?,
            Cell::Integer(n) => sheet.write_number_with_format(r, c, *n as f64, &formats.whole)?,
            Cell::Share(x) => sheet.write_number_with_format(r, c, *x, &formats.share)?,
            Cell::Duration(ms) => {
                sheet.write_number_with_format(r, c, seconds(*ms) as f64, &formats.whole)?
            }
            Cell::Time(ms) => {
                let local = locale.time(*ms).naive_local();
                sheet.write_datetime_with_format(r, c, local, &formats.time)?
            }
            Cell::Day(day) => sheet.write_datetime_with_format(r, c, *day, &formats.day)?,
        };
    }
    Ok(())
}

/// One pie per run of rows of the same group, side by side right of the table.
fn insert_pies(
    sheet: &mut Worksheet,
    table: &Table,
    pies: Pies,
    rows: &[Vec<Cell>],
    last_col: u16,
) -> anyhow::Result<()> {
    let sheet_name = table.name;
    let mut start = 0;
    let mut placed = 0u32;
    while start < rows.len() {
        let group = &rows[start][pies.group];
        let end = rows[start..]
            .iter()
            .position(|row| &row[pies.group] != group)
            .map_or(rows.len(), |n| start + n);
        let (first, last) = (u32::try_from(start + 1)?, u32::try_from(end)?);
        let (label, value) = (u16::try_from(pies.label)?, u16::try_from(pies.value)?);
        let title = match group {
            Cell::Text(text) => text.clone(),
            _ => String::new(),
        };
        let mut pie = Chart::new(ChartType::Pie);
        pie.add_series()
            .set_name(title.as_str())
            .set_categories((sheet_name, first, label, last, label))
            .set_values((sheet_name, first, value, last, value));
        pie.title().set_name(&title);
        sheet.insert_chart(1 + placed * 16, last_col + 2, &pie)?;
        placed += 1;
        start = end;
    }
    Ok(())
}

/// A writer that sends what is written, in chunks, to an async reader (an HTTP
/// response's body): a blocking writer feeding a streamed download.
pub struct ChunkWriter {
    chunk: Vec<u8>,
    to: mpsc::Sender<std::io::Result<Vec<u8>>>,
}

/// Bytes per chunk sent.
const CHUNK: usize = 1 << 16;

impl ChunkWriter {
    /// A writer sending to `to`.
    pub fn new(to: mpsc::Sender<std::io::Result<Vec<u8>>>) -> Self {
        ChunkWriter {
            chunk: Vec::with_capacity(CHUNK),
            to,
        }
    }

    fn send(&mut self) -> std::io::Result<()> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK));
        self.to
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the reader is gone"))
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.chunk.extend_from_slice(bytes);
        if self.chunk.len() >= CHUNK {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

impl Drop for ChunkWriter {
    fn drop(&mut self) {
        let _ = self.send();
    }
}

/// `output` written in `format` by a blocking task, its bytes arriving in chunks:
/// what a download streams. An error ends the chunks with an error, so that the
/// download fails rather than look complete.
pub fn stream(
    output: Output,
    report: &'static str,
    format: Format,
    locale: Locale,
) -> mpsc::Receiver<std::io::Result<Vec<u8>>> {
    let (tx, rx) = mpsc::channel(4);
    tokio::task::spawn_blocking(move || {
        let progress = AtomicU64::new(0);
        let out = ChunkWriter::new(tx.clone());
        if let Err(error) = write(output, report, format, &locale, out, &progress) {
            tracing::warn!(
                report,
                error = format!("{error:#}"),
                "a report's download stopped"
            );
            let _ = tx.blocking_send(Err(std::io::Error::other(error.to_string())));
        }
    });
    rx
}
