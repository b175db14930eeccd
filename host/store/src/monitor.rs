//! The audit of supervisors' monitors: who put their phone on which agent's call,
//! in which mode, when they changed it and when they asked to stop. The dialer
//! decides what a monitor is; this keeps the trail.

use anyhow::Context as _;
use sqlx::Row as _;

use crate::Store;

/// One step of a supervisor's monitor of an agent's call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorChange {
    /// The call's attempt.
    pub attempt_id: i64,
    /// The agent on the call.
    pub agent: String,
    /// The user who asked (a supervisor's name).
    pub changed_by: String,
    /// The phone put on the call, at its start; `None` for a change or a stop (the
    /// phone of the latest start).
    pub extension: Option<String>,
    /// The mode from now, as the dialer names it; `None`: asked to stop.
    pub mode: Option<String>,
    /// When.
    pub at_ms: i64,
}

impl Store {
    /// Records a step of a monitor.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn record_monitor_change(&self, change: &MonitorChange) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO call_monitor (attempt_id, agent, changed_by, extension, mode, at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(change.attempt_id)
        .bind(&change.agent)
        .bind(&change.changed_by)
        .bind(&change.extension)
        .bind(&change.mode)
        .bind(change.at_ms)
        .execute(&self.pool)
        .await
        .context("cannot record a monitor's change")?;
        Ok(())
    }

    /// The latest monitors' steps on `agent`'s calls, newest first.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn monitor_changes(
        &self,
        agent: &str,
        limit: i64,
    ) -> anyhow::Result<Vec<MonitorChange>> {
        let rows = sqlx::query(
            "SELECT attempt_id, agent, changed_by, extension, mode, at_ms FROM call_monitor \
             WHERE agent = $1 ORDER BY at_ms DESC, id DESC LIMIT $2",
        )
        .bind(agent)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .context("cannot read the monitors of an agent's calls")?;
        Ok(rows
            .iter()
            .map(|row| MonitorChange {
                attempt_id: row.get(0),
                agent: row.get(1),
                changed_by: row.get(2),
                extension: row.get(3),
                mode: row.get(4),
                at_ms: row.get(5),
            })
            .collect())
    }
}
