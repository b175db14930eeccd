//! Agents and queue membership. The dialer decides what a state change means; this
//! keeps the states so that a restart finds every agent where they were.

use anyhow::Context as _;
use sqlx::AssertSqlSafe;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use crate::{Backend, Store};

/// An agent as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentRow {
    /// Unique name (the login).
    pub name: String,
    /// The address of record of the agent's phone.
    pub extension: String,
    /// The state, as the dialer names it.
    pub state: String,
    /// Why the agent paused.
    pub reason: Option<String>,
    /// Since when the agent is in this state.
    pub since_ms: i64,
    /// Seconds of wrap-up after each call.
    pub wrap_up_s: i64,
    /// The attempt whose call they are on.
    pub attempt_id: Option<i64>,
}

const COLUMNS: &str = "name, extension, state, reason, since_ms, wrap_up_s, attempt_id";

/// An agent free for a call. The state names are the dialer's (`AgentState::as_str`);
/// they are written here because choosing an agent and taking them must be one
/// statement.
const FREE: &str = "(state = 'ready' OR (state = 'wrap_up' AND since_ms + wrap_up_s * 1000 <= $2))";

/// Since when a free agent has been free.
const FREE_SINCE: &str =
    "(CASE WHEN state = 'wrap_up' THEN since_ms + wrap_up_s * 1000 ELSE since_ms END)";

/// The call an agent is taken for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentCall<'a> {
    /// The host placing it (a restarted host frees only its own agents).
    pub host: &'a str,
    /// Its attempt; none for an inbound call, which is no attempt.
    pub attempt_id: Option<i64>,
    /// When the agent is taken.
    pub now_ms: i64,
}

/// An agent taken for a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakenAgent {
    /// Their name.
    pub name: String,
    /// Their phone's address of record.
    pub extension: String,
    /// Since when they had been free: their place in the queue, given back if the call
    /// goes away before they talk.
    pub free_since_ms: i64,
}

fn agent(row: &AnyRow) -> AgentRow {
    AgentRow {
        name: row.get(0),
        extension: row.get(1),
        state: row.get(2),
        reason: row.get(3),
        since_ms: row.get(4),
        wrap_up_s: row.get(5),
        attempt_id: row.get(6),
    }
}

impl Store {
    /// Adds an agent.
    ///
    /// # Errors
    /// When the name or the extension is taken, or the database cannot be written.
    pub async fn create_agent(&self, a: &AgentRow) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO agent (name, extension, state, reason, since_ms, wrap_up_s) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&a.name)
        .bind(&a.extension)
        .bind(&a.state)
        .bind(&a.reason)
        .bind(a.since_ms)
        .bind(a.wrap_up_s)
        .execute(&self.pool)
        .await
        .with_context(|| format!("cannot create the agent {:?}", a.name))?;
        Ok(())
    }

    /// An agent by name.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn agent(&self, name: &str) -> anyhow::Result<Option<AgentRow>> {
        self.agent_by("name", name).await
    }

    /// The agent whose `column` (unique: name or extension) is `value`.
    async fn agent_by(&self, column: &str, value: &str) -> anyhow::Result<Option<AgentRow>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM agent WHERE {column} = $1"
        )))
        .bind(value)
        .fetch_optional(&self.pool)
        .await
        .context("cannot read the agent")?;
        Ok(row.as_ref().map(agent))
    }

    /// Every agent, by name.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn agents(&self) -> anyhow::Result<Vec<AgentRow>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM agent ORDER BY name"
        )))
        .fetch_all(&self.pool)
        .await
        .context("cannot read the agents")?;
        Ok(rows.iter().map(agent).collect())
    }

    /// Moves an agent from the state `from` to `to` (with `reason`, for a pause),
    /// beginning at `since_ms`; false when the agent was no longer in `from` (a call
    /// took them, or the agent changed state meanwhile), and nothing is written.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn move_agent(
        &self,
        name: &str,
        from: &str,
        to: &str,
        reason: Option<&str>,
        since_ms: i64,
    ) -> anyhow::Result<bool> {
        let done = sqlx::query(
            "UPDATE agent SET state = $3, reason = $4, since_ms = $5, taken_by = NULL, \
             attempt_id = NULL WHERE name = $1 AND state = $2",
        )
        .bind(name)
        .bind(from)
        .bind(to)
        .bind(reason)
        .bind(since_ms)
        .execute(&self.pool)
        .await
        .context("cannot change the agent's state")?;
        Ok(done.rows_affected() > 0)
    }

    /// Takes the longest-idle free agent of `queue` for a call of `host`, in one
    /// statement: the agent moves to `on_call` at `now_ms`. Free means `ready`, or in a
    /// `wrap_up` that is over; idle since the state began, or since the wrap-up ended.
    /// Two hosts (or two calls) racing for one agent cannot both win: the update checks
    /// the state again; on PostgreSQL a call passes over agents another call is taking
    /// (`SKIP LOCKED`) rather than queueing behind it and finding them gone.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn take_agent(
        &self,
        queue: &str,
        call: &AgentCall<'_>,
    ) -> anyhow::Result<Option<TakenAgent>> {
        let lock = match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE OF agent SKIP LOCKED",
        };
        let longest_idle = format!(
            "name = (SELECT name FROM agent JOIN queue_member m ON m.agent = agent.name \
             WHERE m.queue = $1 AND {FREE} ORDER BY {FREE_SINCE}, name LIMIT 1{lock})"
        );
        self.take(&longest_idle, queue, call).await
    }

    /// Takes the agent whose phone is `extension`, if they are free, as
    /// [`Store::take_agent`] does.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn take_agent_at(
        &self,
        extension: &str,
        call: &AgentCall<'_>,
    ) -> anyhow::Result<Option<TakenAgent>> {
        self.take("extension = $1", extension, call).await
    }

    async fn take(
        &self,
        which: &str,
        key: &str,
        call: &AgentCall<'_>,
    ) -> anyhow::Result<Option<TakenAgent>> {
        // SET's right-hand sides read the row as it was: free_since_ms is the old one.
        let row = sqlx::query(AssertSqlSafe(format!(
            "UPDATE agent SET state = 'on_call', reason = NULL, taken_by = $3, \
             attempt_id = $4, free_since_ms = {FREE_SINCE}, since_ms = $2 \
             WHERE {FREE} AND {which} \
             RETURNING name, extension, free_since_ms"
        )))
        .bind(key)
        .bind(call.now_ms)
        .bind(call.host)
        .bind(call.attempt_id)
        .fetch_optional(&self.pool)
        .await
        .context("cannot take an agent")?;
        Ok(row.map(|row| TakenAgent {
            name: row.get(0),
            extension: row.get(1),
            free_since_ms: row.get(2),
        }))
    }

    /// Takes agent `name` for a call they place themself from their desk, if they are
    /// still as they were read (`from`, since `since_ms`): the compare-and-set that
    /// keeps a queued call from taking them meanwhile. The call's attempt is written
    /// after (its checks need the agent held), and set with [`Store::set_agent_attempt`].
    /// Whether they were taken.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn take_agent_named(
        &self,
        name: &str,
        (from, since_ms): (&str, i64),
        host: &str,
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        let done = sqlx::query(AssertSqlSafe(format!(
            "UPDATE agent SET state = 'on_call', reason = NULL, taken_by = $4, \
             attempt_id = NULL, free_since_ms = {FREE_SINCE}, since_ms = $5 \
             WHERE name = $1 AND state = $2 AND since_ms = $3"
        )))
        .bind(name)
        .bind(from)
        .bind(since_ms)
        .bind(host)
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .context("cannot take the agent")?;
        Ok(done.rows_affected() > 0)
    }

    /// Notes the attempt whose call agent `name`, on a call of `host`, is on.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn set_agent_attempt(
        &self,
        name: &str,
        host: &str,
        attempt_id: i64,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE agent SET attempt_id = $3 \
             WHERE name = $1 AND state = 'on_call' AND taken_by = $2",
        )
        .bind(name)
        .bind(host)
        .bind(attempt_id)
        .execute(&self.pool)
        .await
        .context("cannot note the agent's call")?;
        Ok(())
    }

    /// The agent whose phone is `extension`.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn agent_at(&self, extension: &str) -> anyhow::Result<Option<AgentRow>> {
        self.agent_by("extension", extension).await
    }

    /// Moves the agents that calls of `host` held to a wrap-up beginning at `now_ms`:
    /// after a crash no call of this host holds them any more.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn release_agents_on_call(&self, host: &str, now_ms: i64) -> anyhow::Result<u64> {
        let done = sqlx::query(
            "UPDATE agent SET state = 'wrap_up', since_ms = $2, taken_by = NULL, \
             attempt_id = NULL WHERE state = 'on_call' AND taken_by = $1",
        )
        .bind(host)
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .context("cannot release the agents")?;
        Ok(done.rows_affected())
    }

    /// Makes `agent` a member of `queue` (nothing if it is).
    ///
    /// # Errors
    /// When there is no such agent, or the database cannot be written.
    pub async fn add_queue_member(&self, queue: &str, agent: &str) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO queue_member (queue, agent) VALUES ($1, $2) \
             ON CONFLICT (queue, agent) DO NOTHING",
        )
        .bind(queue)
        .bind(agent)
        .execute(&self.pool)
        .await
        .context("cannot add the queue member")?;
        Ok(())
    }

    /// Takes `agent` out of `queue`; whether it was in.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn remove_queue_member(&self, queue: &str, agent: &str) -> anyhow::Result<bool> {
        let done = sqlx::query("DELETE FROM queue_member WHERE queue = $1 AND agent = $2")
            .bind(queue)
            .bind(agent)
            .execute(&self.pool)
            .await
            .context("cannot remove the queue member")?;
        Ok(done.rows_affected() > 0)
    }

    /// The agents of `queue`, by name.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn queue_members(&self, queue: &str) -> anyhow::Result<Vec<AgentRow>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {} FROM agent a JOIN queue_member m ON m.agent = a.name \
             WHERE m.queue = $1 ORDER BY a.name",
            COLUMNS
                .split(", ")
                .map(|c| format!("a.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        )))
        .bind(queue)
        .fetch_all(&self.pool)
        .await
        .context("cannot read the queue's members")?;
        Ok(rows.iter().map(agent).collect())
    }

    /// Every queue that has members, by name.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn queues(&self) -> anyhow::Result<Vec<String>> {
        sqlx::query_scalar("SELECT DISTINCT queue FROM queue_member ORDER BY queue")
            .fetch_all(&self.pool)
            .await
            .context("cannot read the queues")
    }
}

/// A change of an agent's state made by someone (a supervisor, the agent), as the
/// audit keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentChange {
    /// The agent.
    pub agent: String,
    /// Who made it (a user's name).
    pub changed_by: String,
    /// The state before, as the dialer names it.
    pub from_state: String,
    /// The state after.
    pub to_state: String,
    /// The pause's reason.
    pub reason: Option<String>,
    /// When.
    pub at_ms: i64,
}

/// Which of the log's states [`Store::agent_state_times`] counts, by when they ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// Those that ended at or after the first time and before the second.
    Between(i64, i64),
    /// Those that ended at or after this time, and those not over.
    SinceOrOpen(i64),
}

/// The time an agent spent in one state (with one reason) within a span of time: a
/// line of the agent's day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateTime {
    /// The agent.
    pub agent: String,
    /// The state, as stored.
    pub state: String,
    /// The reason, for a pause.
    pub reason: Option<String>,
    /// How many times the agent entered it within the span.
    pub entered: i64,
    /// Milliseconds spent in it within the span; a wrap-up counts up to the agent's
    /// wrap-up time (it ends by itself then, without a row of its own).
    pub ms: i64,
}

impl Store {
    /// Records a change of an agent's state made by someone.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn record_agent_change(&self, change: &AgentChange) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO agent_change (agent, changed_by, from_state, to_state, reason, at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&change.agent)
        .bind(&change.changed_by)
        .bind(&change.from_state)
        .bind(&change.to_state)
        .bind(&change.reason)
        .bind(change.at_ms)
        .execute(&self.pool)
        .await
        .context("cannot record an agent's change")?;
        Ok(())
    }

    /// The time each agent spent in each state between `from_ms` and `until_ms`, from
    /// the log the `agent` table's triggers write, counting the log's states that
    /// `closed` selects (so that a reader may keep the totals of states long over and
    /// read only the rest).
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn agent_state_times(
        &self,
        from_ms: i64,
        until_ms: i64,
        closed: Closed,
    ) -> anyhow::Result<Vec<StateTime>> {
        let (least, greatest) = match self.backend {
            Backend::Sqlite => ("MIN", "MAX"),
            Backend::Postgres => ("LEAST", "GREATEST"),
        };
        let end = format!(
            "CASE WHEN l.state = 'wrap_up' \
             THEN {least}(COALESCE(l.until_ms, $2), $2, l.since_ms + COALESCE(a.wrap_up_s, 0) * 1000) \
             ELSE {least}(COALESCE(l.until_ms, $2), $2) END"
        );
        let (which, since, before) = match closed {
            Closed::Between(since, before) => {
                ("l.until_ms >= $3 AND l.until_ms < $4", since, Some(before))
            }
            Closed::SinceOrOpen(since) => ("(l.until_ms IS NULL OR l.until_ms >= $3)", since, None),
        };
        // A wrap-up that ended by itself left the agent ready without a row of its
        // own: the rest of its row is ready time.
        let rest = format!(
            "{greatest}({least}(COALESCE(l.until_ms, $2), $2) \
             - {greatest}(l.since_ms + COALESCE(a.wrap_up_s, 0) * 1000, $1), 0)"
        );
        let span = "(l.until_ms IS NULL OR l.until_ms > $1) AND l.since_ms < $2";
        let query = sqlx::query(AssertSqlSafe(format!(
            "SELECT agent, state, reason, CAST(SUM(entered) AS BIGINT), \
             CAST(SUM(ms) AS BIGINT) FROM ( \
             SELECT l.agent AS agent, l.state AS state, l.reason AS reason, \
             CASE WHEN l.since_ms >= $1 THEN 1 ELSE 0 END AS entered, \
             {greatest}({end} - {greatest}(l.since_ms, $1), 0) AS ms \
             FROM agent_state_log l LEFT JOIN agent a ON a.name = l.agent \
             WHERE {which} AND {span} \
             UNION ALL \
             SELECT l.agent, 'ready', NULL, 0, {rest} \
             FROM agent_state_log l LEFT JOIN agent a ON a.name = l.agent \
             WHERE l.state = 'wrap_up' AND {which} AND {span}) t \
             GROUP BY agent, state, reason ORDER BY agent, state, reason"
        )))
        .bind(from_ms)
        .bind(until_ms)
        .bind(since);
        let query = match before {
            Some(before) => query.bind(before),
            None => query,
        };
        let rows = query
            .fetch_all(&self.pool)
            .await
            .context("cannot read the agents' day")?;
        Ok(rows
            .iter()
            .map(|row| StateTime {
                agent: row.get(0),
                state: row.get(1),
                reason: row.get(2),
                entered: row.get(3),
                ms: row.get(4),
            })
            .collect())
    }

    /// The latest changes of `agent`'s state made by someone, newest first.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn agent_changes(&self, agent: &str, limit: i64) -> anyhow::Result<Vec<AgentChange>> {
        let rows = sqlx::query(
            "SELECT agent, changed_by, from_state, to_state, reason, at_ms FROM agent_change \
             WHERE agent = $1 ORDER BY at_ms DESC, id DESC LIMIT $2",
        )
        .bind(agent)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .context("cannot read an agent's changes")?;
        Ok(rows
            .iter()
            .map(|row| AgentChange {
                agent: row.get(0),
                changed_by: row.get(1),
                from_state: row.get(2),
                to_state: row.get(3),
                reason: row.get(4),
                at_ms: row.get(5),
            })
            .collect())
    }
}
