//! ADS's statistics by campaign: the records the campaigns called, each by its last
//! finished attempt, counted by status, by number of attempts and by tag, each count
//! with its share of the records.

use ringhost_store::Store;

use crate::filter::Filter;
use crate::table::{Cell, Column, Kind, Label, Output, Pies, Rows, Table};

/// The columns: the grouping, its value, the records and their share.
pub const COLUMNS: [Column; 4] = [
    Column::new("group", "Raggruppamento", "Grouped by", Kind::Text),
    Column::new("value", "Valore", "Value", Kind::Text),
    Column::new("records", "Record", "Records", Kind::Integer),
    Column::new("share", "Percentuale", "Share", Kind::Share),
];

/// The groupings, as the `group` column names them.
pub const BY_STATUS: &str = "status";
/// Records by how many attempts they had.
pub const BY_ATTEMPTS: &str = "attempts";
/// Records by tag (a record with two tags counts under each).
pub const BY_TAG: &str = "tag";

/// Reads the statistics of the filter's campaigns.
///
/// # Errors
/// When the database cannot be read.
pub async fn read(store: &Store, filter: &Filter) -> anyhow::Result<Output> {
    let stats = store
        .campaign_stats(&filter.resolve(store).await?.attempts)
        .await?;
    let share = |n: i64| {
        if stats.records == 0 {
            0.0
        } else {
            n as f64 / stats.records as f64
        }
    };
    let line = |group: &str, value: String, n: i64| {
        vec![
            Cell::Text(group.to_owned()),
            Cell::Text(value),
            Cell::Integer(n),
            Cell::Share(share(n)),
        ]
    };
    let mut rows = Vec::new();
    rows.extend(
        stats
            .by_status
            .iter()
            .map(|(status, n)| line(BY_STATUS, status.clone(), *n)),
    );
    rows.extend(
        stats
            .by_attempts
            .iter()
            .map(|(attempts, n)| line(BY_ATTEMPTS, attempts.to_string(), *n)),
    );
    rows.extend(
        stats
            .by_tag
            .iter()
            .map(|(tag, n)| line(BY_TAG, tag.clone(), *n)),
    );
    Ok(Output {
        tables: vec![Table {
            name: "campaign-stats",
            title: Label::Words("Statistiche per campagna", "Statistics by campaign"),
            columns: COLUMNS.to_vec(),
            rows: Rows::Ready(rows),
            pies: Some(Pies {
                group: 0,
                label: 1,
                value: 2,
            }),
        }],
        bars: Vec::new(),
    })
}
