//! How many calls a campaign starts: its pacer (built-in or plugin) asked with a
//! snapshot of its agents, calls and rates, then clamped to the ledger's headroom.

use ringhost_call::Class;
use ringhost_plugins::pacer::{self, AgentBasis, Parameters, Snapshot};
use ringhost_store::campaign::CampaignRow;

use crate::settings::{CampaignKind, CampaignSettings, Strategy};

use super::Dialer;

/// A campaign's rates over its rolling window (`rate_window_s`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Rates {
    /// Answered attempts of those ended.
    pub answer_rate: f64,
    /// Abandoned calls of those answered (regulators cap it, typically at 3%).
    pub abandon_rate: f64,
}

impl Dialer {
    /// The most calls the ledger could grant the campaign now, internal or external
    /// (each call's permit is still taken for its own class).
    pub(super) fn headroom(&self, campaign: i64) -> u32 {
        let ledger = &self.inner.ledger;
        ledger
            .headroom(Class::External, Some(campaign))
            .max(ledger.headroom(Class::Internal, Some(campaign)))
    }

    /// How many calls the campaign's pacer wants started now.
    pub(super) async fn pace(
        &self,
        campaign: &CampaignRow,
        settings: &CampaignSettings,
    ) -> anyhow::Result<u32> {
        let calls = self.calls(campaign.id);
        let on_their_way = calls.dialing + calls.ringing;
        if settings.kind == CampaignKind::Notification
            || settings.pacing.strategy == Strategy::Fixed
        {
            // ADS's simultaneous calls: keep max_calls going (the ledger's headroom
            // when there is no cap).
            let cap = if settings.max_calls == 0 {
                u32::MAX
            } else {
                settings.max_calls
            };
            return Ok(cap.saturating_sub(on_their_way + calls.answered + calls.talking));
        }
        let rates = self.rates(campaign.id, settings).await?;
        let agents = match &settings.queue {
            Some(queue) => self.queue_info(queue).await?,
            None => Default::default(),
        };
        let p = &settings.pacing;
        let snapshot = Snapshot {
            campaign: campaign.name.clone(),
            agents_ready: agents.ready,
            agents_present: agents.present,
            agents_busy: agents.busy,
            calls_dialing: calls.dialing,
            calls_ringing: calls.ringing,
            // Answered calls not yet with an agent: in the queue (or before it, in a
            // message or an IVR that may transfer); those talking to agents are not.
            calls_queued: calls.answered,
            answer_rate: rates.answer_rate,
            abandon_rate: rates.abandon_rate,
            mean_handle_ms: 0,
            channel_headroom: self.headroom(campaign.id),
            parameters: Parameters {
                ratio_percent: p.ratio_percent,
                ratio_on: if p.ratio_on_present {
                    AgentBasis::Present
                } else {
                    AgentBasis::Ready
                },
                multiplier: p.multiplier,
                only_when_agents_free: p.only_when_agents_free,
                target_abandon_rate: p.target_abandon_rate,
                max_calls: settings.max_calls,
                extra: p.extra.clone(),
            },
        };
        let plugin = match &p.strategy {
            Strategy::Fixed | Strategy::Progressive => None,
            Strategy::Plugin(name) => {
                let found = self.inner.plugins.as_ref().and_then(|r| r.pacer(name));
                if found.is_none() {
                    tracing::debug!(campaign = %campaign.name, pacer = name, "pacer plugin not loaded; the built-in progressive pacer answers");
                }
                found
            }
        };
        Ok(pacer::pace(plugin.as_deref(), &snapshot))
    }

    /// The campaign's answer and abandon rates over its rolling window.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn rates(
        &self,
        campaign_id: i64,
        settings: &CampaignSettings,
    ) -> anyhow::Result<Rates> {
        let since = self.inner.clock.now_ms() - i64::from(settings.rate_window_s) * 1000;
        let (ended, answered, abandoned) =
            self.inner.store.attempt_rates(campaign_id, since).await?;
        let ratio = |n: i64, of: i64| if of == 0 { 0.0 } else { n as f64 / of as f64 };
        Ok(Rates {
            answer_rate: ratio(answered, ended),
            abandon_rate: ratio(abandoned, answered),
        })
    }
}
