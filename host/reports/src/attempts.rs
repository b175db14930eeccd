//! Every attempt with every field the product records (campaign, list, contact,
//! number, attempt number, trunk, times, durations, SIP code, cause, outcome,
//! disposition, tags, agent): with a month's span, TVox's monthly history. Attempts
//! outlive their campaigns, and a deleted campaign is named as its last run was.

use ringhost_store::Store;
use ringhost_store::attempt::AttemptRow;

use crate::filter::{Filter, Scope};
use crate::locale::Locale;
use crate::table::{Cell, Column, DailyBars, Kind, Label, Output, Table};
use crate::{Use, reader};

/// The columns, in the order of the product's list.
pub const COLUMNS: [Column; 27] = [
    Column::new("id", "Id", "Id", Kind::Integer),
    Column::new("campaign", "Campagna", "Campaign", Kind::Text),
    Column::new("run", "Esecuzione", "Run", Kind::Integer),
    Column::new("list", "Lista", "List", Kind::Text),
    Column::new("contact", "Contatto", "Contact", Kind::Integer),
    Column::new("number", "Numero", "Number", Kind::Text),
    Column::new("attempt", "Tentativo", "Attempt", Kind::Integer),
    Column::new("trunk", "Trunk", "Trunk", Kind::Text),
    Column::new("started_at", "Inizio", "Started", Kind::Time),
    Column::new("ring_at", "Squillo", "Ringing", Kind::Time),
    Column::new("answer_at", "Risposta", "Answered", Kind::Time),
    Column::new("end_at", "Fine", "Ended", Kind::Time),
    Column::new("ring_s", "Squillo (s)", "Ring (s)", Kind::Duration),
    Column::new("talk_s", "Conversazione (s)", "Talk (s)", Kind::Duration),
    Column::new("sip_code", "Codice SIP", "SIP code", Kind::Integer),
    Column::new("cause", "Causa Q.850", "Q.850 cause", Kind::Integer),
    Column::new("outcome", "Risultato", "Outcome", Kind::Text),
    Column::new("status", "Esito", "Disposition", Kind::Text),
    Column::new("retry", "Da richiamare", "Retry", Kind::Text),
    Column::new("tags", "Etichette", "Tags", Kind::Text),
    Column::new("agent", "Operatore", "Agent", Kind::Text),
    Column::new("confirmed", "Confermato", "Confirmed", Kind::Text),
    Column::new("hangup_by", "Chiuso da", "Hung up by", Kind::Text),
    Column::new("queue_result", "Coda", "Queue result", Kind::Text),
    Column::new("ivr_result", "IVR", "IVR result", Kind::Text),
    Column::new("note", "Nota", "Note", Kind::Text),
    Column::new("state", "Stato", "State", Kind::Text),
];

/// A tags column's text: the attempt's tags (a JSON array) joined by commas.
pub fn tags_text(tags: &str) -> String {
    // Most attempts have none.
    if tags == "[]" {
        return String::new();
    }
    serde_json::from_str::<Vec<String>>(tags)
        .unwrap_or_default()
        .join(", ")
}

/// `yes`, `no` or nothing.
fn yes_no(flag: Option<bool>) -> Cell {
    match flag {
        Some(true) => Cell::Text("yes".to_owned()),
        Some(false) => Cell::Text("no".to_owned()),
        None => Cell::Empty,
    }
}

/// An attempt's line.
fn line(a: AttemptRow, scope: &Scope) -> Vec<Cell> {
    vec![
        Cell::Integer(a.id),
        Cell::Text(scope.campaign_name(a.start.campaign_id)),
        Cell::Integer(a.start.run),
        Cell::Text(
            scope
                .lists
                .get(&a.start.list_id)
                .cloned()
                .unwrap_or_else(|| format!("#{}", a.start.list_id)),
        ),
        Cell::Integer(a.start.contact_id),
        Cell::Text(a.start.number),
        Cell::Integer(a.start.attempt),
        Cell::text_or_empty(a.trunk),
        Cell::Time(a.start.started_at_ms),
        Cell::time_or_empty(a.ring_at_ms),
        Cell::time_or_empty(a.answer_at_ms),
        Cell::time_or_empty(a.end_at_ms),
        a.ring_ms.map_or(Cell::Empty, Cell::Duration),
        a.talk_ms.map_or(Cell::Empty, Cell::Duration),
        Cell::integer_or_empty(a.sip_code),
        Cell::integer_or_empty(a.cause),
        Cell::text_or_empty(a.outcome),
        Cell::text_or_empty(a.status),
        yes_no(a.retry),
        Cell::Text(tags_text(&a.tags)),
        Cell::text_or_empty(a.agent),
        yes_no(Some(a.confirmed)),
        Cell::text_or_empty(a.hangup_by),
        Cell::text_or_empty(a.queue_result),
        Cell::text_or_empty(a.ivr_result),
        Cell::text_or_empty(a.note),
        Cell::Text(a.state),
    ]
}

/// Reads the filter's attempts, oldest first, as they are written out; for a page,
/// with the attempts per day by outcome.
///
/// # Errors
/// When the database cannot be read.
pub async fn read(
    store: &Store,
    filter: &Filter,
    locale: &Locale,
    usage: Use,
) -> anyhow::Result<Output> {
    let scope = filter.resolve(store).await?;
    let total = u64::try_from(store.count_attempts_in(&scope.attempts).await?)?;
    let bars = match usage {
        Use::Page => vec![by_outcome(store, &scope, locale).await?],
        Use::File => Vec::new(),
    };
    let (store, attempts) = (store.clone(), scope.attempts.clone());
    let rows = reader::spawn(total, move |out| async move {
        reader::pump(store.attempts_in(&attempts), |a| line(a, &scope), out).await;
    });
    Ok(Output {
        tables: vec![Table {
            name: "attempts",
            title: Label::Words("Tentativi", "Attempts"),
            columns: COLUMNS.to_vec(),
            rows,
            pies: None,
        }],
        bars,
    })
}

/// The most outcomes a chart shows one by one; the rest are "other".
const OUTCOMES_SHOWN: usize = 6;

/// Attempts per day (of their start) by outcome, stacked.
async fn by_outcome(store: &Store, scope: &Scope, locale: &Locale) -> anyhow::Result<DailyBars> {
    let quarters = store.attempt_quarters(&scope.attempts).await?;
    let (Some(first), Some(last)) = (quarters.first(), quarters.last()) else {
        return Ok(DailyBars {
            title: Label::Words("Tentativi al giorno", "Attempts per day"),
            days: Vec::new(),
            series: Vec::new(),
            stacked: true,
        });
    };
    let days = locale.days(first.quarter_ms, last.quarter_ms + 1);
    let mut totals: Vec<(String, i64)> = Vec::new();
    for q in &quarters {
        let name = q
            .outcome
            .clone()
            .unwrap_or_else(|| "in progress".to_owned());
        match totals.iter_mut().find(|(o, _)| *o == name) {
            Some((_, n)) => *n += q.n,
            None => totals.push((name, q.n)),
        }
    }
    totals.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut names: Vec<String> = totals
        .iter()
        .take(OUTCOMES_SHOWN)
        .map(|(o, _)| o.clone())
        .collect();
    let other = totals.len() > OUTCOMES_SHOWN;
    if other {
        names.push("other".to_owned());
    }
    let mut series: Vec<(String, Vec<f64>)> = names
        .iter()
        .map(|n| (n.clone(), vec![0.0; days.len()]))
        .collect();
    for q in &quarters {
        let name = q.outcome.as_deref().unwrap_or("in progress");
        let at = names
            .iter()
            .position(|n| n == name)
            .unwrap_or(names.len() - 1);
        if let Ok(day) = days.binary_search(&locale.day_of(q.quarter_ms)) {
            series[at].1[day] += q.n as f64;
        }
    }
    Ok(DailyBars {
        title: Label::Words("Tentativi al giorno", "Attempts per day"),
        days,
        series,
        stacked: true,
    })
}
