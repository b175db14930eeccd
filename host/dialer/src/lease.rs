//! A host among several on one PostgreSQL database: it holds a lease it renews, and
//! takes over the hosts whose leases expired, closing their calls in progress and
//! freeing their agents as their own restart would (`Dialer::recover`), so that a
//! dead host's contacts are called again by the living and none past its maximum
//! (an attempt is counted when it is written).
//!
//! A host that finds its lease taken over (it stalled past the lease, and another host
//! closed its calls) stops placing calls until it is restarted: its calls would
//! otherwise run beside the contacts' next attempts. On SQLite there is one host, and
//! no lease.

use std::sync::atomic::Ordering;
use std::time::Duration;

use ringhost_store::Backend;
use tokio_util::sync::CancellationToken;

use crate::scheduler::{Dialer, Recovery};

impl Dialer {
    /// Holds or renews this host's lease for `lease` from now (`first`: at start, when
    /// any lease of its name is its own). False when another host took it over: from
    /// then on this dialer places no call.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn hold_lease(&self, lease: Duration, first: bool) -> anyhow::Result<bool> {
        let until = self.inner.clock.now_ms() + lease.as_millis() as i64;
        let host = &self.inner.config.host;
        let held = self.inner.store.renew_lease(host, until, first).await?;
        if !held && !self.inner.fenced.swap(true, Ordering::SeqCst) {
            tracing::error!(
                host,
                "this host's lease expired and another host took over its calls; it places no more calls until it is restarted"
            );
        }
        Ok(held)
    }

    /// Takes over the hosts whose leases have expired: each one's calls in progress
    /// closed, its claims released and its agents freed. Which hosts, and what was
    /// done for each.
    ///
    /// # Errors
    /// When the database cannot be read or written.
    pub async fn take_over_dead_hosts(&self) -> anyhow::Result<Vec<(String, Recovery)>> {
        let now = self.inner.clock.now_ms();
        let me = &self.inner.config.host;
        let mut done = Vec::new();
        for dead in self.inner.store.take_over_dead_hosts(me, now).await? {
            let recovery = self.recover_host(&dead).await?;
            tracing::warn!(host = me, dead = %dead, ?recovery, "took over a host whose lease expired");
            done.push((dead, recovery));
        }
        if !done.is_empty() {
            self.wake();
        }
        Ok(done)
    }

    /// On PostgreSQL: holds this host's lease, renewed every third of `lease`, and
    /// takes over dead hosts as often, until `stop`. A stopped host's lease runs out
    /// like a dead one's: whoever takes it over finds nothing left in progress. Nothing
    /// on SQLite.
    ///
    /// # Errors
    /// When the first lease cannot be written.
    pub async fn keep_lease(&self, lease: Duration, stop: CancellationToken) -> anyhow::Result<()> {
        if self.inner.store.backend() != Backend::Postgres {
            return Ok(());
        }
        self.hold_lease(lease, true).await?;
        let dialer = self.clone();
        tokio::spawn(async move {
            let every = lease / 3;
            loop {
                tokio::select! {
                    () = stop.cancelled() => break,
                    () = tokio::time::sleep(every) => {}
                }
                if let Err(error) = dialer.hold_lease(lease, false).await {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "cannot renew the host's lease"
                    );
                }
                if let Err(error) = dialer.take_over_dead_hosts().await {
                    tracing::warn!(error = format!("{error:#}"), "cannot take over dead hosts");
                }
            }
        });
        Ok(())
    }
}
