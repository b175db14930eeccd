//! ADS's detailed report: a line per contact of the campaigns' lists, its record as
//! imported (the numbers, then the CSV's columns in the file's order), its tries and
//! status, and the duration, time and tags of its last attempt.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use ringhost_store::Store;
use ringhost_store::report::ContactWithLast;
use serde::de::{Deserializer, MapAccess, Visitor};

use crate::attempts::tags_text;
use crate::filter::{Filter, Scope};
use crate::reader;
use crate::table::{Cell, Column, Kind, Label, Output, Table, unique_key};

/// The columns before the record's own.
const LEADING: [Column; 3] = [
    Column::new("list", "Lista", "List", Kind::Text),
    Column::new("line", "Riga", "Line", Kind::Integer),
    Column::new("numbers", "Numeri", "Numbers", Kind::Text),
];

/// The columns after the record's own.
const TRAILING: [Column; 6] = [
    Column::new("tries", "Tentativi", "Tries", Kind::Integer),
    Column::new("status", "Esito", "Status", Kind::Text),
    Column::new(
        "last_outcome",
        "Ultimo risultato",
        "Last outcome",
        Kind::Text,
    ),
    Column::new(
        "last_talk_s",
        "Durata ultima (s)",
        "Last duration (s)",
        Kind::Duration,
    ),
    Column::new(
        "last_attempt_at",
        "Ultimo tentativo",
        "Last attempt",
        Kind::Time,
    ),
    Column::new("tags", "Etichette", "Tags", Kind::Text),
];

/// A contact's variables in the order of its file's columns (a JSON object read as
/// it is written; `serde_json::Value` would sort the names). A value that is not
/// text is kept as its JSON.
#[derive(Debug, Default)]
pub struct Variables(pub Vec<(String, String)>);

impl<'de> serde::Deserialize<'de> for Variables {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Pairs;
        impl<'de> Visitor<'de> for Pairs {
            type Value = Variables;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of a contact's columns")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Variables, A::Error> {
                let mut pairs = Vec::new();
                while let Some((name, value)) = map.next_entry::<String, serde_json::Value>()? {
                    let text = match value {
                        serde_json::Value::String(text) => text,
                        other => other.to_string(),
                    };
                    pairs.push((name, text));
                }
                Ok(Variables(pairs))
            }
        }
        deserializer.deserialize_map(Pairs)
    }
}

/// A contact's variables from their JSON text; none when it cannot be read.
fn variables(json: &str) -> Vec<(String, String)> {
    serde_json::from_str::<Variables>(json)
        .map(|v| v.0)
        .unwrap_or_default()
}

/// Reads the contacts of the filter's campaigns' lists (with a span of time, those
/// called within it), in their lists' order, as they are written out.
///
/// # Errors
/// When the database cannot be read.
pub async fn read(store: &Store, filter: &Filter) -> anyhow::Result<Output> {
    let scope = filter.resolve(store).await?;
    let list_ids = scope.list_ids();
    // The record's columns: each list's header, in order, each name once.
    let mut columns: Vec<Column> = LEADING.to_vec();
    let mut names: Vec<String> = Vec::new();
    for &list in &list_ids {
        if let Some(first) = store.contacts(list, 0, 1).await?.first() {
            for (name, _) in variables(&first.variables) {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
    }
    let mut place: HashMap<String, usize> = HashMap::new();
    for name in &names {
        let reserved: Vec<Column> = columns.iter().chain(TRAILING.iter()).cloned().collect();
        let key = unique_key(name, &reserved);
        place.insert(name.clone(), columns.len());
        columns.push(Column {
            key: Cow::Owned(key),
            label: Label::Verbatim(name.clone()),
            kind: Kind::Text,
        });
    }
    columns.extend(TRAILING);
    let width = columns.len();
    let total = match filter.from_ms.or(filter.until_ms) {
        // Only the contacts called within the span: not known before they are read.
        Some(_) => 0,
        None => u64::try_from(store.count_contacts_in(&list_ids).await?)?,
    };
    let (store, attempts) = (store.clone(), scope.attempts.clone());
    let rows = reader::spawn(total, move |out| async move {
        let line = |row: ContactWithLast| line(row, &scope, &place, width);
        reader::pump(store.contacts_with_last(&list_ids, &attempts), line, out).await;
    });
    Ok(Output {
        tables: vec![Table {
            name: "detailed",
            title: Label::Words("Report dettagliato", "Detailed report"),
            columns,
            rows,
            pies: None,
        }],
        bars: Vec::new(),
    })
}

/// A contact's line: `place` says which column each variable goes in.
fn line(
    row: ContactWithLast,
    scope: &Scope,
    place: &HashMap<String, usize>,
    width: usize,
) -> Vec<Cell> {
    let c = row.contact;
    let mut cells = Vec::with_capacity(width);
    cells.push(Cell::Text(
        scope
            .lists
            .get(&c.list_id)
            .cloned()
            .unwrap_or_else(|| format!("#{}", c.list_id)),
    ));
    cells.push(Cell::Integer(c.line));
    cells.push(Cell::Text(c.numbers.join("|")));
    let record_end = width - TRAILING.len();
    cells.resize(record_end, Cell::Empty);
    for (name, value) in variables(&c.variables) {
        if let Some(&at) = place.get(&name) {
            cells[at] = Cell::Text(value);
        }
    }
    let last = row.last;
    let status = c
        .status
        .or_else(|| last.as_ref().and_then(|a| a.status.clone()));
    cells.push(Cell::Integer(c.attempts));
    cells.push(Cell::text_or_empty(status));
    match last {
        Some(a) => {
            cells.push(Cell::text_or_empty(a.outcome));
            cells.push(a.talk_ms.map_or(Cell::Empty, Cell::Duration));
            cells.push(Cell::Time(a.start.started_at_ms));
            cells.push(Cell::Text(tags_text(&a.tags)));
        }
        None => cells.extend([Cell::Empty, Cell::Empty, Cell::Empty, Cell::Empty]),
    }
    cells
}
