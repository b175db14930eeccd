//! Call attempts: written before the INVITE leaves and updated at every step, so that a
//! host killed at any instant restarts knowing which calls were in flight.
//!
//! The contact's attempt counter moves in the same transaction as the attempt's first
//! write, and its next state in the same transaction as the attempt's last: no crash
//! can leave the two disagreeing.

use anyhow::Context as _;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row as _};

use crate::Store;

/// What is known when an attempt starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptStart {
    /// The host whose dialer makes it.
    pub host: String,
    /// Its campaign.
    pub campaign_id: i64,
    /// The campaign's run.
    pub run: i64,
    /// The contact's list.
    pub list_id: i64,
    /// The contact.
    pub contact_id: i64,
    /// The number dialled (E.164).
    pub number: String,
    /// 1 for the contact's first attempt.
    pub attempt: i64,
    /// When it started.
    pub started_at_ms: i64,
}

/// What is known when an attempt ends, and what becomes of its contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptEnd {
    /// When it ended.
    pub end_at_ms: i64,
    /// The trunk that carried it.
    pub trunk: Option<String>,
    /// Ringing time.
    pub ring_ms: i64,
    /// Talk time.
    pub talk_ms: i64,
    /// The final SIP response's code.
    pub sip_code: Option<i64>,
    /// The Q.850 cause.
    pub cause: Option<i64>,
    /// The raw outcome (`answered`, `busy`, ...).
    pub outcome: String,
    /// The disposition's status.
    pub status: String,
    /// Whether the contact will be tried again.
    pub retry: bool,
    /// When, if so.
    pub next_at_ms: i64,
    /// JSON array of tags.
    pub tags: String,
    /// The agent who took it.
    pub agent: Option<String>,
    /// Confirmed by DTMF (notification campaigns).
    pub confirmed: bool,
    /// Who hung up an answered call: `callee` or `ringhost`.
    pub hangup_by: Option<String>,
    /// The queue's result.
    pub queue_result: Option<String>,
    /// The IVR's result.
    pub ivr_result: Option<String>,
}

/// An attempt as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRow {
    /// Its id.
    pub id: i64,
    /// What was known at its start.
    pub start: AttemptStart,
    /// `dialing`, `ringing`, `answered`, `ended` or `interrupted`.
    pub state: String,
    /// The trunk.
    pub trunk: Option<String>,
    /// When it rang.
    pub ring_at_ms: Option<i64>,
    /// When it was answered.
    pub answer_at_ms: Option<i64>,
    /// When it ended.
    pub end_at_ms: Option<i64>,
    /// Ringing time.
    pub ring_ms: Option<i64>,
    /// Talk time.
    pub talk_ms: Option<i64>,
    /// The final SIP code.
    pub sip_code: Option<i64>,
    /// The Q.850 cause.
    pub cause: Option<i64>,
    /// The raw outcome.
    pub outcome: Option<String>,
    /// The disposition's status.
    pub status: Option<String>,
    /// Whether the contact was to be tried again.
    pub retry: Option<bool>,
    /// JSON array of tags.
    pub tags: String,
    /// The agent.
    pub agent: Option<String>,
    /// Confirmed by DTMF.
    pub confirmed: bool,
    /// Who hung up an answered call.
    pub hangup_by: Option<String>,
    /// The queue's result.
    pub queue_result: Option<String>,
    /// The IVR's result.
    pub ivr_result: Option<String>,
    /// The agent's note, with the disposition.
    pub note: Option<String>,
}

pub(crate) const COLUMNS: &str = "id, campaign_id, run, list_id, contact_id, number, attempt, \
     started_at_ms, state, trunk, ring_at_ms, answer_at_ms, end_at_ms, ring_ms, talk_ms, \
     sip_code, cause, outcome, status, retry, tags, agent, confirmed, host, hangup_by, \
     queue_result, ivr_result, note";

pub(crate) fn attempt(row: &AnyRow) -> AttemptRow {
    attempt_at(row, 0)
}

/// The attempt whose [`COLUMNS`] start at column `at` of `row` (after a joined
/// table's).
pub(crate) fn attempt_at(row: &AnyRow, at: usize) -> AttemptRow {
    AttemptRow {
        id: row.get(at),
        start: AttemptStart {
            campaign_id: row.get(at + 1),
            run: row.get(at + 2),
            list_id: row.get(at + 3),
            contact_id: row.get(at + 4),
            number: row.get(at + 5),
            attempt: row.get(at + 6),
            started_at_ms: row.get(at + 7),
            host: row.get(at + 23),
        },
        state: row.get(at + 8),
        trunk: row.get(at + 9),
        ring_at_ms: row.get(at + 10),
        answer_at_ms: row.get(at + 11),
        end_at_ms: row.get(at + 12),
        ring_ms: row.get(at + 13),
        talk_ms: row.get(at + 14),
        sip_code: row.get(at + 15),
        cause: row.get(at + 16),
        outcome: row.get(at + 17),
        status: row.get(at + 18),
        retry: row.get::<Option<i64>, _>(at + 19).map(|r| r != 0),
        tags: row.get(at + 20),
        agent: row.get(at + 21),
        confirmed: row.get::<i64, _>(at + 22) != 0,
        hangup_by: row.get(at + 24),
        queue_result: row.get(at + 25),
        ivr_result: row.get(at + 26),
        note: row.get(at + 27),
    }
}

/// An answered call in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnsweredAttempt {
    /// The attempt.
    pub id: i64,
    /// Its campaign.
    pub campaign_id: i64,
    /// The number called.
    pub number: String,
    /// When it was answered (ms since the epoch).
    pub answer_at_ms: i64,
}

/// Attempts of a campaign run counted by status (the disposition) and outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttemptCounts {
    /// `(status, count)`, by status.
    pub by_status: Vec<(String, i64)>,
    /// `(outcome, count)`, by outcome.
    pub by_outcome: Vec<(String, i64)>,
    /// Attempts not ended yet.
    pub in_progress: i64,
    /// Attempts confirmed by DTMF.
    pub confirmed: i64,
}

impl Store {
    /// Records an attempt's start and counts it on its contact, in one transaction,
    /// before the call is placed; the attempt's id.
    ///
    /// # Errors
    /// When the database cannot be written: the call must then not be placed.
    pub async fn begin_attempt(&self, a: &AttemptStart) -> anyhow::Result<i64> {
        let mut tx = self
            .pool
            .begin()
            .await
            .context("cannot start the attempt")?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO attempt (campaign_id, run, list_id, contact_id, number, attempt, \
             state, started_at_ms, tags, confirmed, host) \
             VALUES ($1, $2, $3, $4, $5, $6, 'dialing', $7, '[]', 0, $8) RETURNING id",
        )
        .bind(a.campaign_id)
        .bind(a.run)
        .bind(a.list_id)
        .bind(a.contact_id)
        .bind(&a.number)
        .bind(a.attempt)
        .bind(a.started_at_ms)
        .bind(&a.host)
        .fetch_one(&mut *tx)
        .await
        .context("cannot record the attempt")?;
        sqlx::query(
            "UPDATE contact SET state = 'dialing', attempts = $2, updated_at_ms = $3 \
             WHERE id = $1",
        )
        .bind(a.contact_id)
        .bind(a.attempt)
        .bind(a.started_at_ms)
        .execute(&mut *tx)
        .await
        .context("cannot count the attempt")?;
        tx.commit().await.context("cannot start the attempt")?;
        Ok(id)
    }

    /// The far end rings.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn attempt_ringing(&self, id: i64, at_ms: i64) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE attempt SET state = 'ringing', ring_at_ms = $2 \
             WHERE id = $1 AND state = 'dialing'",
        )
        .bind(id)
        .bind(at_ms)
        .execute(&self.pool)
        .await
        .context("cannot record the ringing")?;
        Ok(())
    }

    /// The far end answered.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn attempt_answered(&self, id: i64, at_ms: i64) -> anyhow::Result<()> {
        // Only a call in progress can be answered: a late report never reopens an
        // attempt that ended or was closed by recovery.
        sqlx::query(
            "UPDATE attempt SET state = 'answered', answer_at_ms = $2 \
             WHERE id = $1 AND state IN ('dialing', 'ringing')",
        )
        .bind(id)
        .bind(at_ms)
        .execute(&self.pool)
        .await
        .context("cannot record the answer")?;
        Ok(())
    }

    /// Records an attempt's end and its contact's next state (due again at
    /// `next_at_ms`, or done), in one transaction.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn end_attempt(
        &self,
        id: i64,
        contact_id: i64,
        e: &AttemptEnd,
    ) -> anyhow::Result<()> {
        let mut tx = self.pool.begin().await.context("cannot end the attempt")?;
        sqlx::query(
            "UPDATE attempt SET state = 'ended', end_at_ms = $2, trunk = $3, ring_ms = $4, \
             talk_ms = $5, sip_code = $6, cause = $7, outcome = $8, status = $9, retry = $10, \
             next_at_ms = $11, tags = $12, agent = $13, confirmed = $14, hangup_by = $15, \
             queue_result = $16, ivr_result = $17 WHERE id = $1",
        )
        .bind(id)
        .bind(e.end_at_ms)
        .bind(&e.trunk)
        .bind(e.ring_ms)
        .bind(e.talk_ms)
        .bind(e.sip_code)
        .bind(e.cause)
        .bind(&e.outcome)
        .bind(&e.status)
        .bind(i64::from(e.retry))
        .bind(e.next_at_ms)
        .bind(&e.tags)
        .bind(&e.agent)
        .bind(i64::from(e.confirmed))
        .bind(&e.hangup_by)
        .bind(&e.queue_result)
        .bind(&e.ivr_result)
        .execute(&mut *tx)
        .await
        .context("cannot record the attempt's end")?;
        sqlx::query(
            "UPDATE contact SET state = $2, status = $3, next_at_ms = $4, updated_at_ms = $5 \
             WHERE id = $1",
        )
        .bind(contact_id)
        .bind(if e.retry { "ready" } else { "done" })
        .bind(&e.status)
        .bind(e.next_at_ms)
        .bind(e.end_at_ms)
        .execute(&mut *tx)
        .await
        .context("cannot update the contact")?;
        tx.commit().await.context("cannot end the attempt")?;
        Ok(())
    }

    /// Sets an ended attempt's disposition as its agent decided it (status, tags and a
    /// note); its contact, or `None` when no ended attempt has that id.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn set_disposition(
        &self,
        id: i64,
        status: &str,
        tags: &str,
        note: Option<&str>,
    ) -> anyhow::Result<Option<i64>> {
        let contact: Option<i64> = sqlx::query_scalar(
            "UPDATE attempt SET status = $2, tags = $3, note = $4 \
             WHERE id = $1 AND state = 'ended' RETURNING contact_id",
        )
        .bind(id)
        .bind(status)
        .bind(tags)
        .bind(note)
        .fetch_optional(&self.pool)
        .await
        .context("cannot set the disposition")?;
        if let Some(contact) = contact {
            sqlx::query("UPDATE contact SET status = $2 WHERE id = $1")
                .bind(contact)
                .bind(status)
                .execute(&self.pool)
                .await
                .context("cannot set the contact's status")?;
        }
        Ok(contact)
    }

    /// Makes a contact due again at `at_ms` (an agent's call-back), to `extension`
    /// when given; whether it could be (not while it is being dialled).
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn reschedule_contact(
        &self,
        contact_id: i64,
        at_ms: i64,
        extension: Option<&str>,
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        let done = sqlx::query(
            "UPDATE contact SET state = 'ready', next_at_ms = $2, \
             schedule_extension = COALESCE($3, schedule_extension), updated_at_ms = $4 \
             WHERE id = $1 AND state <> 'dialing'",
        )
        .bind(contact_id)
        .bind(at_ms)
        .bind(extension)
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .context("cannot reschedule the contact")?;
        Ok(done.rows_affected() > 0)
    }

    /// Attempts of `host` left in progress (by a crash, when read at its start).
    /// Other hosts' calls sharing the database are theirs to close.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn open_attempts(&self, host: &str) -> anyhow::Result<Vec<AttemptRow>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM attempt WHERE state IN ('dialing', 'ringing', 'answered') \
             AND host = $1 ORDER BY id"
        )))
        .bind(host)
        .fetch_all(&self.pool)
        .await
        .context("cannot read open attempts")?;
        Ok(rows.iter().map(attempt).collect())
    }

    /// Closes an attempt cut by a crash as `interrupted`, and its contact with it
    /// (due again at `next_at_ms`, or done when `retry` is false).
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn interrupt_attempt(
        &self,
        a: &AttemptRow,
        retry: bool,
        next_at_ms: i64,
        now_ms: i64,
    ) -> anyhow::Result<()> {
        let mut tx = self
            .pool
            .begin()
            .await
            .context("cannot close the attempt")?;
        sqlx::query(
            "UPDATE attempt SET state = 'interrupted', end_at_ms = $2, outcome = 'interrupted', \
             status = 'INTERRUPTED', retry = $3, next_at_ms = $4 WHERE id = $1",
        )
        .bind(a.id)
        .bind(now_ms)
        .bind(i64::from(retry))
        .bind(next_at_ms)
        .execute(&mut *tx)
        .await
        .context("cannot close the attempt")?;
        sqlx::query(
            "UPDATE contact SET state = $2, status = 'INTERRUPTED', next_at_ms = $3, \
             updated_at_ms = $4 WHERE id = $1",
        )
        .bind(a.start.contact_id)
        .bind(if retry { "ready" } else { "done" })
        .bind(next_at_ms)
        .bind(now_ms)
        .execute(&mut *tx)
        .await
        .context("cannot reschedule the contact")?;
        tx.commit().await.context("cannot close the attempt")?;
        Ok(())
    }

    /// Contacts that `host`'s dialer claimed and stopped before writing their attempt
    /// go back to `ready`; how many. Run at start, after the open attempts are closed.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn release_claims(&self, host: &str, now_ms: i64) -> anyhow::Result<u64> {
        let done = sqlx::query(
            "UPDATE contact SET state = 'ready', updated_at_ms = $1 \
             WHERE state = 'dialing' AND claimed_by = $2",
        )
        .bind(now_ms)
        .bind(host)
        .execute(&self.pool)
        .await
        .context("cannot release claimed contacts")?;
        Ok(done.rows_affected())
    }

    /// The attempt `id`.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn attempt(&self, id: i64) -> anyhow::Result<Option<AttemptRow>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM attempt WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .context("cannot read the attempt")?;
        Ok(row.as_ref().map(attempt))
    }

    /// Every attempt of a contact, oldest first.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn attempts_of_contact(&self, contact_id: i64) -> anyhow::Result<Vec<AttemptRow>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM attempt WHERE contact_id = $1 ORDER BY id"
        )))
        .bind(contact_id)
        .fetch_all(&self.pool)
        .await
        .context("cannot read the contact's attempts")?;
        Ok(rows.iter().map(attempt).collect())
    }

    /// The calls agent `agent` took that ended since `since_ms`, newest first, at most
    /// `limit`: their desk's calls of today.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn attempts_of_agent(
        &self,
        agent: &str,
        since_ms: i64,
        limit: i64,
    ) -> anyhow::Result<Vec<AttemptRow>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM attempt WHERE agent = $1 AND end_at_ms >= $2 \
             ORDER BY end_at_ms DESC, id DESC LIMIT $3"
        )))
        .bind(agent)
        .bind(since_ms)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .context("cannot read the agent's calls")?;
        Ok(rows.iter().map(attempt).collect())
    }

    /// Every answered call in progress (waiting for an agent, hearing a message, or
    /// talking), oldest answer first: the live pages' current calls and queue waits.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn answered_attempts(&self) -> anyhow::Result<Vec<AnsweredAttempt>> {
        let rows = sqlx::query(
            "SELECT id, campaign_id, number, answer_at_ms FROM attempt \
             WHERE state = 'answered' ORDER BY answer_at_ms, id",
        )
        .fetch_all(&self.pool)
        .await
        .context("cannot read the answered calls")?;
        Ok(rows
            .iter()
            .map(|row| AnsweredAttempt {
                id: row.get(0),
                campaign_id: row.get(1),
                number: row.get(2),
                answer_at_ms: row.get::<Option<i64>, _>(3).unwrap_or_default(),
            })
            .collect())
    }

    /// A page of a campaign's attempts, newest first.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn attempts_of_campaign(
        &self,
        campaign_id: i64,
        before_id: i64,
        limit: i64,
    ) -> anyhow::Result<Vec<AttemptRow>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM attempt WHERE campaign_id = $1 AND id < $2 \
             ORDER BY id DESC LIMIT $3"
        )))
        .bind(campaign_id)
        .bind(before_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .context("cannot read the campaign's attempts")?;
        Ok(rows.iter().map(attempt).collect())
    }

    /// A campaign's attempts ended since `since_ms`: how many, how many answered, how
    /// many of those abandoned (tagged `abandoned`), and the answered ones' total talk
    /// (ms): the pacer's rolling window.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn attempt_rates(
        &self,
        campaign_id: i64,
        since_ms: i64,
    ) -> anyhow::Result<(i64, i64, i64, i64)> {
        let row = sqlx::query(
            "SELECT COUNT(*), \
             COALESCE(SUM(CASE WHEN outcome = 'answered' THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN tags LIKE '%\"abandoned\"%' THEN 1 ELSE 0 END), 0), \
             CAST(COALESCE(SUM(CASE WHEN outcome = 'answered' THEN talk_ms ELSE 0 END), 0) \
             AS BIGINT) \
             FROM attempt WHERE campaign_id = $1 AND state = 'ended' AND end_at_ms >= $2",
        )
        .bind(campaign_id)
        .bind(since_ms)
        .fetch_one(&self.pool)
        .await
        .context("cannot read the campaign's rates")?;
        Ok((row.get(0), row.get(1), row.get(2), row.get(3)))
    }

    /// A run's attempts counted by status and outcome, read from `attempt_tally` (kept
    /// by triggers) rather than counted: the status pages ask every two seconds, and
    /// counting a run of a million attempts takes hundreds of milliseconds.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn attempt_counts(
        &self,
        campaign_id: i64,
        run: i64,
    ) -> anyhow::Result<AttemptCounts> {
        let mut counts = AttemptCounts::default();
        // A count that fell to 0 stays in the tally; it must not show as a status.
        let rows = sqlx::query(
            "SELECT status, outcome, state, confirmed, n FROM attempt_tally \
             WHERE campaign_id = $1 AND run = $2 AND n <> 0",
        )
        .bind(campaign_id)
        .bind(run)
        .fetch_all(&self.pool)
        .await
        .context("cannot count the attempts")?;
        let add = |list: &mut Vec<(String, i64)>, key: String, n: i64| match list
            .iter_mut()
            .find(|(k, _)| *k == key)
        {
            Some((_, count)) => *count += n,
            None => list.push((key, n)),
        };
        for row in rows {
            let n: i64 = row.get(4);
            let state: String = row.get(2);
            if matches!(state.as_str(), "dialing" | "ringing" | "answered") {
                counts.in_progress += n;
                continue;
            }
            if row.get::<i64, _>(3) != 0 {
                counts.confirmed += n;
            }
            add(&mut counts.by_status, row.get(0), n);
            add(&mut counts.by_outcome, row.get(1), n);
        }
        counts.by_status.sort();
        counts.by_outcome.sort();
        Ok(counts)
    }
}
