//! How many calls a campaign starts: its pacer (built-in or plugin) asked with a
//! snapshot of its agents, calls and rates, then clamped to the ledger's headroom.
//!
//! A pacer that looks ahead (the WIT `look-ahead` interface) is asked with more: each
//! call not yet answered with its time since placing, each agent's time on their call
//! or the wrap-up they have left, and what the campaign's calls of the day measured,
//! from complete cohorts only (`ringhost_simulate`'s `measure` is the model): a dial
//! counts once its ring timeout has passed, a talk once three mean talks have passed
//! since its answer. Early in a day the calls that ended are the quick ones, and a
//! plain average would say people answer and agents free up sooner than they do.

use ringhost_call::Class;
use ringhost_plugins::pacer::{
    self, AgentBasis, Ahead, Floor, Measured, Parameters, Sample, Snapshot, Window,
};
use ringhost_store::campaign::CampaignRow;
use ringhost_store::pacing::CallMoments;

use crate::agents::{AgentState, QueueInfo};
use crate::settings::{CampaignKind, CampaignSettings, Strategy};

use super::Dialer;

/// A campaign's measurements are read again once they are this old (passes may come
/// every few milliseconds; cohorts move by the second).
const MEASURED_FOR_MS: i64 = 1_000;

/// A talk is counted once this many mean talks have passed since its answer.
const TALK_COHORT_MEANS: f64 = 3.0;

/// The mean talk a talk's cohort waits on until 20 talks have ended.
const PRIOR_TALK_MS: f64 = 90_000.0;

/// The budget's window: the UTC day (a campaign's run counts per day, as the Garante
/// counts).
const DAY_MS: i64 = 86_400_000;

/// A campaign's rates over its rolling window (`rate_window_s`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Rates {
    /// Answered attempts of those ended.
    pub answer_rate: f64,
    /// Abandoned calls of those answered (regulators cap it, typically at 3%).
    pub abandon_rate: f64,
    /// The mean talk of the answered calls ended, ms.
    pub mean_talk_ms: u64,
}

/// The mean wrap-up of the queue's agents logged in, ms (0 with none).
fn mean_wrap_ms(queue: &QueueInfo) -> u64 {
    let present = queue
        .agents
        .iter()
        .filter(|a| a.state != AgentState::LoggedOut);
    let (n, sum) = present.fold((0, 0), |(n, sum), a| (n + 1, sum + a.wrap_up_s.max(0)));
    if n == 0 { 0 } else { (sum * 1000 / n) as u64 }
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
        let wrap_ms = mean_wrap_ms(&agents);
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
            mean_handle_ms: rates.mean_talk_ms + wrap_ms,
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
        let ahead = match &plugin {
            Some(plugin) if plugin.looks_ahead() => {
                Some(self.ahead(campaign.id, settings, &agents, wrap_ms).await?)
            }
            _ => None,
        };
        Ok(pacer::pace(plugin.as_deref(), &snapshot, ahead.as_ref()))
    }

    /// What a look-ahead pacer is asked with beyond the snapshot.
    async fn ahead(
        &self,
        campaign_id: i64,
        settings: &CampaignSettings,
        agents: &QueueInfo,
        wrap_ms: u64,
    ) -> anyhow::Result<Ahead> {
        let now = self.inner.clock.now_ms();
        let since = now - now.rem_euclid(DAY_MS);
        let ring_timeout_ms = i64::from(settings.ring_timeout_s) * 1000;
        let moments = self
            .call_moments(campaign_id, since, now, ring_timeout_ms)
            .await?;
        let ringing_ms = (self.inner.lock_calls().get(&campaign_id))
            .map(|calls| calls.ringing_ms(now))
            .unwrap_or_default();
        let elapsed = |t: i64| (now - t).max(0) as u64;
        let on = |state: AgentState| agents.agents.iter().filter(move |a| a.state == state);
        let count = |n: i64| n.max(0) as u64;
        let (dials, (people, answer_sum, answer_squares)) = (moments.dials, moments.answers);
        let (talks, talk_sum, talk_squares) = moments.talks;
        Ok(Ahead {
            floor: Floor {
                ringing_ms,
                talking_ms: on(AgentState::OnCall)
                    .map(|a| elapsed(a.since_ms))
                    .collect(),
                wrap_left_ms: on(AgentState::WrapUp)
                    .map(|a| count(a.since_ms + a.wrap_up_s * 1000 - now))
                    .collect(),
            },
            measured: Measured {
                dials: count(dials),
                person_rate: if dials > 0 {
                    people as f64 / dials as f64
                } else {
                    0.0
                },
                answer: Sample::of(count(people), answer_sum, answer_squares),
                talk: Sample::of(count(talks), talk_sum, talk_squares),
                talks_ended: count(moments.talks_ended.0),
                talks_ended_ms: moments.talks_ended.1 as u64,
                wrap_ms,
                grace_ms: u64::from(settings.abandon_after_ms),
                ring_timeout_ms: count(ring_timeout_ms),
            },
            window: Window {
                since_ms: count(since),
                answered: count(moments.answered),
                abandoned: count(moments.abandoned),
            },
        })
    }

    /// The campaign's call times since `since`, read at most once per
    /// `MEASURED_FOR_MS`.
    async fn call_moments(
        &self,
        campaign_id: i64,
        since: i64,
        now: i64,
        ring_timeout_ms: i64,
    ) -> anyhow::Result<CallMoments> {
        let kept = self.inner.lock_measured().get(&campaign_id).copied();
        if let Some((at, moments)) = kept
            && (0..MEASURED_FOR_MS).contains(&(now - at))
        {
            return Ok(moments);
        }
        let mean_talk_ms = match kept {
            Some((_, m)) if m.talks_ended.0 >= 20 => m.talks_ended.1 / m.talks_ended.0 as f64,
            _ => PRIOR_TALK_MS,
        };
        let talk_cohort_ms = (TALK_COHORT_MEANS * mean_talk_ms) as i64;
        let moments = self
            .inner
            .store
            .call_moments(
                campaign_id,
                since,
                now - ring_timeout_ms,
                now - talk_cohort_ms,
            )
            .await?;
        self.inner
            .lock_measured()
            .insert(campaign_id, (now, moments));
        Ok(moments)
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
        let (ended, answered, abandoned, talk_ms) =
            self.inner.store.attempt_rates(campaign_id, since).await?;
        let ratio = |n: i64, of: i64| if of == 0 { 0.0 } else { n as f64 / of as f64 };
        Ok(Rates {
            answer_rate: ratio(answered, ended),
            abandon_rate: ratio(abandoned, answered),
            mean_talk_ms: ratio(talk_ms, answered) as u64,
        })
    }
}
