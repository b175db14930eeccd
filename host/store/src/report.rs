//! The reports' reads: what the statistics of campaigns count, in one pass over the
//! attempts each time, so that a page, its JSON, its CSV and its spreadsheet are the
//! same numbers.

use anyhow::Context as _;
use sqlx::{AssertSqlSafe, Row as _};

use crate::Store;

/// Which attempts a report counts: of these campaigns (none: no attempt), of one run,
/// started within a span of time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttemptFilter {
    /// The campaigns.
    pub campaign_ids: Vec<i64>,
    /// One run of theirs only.
    pub run: Option<i64>,
    /// Started at or after (ms since the epoch).
    pub from_ms: Option<i64>,
    /// Started before (ms since the epoch).
    pub until_ms: Option<i64>,
}

/// The records (contacts) a campaign called, each by its last finished attempt
/// within the filter, counted by their status, by how many attempts they had and by
/// tag: ADS's statistics by campaign.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CampaignStats {
    /// Records counted.
    pub records: i64,
    /// `(status, records)`, the status of the last attempt (its outcome when it has
    /// none), by status.
    pub by_status: Vec<(String, i64)>,
    /// `(attempts, records)`: how many attempts the records had, by number.
    pub by_attempts: Vec<(i64, i64)>,
    /// `(tag, records)`: records whose last attempt carries the tag, by tag.
    pub by_tag: Vec<(String, i64)>,
}

impl Store {
    /// The statistics of the records the filter's attempts called.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn campaign_stats(&self, filter: &AttemptFilter) -> anyhow::Result<CampaignStats> {
        let mut stats = CampaignStats::default();
        if filter.campaign_ids.is_empty() {
            return Ok(stats);
        }
        // The ids are numbers the caller looked up, written into the statement.
        let ids = filter
            .campaign_ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let mut wheres = vec![
            format!("campaign_id IN ({ids})"),
            "state IN ('ended', 'interrupted')".to_owned(),
        ];
        let mut binds = Vec::new();
        for (clause, value) in [
            ("run = ", filter.run),
            ("started_at_ms >= ", filter.from_ms),
            ("started_at_ms < ", filter.until_ms),
        ] {
            if let Some(value) = value {
                binds.push(value);
                wheres.push(format!("{clause}${}", binds.len()));
            }
        }
        // One pass: the last attempt of each record, grouped by what the three
        // countings need; the groups are few.
        let sql = format!(
            "SELECT COALESCE(a.status, a.outcome, a.state), a.attempt, a.tags, COUNT(*) \
             FROM attempt a JOIN (SELECT MAX(id) AS id FROM attempt WHERE {} \
             GROUP BY campaign_id, contact_id) l ON a.id = l.id \
             GROUP BY COALESCE(a.status, a.outcome, a.state), a.attempt, a.tags",
            wheres.join(" AND ")
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for value in binds {
            query = query.bind(value);
        }
        let rows = query
            .fetch_all(&self.pool)
            .await
            .context("cannot count the campaigns' records")?;
        for row in rows {
            let (status, attempts, tags, n): (String, i64, String, i64) =
                (row.get(0), row.get(1), row.get(2), row.get(3));
            stats.records += n;
            add(&mut stats.by_status, status, n);
            add(&mut stats.by_attempts, attempts, n);
            let tags: Vec<String> = serde_json::from_str(&tags).unwrap_or_default();
            let mut seen = Vec::new();
            for tag in tags {
                if !seen.contains(&tag) {
                    add(&mut stats.by_tag, tag.clone(), n);
                    seen.push(tag);
                }
            }
        }
        stats.by_status.sort();
        stats.by_attempts.sort();
        stats.by_tag.sort();
        Ok(stats)
    }
}

/// Adds `n` to `key`'s count.
fn add<K: PartialEq>(counts: &mut Vec<(K, i64)>, key: K, n: i64) {
    match counts.iter_mut().find(|(k, _)| *k == key) {
        Some((_, count)) => *count += n,
        None => counts.push((key, n)),
    }
}
