//! The reports' reads: what the statistics of campaigns count, in one pass over the
//! attempts each time, so that a page, its JSON, its CSV and its spreadsheet are the
//! same numbers.

use std::collections::HashMap;

use anyhow::Context as _;
use futures_util::{Stream, StreamExt as _, TryStreamExt as _};
use sqlx::{AssertSqlSafe, Row as _};

use crate::attempt::{AttemptRow, COLUMNS, attempt, attempt_at};
use crate::campaign::RunRow;
use crate::contact::{CONTACT_COLUMNS, ContactRow, DoNotCallRow, contact};
use crate::{Backend, Store};

/// Which campaigns a report covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Campaigns {
    /// Every campaign, those deleted since included: their attempts stay.
    #[default]
    All,
    /// These (none: no attempt).
    These(Vec<i64>),
}

/// Which attempts a report counts: of these campaigns, of one run, started within a
/// span of time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttemptFilter {
    /// The campaigns.
    pub campaigns: Campaigns,
    /// One run of theirs only.
    pub run: Option<i64>,
    /// Started at or after (ms since the epoch).
    pub from_ms: Option<i64>,
    /// Started before (ms since the epoch).
    pub until_ms: Option<i64>,
}

impl AttemptFilter {
    /// The filter as SQL conditions on the attempt table aliased `alias`, with the
    /// values to bind from `$first` on; `None` when it matches no attempt.
    fn clauses(&self, alias: &str, first: usize) -> Option<(Vec<String>, Vec<i64>)> {
        let mut wheres = Vec::new();
        match &self.campaigns {
            Campaigns::All => {}
            Campaigns::These(ids) if ids.is_empty() => return None,
            Campaigns::These(ids) => {
                // The ids are numbers the caller looked up, written into the statement.
                let ids = ids
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                wheres.push(format!("{alias}.campaign_id IN ({ids})"));
            }
        }
        let mut binds = Vec::new();
        for (clause, value) in [
            ("run = ", self.run),
            ("started_at_ms >= ", self.from_ms),
            ("started_at_ms < ", self.until_ms),
        ] {
            if let Some(value) = value {
                binds.push(value);
                wheres.push(format!("{alias}.{clause}${}", first + binds.len() - 1));
            }
        }
        if wheres.is_empty() {
            wheres.push("1 = 1".to_owned());
        }
        Some((wheres, binds))
    }
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
        let Some((mut wheres, binds)) = filter.clauses("attempt", 1) else {
            return Ok(stats);
        };
        wheres.push("attempt.state IN ('ended', 'interrupted')".to_owned());
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
        let query = bound(sql, binds.iter().copied());
        let rows = query.fetch_all(&self.pool).await?;
        Ok(rows
            .iter()
            .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3)))
            .collect())
    }
}

/// The attempts counted in one quarter of an hour: the reports' days are read from
/// these, in whichever zone (every zone's offset is a whole number of quarters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarterCount {
    /// The campaign.
    pub campaign_id: i64,
    /// The quarter's start (ms since the epoch), by the attempts' start.
    pub quarter_ms: i64,
    /// The attempts' raw outcome (`None` while in progress).
    pub outcome: Option<String>,
    /// Whether they were abandoned: answered, and no agent within the limit.
    pub abandoned: bool,
    /// How many.
    pub n: i64,
}

/// A quarter of an hour, the grain of [`QuarterCount`].
pub const QUARTER_MS: i64 = 900_000;

/// A contact with the last of its attempts a report covers: a line of ADS's detailed
/// report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactWithLast {
    /// The contact as stored (its CSV line's fields, tries and status).
    pub contact: ContactRow,
    /// Its last attempt within the filter; `None` when it has none.
    pub last: Option<AttemptRow>,
}

impl Store {
    /// The filter's attempts, oldest first, read as they are needed: a report of a
    /// million attempts is written without holding them.
    pub fn attempts_in<'a>(
        &'a self,
        filter: &AttemptFilter,
    ) -> impl Stream<Item = anyhow::Result<AttemptRow>> + Send + 'a {
        let Some((wheres, binds)) = filter.clauses("attempt", 1) else {
            return futures_util::stream::empty().left_stream();
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM attempt WHERE {} ORDER BY id",
            wheres.join(" AND ")
        );
        let query = bound(sql, binds.iter().copied());
        query
            .fetch(&self.pool)
            .map(|row| {
                row.map(|row| attempt(&row))
                    .context("cannot read the attempts")
            })
            .right_stream()
    }

    /// How many attempts the filter covers: what an export of them counts up to.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn count_attempts_in(&self, filter: &AttemptFilter) -> anyhow::Result<i64> {
        let Some((wheres, binds)) = filter.clauses("attempt", 1) else {
            return Ok(0);
        };
        let sql = format!(
            "SELECT COUNT(*) FROM attempt WHERE {}",
            wheres.join(" AND ")
        );
        let query = bound(sql, binds.iter().copied());
        let row = query
            .fetch_one(&self.pool)
            .await
            .context("cannot count the attempts")?;
        Ok(row.get(0))
    }

    /// The filter's attempts counted per campaign, quarter of an hour (of their
    /// start), outcome and abandonment: one pass that the daily charts and the
    /// compliance report share.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn attempt_quarters(
        &self,
        filter: &AttemptFilter,
    ) -> anyhow::Result<Vec<QuarterCount>> {
        let Some((wheres, binds)) = filter.clauses("attempt", 1) else {
            return Ok(Vec::new());
        };
        let abandoned = "CASE WHEN tags LIKE '%\"abandoned\"%' THEN 1 ELSE 0 END";
        let sql = format!(
            "SELECT campaign_id, started_at_ms / {QUARTER_MS}, outcome, {abandoned}, COUNT(*) \
             FROM attempt WHERE {} \
             GROUP BY campaign_id, started_at_ms / {QUARTER_MS}, outcome, {abandoned}",
            wheres.join(" AND ")
        );
        let query = bound(sql, binds.iter().copied());
        let rows = query
            .fetch_all(&self.pool)
            .await
            .context("cannot count the attempts by quarter")?;
        let mut quarters: Vec<QuarterCount> = rows
            .iter()
            .map(|row| QuarterCount {
                campaign_id: row.get(0),
                quarter_ms: row.get::<i64, _>(1) * QUARTER_MS,
                outcome: row.get(2),
                abandoned: row.get::<i64, _>(3) != 0,
                n: row.get(4),
            })
            .collect();
        quarters.sort_by(|a, b| {
            (a.quarter_ms, a.campaign_id, &a.outcome, a.abandoned).cmp(&(
                b.quarter_ms,
                b.campaign_id,
                &b.outcome,
                b.abandoned,
            ))
        });
        Ok(quarters)
    }

    /// The contacts of `list_ids`, in their lists' order, each with its last attempt
    /// within the filter; with a span of time, only contacts called within it. Read
    /// as they are needed, as [`Store::attempts_in`].
    pub fn contacts_with_last<'a>(
        &'a self,
        list_ids: &[i64],
        filter: &AttemptFilter,
    ) -> impl Stream<Item = anyhow::Result<ContactWithLast>> + Send + 'a {
        let Some((wheres, binds)) = filter.clauses("x", 1) else {
            return futures_util::stream::empty().left_stream();
        };
        if list_ids.is_empty() {
            return futures_util::stream::empty().left_stream();
        }
        // The list ids are numbers the caller looked up, written into the statement.
        let lists = list_ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let called_only = filter.from_ms.is_some() || filter.until_ms.is_some();
        let join = if called_only { "JOIN" } else { "LEFT JOIN" };
        let contact_columns = CONTACT_COLUMNS
            .split(", ")
            .map(|c| format!("c.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let attempt_columns = COLUMNS
            .split(',')
            .map(|c| format!("a.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {contact_columns}, {attempt_columns} FROM contact c {join} attempt a \
             ON a.id = (SELECT MAX(x.id) FROM attempt x WHERE x.contact_id = c.id AND {}) \
             WHERE c.list_id IN ({lists}) ORDER BY c.list_id, c.id",
            wheres.join(" AND ")
        );
        let width = CONTACT_COLUMNS.split(',').count();
        let query = bound(sql, binds.iter().copied());
        query
            .fetch(&self.pool)
            .map_ok(move |row| {
                let last = row
                    .try_get::<Option<i64>, _>(width)
                    .ok()
                    .flatten()
                    .map(|_| attempt_at(&row, width));
                ContactWithLast {
                    contact: contact(&row),
                    last,
                }
            })
            .map(|row| row.context("cannot read the contacts"))
            .right_stream()
    }

    /// How many contacts `list_ids` hold: what a detailed report counts up to.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn count_contacts_in(&self, list_ids: &[i64]) -> anyhow::Result<i64> {
        let counts = self.contact_counts(list_ids).await?;
        Ok(counts.ready + counts.dialing + counts.done)
    }

    /// Every run of every campaign, those deleted included: the names and settings
    /// reports show old attempts with.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn all_runs(&self) -> anyhow::Result<Vec<RunRow>> {
        let rows = sqlx::query(
            "SELECT campaign_id, campaign_name, run, settings, started_at_ms, ended_at_ms, \
             result FROM campaign_run ORDER BY campaign_id, run",
        )
        .fetch_all(&self.pool)
        .await
        .context("cannot read the campaigns' runs")?;
        Ok(rows.iter().map(crate::campaign::run).collect())
    }

    /// The numbers held back for `reason` after `now_ms` (in every list), soonest
    /// free first.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn held_numbers(
        &self,
        reason: &str,
        now_ms: i64,
    ) -> anyhow::Result<Vec<DoNotCallRow>> {
        let rows = sqlx::query(
            "SELECT number, until_ms, reason, added_at_ms FROM do_not_call \
             WHERE reason = $1 AND until_ms > $2 ORDER BY until_ms, number",
        )
        .bind(reason)
        .bind(now_ms)
        .fetch_all(&self.pool)
        .await
        .context("cannot read the numbers held back")?;
        Ok(rows.iter().map(crate::contact::do_not_call).collect())
    }
}

/// `sql` with `binds` bound to its parameters in order: every report read's filter.
fn bound(
    sql: String,
    binds: impl IntoIterator<Item = i64>,
) -> sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments> {
    binds
        .into_iter()
        .fold(sqlx::query(AssertSqlSafe(sql)), |query, value| {
            query.bind(value)
        })
}

/// Adds `n` to `key`'s count.
fn add<K: PartialEq>(counts: &mut Vec<(K, i64)>, key: K, n: i64) {
    match counts.iter_mut().find(|(k, _)| *k == key) {
        Some((_, count)) => *count += n,
        None => counts.push((key, n)),
    }
}
