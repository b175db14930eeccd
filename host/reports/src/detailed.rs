//! ADS's detailed report: a line per contact of the campaigns' lists, its record as
//! imported (the numbers, then the CSV's columns in the file's order), its tries and
//! status, and the duration, time and tags of its last attempt.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use futures_util::StreamExt as _;
use ringhost_store::Store;
use ringhost_store::report::ContactWithLast;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

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
                    pairs.push((name, value_text(value)));
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

/// A variable's value as a cell shows it: text as it is, anything else as its JSON.
fn value_text(value: serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text,
        other => other.to_string(),
    }
}

/// A variable's name, borrowed from the JSON text unless it has escapes.
struct Name<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl<'de> Visitor<'de> for Text {
            type Value = Name<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a column's name")
            }
            fn visit_borrowed_str<E>(self, name: &'de str) -> Result<Name<'de>, E> {
                Ok(Name(Cow::Borrowed(name)))
            }
            fn visit_str<E>(self, name: &str) -> Result<Name<'de>, E> {
                Ok(Name(Cow::Owned(name.to_owned())))
            }
        }
        deserializer.deserialize_str(Text)
    }
}

/// A variable's value written into `self`'s memory, as [`value_text`] makes it.
struct ValueInto<'s>(&'s mut String);

impl<'de> DeserializeSeed<'de> for ValueInto<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueInto<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a column's value")
    }
    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<(), E> {
        self.0.push_str(text);
        Ok(())
    }
    // Anything else as its JSON, made as `serde_json::Value` makes it.
    fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<(), E> {
        self.json(serde_json::Value::Bool(b))
    }
    fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<(), E> {
        self.json(serde_json::Value::from(n))
    }
    fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<(), E> {
        self.json(serde_json::Value::from(n))
    }
    fn visit_f64<E: serde::de::Error>(self, x: f64) -> Result<(), E> {
        self.json(serde_json::Value::from(x))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.json(serde_json::Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        let value =
            serde::Deserialize::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
        self.json(value)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let value =
            serde::Deserialize::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        self.json(value)
    }
}

impl ValueInto<'_> {
    fn json<E>(self, value: serde_json::Value) -> Result<(), E> {
        self.0.push_str(&value_text(value));
        Ok(())
    }
}

/// A contact's variables read straight into the cells `place` gives their names, as
/// [`variables`] reads them (the last of a name repeated wins), each text made in the
/// memory of one of `spare`.
struct Place<'p> {
    place: &'p HashMap<String, usize>,
    cells: &'p mut [Cell],
    spare: &'p mut Vec<String>,
}

impl<'de> DeserializeSeed<'de> for Place<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Place<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of a contact's columns")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Place {
            place,
            cells,
            spare,
        } = self;
        while let Some(Name(name)) = map.next_key::<Name<'de>>()? {
            match place.get(name.as_ref()) {
                Some(&at) => {
                    let mut text = spare.pop().unwrap_or_default();
                    map.next_value_seed(ValueInto(&mut text))?;
                    cells[at] = Cell::Text(text);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// Puts the variables of `json` into `cells` (the places `place` gives, empty); none
/// when it cannot be read, as [`variables`].
fn place_variables(
    json: &str,
    place: &HashMap<String, usize>,
    cells: &mut [Cell],
    spare: &mut Vec<String>,
) {
    let mut reader = serde_json::Deserializer::from_str(json);
    let read = Place {
        place,
        cells: &mut *cells,
        spare: &mut *spare,
    }
    .deserialize(&mut reader)
    .and_then(|()| reader.end());
    if read.is_err() {
        for &at in place.values() {
            clear(&mut cells[at], spare);
        }
    }
}

/// Texts kept for new cells, at most.
const SPARE: usize = 64;

/// `cell` made `text`, in the memory of the text it held, or of one of `spare`.
fn put(cell: &mut Cell, text: &str, spare: &mut Vec<String>) {
    match cell {
        Cell::Text(held) => {
            held.clear();
            held.push_str(text);
        }
        _ => {
            let mut held = spare.pop().unwrap_or_default();
            held.push_str(text);
            *cell = Cell::Text(held);
        }
    }
}

/// `cell` made empty, its text's memory kept in `spare`.
fn clear(cell: &mut Cell, spare: &mut Vec<String>) {
    if let Cell::Text(mut held) = std::mem::replace(cell, Cell::Empty)
        && spare.len() < SPARE
    {
        held.clear();
        spare.push(held);
    }
}

/// `cell` made `text`, or empty for none.
fn put_or_clear(cell: &mut Cell, text: Option<&str>, spare: &mut Vec<String>) {
    match text {
        Some(text) => put(cell, text, spare),
        None => clear(cell, spare),
    }
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
    let mut lines = Lines {
        scope,
        place,
        width,
        spare: Vec::new(),
    };
    let rows = reader::spawn(total, move |mut out| async move {
        let pages = store.contacts_with_last(&list_ids, &attempts);
        futures_util::pin_mut!(pages);
        while let Some(page) = pages.next().await {
            let page = match page {
                Ok(page) => page,
                Err(error) => return out.fail(error).await,
            };
            let contacts = match page.contacts() {
                Ok(contacts) => contacts,
                Err(error) => return out.fail(error).await,
            };
            for contact in contacts {
                let line = lines.line(contact, out.spare());
                if !out.push(line).await {
                    return;
                }
            }
        }
        out.finish().await;
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

/// What makes a contact's line.
struct Lines {
    scope: Scope,
    /// The column of each variable.
    place: HashMap<String, usize>,
    /// The columns.
    width: usize,
    /// Texts' memory, for new cells.
    spare: Vec<String>,
}

impl Lines {
    /// A contact's line, made in `cells`, a line written already (its texts' memory
    /// reused) or none.
    fn line(&mut self, c: ContactWithLast<'_>, mut cells: Vec<Cell>) -> Vec<Cell> {
        let spare = &mut self.spare;
        let record_end = self.width - TRAILING.len();
        cells.truncate(self.width);
        cells.resize(self.width, Cell::Empty);
        match self.scope.lists.get(&c.list_id) {
            Some(list) => put(&mut cells[0], list, spare),
            None => cells[0] = Cell::Text(format!("#{}", c.list_id)),
        }
        cells[1] = Cell::Integer(c.line);
        put(&mut cells[2], c.numbers, spare);
        // The record's cells are made anew, from the variables it has.
        for cell in &mut cells[LEADING.len()..record_end] {
            clear(cell, spare);
        }
        place_variables(c.variables, &self.place, &mut cells, spare);
        let last = c.last;
        let status = c.status.or_else(|| last.as_ref().and_then(|a| a.status));
        let trailing = &mut cells[record_end..];
        trailing[0] = Cell::Integer(c.attempts);
        put_or_clear(&mut trailing[1], status, spare);
        match last {
            Some(a) => {
                put_or_clear(&mut trailing[2], a.outcome, spare);
                trailing[3] = a.talk_ms.map_or(Cell::Empty, Cell::Duration);
                trailing[4] = Cell::Time(a.started_at_ms);
                put(&mut trailing[5], &tags_text(a.tags), spare);
            }
            None => {
                for cell in &mut trailing[2..] {
                    clear(cell, spare);
                }
            }
        }
        cells
    }
}
