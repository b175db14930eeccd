//! Recovery: what a crash left in progress is closed, by the host itself before its
//! first pass, or by another host sharing the database once the dead host's lease has
//! expired (`crate::lease`).

use anyhow::Context as _;

use crate::settings::{CampaignSettings, ListSettings};

use super::Dialer;

/// What start-up recovery did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Attempts found in progress and closed as interrupted.
    pub interrupted: u64,
    /// Of their contacts, those due again.
    pub rescheduled: u64,
    /// Contacts claimed but never dialled, made ready again.
    pub released: u64,
    /// Agents left on a call, moved to wrap-up.
    pub agents: u64,
    /// Inbound calls left unfinished, ended: those still waiting counted as missed.
    pub inbound: u64,
}

impl Dialer {
    /// Closes what a crash left behind, before the first pass: attempts in progress
    /// become `interrupted` and their contacts are due again after the list's "other"
    /// wait, or done when that was their last attempt (an attempt is counted when it
    /// is written, so a restart never gives a contact more than its maximum).
    ///
    /// # Errors
    /// When the database cannot be read or written.
    pub async fn recover(&self) -> anyhow::Result<Recovery> {
        let host = self.inner.config.host.clone();
        self.recover_host(&host).await
    }

    /// [`Dialer::recover`] for `host`, this one or a dead one.
    pub(crate) async fn recover_host(&self, host: &str) -> anyhow::Result<Recovery> {
        let store = &self.inner.store;
        let now = self.inner.clock.now_ms();
        let mut recovery = Recovery::default();
        for attempt in store.open_attempts(host).await? {
            let (max, wait_s) = match self
                .limits_of(attempt.start.campaign_id, attempt.start.list_id)
                .await
            {
                Ok(found) => found,
                Err(error) => {
                    tracing::warn!(attempt = attempt.id, %error, "interrupted attempt of a campaign or list now gone");
                    (0, 0)
                }
            };
            let retry = attempt.start.attempt < i64::from(max);
            let next = now + i64::from(wait_s) * 1000;
            store.interrupt_attempt(&attempt, retry, next, now).await?;
            recovery.interrupted += 1;
            recovery.rescheduled += u64::from(retry);
        }
        recovery.released = store.release_claims(host, now).await?;
        // No call holds an agent after a crash.
        recovery.agents = store.release_agents_on_call(host, now).await?;
        recovery.inbound = self.recover_inbound(host).await?;
        if recovery != Recovery::default() {
            tracing::warn!(
                interrupted = recovery.interrupted,
                rescheduled = recovery.rescheduled,
                released = recovery.released,
                agents = recovery.agents,
                inbound = recovery.inbound,
                host,
                "attempts left in progress by a run that ended were closed as interrupted"
            );
        }
        Ok(recovery)
    }

    /// The maximum attempts and the "other" wait that apply to a contact of `list_id`
    /// in `campaign_id`.
    async fn limits_of(&self, campaign_id: i64, list_id: i64) -> anyhow::Result<(u32, u32)> {
        let store = &self.inner.store;
        let campaign = store
            .campaign(campaign_id)
            .await?
            .context("no such campaign")?;
        let settings: CampaignSettings = serde_json::from_str(&campaign.settings)?;
        let list = store.list(list_id).await?.context("no such list")?;
        let list: ListSettings = serde_json::from_str(&list.settings)?;
        Ok((settings.max_attempts(&list.retry), list.retry.wait_other_s))
    }
}
