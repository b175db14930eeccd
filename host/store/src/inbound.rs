//! Calls to the host's own numbers (migration 0017's `inbound_call`), written when
//! they arrive and at each step, so that a crash loses none: a call found waiting
//! when its host restarts reached nobody and is counted as a missed call. A call's
//! end and what it means for missed calls (a request counted, or the caller's open
//! request closed as served) are one transaction.

use anyhow::Context as _;
use sqlx::Row as _;

use crate::Store;
use crate::missed::{Intake, NewMissedCall, close_served_in, intake_in};

/// How an inbound call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundResult {
    /// An agent took it.
    Served,
    /// The caller hung up while waiting.
    Hangup,
    /// The maximum wait passed.
    MaxWait,
    /// It came outside the line's hours.
    Closed,
    /// Nobody was logged in to the line's queue.
    NoAgents,
    /// It could not be answered (no media port, an offer without G.711).
    Failed,
    /// Its host stopped (or crashed) while it waited.
    Interrupted,
}

impl InboundResult {
    /// As the store writes it (and a missed call's history says why).
    pub fn as_str(self) -> &'static str {
        match self {
            InboundResult::Served => "served",
            InboundResult::Hangup => "hangup",
            InboundResult::MaxWait => "max_wait",
            InboundResult::Closed => "closed",
            InboundResult::NoAgents => "no_agents",
            InboundResult::Failed => "failed",
            InboundResult::Interrupted => "interrupted",
        }
    }
}

/// An inbound call as it arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInboundCall<'a> {
    /// The host that answers it.
    pub host: &'a str,
    /// The caller, E.164 when readable.
    pub caller: &'a str,
    /// The line's number.
    pub number: &'a str,
    /// The line's queue.
    pub queue: &'a str,
    /// When it arrived.
    pub arrived_ms: i64,
}

/// An inbound call not ended yet, as its row says: one in progress, or one its host
/// left unfinished, found at restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveInboundCall {
    /// Its row.
    pub id: i64,
    /// The caller.
    pub caller: String,
    /// The line's number.
    pub number: String,
    /// The line's queue.
    pub queue: String,
    /// When it arrived.
    pub arrived_ms: i64,
    /// The agent who took it, if one had.
    pub agent: Option<String>,
}

/// The inbound call an agent is talking on, with what is known of its caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentInboundCall {
    /// Its row.
    pub id: i64,
    /// The caller.
    pub caller: String,
    /// The line's number.
    pub number: String,
    /// The line's queue.
    pub queue: String,
    /// When the agent took it.
    pub connected_ms: i64,
    /// The caller's open missed-call request: its missed calls and the first one's
    /// time (it closes as served when this call ends).
    pub missed: Option<(i64, i64)>,
}

/// An inbound call's end, as [`Store::end_inbound_call`] writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundEnd<'a> {
    /// Its row.
    pub id: i64,
    /// How it ended.
    pub result: InboundResult,
    /// When.
    pub ended_ms: i64,
    /// A call that reached nobody, to count on its caller's request (`None` when the
    /// caller cannot be called back, or an agent took it).
    pub missed: Option<&'a NewMissedCall>,
    /// The agent who took it: the caller's open request is closed as served.
    pub served_by: Option<&'a str>,
}

impl Store {
    /// Writes an inbound call as it arrives, waiting; its row's id.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn begin_inbound_call(&self, call: &NewInboundCall<'_>) -> anyhow::Result<i64> {
        let row = sqlx::query(
            "INSERT INTO inbound_call (host, caller, number, queue, arrived_ms, state) \
             VALUES ($1, $2, $3, $4, $5, 'waiting') RETURNING id",
        )
        .bind(call.host)
        .bind(call.caller)
        .bind(call.number)
        .bind(call.queue)
        .bind(call.arrived_ms)
        .fetch_one(&self.pool)
        .await
        .context("cannot write an inbound call")?;
        Ok(row.get(0))
    }

    /// Inbound call `id` was taken by `agent`.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn inbound_call_connected(
        &self,
        id: i64,
        agent: &str,
        now_ms: i64,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE inbound_call SET state = 'talking', agent = $2, connected_ms = $3 \
             WHERE id = $1 AND state = 'waiting'",
        )
        .bind(id)
        .bind(agent)
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .context("cannot write an inbound call's agent")?;
        Ok(())
    }

    /// Ends an inbound call, and in the same transaction counts it as missed or closes
    /// its caller's request as served, as `end` says. The intake's `unique_id`, when
    /// set, makes a repeated end (after a crash between the two) count once. What the
    /// intake did, when there was one.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn end_inbound_call(&self, end: &InboundEnd<'_>) -> anyhow::Result<Option<Intake>> {
        let mut tx = self
            .pool
            .begin()
            .await
            .context("cannot end an inbound call")?;
        sqlx::query(
            "UPDATE inbound_call SET state = 'ended', result = $2, ended_ms = $3 WHERE id = $1",
        )
        .bind(end.id)
        .bind(end.result.as_str())
        .bind(end.ended_ms)
        .execute(&mut *tx)
        .await
        .context("cannot end an inbound call")?;
        let intake = match end.missed {
            Some(missed) => Some(intake_in(&mut tx, missed).await?),
            None => None,
        };
        if let Some(agent) = end.served_by {
            let caller: String = sqlx::query("SELECT caller FROM inbound_call WHERE id = $1")
                .bind(end.id)
                .fetch_one(&mut *tx)
                .await
                .context("cannot read an inbound call")?
                .get(0);
            close_served_in(&mut tx, &caller, agent, end.ended_ms).await?;
        }
        tx.commit().await.context("cannot end an inbound call")?;
        Ok(intake)
    }

    /// The inbound call `agent` is talking on now, if any (across hosts).
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn inbound_call_of_agent(
        &self,
        agent: &str,
    ) -> anyhow::Result<Option<AgentInboundCall>> {
        let row = sqlx::query(
            "SELECT c.id, c.caller, c.number, c.queue, c.connected_ms, r.calls, r.first_call_ms \
             FROM inbound_call c LEFT JOIN missed_request r \
             ON r.caller = c.caller AND r.state <> 'closed' \
             WHERE c.agent = $1 AND c.state = 'talking' ORDER BY c.id DESC LIMIT 1",
        )
        .bind(agent)
        .fetch_optional(&self.pool)
        .await
        .context("cannot read an agent's inbound call")?;
        Ok(row.map(|row| {
            let calls: Option<i64> = row.get(5);
            let first: Option<i64> = row.get(6);
            AgentInboundCall {
                id: row.get(0),
                caller: row.get(1),
                number: row.get(2),
                queue: row.get(3),
                connected_ms: row.get::<Option<i64>, _>(4).unwrap_or_default(),
                missed: calls.zip(first),
            }
        }))
    }

    /// The inbound calls `host` left unfinished (waiting or talking), for its restart.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn live_inbound_calls(&self, host: &str) -> anyhow::Result<Vec<LiveInboundCall>> {
        let rows = sqlx::query(
            "SELECT id, caller, number, queue, arrived_ms, agent FROM inbound_call \
             WHERE host = $1 AND state <> 'ended' ORDER BY id",
        )
        .bind(host)
        .fetch_all(&self.pool)
        .await
        .context("cannot read the inbound calls left unfinished")?;
        Ok(rows
            .into_iter()
            .map(|row| LiveInboundCall {
                id: row.get(0),
                caller: row.get(1),
                number: row.get(2),
                queue: row.get(3),
                arrived_ms: row.get(4),
                agent: row.get(5),
            })
            .collect())
    }
}
