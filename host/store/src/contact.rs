//! Contact lists, their contacts and the do-not-call numbers: what the importer writes
//! and the scheduler picks from.
//!
//! A contact's `state` is its place in the dialer's cycle: `ready` (due at
//! `next_at_ms`), `dialing` (claimed by a dialer, which is about to write or has
//! written an attempt), `done` (its `status` says why). Claims go through one
//! transaction so that two hosts sharing a PostgreSQL database never take the same
//! contact (`FOR UPDATE SKIP LOCKED`).

use anyhow::Context as _;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row as _};

use crate::{Backend, Store};

/// A contact list as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRow {
    /// Its id.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// The accounting code its calls are billed to.
    pub accountcode: String,
    /// A disabled list is not dialled.
    pub active: bool,
    /// JSON of the list's settings (retry policy, defaults); the dialer reads it.
    pub settings: String,
}

/// A contact to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContactRow {
    /// The line of the CSV it came from (0 when it did not).
    pub line: i64,
    /// E.164 numbers, in the order they are used.
    pub numbers: Vec<String>,
    /// JSON object of its variables.
    pub variables: String,
    /// IANA time zone for calling hours.
    pub time_zone: String,
    /// When it is first due.
    pub next_at_ms: i64,
    /// The agent's extension a `*Schedule*` column named.
    pub schedule_extension: Option<String>,
    /// The exchange table's id, for rows picked up from it.
    pub external_id: Option<String>,
}

/// A contact as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRow {
    /// Its id.
    pub id: i64,
    /// Its list.
    pub list_id: i64,
    /// The CSV line it came from.
    pub line: i64,
    /// E.164 numbers, in the order they are used.
    pub numbers: Vec<String>,
    /// JSON object of its variables.
    pub variables: String,
    /// IANA time zone.
    pub time_zone: String,
    /// The agent's extension a `*Schedule*` column named.
    pub schedule_extension: Option<String>,
    /// `ready`, `dialing` or `done`.
    pub state: String,
    /// Attempts started so far.
    pub attempts: i64,
    /// When it is due (for `ready`).
    pub next_at_ms: i64,
    /// The last disposition's status.
    pub status: Option<String>,
    /// The exchange table's id.
    pub external_id: Option<String>,
}

pub(crate) const CONTACT_COLUMNS: &str = "id, list_id, line, numbers, variables, time_zone, \
     schedule_extension, state, attempts, next_at_ms, status, external_id";

pub(crate) fn contact(row: &AnyRow) -> ContactRow {
    let numbers: String = row.get(3);
    ContactRow {
        id: row.get(0),
        list_id: row.get(1),
        line: row.get(2),
        numbers: numbers.split('|').map(str::to_owned).collect(),
        variables: row.get(4),
        time_zone: row.get(5),
        schedule_extension: row.get(6),
        state: row.get(7),
        attempts: row.get(8),
        next_at_ms: row.get(9),
        status: row.get(10),
        external_id: row.get(11),
    }
}

fn list(row: &AnyRow) -> ListRow {
    ListRow {
        id: row.get(0),
        name: row.get(1),
        accountcode: row.get(2),
        active: row.get::<i64, _>(3) != 0,
        settings: row.get(4),
    }
}

/// Contacts per state of a list or campaign.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContactCounts {
    /// Waiting for their next attempt.
    pub ready: i64,
    /// Being dialled.
    pub dialing: i64,
    /// Finished.
    pub done: i64,
}

/// How many contacts go in one INSERT (one JSON parameter): big enough that a
/// statement's own cost stops mattering, small enough to keep the JSON text a few MB.
const INSERT_BATCH: usize = 5000;

impl Store {
    /// Creates a list; its id.
    ///
    /// # Errors
    /// When a list of that name exists, or the database cannot be written.
    pub async fn create_list(
        &self,
        name: &str,
        accountcode: &str,
        settings: &str,
        now_ms: i64,
    ) -> anyhow::Result<i64> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO contact_list (name, accountcode, active, settings, created_at_ms, \
             updated_at_ms) VALUES ($1, $2, 1, $3, $4, $4) RETURNING id",
        )
        .bind(name)
        .bind(accountcode)
        .bind(settings)
        .bind(now_ms)
        .fetch_one(&self.pool)
        .await
        .with_context(|| format!("cannot create the list {name:?}"))?;
        Ok(id)
    }

    /// Changes a list's accounting code, status and settings.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn update_list(&self, row: &ListRow, now_ms: i64) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE contact_list SET name = $2, accountcode = $3, active = $4, settings = $5, \
             updated_at_ms = $6 WHERE id = $1",
        )
        .bind(row.id)
        .bind(&row.name)
        .bind(&row.accountcode)
        .bind(i64::from(row.active))
        .bind(&row.settings)
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .context("cannot update the list")?;
        Ok(())
    }

    /// The list called `name`.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn list_by_name(&self, name: &str) -> anyhow::Result<Option<ListRow>> {
        let row = sqlx::query(
            "SELECT id, name, accountcode, active, settings FROM contact_list WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await
        .context("cannot read the list")?;
        Ok(row.as_ref().map(list))
    }

    /// The list with id `id`.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn list(&self, id: i64) -> anyhow::Result<Option<ListRow>> {
        let row = sqlx::query(
            "SELECT id, name, accountcode, active, settings FROM contact_list WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .context("cannot read the list")?;
        Ok(row.as_ref().map(list))
    }

    /// Every list, by name.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn lists(&self) -> anyhow::Result<Vec<ListRow>> {
        let rows = sqlx::query(
            "SELECT id, name, accountcode, active, settings FROM contact_list ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await
        .context("cannot read the lists")?;
        Ok(rows.iter().map(list).collect())
    }

    /// Adds contacts to a list, all or none (one transaction).
    ///
    /// Rows travel as one JSON array per batch that the database itself unpacks
    /// (`json_each` in SQLite, `json_array_elements` in PostgreSQL): binding each value
    /// separately costs sqlx's `Any` driver about 10 µs a row, and its binding grows
    /// with the square of a statement's parameters, so multi-row VALUES lists cannot
    /// close the gap. One parameter per batch imports at the engine's own speed.
    ///
    /// # Errors
    /// When the database cannot be written; nothing is then added.
    pub async fn insert_contacts(
        &self,
        list_id: i64,
        contacts: &[NewContactRow],
        now_ms: i64,
    ) -> anyhow::Result<u64> {
        let mut tx = self.pool.begin().await.context("cannot start the import")?;
        let inserted = self
            .insert_batches(&mut tx, list_id, now_ms, contacts.chunks(INSERT_BATCH))
            .await?;
        tx.commit().await.context("cannot commit the import")?;
        Ok(inserted)
    }

    /// Adds contacts to a list as they arrive on `chunks` (a parser working while the
    /// previous chunk is stored), all or none: one transaction, committed when the
    /// sender is dropped.
    ///
    /// # Errors
    /// When the database cannot be written; nothing is then added.
    pub async fn import_contacts(
        &self,
        list_id: i64,
        now_ms: i64,
        mut chunks: tokio::sync::mpsc::Receiver<Vec<NewContactRow>>,
    ) -> anyhow::Result<u64> {
        let mut tx = self.pool.begin().await.context("cannot start the import")?;
        let mut inserted = 0;
        while let Some(chunk) = chunks.recv().await {
            inserted += self
                .insert_batches(&mut tx, list_id, now_ms, chunk.chunks(INSERT_BATCH))
                .await?;
        }
        tx.commit().await.context("cannot commit the import")?;
        Ok(inserted)
    }

    async fn insert_batches<'a>(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        list_id: i64,
        now_ms: i64,
        mut batches: impl Iterator<Item = &'a [NewContactRow]>,
    ) -> anyhow::Result<u64> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "INSERT INTO contact (list_id, line, numbers, variables, time_zone, \
                 schedule_extension, external_id, next_at_ms, updated_at_ms, state, attempts) \
                 SELECT $1, j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, \
                 j.value ->> 4, j.value ->> 5, j.value ->> 6, $2, 'ready', 0 \
                 FROM json_each($3) AS j"
            }
            Backend::Postgres => {
                "INSERT INTO contact (list_id, line, numbers, variables, time_zone, \
                 schedule_extension, external_id, next_at_ms, updated_at_ms, state, attempts) \
                 SELECT $1, (j ->> 0)::bigint, j ->> 1, j ->> 2, j ->> 3, j ->> 4, j ->> 5, \
                 (j ->> 6)::bigint, $2, 'ready', 0 FROM json_array_elements($3::json) AS j"
            }
        };
        // Tuples serialise straight to JSON arrays, with no `Value` built per row.
        let encode = |batch: &[NewContactRow]| {
            let rows: Vec<_> = batch
                .iter()
                .map(|c| {
                    (
                        c.line,
                        c.numbers.join("|"),
                        &c.variables,
                        &c.time_zone,
                        &c.schedule_extension,
                        &c.external_id,
                        c.next_at_ms,
                    )
                })
                .collect();
            serde_json::to_string(&rows).context("cannot encode contacts")
        };
        let mut inserted = 0;
        let mut next = batches.next().map(encode).transpose()?;
        while let Some(rows) = next.take() {
            let insert = sqlx::query(sql)
                .bind(list_id)
                .bind(now_ms)
                .bind(rows)
                .execute(&mut **tx);
            // The next batch is encoded here while SQLite's worker thread (or the
            // PostgreSQL server) stores this one.
            let following = batches.next();
            let (done, encoded) = tokio::join!(insert, async { following.map(encode).transpose() });
            inserted += done.context("cannot insert contacts")?.rows_affected();
            next = encoded?;
        }
        Ok(inserted)
    }

    /// Adds one contact; its id.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn insert_contact(
        &self,
        list_id: i64,
        c: &NewContactRow,
        now_ms: i64,
    ) -> anyhow::Result<i64> {
        self.add_contact(list_id, c, None, now_ms).await
    }

    /// Adds one contact claimed at once by the dialer of `host` (`dialing`), for a call
    /// about to be placed (an agent's from the desk): no pass ever picks it up on its
    /// own. Its id.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn insert_claimed_contact(
        &self,
        list_id: i64,
        c: &NewContactRow,
        host: &str,
        now_ms: i64,
    ) -> anyhow::Result<i64> {
        self.add_contact(list_id, c, Some(host), now_ms).await
    }

    async fn add_contact(
        &self,
        list_id: i64,
        c: &NewContactRow,
        claimed_by: Option<&str>,
        now_ms: i64,
    ) -> anyhow::Result<i64> {
        let state = if claimed_by.is_some() {
            "dialing"
        } else {
            "ready"
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO contact (list_id, line, numbers, variables, time_zone, \
             schedule_extension, external_id, next_at_ms, updated_at_ms, state, attempts, \
             claimed_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11) RETURNING id",
        )
        .bind(list_id)
        .bind(c.line)
        .bind(c.numbers.join("|"))
        .bind(&c.variables)
        .bind(&c.time_zone)
        .bind(&c.schedule_extension)
        .bind(&c.external_id)
        .bind(c.next_at_ms)
        .bind(now_ms)
        .bind(state)
        .bind(claimed_by)
        .fetch_one(&self.pool)
        .await
        .context("cannot insert the contact")?;
        Ok(id)
    }

    /// Claims contact `id` for the dialer of `host` if it is `ready` (an agent's pick
    /// from the preview): it moves to `dialing` and is returned; `None` when it is not
    /// ready (another call or a pass took it, or it is done).
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn claim_contact(
        &self,
        host: &str,
        id: i64,
        now_ms: i64,
    ) -> anyhow::Result<Option<ContactRow>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "UPDATE contact SET state = 'dialing', updated_at_ms = $2, claimed_by = $3 \
             WHERE id = $1 AND state = 'ready' RETURNING {CONTACT_COLUMNS}"
        )))
        .bind(id)
        .bind(now_ms)
        .bind(host)
        .fetch_optional(&self.pool)
        .await
        .context("cannot claim the contact")?;
        Ok(row.as_ref().map(contact))
    }

    /// The next `limit` contacts of `list_ids` due at `now_ms`, soonest due first,
    /// without claiming them: what an agent previews before calling one.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn due_contacts(
        &self,
        list_ids: &[i64],
        now_ms: i64,
        limit: i64,
    ) -> anyhow::Result<Vec<ContactRow>> {
        let mut due = Vec::new();
        for &list_id in list_ids {
            let rows = sqlx::query(AssertSqlSafe(format!(
                "SELECT {CONTACT_COLUMNS} FROM contact WHERE list_id = $1 AND state = 'ready' \
                 AND next_at_ms <= $2 ORDER BY next_at_ms LIMIT $3"
            )))
            .bind(list_id)
            .bind(now_ms)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .context("cannot read due contacts")?;
            due.extend(rows.iter().map(contact));
        }
        due.sort_by_key(|c| (c.next_at_ms, c.id));
        due.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(due)
    }

    /// A contact by id.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn contact(&self, id: i64) -> anyhow::Result<Option<ContactRow>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {CONTACT_COLUMNS} FROM contact WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .context("cannot read the contact")?;
        Ok(row.as_ref().map(contact))
    }

    /// A page of a list's contacts, in import order.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn contacts(
        &self,
        list_id: i64,
        after_id: i64,
        limit: i64,
    ) -> anyhow::Result<Vec<ContactRow>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {CONTACT_COLUMNS} FROM contact WHERE list_id = $1 AND id > $2 \
             ORDER BY id LIMIT $3"
        )))
        .bind(list_id)
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .context("cannot read contacts")?;
        Ok(rows.iter().map(contact).collect())
    }

    /// Contacts per state over `list_ids`, read from `contact_tally` (kept by triggers)
    /// rather than counted: the status pages ask every two seconds, and counting a
    /// list of a million contacts takes hundreds of milliseconds.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn contact_counts(&self, list_ids: &[i64]) -> anyhow::Result<ContactCounts> {
        let mut counts = ContactCounts::default();
        for &list_id in list_ids {
            let rows = sqlx::query("SELECT state, n FROM contact_tally WHERE list_id = $1")
                .bind(list_id)
                .fetch_all(&self.pool)
                .await
                .context("cannot count contacts")?;
            for row in rows {
                let n: i64 = row.get(1);
                match row.get::<String, _>(0).as_str() {
                    "ready" => counts.ready += n,
                    "dialing" => counts.dialing += n,
                    _ => counts.done += n,
                }
            }
        }
        Ok(counts)
    }

    /// The earliest `next_at_ms` of the ready contacts of `list_ids`: when the
    /// scheduler has something to do next.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn next_due(&self, list_ids: &[i64]) -> anyhow::Result<Option<i64>> {
        let mut earliest: Option<i64> = None;
        for &list_id in list_ids {
            let next: Option<i64> = sqlx::query_scalar(
                "SELECT next_at_ms FROM contact WHERE list_id = $1 AND state = 'ready' \
                 ORDER BY next_at_ms LIMIT 1",
            )
            .bind(list_id)
            .fetch_optional(&self.pool)
            .await
            .context("cannot read contacts")?;
            earliest = match (earliest, next) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        Ok(earliest)
    }

    /// Claims up to `limit` contacts of `list_ids` that are due at `now_ms`, oldest
    /// first, for the dialer of `host`: they move to `dialing` and are returned. A pick is one statement for
    /// one list; with several, each list is read through the `contact_due` index on its
    /// own (an `IN` over lists would sort every due row) and the oldest are claimed
    /// together. Each statement costs a round trip through sqlx's worker, so the
    /// count of statements, not their work, is what a pick's time is made of.
    ///
    /// # Errors
    /// When the database cannot be read or written; nothing is then claimed.
    pub async fn claim_due(
        &self,
        host: &str,
        list_ids: &[i64],
        now_ms: i64,
        limit: i64,
    ) -> anyhow::Result<Vec<ContactRow>> {
        if limit <= 0 || list_ids.is_empty() {
            return Ok(Vec::new());
        }
        let lock = match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        };
        let due = "SELECT id FROM contact WHERE list_id = $1 AND state = 'ready' \
                   AND next_at_ms <= $2 ORDER BY next_at_ms LIMIT $3";
        let mut claimed: Vec<ContactRow> = if let [list_id] = list_ids {
            let rows = sqlx::query(AssertSqlSafe(format!(
                "UPDATE contact SET state = 'dialing', updated_at_ms = $2, claimed_by = $4 \
                 WHERE id IN ({due}{lock}) RETURNING {CONTACT_COLUMNS}"
            )))
            .bind(list_id)
            .bind(now_ms)
            .bind(limit)
            .bind(host)
            .fetch_all(&self.pool)
            .await
            .context("cannot claim contacts")?;
            rows.iter().map(contact).collect()
        } else {
            let mut tx = self.pool.begin().await.context("cannot claim contacts")?;
            let mut candidates: Vec<(i64, i64)> = Vec::new();
            for &list_id in list_ids {
                let rows = sqlx::query(AssertSqlSafe(format!(
                    "SELECT id, next_at_ms FROM contact WHERE list_id = $1 AND state = 'ready' \
                     AND next_at_ms <= $2 ORDER BY next_at_ms LIMIT $3{lock}"
                )))
                .bind(list_id)
                .bind(now_ms)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await
                .context("cannot read due contacts")?;
                candidates.extend(
                    rows.iter()
                        .map(|r| (r.get::<i64, _>(1), r.get::<i64, _>(0))),
                );
            }
            candidates.sort_unstable();
            candidates.truncate(limit as usize);
            let rows = if candidates.is_empty() {
                Vec::new()
            } else {
                let ids: Vec<String> = candidates.iter().map(|(_, id)| id.to_string()).collect();
                // Ids are integers read just now: nothing a user wrote reaches the SQL.
                sqlx::query(AssertSqlSafe(format!(
                    "UPDATE contact SET state = 'dialing', updated_at_ms = $1, claimed_by = $2 \
                     WHERE state = 'ready' AND id IN ({}) RETURNING {CONTACT_COLUMNS}",
                    ids.join(", ")
                )))
                .bind(now_ms)
                .bind(host)
                .fetch_all(&mut *tx)
                .await
                .context("cannot claim contacts")?
            };
            tx.commit().await.context("cannot claim contacts")?;
            rows.iter().map(contact).collect()
        };
        claimed.sort_by_key(|c| (c.next_at_ms, c.id));
        Ok(claimed)
    }

    /// Puts a claimed contact back, due at `next_at_ms` (outside calling hours, say).
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn defer_contact(&self, id: i64, next_at_ms: i64, now_ms: i64) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE contact SET state = 'ready', next_at_ms = $2, updated_at_ms = $3 \
             WHERE id = $1",
        )
        .bind(id)
        .bind(next_at_ms)
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .context("cannot defer the contact")?;
        Ok(())
    }

    /// Ends a contact without a call (a do-not-call number, say), with `status`.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn close_contact(&self, id: i64, status: &str, now_ms: i64) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE contact SET state = 'done', status = $2, updated_at_ms = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(status)
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .context("cannot close the contact")?;
        Ok(())
    }

    /// Makes the given contacts of a list due again at `now_ms` with their attempts
    /// reset: "more attempts for chosen recipients" of an incomplete run. Returns how
    /// many changed.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn reopen_contacts(&self, ids: &[i64], now_ms: i64) -> anyhow::Result<u64> {
        let mut tx = self.pool.begin().await.context("cannot reopen contacts")?;
        let mut changed = 0;
        for &id in ids {
            changed += sqlx::query(
                "UPDATE contact SET state = 'ready', attempts = 0, next_at_ms = $2, \
                 updated_at_ms = $2 WHERE id = $1 AND state = 'done'",
            )
            .bind(id)
            .bind(now_ms)
            .execute(&mut *tx)
            .await
            .context("cannot reopen a contact")?
            .rows_affected();
        }
        tx.commit().await.context("cannot reopen contacts")?;
        Ok(changed)
    }

    /// Adds a do-not-call number, for one list or (`list_id` 0) all, until `until_ms`
    /// or (None) for ever.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn add_do_not_call(
        &self,
        number: &str,
        list_id: i64,
        until_ms: Option<i64>,
        reason: &str,
        now_ms: i64,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO do_not_call (number, list_id, until_ms, reason, added_at_ms) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (number, list_id) \
             DO UPDATE SET until_ms = $3, reason = $4, added_at_ms = $5",
        )
        .bind(number)
        .bind(list_id)
        .bind(until_ms)
        .bind(reason)
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .context("cannot add the do-not-call number")?;
        Ok(())
    }

    /// Whether `number` may not be called at `now_ms` for `list_id`: on the global
    /// list or the list's own, without an expiry or before it.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn is_do_not_call(
        &self,
        number: &str,
        list_id: i64,
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        let hit: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM do_not_call WHERE number = $1 AND list_id IN (0, $2) \
             AND (until_ms IS NULL OR until_ms > $3) LIMIT 1",
        )
        .bind(number)
        .bind(list_id)
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await
        .context("cannot read the do-not-call list")?;
        Ok(hit.is_some())
    }

    /// A page of a list's contacts after `after_id`, in import order, that match
    /// `search`: a number's beginning (`+39` and digits: the E.164 form the contacts
    /// keep, read through `contact_number`; see [`Store::contacts_by_number`]), else a
    /// text found in the contact's columns. A text search reads the list in id order
    /// and stops at `limit` matches, so a common text costs what a plain page costs, and
    /// a text that few contacts hold costs a read of the whole list.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn search_contacts(
        &self,
        list_id: i64,
        search: &ContactSearch,
        after_id: i64,
        limit: i64,
    ) -> anyhow::Result<Vec<ContactRow>> {
        let text = match search {
            ContactSearch::All => return self.contacts(list_id, after_id, limit).await,
            ContactSearch::Number(start) => {
                return self
                    .contacts_by_number(list_id, start, after_id, limit)
                    .await;
            }
            ContactSearch::Text(text) => text,
        };
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {CONTACT_COLUMNS} FROM contact WHERE list_id = $1 AND id > $2 \
             AND LOWER(variables) LIKE LOWER($4) ESCAPE '\\' ORDER BY id LIMIT $3"
        )))
        .bind(list_id)
        .bind(after_id)
        .bind(limit)
        .bind(format!("%{}%", escape_like(text)))
        .fetch_all(&self.pool)
        .await
        .context("cannot search contacts")?;
        Ok(rows.iter().map(contact).collect())
    }

    /// The page of contacts after `after_id` with a number starting with `start`, in
    /// id order, at a bounded cost whatever the list's size and where its matches lie:
    ///
    /// 1. up to [`NUMBER_INDEX_READ`] matching numbers read from `contact_number`'s
    ///    index: when that is all of them, they are the answer;
    /// 2. else (a common beginning) the next [`SEARCH_SCAN`] contacts in id order,
    ///    checked one by one: when they hold a page, it is the answer;
    /// 3. else (many matches, but not near the start) the first `limit` contacts of all
    ///    the matching numbers, read from the index and sorted by id.
    async fn contacts_by_number(
        &self,
        list_id: i64,
        start: &str,
        after_id: i64,
        limit: i64,
    ) -> anyhow::Result<Vec<ContactRow>> {
        // Numbers are ASCII: every one that starts with `start` sorts before `start`
        // followed by DEL, byte by byte (PostgreSQL's column is COLLATE "C").
        let end = format!("{start}\u{7f}");
        // A contact may have two matching numbers: the probe dedups in memory (a
        // DISTINCT there could read every match before the first row), the sort in SQL.
        let matching = |select: &'static str, order: &'static str| {
            sqlx::query_scalar::<_, i64>(AssertSqlSafe(format!(
                "SELECT {select} FROM contact_number WHERE list_id = $1 \
                 AND number >= $2 AND number < $3 AND contact_id > $4 {order} LIMIT $5"
            )))
            .bind(list_id)
            .bind(start)
            .bind(end.clone())
            .bind(after_id)
        };
        let mut ids = matching("contact_id", "")
            .bind(NUMBER_INDEX_READ + 1)
            .fetch_all(&self.pool)
            .await
            .context("cannot search contacts by number")?;
        if ids.len() as i64 <= NUMBER_INDEX_READ {
            ids.sort_unstable();
            ids.dedup();
            ids.truncate(usize::try_from(limit).unwrap_or(0));
            return self.contacts_by_id(&ids).await;
        }
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {CONTACT_COLUMNS} FROM contact WHERE id IN (SELECT id FROM contact \
             WHERE list_id = $1 AND id > $2 ORDER BY id LIMIT $5) \
             AND (numbers LIKE $4 ESCAPE '\\' OR numbers LIKE ('%|' || $4) ESCAPE '\\') \
             ORDER BY id LIMIT $3"
        )))
        .bind(list_id)
        .bind(after_id)
        .bind(limit)
        .bind(format!("{}%", escape_like(start)))
        .bind(SEARCH_SCAN)
        .fetch_all(&self.pool)
        .await
        .context("cannot search contacts by number")?;
        if rows.len() as i64 >= limit {
            return Ok(rows.iter().map(contact).collect());
        }
        let ids = matching("DISTINCT contact_id", "ORDER BY contact_id")
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .context("cannot search contacts by number")?;
        self.contacts_by_id(&ids).await
    }

    /// The contacts of `ids`, in id order.
    async fn contacts_by_id(&self, ids: &[i64]) -> anyhow::Result<Vec<ContactRow>> {
        let ids = serde_json::to_string(ids).context("cannot encode contact ids")?;
        let among = match self.backend {
            Backend::Sqlite => "SELECT value FROM json_each($1)",
            Backend::Postgres => "SELECT value::bigint FROM json_array_elements_text($1::json)",
        };
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {CONTACT_COLUMNS} FROM contact WHERE id IN ({among}) ORDER BY id"
        )))
        .bind(ids)
        .fetch_all(&self.pool)
        .await
        .context("cannot read contacts")?;
        Ok(rows.iter().map(contact).collect())
    }

    /// The do-not-call numbers of `list_id` (0: the global list), newest first.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn do_not_call_numbers(
        &self,
        list_id: i64,
        limit: i64,
    ) -> anyhow::Result<Vec<DoNotCallRow>> {
        let rows = sqlx::query(
            "SELECT number, until_ms, reason, added_at_ms FROM do_not_call \
             WHERE list_id = $1 ORDER BY added_at_ms DESC, number LIMIT $2",
        )
        .bind(list_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .context("cannot read the do-not-call list")?;
        Ok(rows.iter().map(do_not_call).collect())
    }
}

/// The most numbers a number search reads through the number index before it looks
/// for a page in the list's order instead (a common beginning, as `+39`).
pub const NUMBER_INDEX_READ: i64 = 2_000;

/// How many contacts in id order a number search with many matches checks for a page
/// before it sorts the matches from the index instead.
pub const SEARCH_SCAN: i64 = 20_000;

/// Which of a list's contacts a page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactSearch {
    /// Every contact.
    All,
    /// Those with a number that starts so (E.164: `+`, then digits).
    Number(String),
    /// Those with this text in a column.
    Text(String),
}

/// A do-not-call number from `number, until_ms, reason, added_at_ms`.
pub(crate) fn do_not_call(r: &AnyRow) -> DoNotCallRow {
    DoNotCallRow {
        number: r.get(0),
        until_ms: r.get(1),
        reason: r.get(2),
        added_at_ms: r.get(3),
    }
}

/// A number that may not be called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoNotCallRow {
    /// E.164.
    pub number: String,
    /// Until when (None: for ever).
    pub until_ms: Option<i64>,
    /// Why.
    pub reason: String,
    /// When it was added.
    pub added_at_ms: i64,
}

/// `text` with LIKE's wildcards escaped (by a backslash), so a search for `50%` finds
/// those characters.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
