//! The reports' reads: what the statistics of campaigns count, in one pass over the
//! attempts each time, so that a page, its JSON, its CSV and its spreadsheet are the
//! same numbers.

use std::collections::HashMap;

use anyhow::Context as _;
use futures_util::{Stream, StreamExt as _};
use sqlx::{AssertSqlSafe, Row as _};

use crate::attempt::{AttemptRow, COLUMNS, attempt};
use crate::campaign::RunRow;
use crate::contact::DoNotCallRow;
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
/// report, with only the fields it shows, its texts borrowed from its
/// [`ContactPage`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactWithLast<'a> {
    /// The contact's list.
    pub list_id: i64,
    /// Its line in the imported file.
    pub line: i64,
    /// Its numbers as stored, joined by `|`.
    pub numbers: &'a str,
    /// Its CSV line's fields, a JSON object as imported.
    pub variables: &'a str,
    /// Its tries.
    pub attempts: i64,
    /// Its status.
    pub status: Option<&'a str>,
    /// Its last attempt within the filter; `None` when it has none.
    pub last: Option<LastAttempt<'a>>,
}

/// What the detailed report shows of a contact's last attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastAttempt<'a> {
    /// When it started.
    pub started_at_ms: i64,
    /// Its disposition.
    pub status: Option<&'a str>,
    /// Its raw outcome.
    pub outcome: Option<&'a str>,
    /// How long the callee talked.
    pub talk_ms: Option<i64>,
    /// Its tags, a JSON array.
    pub tags: &'a str,
}

/// A page of [`Store::contacts_with_last`]: a few thousand contacts of one list, as
/// one text.
pub struct ContactPage {
    list_id: i64,
    /// Its one column, the text (none when the page is empty).
    row: sqlx::any::AnyRow,
    /// Whether only the contacts with a last attempt are asked for.
    called_only: bool,
}

impl std::fmt::Debug for ContactPage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContactPage")
            .field("list_id", &self.list_id)
            .finish_non_exhaustive()
    }
}

impl ContactPage {
    /// Its contacts, in the order of their ids.
    ///
    /// # Errors
    /// When the text is not as [`read_page`] reads it.
    pub fn contacts(&self) -> anyhow::Result<Vec<ContactWithLast<'_>>> {
        let text: Option<&str> = self.row.try_get(0).context("cannot read the contacts")?;
        let mut contacts = read_page(self.list_id, text.unwrap_or_default())?;
        if self.called_only {
            contacts.retain(|c| c.last.is_some());
        }
        Ok(contacts)
    }
}

/// Contacts per page of [`Store::contacts_with_last`].
const PAGE: i64 = 4096;
/// Pages read ahead of their reader.
const PAGES_AHEAD: usize = 2;

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
    /// within the filter; with a span of time, only contacts called within it: a page
    /// of [`PAGE`] contacts at a time, read by a task of its own on one connection, a
    /// few pages ahead of the reader, so that SQLite works while the pages are used.
    ///
    /// Each page comes back as one text, every contact's fields framed one after the
    /// other (see [`read_page`]): a row per contact through the `Any` driver cost far
    /// more than the query (each column copied three times, a channel's wake per row),
    /// 24 s for a million contacts (docs/benchmarks.md). A contact's last attempt is
    /// its newest entry in `attempt_report` (migration 0014 added the talk time to it,
    /// so that SQLite reads no attempt from the table). Each page is a statement, and a
    /// snapshot, of its own: a contact is read with its last attempt as they were
    /// together. One connection: SQLite's page cache has one lock for every connection
    /// (its memory management is on), so two readers were slower than one, and each
    /// kept a cache of its own.
    pub fn contacts_with_last(
        &self,
        list_ids: &[i64],
        filter: &AttemptFilter,
    ) -> impl Stream<Item = anyhow::Result<ContactPage>> + Send + 'static {
        // The list id and the page's bounds are $1 to $3; the filter's values follow.
        let Some((wheres, binds)) = filter.clauses("x", 4) else {
            return futures_util::stream::empty().left_stream();
        };
        let called_only = filter.from_ms.is_some() || filter.until_ms.is_some();
        let (bytes, joined): (fn(&str) -> String, &str) = match self.backend {
            Backend::Sqlite => (|x| format!("octet_length({x})"), "group_concat"),
            Backend::Postgres => (
                |x| format!("octet_length(convert_to({x}, 'UTF8'))"),
                "string_agg",
            ),
        };
        let text = |x: &str| format!("{}, ':', {x}", bytes(x));
        // As read_page reads them: the contact's fields, then its last attempt's behind
        // a '+' (none when it has none: `concat` writes a NULL as nothing).
        let last = [
            "'+'".to_owned(),
            "x.started_at_ms, ','".to_owned(),
            text("x.status"),
            text("x.outcome"),
            "x.talk_ms, ','".to_owned(),
            text("x.tags"),
        ]
        .join(", ");
        let fields = [
            "c.id, ','".to_owned(),
            "c.line, ','".to_owned(),
            text("c.numbers"),
            text("c.variables"),
            "c.attempts, ','".to_owned(),
            text("c.status"),
            format!(
                "(SELECT concat({last}) FROM attempt x WHERE x.contact_id = c.id AND {} \
                 ORDER BY x.id DESC LIMIT 1)",
                wheres.join(" AND ")
            ),
        ]
        .join(", ");
        let page_sql = format!(
            "SELECT {joined}(concat({fields}), '') FROM contact c \
             WHERE c.list_id = $1 AND c.id > $2 AND c.id <= $3"
        );
        let (pages, arriving) = tokio::sync::mpsc::channel(PAGES_AHEAD);
        let read = ReadPages {
            store: self.clone(),
            page_sql,
            binds,
            called_only,
        };
        let list_ids = list_ids.to_vec();
        tokio::spawn(async move {
            if let Err(error) = read.pages(list_ids, &pages).await {
                let _ = pages.send(Err(error)).await;
            }
        });
        futures_util::stream::unfold(arriving, |mut arriving| async move {
            arriving.recv().await.map(|page| (page, arriving))
        })
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

/// What a task reading the pages of [`Store::contacts_with_last`] needs.
struct ReadPages {
    store: Store,
    /// A page's statement: `$1` the list, `$2` and `$3` the bounds of its ids.
    page_sql: String,
    /// The filter's values, from `$4` on.
    binds: Vec<i64>,
    called_only: bool,
}

impl ReadPages {
    /// Reads the pages of `list_ids`, list by list, into `pages`, until the last or
    /// until the reader is gone. Each page is the list's [`PAGE`] contacts after the
    /// previous page's last id, found first in the list's index of ids.
    async fn pages(
        &self,
        list_ids: Vec<i64>,
        pages: &tokio::sync::mpsc::Sender<anyhow::Result<ContactPage>>,
    ) -> anyhow::Result<()> {
        let mut connection = self
            .store
            .pool
            .acquire()
            .await
            .context("cannot read the contacts")?;
        let bound_sql = format!(
            "SELECT id FROM contact WHERE list_id = $1 AND id > $2 ORDER BY id \
             LIMIT 1 OFFSET {}",
            PAGE - 1
        );
        for list_id in list_ids {
            let mut after = i64::MIN;
            loop {
                let last: Option<i64> = sqlx::query_scalar(AssertSqlSafe(bound_sql.clone()))
                    .bind(list_id)
                    .bind(after)
                    .fetch_optional(&mut *connection)
                    .await
                    .context("cannot page the contacts")?;
                let bounds = [list_id, after, last.unwrap_or(i64::MAX)];
                let row = bound(
                    self.page_sql.clone(),
                    bounds.into_iter().chain(self.binds.iter().copied()),
                )
                .fetch_one(&mut *connection)
                .await
                .context("cannot read the contacts")?;
                let page = ContactPage {
                    list_id,
                    row,
                    called_only: self.called_only,
                };
                if pages.send(Ok(page)).await.is_err() {
                    return Ok(());
                }
                match last {
                    Some(last) => after = last,
                    None => break,
                }
            }
        }
        Ok(())
    }
}

/// The contacts of a page of `list`, read from its text: each contact's fields one
/// after the other, a number followed by a comma, a text by its length in bytes, a
/// colon and itself; nothing before the comma or colon for none (SQL's `concat`
/// writes a NULL as nothing); then, behind a `+`, its last attempt's. Texts need no
/// escaping, so reading one is a copy. Returned in the order of their ids.
fn read_page(list: i64, text: &str) -> anyhow::Result<Vec<ContactWithLast<'_>>> {
    let mut fields = Fields(text);
    let mut contacts: Vec<(i64, ContactWithLast<'_>)> = Vec::with_capacity(PAGE as usize);
    let mut sorted = true;
    while !fields.0.is_empty() {
        let id = fields.number()?.context("a contact without id")?;
        sorted &= contacts.last().is_none_or(|(last, _)| *last < id);
        let mut contact = ContactWithLast {
            list_id: list,
            line: fields.number()?.context("a contact without line")?,
            numbers: fields.text()?.unwrap_or_default(),
            variables: fields.text()?.unwrap_or_default(),
            attempts: fields.number()?.unwrap_or_default(),
            status: fields.text()?,
            last: None,
        };
        if let Some(rest) = fields.0.strip_prefix('+') {
            fields.0 = rest;
            contact.last = Some(LastAttempt {
                started_at_ms: fields.number()?.context("an attempt without start")?,
                status: fields.text()?,
                outcome: fields.text()?,
                talk_ms: fields.number()?,
                tags: fields.text()?.unwrap_or_default(),
            });
        }
        contacts.push((id, contact));
    }
    // In order already, unless the engine aggregated in another: SQL promises no
    // order without sorting, which cost SQLite more than the rest of the page.
    if !sorted {
        contacts.sort_by_key(|(id, _)| *id);
    }
    Ok(contacts.into_iter().map(|(_, c)| c).collect())
}

/// The fields of a page's text still to read.
struct Fields<'a>(&'a str);

impl<'a> Fields<'a> {
    /// The text up to `end`, which is passed.
    fn until(&mut self, end: char) -> anyhow::Result<&'a str> {
        let (field, rest) = self
            .0
            .split_once(end)
            .with_context(|| format!("a page of contacts ends early, before a {end:?}"))?;
        self.0 = rest;
        Ok(field)
    }

    /// A number, or none.
    fn number(&mut self) -> anyhow::Result<Option<i64>> {
        let field = self.until(',')?;
        if field.is_empty() {
            return Ok(None);
        }
        let n = field
            .parse()
            .with_context(|| format!("{field:?} in a page of contacts is not a number"))?;
        Ok(Some(n))
    }

    /// A text, or none.
    fn text(&mut self) -> anyhow::Result<Option<&'a str>> {
        let length = self.until(':')?;
        if length.is_empty() {
            return Ok(None);
        }
        let length: usize = length
            .parse()
            .with_context(|| format!("{length:?} in a page of contacts is not a length"))?;
        let (Some(text), Some(rest)) = (self.0.get(..length), self.0.get(length..)) else {
            anyhow::bail!("a text of {length} bytes overruns a page of contacts");
        };
        self.0 = rest;
        Ok(Some(text))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_read_back_field_by_field() {
        // Texts holding the separators and letters of two bytes; NULLs; no attempt.
        let text = "7,2,9:+39|+3,:110:{\"a\":\"é\"}3,4:SALE+1000,0:4:éà5,3:[:]\
                    9,3,0:0:0,:";
        let page = read_page(5, text).unwrap();
        assert_eq!(
            page,
            [
                ContactWithLast {
                    list_id: 5,
                    line: 2,
                    numbers: "+39|+3,:1",
                    variables: "{\"a\":\"é\"}",
                    attempts: 3,
                    status: Some("SALE"),
                    last: Some(LastAttempt {
                        started_at_ms: 1000,
                        status: Some(""),
                        outcome: Some("éà"),
                        talk_ms: Some(5),
                        tags: "[:]",
                    }),
                },
                ContactWithLast {
                    list_id: 5,
                    line: 3,
                    numbers: "",
                    variables: "",
                    attempts: 0,
                    status: None,
                    last: None,
                },
            ]
        );
    }

    #[test]
    fn a_page_out_of_order_is_put_in_order() {
        let page = read_page(1, "9,3,0:0:0,:7,2,0:0:0,:").unwrap();
        let lines: Vec<i64> = page.iter().map(|c| c.line).collect();
        assert_eq!(lines, [2, 3]);
    }

    #[test]
    fn a_page_cut_short_or_miscounted_is_an_error() {
        for text in [
            "7,2,9:+39",
            "7,2,99:+39,0:0,:",
            "7,x,0:0:0,:",
            "7,2,0:0:0,:+",
            // A length that ends inside a letter of two bytes.
            "7,2,1:é0:0,:",
        ] {
            assert!(read_page(1, text).is_err(), "{text:?}");
        }
    }
}
