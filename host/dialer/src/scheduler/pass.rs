//! A pass over the campaigns (see the scheduler's documentation): scheduled starts,
//! each running campaign's calls by priority, and the end of a run.

use std::collections::HashMap;

use ringhost_store::campaign::CampaignRow;

use crate::events::DialerEvent;
use crate::hours::CallingHours;
use crate::ledger::CampaignLimits;
use crate::lifecycle::CampaignState;
use crate::settings::{CampaignKind, CampaignSettings, ListSettings};

use super::Dialer;

impl Dialer {
    /// One pass of the scheduler (see the module's documentation).
    ///
    /// # Errors
    /// When the database cannot be read or written.
    pub async fn pass(&self) -> anyhow::Result<()> {
        if self.inner.fenced.load(std::sync::atomic::Ordering::SeqCst) {
            // Another host took this one's calls over (`crate::lease`).
            return Ok(());
        }
        let store = &self.inner.store;
        let now = self.inner.clock.now_ms();
        self.pick_up_exchange(now).await?;
        self.settle_callbacks().await?;
        let mut active = 0u32;
        let max_active = self.inner.config.max_active_campaigns;
        for campaign in store.campaigns().await? {
            let state = CampaignState::parse(&campaign.state);
            if state == Some(CampaignState::Scheduled)
                && campaign.start_at_ms.is_none_or(|at| at <= now)
            {
                store
                    .set_campaign_state(
                        campaign.id,
                        "running",
                        "running",
                        "delayed start reached",
                        now,
                    )
                    .await?;
            } else if state != Some(CampaignState::Running) {
                self.inner.ledger.close_campaign(campaign.id);
                continue;
            }
            if max_active > 0 && active >= max_active {
                // Beyond the maximum of active campaigns: waits for its turn.
                self.inner.ledger.close_campaign(campaign.id);
                continue;
            }
            active += 1;
            let settings: CampaignSettings = match serde_json::from_str(&campaign.settings) {
                Ok(settings) => settings,
                Err(error) => {
                    tracing::error!(campaign = %campaign.name, %error, "unreadable campaign settings; the campaign is skipped");
                    continue;
                }
            };
            self.campaign_pass(&campaign, &settings, now).await?;
        }
        Ok(())
    }

    async fn campaign_pass(
        &self,
        campaign: &CampaignRow,
        settings: &CampaignSettings,
        now: i64,
    ) -> anyhow::Result<()> {
        let inner = &self.inner;
        inner.ledger.open_campaign(
            campaign.id,
            CampaignLimits {
                max_calls: settings.max_calls,
                reserved_percent: settings.reserved_percent,
            },
        );
        if settings.valid_until_ms.is_some_and(|until| now > until) {
            return self.maybe_finish(campaign, settings, true).await.map(drop);
        }
        if settings.valid_from_ms.is_some_and(|from| now < from) {
            return Ok(());
        }
        if self.maybe_finish(campaign, settings, false).await? {
            return Ok(());
        }
        let hours = match CallingHours::new(&settings.calling_hours) {
            Ok(hours) => hours,
            Err(error) => {
                tracing::error!(campaign = %campaign.name, %error, "bad calling hours; no call is placed");
                return Ok(());
            }
        };
        let want = self
            .pace(campaign, settings)
            .await?
            .min(self.headroom(campaign.id));
        if want == 0 {
            return Ok(());
        }
        let contacts = inner
            .store
            .claim_due(&inner.config.host, &campaign.list_ids, now, i64::from(want))
            .await?;
        let mut lists: HashMap<i64, ListSettings> = HashMap::new();
        for contact in contacts {
            let list = match lists.entry(contact.list_id) {
                std::collections::hash_map::Entry::Occupied(known) => known.into_mut(),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    let list = inner.store.list(contact.list_id).await?;
                    slot.insert(
                        list.and_then(|l| serde_json::from_str(&l.settings).ok())
                            .unwrap_or_default(),
                    )
                }
            };
            self.dial(campaign, settings, list, &hours, contact, now)
                .await?;
        }
        Ok(())
    }

    /// Ends the campaign's run when nothing is left to do (or `forced`, at the end of
    /// its validity); whether it ended.
    async fn maybe_finish(
        &self,
        campaign: &CampaignRow,
        settings: &CampaignSettings,
        forced: bool,
    ) -> anyhow::Result<bool> {
        let store = &self.inner.store;
        let now = self.inner.clock.now_ms();
        let calls = self.calls(campaign.id);
        let in_progress = calls.in_progress();
        let notification = settings.kind == CampaignKind::Notification;
        let counts = store.contact_counts(&campaign.list_ids).await?;
        let confirmed = if notification {
            store
                .attempt_counts(campaign.id, campaign.run)
                .await?
                .confirmed
        } else {
            0
        };
        let needed = if settings.min_successes > 0 {
            i64::from(settings.min_successes)
        } else {
            counts.ready + counts.dialing + counts.done
        };
        let met = notification && settings.min_successes > 0 && confirmed >= needed;
        let exhausted = counts.ready == 0 && counts.dialing == 0 && !settings.keep_running;
        if !(forced || met || exhausted) || (in_progress > 0 && !met) {
            return Ok(false);
        }
        let (state, result) = match (notification, confirmed >= needed) {
            (false, _) => (CampaignState::Finished, "finished"),
            (true, true) => (CampaignState::Completed, "completed"),
            (true, false) => (CampaignState::Incomplete, "incomplete"),
        };
        store
            .end_run(campaign.id, state.as_str(), result, now)
            .await?;
        self.inner.ledger.close_campaign(campaign.id);
        self.publish(DialerEvent::CampaignState {
            campaign: campaign.name.clone(),
            state: state.as_str().to_owned(),
        });
        tracing::info!(campaign = %campaign.name, run = campaign.run, result, confirmed, "campaign run ended");
        Ok(true)
    }
}
