//! Hosts' leases: each host sharing the database renews one while it runs, so that the
//! others can tell when it died (its lease expired) and close what it left in progress
//! as its own restart would. One host takes over each dead one: the row's `DELETE` is
//! the claim, and only one `DELETE` removes it.

use anyhow::Context as _;
use sqlx::Row as _;

use crate::Store;

impl Store {
    /// Holds or renews `host`'s lease until `expires_at_ms`. False when the host held
    /// one and another host has taken it over meanwhile (its calls in progress were
    /// closed as interrupted): the host must stop placing calls. A host's first lease
    /// (`first`) is always granted.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn renew_lease(
        &self,
        host: &str,
        expires_at_ms: i64,
        first: bool,
    ) -> anyhow::Result<bool> {
        let sql = if first {
            "INSERT INTO host_lease (host, expires_at_ms) VALUES ($1, $2) \
             ON CONFLICT (host) DO UPDATE SET expires_at_ms = excluded.expires_at_ms"
        } else {
            "UPDATE host_lease SET expires_at_ms = $2 WHERE host = $1"
        };
        let done = sqlx::query(sql)
            .bind(host)
            .bind(expires_at_ms)
            .execute(&self.pool)
            .await
            .context("cannot renew the host's lease")?;
        Ok(done.rows_affected() == 1)
    }

    /// The hosts other than `me` whose leases expired before `now_ms`, each now this
    /// caller's to recover (no other caller gets it).
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn take_over_dead_hosts(&self, me: &str, now_ms: i64) -> anyhow::Result<Vec<String>> {
        let rows = sqlx::query(
            "DELETE FROM host_lease WHERE expires_at_ms < $1 AND host <> $2 RETURNING host",
        )
        .bind(now_ms)
        .bind(me)
        .fetch_all(&self.pool)
        .await
        .context("cannot take over the dead hosts")?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }
}
