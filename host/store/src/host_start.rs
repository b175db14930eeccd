//! The log of host starts. Each start adds a row and each clean stop marks it, so that
//! at the next start the host knows whether calls were cut off by a crash and attempts
//! left in progress must be closed as interrupted.

use anyhow::Context as _;
use sqlx::Row as _;

use crate::Store;

/// This start, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostStart {
    /// Row id of this start; pass it to [`Store::record_clean_stop`].
    pub id: i64,
    /// The run before this one, if any.
    pub previous: Option<PreviousRun>,
}

/// How the previous run of a host ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousRun {
    /// When it started, in milliseconds since the Unix epoch.
    pub started_at_ms: i64,
    /// The version of Ringhost it ran.
    pub version: String,
    /// `false` when it crashed or was killed: its calls in progress were cut off.
    pub clean_stop: bool,
}

impl Store {
    /// Records that the host starts now, and reports how the previous run ended.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn record_start(&self, now_ms: i64, version: &str) -> anyhow::Result<HostStart> {
        let previous = sqlx::query(
            "SELECT started_at_ms, version, stopped_at_ms FROM host_start ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await
        .context("cannot read the previous start")?
        .map(|row| PreviousRun {
            started_at_ms: row.get(0),
            version: row.get(1),
            clean_stop: row.get::<Option<i64>, _>(2).is_some(),
        });
        let id = sqlx::query_scalar(
            "INSERT INTO host_start (started_at_ms, version) VALUES ($1, $2) RETURNING id",
        )
        .bind(now_ms)
        .bind(version)
        .fetch_one(&self.pool)
        .await
        .context("cannot record this start")?;
        Ok(HostStart { id, previous })
    }

    /// Marks the start `id` as ended cleanly: every call was drained or hung up.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn record_clean_stop(&self, id: i64, now_ms: i64) -> anyhow::Result<()> {
        sqlx::query("UPDATE host_start SET stopped_at_ms = $1 WHERE id = $2")
            .bind(now_ms)
            .bind(id)
            .execute(&self.pool)
            .await
            .context("cannot record the clean stop")?;
        Ok(())
    }
}
