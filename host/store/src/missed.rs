//! Missed calls to call back (Kalliope's Missed Calls): requests, one per caller number
//! while it is not closed, and their history. The dialer decides who may do what; this
//! keeps each step atomic, so that two operators (on two hosts, on PostgreSQL) can
//! never book or call the same number: every change of hands is one conditional
//! `UPDATE` whose row count says whether it happened.

use anyhow::Context as _;
use sqlx::{AssertSqlSafe, Row as _};

use crate::Store;

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissedState {
    /// Listed: to call back (by its booker only, when booked).
    Open,
    /// An operator's call to it runs; hidden from every list.
    Calling,
    /// Done with (see [`Closure`]).
    Closed,
}

impl MissedState {
    /// As the store writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            MissedState::Open => "open",
            MissedState::Calling => "calling",
            MissedState::Closed => "closed",
        }
    }

    fn parse(text: &str) -> MissedState {
        match text {
            "calling" => MissedState::Calling,
            "closed" => MissedState::Closed,
            _ => MissedState::Open,
        }
    }
}

/// How a request was closed: the dashboard's columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closure {
    /// An operator's callback was answered and talked long enough.
    Callback,
    /// The customer called again and reached an agent.
    Inbound,
    /// A supervisor closed it.
    Forced,
    /// A supervisor flushed it with others.
    Flushed,
}

impl Closure {
    /// As the store writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Closure::Callback => "callback",
            Closure::Inbound => "inbound",
            Closure::Forced => "forced",
            Closure::Flushed => "flushed",
        }
    }

    fn parse(text: &str) -> Option<Closure> {
        Some(match text {
            "callback" => Closure::Callback,
            "inbound" => Closure::Inbound,
            "forced" => Closure::Forced,
            "flushed" => Closure::Flushed,
            _ => return None,
        })
    }
}

/// Where a missed call came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A PBX's dynamic routing posted it (the intake).
    Pbx,
    /// A call to one of this host's inbound numbers that reached no agent.
    Inbound,
}

impl Source {
    /// As the store and the API write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Pbx => "pbx",
            Source::Inbound => "inbound",
        }
    }

    /// The source called `text`.
    pub fn parse(text: &str) -> Option<Source> {
        match text {
            "pbx" => Some(Source::Pbx),
            "inbound" => Some(Source::Inbound),
            _ => None,
        }
    }
}

/// A missed call, read and checked, to count on its caller's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMissedCall {
    /// The PBX's id of the call: the same id twice counts once. `None` when it sent none.
    pub unique_id: Option<String>,
    /// The caller's number, E.164.
    pub caller: String,
    /// When the call was missed.
    pub at_ms: i64,
    /// The kind of the destination (the PBX's `param2`, such as `queue`).
    pub kind: String,
    /// The destination's name (the PBX's `param1`: the queue's name).
    pub name: String,
    /// Who reported it.
    pub source: Source,
    /// The number called (the PBX's `called`, the DNID).
    pub called: String,
    /// The accountcode.
    pub accountcode: String,
    /// The rest of what was sent (service code, parameters), as JSON, kept in the
    /// history.
    pub detail: String,
}

/// What an intake did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intake {
    /// Counted on request `request_id`; `calls` is its count now (1: a new request).
    Counted {
        /// The request.
        request_id: i64,
        /// Its calls so far.
        calls: i64,
    },
    /// A call with this `unique_id` was counted before: nothing changed.
    Repeated,
}

/// A request as the lists show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissedRequestRow {
    /// Its id.
    pub id: i64,
    /// The number to call back, E.164.
    pub caller: String,
    /// Where it stands.
    pub state: MissedState,
    /// The first and the last missed call.
    pub first_call_ms: i64,
    /// See `first_call_ms`.
    pub last_call_ms: i64,
    /// Missed calls counted.
    pub calls: i64,
    /// Callbacks made that did not close it.
    pub recalled: i64,
    /// When the last of them ended.
    pub last_recalled_ms: Option<i64>,
    /// The destination's kind and name (the queue).
    pub kind: String,
    /// See `kind`.
    pub name: String,
    /// Who reported its last call.
    pub source: Source,
    /// The number the customer called.
    pub called: String,
    /// Its accountcode.
    pub accountcode: String,
    /// The operator who booked it (or was assigned it).
    pub booked_by: Option<String>,
    /// The supervisor who assigned it, when it was assigned rather than booked.
    pub assigned_by: Option<String>,
    /// The operator calling it, while `Calling`.
    pub calling_by: Option<String>,
    /// How it was closed.
    pub closure: Option<Closure>,
    /// When.
    pub closed_at_ms: Option<i64>,
}

const REQUEST_COLUMNS: &str = "id, caller, state, first_call_ms, last_call_ms, calls, recalled, \
     last_recalled_ms, kind, name, source, called, accountcode, booked_by, assigned_by, \
     calling_by, closure, closed_at_ms";

fn request_of(row: &sqlx::any::AnyRow) -> MissedRequestRow {
    MissedRequestRow {
        id: row.get(0),
        caller: row.get(1),
        state: MissedState::parse(row.get(2)),
        first_call_ms: row.get(3),
        last_call_ms: row.get(4),
        calls: row.get(5),
        recalled: row.get(6),
        last_recalled_ms: row.get(7),
        kind: row.get(8),
        name: row.get(9),
        source: Source::parse(row.get(10)).unwrap_or(Source::Pbx),
        called: row.get(11),
        accountcode: row.get(12),
        booked_by: row.get(13),
        assigned_by: row.get(14),
        calling_by: row.get(15),
        closure: row
            .get::<Option<String>, _>(16)
            .as_deref()
            .and_then(Closure::parse),
        closed_at_ms: row.get(17),
    }
}

/// Which requests a list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MissedView {
    /// Open and booked by nobody: the operators' "numbers to call back".
    ToCall,
    /// Open and booked by this operator: their "my bookings".
    BookedBy(String),
    /// Not closed, booked or not, calling too: the supervisors' lists.
    Pending,
    /// Closed.
    Closed,
    /// Every request.
    All,
}

/// A span of times: from (inclusive) and until (exclusive), each optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Span {
    /// From this moment on.
    pub from_ms: Option<i64>,
    /// Before this moment.
    pub until_ms: Option<i64>,
}

/// The filters of the pages and of `GET /missed-calls`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissedFilter {
    /// Which requests.
    pub view: MissedView,
    /// The destination's kind, exactly.
    pub kind: Option<String>,
    /// The destination's name, exactly.
    pub name: Option<String>,
    /// The source.
    pub source: Option<Source>,
    /// Part of the caller's number.
    pub caller: Option<String>,
    /// The accountcode, exactly.
    pub accountcode: Option<String>,
    /// The first call within.
    pub first_call: Span,
    /// The last call within.
    pub last_call: Span,
    /// The last callback within.
    pub last_recalled: Span,
    /// Times recalled, exactly.
    pub recalled: Option<i64>,
}

impl Default for MissedFilter {
    fn default() -> Self {
        MissedFilter {
            view: MissedView::Pending,
            kind: None,
            name: None,
            source: None,
            caller: None,
            accountcode: None,
            first_call: Span::default(),
            last_call: Span::default(),
            last_recalled: Span::default(),
            recalled: None,
        }
    }
}

/// A value bound to a filter's placeholder.
enum Bind {
    Int(i64),
    Text(String),
}

impl MissedFilter {
    /// The filter as SQL conditions, with the values to bind from `$1` on.
    fn clauses(&self) -> (String, Vec<Bind>) {
        let mut wheres: Vec<String> = Vec::new();
        let mut binds = Vec::new();
        let mut bind = |wheres: &mut Vec<String>, clause: &str, value: Bind| {
            binds.push(value);
            wheres.push(format!("{clause} ${}", binds.len()));
        };
        match &self.view {
            MissedView::ToCall => wheres.push("state = 'open' AND booked_by IS NULL".into()),
            MissedView::BookedBy(operator) => {
                wheres.push("state = 'open'".into());
                bind(&mut wheres, "booked_by =", Bind::Text(operator.clone()));
            }
            MissedView::Pending => wheres.push("state <> 'closed'".into()),
            MissedView::Closed => wheres.push("state = 'closed'".into()),
            MissedView::All => {}
        }
        for (clause, value) in [
            ("kind =", &self.kind),
            ("name =", &self.name),
            ("accountcode =", &self.accountcode),
        ] {
            if let Some(value) = value {
                bind(&mut wheres, clause, Bind::Text(value.clone()));
            }
        }
        if let Some(source) = self.source {
            bind(&mut wheres, "source =", Bind::Text(source.as_str().into()));
        }
        if let Some(caller) = &self.caller {
            // Part of a number: its digits and a leading +, the LIKE wildcards kept out.
            let digits: String = caller
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '+')
                .collect();
            bind(
                &mut wheres,
                "caller LIKE",
                Bind::Text(format!("%{digits}%")),
            );
        }
        for (column, span) in [
            ("first_call_ms", self.first_call),
            ("last_call_ms", self.last_call),
            ("last_recalled_ms", self.last_recalled),
        ] {
            if let Some(from) = span.from_ms {
                bind(&mut wheres, &format!("{column} >="), Bind::Int(from));
            }
            if let Some(until) = span.until_ms {
                bind(&mut wheres, &format!("{column} <"), Bind::Int(until));
            }
        }
        if let Some(recalled) = self.recalled {
            bind(&mut wheres, "recalled =", Bind::Int(recalled));
        }
        if wheres.is_empty() {
            wheres.push("1 = 1".into());
        }
        (wheres.join(" AND "), binds)
    }
}

/// The columns a list sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissedColumn {
    /// The number.
    Caller,
    /// Missed calls counted.
    Calls,
    /// The first call.
    FirstCall,
    /// The last call.
    LastCall,
    /// Times recalled.
    Recalled,
    /// The last callback.
    LastRecalled,
    /// The destination's name.
    Name,
    /// The booker.
    BookedBy,
}

impl MissedColumn {
    fn sql(self) -> &'static str {
        match self {
            MissedColumn::Caller => "caller",
            MissedColumn::Calls => "calls",
            MissedColumn::FirstCall => "first_call_ms",
            MissedColumn::LastCall => "last_call_ms",
            MissedColumn::Recalled => "recalled",
            MissedColumn::LastRecalled => "COALESCE(last_recalled_ms, 0)",
            MissedColumn::Name => "name",
            MissedColumn::BookedBy => "COALESCE(booked_by, '')",
        }
    }
}

/// A list's order: a column, each way; ties by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissedOrder {
    /// The column.
    pub column: MissedColumn,
    /// Largest (latest) first.
    pub descending: bool,
}

impl Default for MissedOrder {
    fn default() -> Self {
        MissedOrder {
            column: MissedColumn::LastCall,
            descending: true,
        }
    }
}

/// One page of a list, and how many requests the filter matches in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissedPage {
    /// The page's requests.
    pub requests: Vec<MissedRequestRow>,
    /// Requests matching the filter.
    pub total: i64,
}

/// A line of a request's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissedEventRow {
    /// When.
    pub at_ms: i64,
    /// `call`, `callback`, `booked`, `unbooked`, `assigned`, `unassigned`, `closed`,
    /// `flushed`.
    pub kind: String,
    /// Who (an operator or supervisor), when a person did it.
    pub actor: Option<String>,
    /// A callback's attempt.
    pub attempt_id: Option<i64>,
    /// A callback's outcome.
    pub outcome: Option<String>,
    /// A callback's talk time.
    pub talk_ms: Option<i64>,
    /// The rest, as JSON (a missed call's service code and parameters).
    pub detail: String,
}

/// A callback whose call ended, settled by [`Store::settle_callbacks`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettledCallback {
    /// The request.
    pub request_id: i64,
    /// The operator who called.
    pub operator: String,
    /// Whether it closed the request.
    pub done: bool,
}

impl Store {
    /// Counts a missed call on its caller's open request, making one when there is
    /// none, in one transaction; a `unique_id` counted before changes nothing.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn intake_missed_call(&self, call: &NewMissedCall) -> anyhow::Result<Intake> {
        let mut tx = self
            .pool
            .begin()
            .await
            .context("cannot count a missed call")?;
        let intake = intake_in(&mut tx, call).await?;
        tx.commit().await.context("cannot count a missed call")?;
        Ok(intake)
    }

    /// A page of the requests `filter` matches, in `order`, and their number.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn missed_requests(
        &self,
        filter: &MissedFilter,
        order: MissedOrder,
        offset: i64,
        limit: i64,
    ) -> anyhow::Result<MissedPage> {
        let (wheres, binds) = filter.clauses();
        let way = if order.descending { "DESC" } else { "ASC" };
        // Two statements: a window count over the rows (`COUNT(*) OVER ()`) would read
        // every match before the LIMIT, where an index in the page's order reads 50.
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM missed_request WHERE {wheres} \
             ORDER BY {} {way}, id {way} LIMIT {} OFFSET {}",
            order.column.sql(),
            limit.max(0),
            offset.max(0)
        );
        let rows = with_binds(sqlx::query(AssertSqlSafe(sql)), &binds)
            .fetch_all(&self.pool)
            .await
            .context("cannot read the missed calls")?;
        let count = format!("SELECT COUNT(*) FROM missed_request WHERE {wheres}");
        let total: i64 = with_binds(sqlx::query(AssertSqlSafe(count)), &binds)
            .fetch_one(&self.pool)
            .await
            .context("cannot count the missed calls")?
            .get(0);
        Ok(MissedPage {
            requests: rows.iter().map(request_of).collect(),
            total,
        })
    }

    /// Request `id`.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn missed_request(&self, id: i64) -> anyhow::Result<Option<MissedRequestRow>> {
        let sql = format!("SELECT {REQUEST_COLUMNS} FROM missed_request WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .context("cannot read a missed call")?;
        Ok(row.as_ref().map(request_of))
    }

    /// Request `id`'s history, oldest first.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn missed_history(&self, id: i64) -> anyhow::Result<Vec<MissedEventRow>> {
        let rows = sqlx::query(
            "SELECT at_ms, kind, actor, attempt_id, outcome, talk_ms, detail FROM missed_event \
             WHERE request_id = $1 ORDER BY at_ms, id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .context("cannot read a missed call's history")?;
        Ok(rows
            .iter()
            .map(|row| MissedEventRow {
                at_ms: row.get(0),
                kind: row.get(1),
                actor: row.get(2),
                attempt_id: row.get(3),
                outcome: row.get(4),
                talk_ms: row.get(5),
                detail: row.get(6),
            })
            .collect())
    }

    /// Books open request `id` for `operator` if nobody has booked it: true when this
    /// call booked it. `assigned_by` names the supervisor when it is an assignment,
    /// which takes it from whoever had booked it.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn book_missed(
        &self,
        id: i64,
        operator: &str,
        assigned_by: Option<&str>,
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        let (query, kind) = match assigned_by {
            None => (
                sqlx::query(
                    "UPDATE missed_request SET booked_by = $2, assigned_by = NULL \
                     WHERE id = $1 AND state = 'open' AND booked_by IS NULL",
                )
                .bind(id)
                .bind(operator),
                "booked",
            ),
            Some(supervisor) => (
                sqlx::query(
                    "UPDATE missed_request SET booked_by = $2, assigned_by = $3 \
                     WHERE id = $1 AND state = 'open'",
                )
                .bind(id)
                .bind(operator)
                .bind(supervisor),
                "assigned",
            ),
        };
        let mut tx = self
            .pool
            .begin()
            .await
            .context("cannot book a missed call")?;
        let done = query
            .execute(&mut *tx)
            .await
            .context("cannot book a missed call")?
            .rows_affected()
            == 1;
        if done {
            let detail = serde_json::json!({ "operator": operator }).to_string();
            record_event(
                &mut tx,
                id,
                now_ms,
                kind,
                assigned_by.unwrap_or(operator),
                &detail,
            )
            .await?;
        }
        tx.commit().await.context("cannot book a missed call")?;
        Ok(done)
    }

    /// Gives open request `id` back to everyone: when `booked_by` is given, only if
    /// that operator holds it (an operator unbooking); with `None`, whoever holds it
    /// (a supervisor unassigning). True when it was given back.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn unbook_missed(
        &self,
        id: i64,
        booked_by: Option<&str>,
        actor: &str,
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        let mut tx = self
            .pool
            .begin()
            .await
            .context("cannot unbook a missed call")?;
        let query = match booked_by {
            Some(operator) => sqlx::query(
                "UPDATE missed_request SET booked_by = NULL, assigned_by = NULL \
                 WHERE id = $1 AND state = 'open' AND booked_by = $2",
            )
            .bind(id)
            .bind(operator),
            None => sqlx::query(
                "UPDATE missed_request SET booked_by = NULL, assigned_by = NULL \
                 WHERE id = $1 AND state = 'open' AND booked_by IS NOT NULL",
            )
            .bind(id),
        };
        let done = query
            .execute(&mut *tx)
            .await
            .context("cannot unbook a missed call")?
            .rows_affected()
            == 1;
        if done {
            let kind = if booked_by.is_some() {
                "unbooked"
            } else {
                "unassigned"
            };
            record_event(&mut tx, id, now_ms, kind, actor, "{}").await?;
        }
        tx.commit().await.context("cannot unbook a missed call")?;
        Ok(done)
    }

    /// Takes open request `id` for `operator`'s call, if it is booked by nobody or by
    /// them: hidden from every list until [`Store::settle_callbacks`] finds the call's
    /// attempt ended. True when taken.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn take_missed_for_call(
        &self,
        id: i64,
        operator: &str,
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        let taken = sqlx::query(
            "UPDATE missed_request SET state = 'calling', calling_by = $2, \
             calling_attempt = NULL, calling_since_ms = $3 \
             WHERE id = $1 AND state = 'open' AND (booked_by IS NULL OR booked_by = $2)",
        )
        .bind(id)
        .bind(operator)
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .context("cannot take a missed call for a callback")?
        .rows_affected();
        Ok(taken == 1)
    }

    /// Notes the attempt of the callback to request `id`, once written.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn note_missed_attempt(&self, id: i64, attempt_id: i64) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE missed_request SET calling_attempt = $2 WHERE id = $1 AND state = 'calling'",
        )
        .bind(id)
        .bind(attempt_id)
        .execute(&self.pool)
        .await
        .context("cannot note a callback's attempt")?;
        Ok(())
    }

    /// Gives back request `id`, taken for a call that could not be placed: open again,
    /// as it was, and not counted as recalled.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn release_missed(&self, id: i64) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE missed_request SET state = 'open', calling_by = NULL, \
             calling_attempt = NULL, calling_since_ms = NULL \
             WHERE id = $1 AND state = 'calling'",
        )
        .bind(id)
        .execute(&self.pool)
        .await
        .context("cannot give back a missed call")?;
        Ok(())
    }

    /// Settles every callback whose call is over: a request whose attempt ended
    /// answered with more than `min_talk_ms` of talk is closed (`callback`); any other
    /// comes back open, counted as recalled. A request taken for a call whose attempt
    /// was never written (a crash in between) comes back after `stale_ms`. Idempotent:
    /// the scheduler runs it after each call and at its start.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn settle_callbacks(
        &self,
        min_talk_ms: i64,
        stale_ms: i64,
        now_ms: i64,
    ) -> anyhow::Result<Vec<SettledCallback>> {
        let mut tx = self.pool.begin().await.context("cannot settle callbacks")?;
        let rows = sqlx::query(
            "SELECT r.id, r.calling_by, a.id, a.outcome, a.talk_ms, a.end_at_ms \
             FROM missed_request r LEFT JOIN attempt a ON a.id = r.calling_attempt \
             WHERE r.state = 'calling' AND (a.end_at_ms IS NOT NULL \
             OR (r.calling_attempt IS NULL AND r.calling_since_ms < $1))",
        )
        .bind(now_ms - stale_ms)
        .fetch_all(&mut *tx)
        .await
        .context("cannot read the callbacks in progress")?;
        let mut settled = Vec::new();
        for row in &rows {
            let id: i64 = row.get(0);
            let operator: Option<String> = row.get(1);
            let attempt: Option<i64> = row.get(2);
            let outcome: Option<String> = row.get(3);
            let talk_ms: Option<i64> = row.get(4);
            let ended: Option<i64> = row.get(5);
            let done =
                outcome.as_deref() == Some("answered") && talk_ms.is_some_and(|t| t > min_talk_ms);
            let at = ended.unwrap_or(now_ms);
            let sql = if done {
                "UPDATE missed_request SET state = 'closed', closure = 'callback', \
                 closed_by = calling_by, closed_at_ms = $2, calling_attempt = NULL, \
                 calling_since_ms = NULL WHERE id = $1"
            } else {
                "UPDATE missed_request SET state = 'open', calling_by = NULL, \
                 calling_attempt = NULL, calling_since_ms = NULL, \
                 recalled = recalled + $3, last_recalled_ms = $2 WHERE id = $1"
            };
            sqlx::query(sql)
                .bind(id)
                .bind(at)
                .bind(i64::from(attempt.is_some()))
                .execute(&mut *tx)
                .await
                .context("cannot settle a callback")?;
            sqlx::query(
                "INSERT INTO missed_event (request_id, at_ms, kind, actor, attempt_id, \
                 outcome, talk_ms, detail) VALUES ($1, $2, 'callback', $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(at)
            .bind(&operator)
            .bind(attempt)
            .bind(&outcome)
            .bind(talk_ms)
            .bind(serde_json::json!({ "done": done }).to_string())
            .execute(&mut *tx)
            .await
            .context("cannot record a callback")?;
            settled.push(SettledCallback {
                request_id: id,
                operator: operator.unwrap_or_default(),
                done,
            });
        }
        tx.commit().await.context("cannot settle callbacks")?;
        Ok(settled)
    }

    /// Closes request `id` by a supervisor's hand, if it is open (not while its
    /// callback runs). True when closed.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn close_missed(&self, id: i64, actor: &str, now_ms: i64) -> anyhow::Result<bool> {
        let mut tx = self
            .pool
            .begin()
            .await
            .context("cannot close a missed call")?;
        let done = sqlx::query(
            "UPDATE missed_request SET state = 'closed', closure = 'forced', closed_by = $2, \
             closed_at_ms = $3 WHERE id = $1 AND state = 'open'",
        )
        .bind(id)
        .bind(actor)
        .bind(now_ms)
        .execute(&mut *tx)
        .await
        .context("cannot close a missed call")?
        .rows_affected()
            == 1;
        if done {
            record_event(&mut tx, id, now_ms, "closed", actor, "{}").await?;
        }
        tx.commit().await.context("cannot close a missed call")?;
        Ok(done)
    }

    /// Closes every open request `filter` matches (those calling left alone), as
    /// flushed, or only those of `ids` among them when given. How many were closed.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn flush_missed(
        &self,
        filter: &MissedFilter,
        ids: Option<&[i64]>,
        actor: &str,
        now_ms: i64,
    ) -> anyhow::Result<u64> {
        let (wheres, binds) = filter.clauses();
        let only = match ids {
            // The ids are numbers parsed by the caller, written into the statement.
            Some([]) => return Ok(0),
            Some(ids) => format!(
                " AND id IN ({})",
                ids.iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => String::new(),
        };
        let n = binds.len();
        let mut tx = self
            .pool
            .begin()
            .await
            .context("cannot flush missed calls")?;
        let events = format!(
            "INSERT INTO missed_event (request_id, at_ms, kind, actor, detail) \
             SELECT id, ${}, 'flushed', ${}, '{{}}' FROM missed_request \
             WHERE {wheres} AND state = 'open'{only}",
            n + 1,
            n + 2
        );
        with_binds(sqlx::query(AssertSqlSafe(events)), &binds)
            .bind(now_ms)
            .bind(actor)
            .execute(&mut *tx)
            .await
            .context("cannot record a flush")?;
        let update = format!(
            "UPDATE missed_request SET state = 'closed', closure = 'flushed', \
             closed_by = ${}, closed_at_ms = ${} WHERE {wheres} AND state = 'open'{only}",
            n + 1,
            n + 2
        );
        let flushed = with_binds(sqlx::query(AssertSqlSafe(update)), &binds)
            .bind(actor)
            .bind(now_ms)
            .execute(&mut *tx)
            .await
            .context("cannot flush missed calls")?
            .rows_affected();
        tx.commit().await.context("cannot flush missed calls")?;
        Ok(flushed)
    }

    /// Whether `number` has a request booked by an operator or being called back:
    /// campaigns leave such a number alone.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn is_booked_callback(&self, number: &str) -> anyhow::Result<bool> {
        let row = sqlx::query(
            "SELECT 1 FROM missed_request WHERE caller = $1 AND state <> 'closed' \
             AND (booked_by IS NOT NULL OR state = 'calling')",
        )
        .bind(number)
        .fetch_optional(&self.pool)
        .await
        .context("cannot read the booked callbacks")?;
        Ok(row.is_some())
    }
}

/// Writes a line of request `id`'s history in `tx`.
/// [`Store::intake_missed_call`] within `tx`.
pub(crate) async fn intake_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    call: &NewMissedCall,
) -> anyhow::Result<Intake> {
    let event = sqlx::query(
        "INSERT INTO missed_event (at_ms, kind, unique_id, detail) VALUES ($1, 'call', $2, $3) \
         ON CONFLICT (unique_id) DO NOTHING RETURNING id",
    )
    .bind(call.at_ms)
    .bind(&call.unique_id)
    .bind(&call.detail)
    .fetch_optional(&mut **tx)
    .await
    .context("cannot record a missed call")?;
    let Some(event) = event else {
        return Ok(Intake::Repeated);
    };
    let event_id: i64 = event.get(0);
    let row = sqlx::query(
        "INSERT INTO missed_request (caller, state, first_call_ms, last_call_ms, calls, \
         recalled, kind, name, source, called, accountcode) \
         VALUES ($1, 'open', $2, $2, 1, 0, $3, $4, $5, $6, $7) \
         ON CONFLICT (caller) WHERE state <> 'closed' DO UPDATE SET \
         calls = missed_request.calls + 1, \
         first_call_ms = CASE WHEN excluded.first_call_ms < missed_request.first_call_ms \
         THEN excluded.first_call_ms ELSE missed_request.first_call_ms END, \
         last_call_ms = CASE WHEN excluded.last_call_ms > missed_request.last_call_ms \
         THEN excluded.last_call_ms ELSE missed_request.last_call_ms END, \
         kind = excluded.kind, name = excluded.name, source = excluded.source, \
         called = excluded.called, accountcode = excluded.accountcode \
         RETURNING id, calls",
    )
    .bind(&call.caller)
    .bind(call.at_ms)
    .bind(&call.kind)
    .bind(&call.name)
    .bind(call.source.as_str())
    .bind(&call.called)
    .bind(&call.accountcode)
    .fetch_one(&mut **tx)
    .await
    .context("cannot count a missed call on its request")?;
    let (request_id, calls): (i64, i64) = (row.get(0), row.get(1));
    sqlx::query("UPDATE missed_event SET request_id = $1 WHERE id = $2")
        .bind(request_id)
        .bind(event_id)
        .execute(&mut **tx)
        .await
        .context("cannot record a missed call")?;
    Ok(Intake::Counted { request_id, calls })
}

/// Closes `caller`'s open request as served by an inbound call that `agent` took,
/// within `tx`: the customer called again and reached someone. A request whose
/// callback runs is left to that callback. Whether one was closed.
pub(crate) async fn close_served_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    caller: &str,
    agent: &str,
    now_ms: i64,
) -> anyhow::Result<bool> {
    let row = sqlx::query(
        "UPDATE missed_request SET state = 'closed', closure = 'inbound', closed_by = $2, \
         closed_at_ms = $3 WHERE caller = $1 AND state = 'open' RETURNING id",
    )
    .bind(caller)
    .bind(agent)
    .bind(now_ms)
    .fetch_optional(&mut **tx)
    .await
    .context("cannot close a missed call served inbound")?;
    let Some(row) = row else {
        return Ok(false);
    };
    record_event(
        tx,
        row.get(0),
        now_ms,
        "closed",
        agent,
        r#"{"by":"inbound"}"#,
    )
    .await?;
    Ok(true)
}

async fn record_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
    at_ms: i64,
    kind: &str,
    actor: &str,
    detail: &str,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO missed_event (request_id, at_ms, kind, actor, detail) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(at_ms)
    .bind(kind)
    .bind(actor)
    .bind(detail)
    .execute(&mut **tx)
    .await
    .context("cannot record a missed call's history")?;
    Ok(())
}

/// `query` with `binds` bound to its first placeholders, in order.
fn with_binds<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    binds: &[Bind],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    binds.iter().fold(query, |query, value| match value {
        Bind::Int(v) => query.bind(*v),
        Bind::Text(v) => query.bind(v.clone()),
    })
}

/// A request as the missed-calls report counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissedReportRequest {
    /// Its first missed call.
    pub first_call_ms: i64,
    /// Its queue (the destination's name).
    pub name: String,
    /// Callbacks that did not close it.
    pub recalled: i64,
    /// How and when it was closed, if it was.
    pub closure: Option<(Closure, i64)>,
}

/// A line of history as the missed-calls report counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissedReportEvent {
    /// When.
    pub at_ms: i64,
    /// The request's queue.
    pub name: String,
    /// The request's first missed call.
    pub first_call_ms: i64,
    /// A callback that closed its request (for a missed call: false).
    pub done: bool,
}

/// What the missed-calls report reads of a span.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MissedReport {
    /// Requests first called within the span, or closed within it.
    pub requests: Vec<MissedReportRequest>,
    /// The missed calls within the span.
    pub calls: Vec<MissedReportEvent>,
    /// The callbacks within the span.
    pub callbacks: Vec<MissedReportEvent>,
}

impl Store {
    /// The requests, missed calls and callbacks of `span`, of one accountcode or all.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn missed_report(
        &self,
        span: Span,
        accountcode: Option<&str>,
    ) -> anyhow::Result<MissedReport> {
        let from = span.from_ms.unwrap_or(i64::MIN);
        let until = span.until_ms.unwrap_or(i64::MAX);
        let account = accountcode.unwrap_or_default();
        let requests = sqlx::query(
            "SELECT first_call_ms, name, recalled, closure, closed_at_ms FROM missed_request \
             WHERE (($1 <= first_call_ms AND first_call_ms < $2) \
             OR ($1 <= closed_at_ms AND closed_at_ms < $2)) \
             AND ($3 = '' OR accountcode = $3)",
        )
        .bind(from)
        .bind(until)
        .bind(account)
        .fetch_all(&self.pool)
        .await
        .context("cannot read the missed calls' requests")?;
        let events = sqlx::query(
            "SELECT e.at_ms, e.kind, r.name, r.first_call_ms, e.detail FROM missed_event e \
             JOIN missed_request r ON r.id = e.request_id \
             WHERE e.kind IN ('call', 'callback') AND $1 <= e.at_ms AND e.at_ms < $2 \
             AND ($3 = '' OR r.accountcode = $3) ORDER BY e.at_ms",
        )
        .bind(from)
        .bind(until)
        .bind(account)
        .fetch_all(&self.pool)
        .await
        .context("cannot read the missed calls' history")?;
        let mut report = MissedReport {
            requests: requests
                .iter()
                .map(|row| MissedReportRequest {
                    first_call_ms: row.get(0),
                    name: row.get(1),
                    recalled: row.get(2),
                    closure: row
                        .get::<Option<String>, _>(3)
                        .as_deref()
                        .and_then(Closure::parse)
                        .zip(row.get::<Option<i64>, _>(4)),
                })
                .collect(),
            ..MissedReport::default()
        };
        for row in &events {
            let kind: String = row.get(1);
            let detail: String = row.get(4);
            let event = MissedReportEvent {
                at_ms: row.get(0),
                name: row.get(2),
                first_call_ms: row.get(3),
                done: kind == "callback"
                    && serde_json::from_str::<serde_json::Value>(&detail)
                        .is_ok_and(|d| d["done"] == true),
            };
            if kind == "call" {
                report.calls.push(event);
            } else {
                report.callbacks.push(event);
            }
        }
        Ok(report)
    }
}
