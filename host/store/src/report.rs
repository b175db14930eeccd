//! The reports' reads: what the statistics of campaigns count, in one pass over the
//! attempts each time, so that a page, its JSON, its CSV and its spreadsheet are the
//! same numbers.

use std::collections::HashMap;

use anyhow::Context as _;
use sqlx::{AssertSqlSafe, Row as _};

use crate::{Backend, Store};

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
        let wheres = wheres.join(" AND ");
        let groups = match self.backend {
            Backend::Sqlite => self.last_attempts_sqlite(&wheres, &binds).await,
            Backend::Postgres => self.last_attempts_grouped(&wheres, &binds).await,
        }
        .context("cannot count the campaigns' records")?;
        for (status, attempts, tags, n) in groups {
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

    /// The last attempts of the records, counted by what the three countings need:
    /// `(status, attempts, tags, records)`, the status being the outcome or the state
    /// when there is none. In one pass over `attempt_report` (migration 0013), whose
    /// order (by campaign, contact, then newest first) gives each record's attempts
    /// together, its last one first, and which holds every column read.
    ///
    /// SQLite sorts to group: grouping the 300,000 records of a million attempts by
    /// status, attempts and tags took it as long as finding them. So each record comes
    /// back as a line of JSON in one text, counted here by line, and each distinct line
    /// (a few dozen) is read once.
    async fn last_attempts_sqlite(
        &self,
        wheres: &str,
        binds: &[i64],
    ) -> anyhow::Result<Vec<(String, i64, String, i64)>> {
        // A bare column beside MAX() is read from the row holding the maximum
        // (SQLite's documented rule): the record's last attempt. json_array escapes
        // every control character, so a line break only ends a line.
        let sql = format!(
            "SELECT group_concat(json_array(COALESCE(status, outcome, state), attempt, \
             tags), char(10)) \
             FROM (SELECT MAX(id), status, outcome, state, attempt, tags FROM attempt \
             WHERE {wheres} GROUP BY campaign_id, contact_id)"
        );
        let mut query = sqlx::query_scalar(AssertSqlSafe(sql));
        for value in binds {
            query = query.bind(*value);
        }
        let lines: Option<String> = query.fetch_one(&self.pool).await?;
        let lines = lines.unwrap_or_default();
        let mut counts: HashMap<&str, i64> = HashMap::new();
        for line in lines.split('\n').filter(|line| !line.is_empty()) {
            *counts.entry(line).or_default() += 1;
        }
        counts
            .into_iter()
            .map(|(line, n)| {
                let (status, attempts, tags): (String, i64, String) =
                    serde_json::from_str(line).with_context(|| format!("bad line {line}"))?;
                Ok((status, attempts, tags, n))
            })
            .collect()
    }

    /// [`Store::last_attempts_sqlite`]'s counts, grouped by PostgreSQL, which hashes
    /// to group: each record's last attempt found by an index-only scan of its
    /// `attempt_report` (which holds no text), then read by its id.
    async fn last_attempts_grouped(
        &self,
        wheres: &str,
        binds: &[i64],
    ) -> anyhow::Result<Vec<(String, i64, String, i64)>> {
        let sql = format!(
            "SELECT COALESCE(a.status, a.outcome, a.state), a.attempt, a.tags, COUNT(*) \
             FROM attempt a JOIN (SELECT MAX(id) AS id FROM attempt WHERE {wheres} \
             GROUP BY campaign_id, contact_id) l ON a.id = l.id \
             GROUP BY COALESCE(a.status, a.outcome, a.state), a.attempt, a.tags"
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for value in binds {
            query = query.bind(*value);
        }
        let rows = query.fetch_all(&self.pool).await?;
        Ok(rows
            .iter()
            .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3)))
            .collect())
    }
}

/// Adds `n` to `key`'s count.
fn add<K: PartialEq>(counts: &mut Vec<(K, i64)>, key: K, n: i64) {
    match counts.iter_mut().find(|(k, _)| *k == key) {
        Some((_, count)) => *count += n,
        None => counts.push((key, n)),
    }
}
