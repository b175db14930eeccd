//! The floor: what the live pages (the supervisor's board, the wallboard) read of the
//! host at one moment. Every agent with their day and the call they are on, every
//! campaign in progress with its settings and status, every queue with its agents and
//! the answered calls waiting for one.

use std::collections::{HashMap, HashSet};

use chrono::TimeZone as _;
use ringhost_dialer::admin::CampaignStatus;
use ringhost_dialer::agents::{Agent, AgentState, QueueInfo};
use ringhost_dialer::desk::AgentDay;
use ringhost_dialer::settings::CampaignSettings;

use crate::WebState;

/// Campaign states the live pages show: those that may place calls, or soon will.
const IN_PROGRESS: [&str; 3] = ["running", "paused", "scheduled"];

/// An agent on the floor.
pub(crate) struct AgentLine {
    pub agent: Agent,
    /// Their times since the day began.
    pub day: AgentDay,
    /// The call they are on.
    pub call: Option<CurrentCall>,
}

/// The call an agent is on, as the board shows it.
pub(crate) struct CurrentCall {
    pub campaign: String,
    pub number: String,
}

/// A campaign in progress.
pub(crate) struct CampaignLine {
    pub settings: CampaignSettings,
    pub status: CampaignStatus,
}

/// A queue with its agents and waiting calls.
pub(crate) struct QueueLine {
    pub info: QueueInfo,
    pub paused: u32,
    /// Answered calls of its campaigns waiting for an agent.
    pub waiting: u32,
    /// When the longest-waiting of them was answered.
    pub longest_since_ms: Option<i64>,
}

/// The floor at one moment.
pub(crate) struct Floor {
    /// The host's clock when it was read.
    pub now_ms: i64,
    pub agents: Vec<AgentLine>,
    pub campaigns: Vec<CampaignLine>,
    pub queues: Vec<QueueLine>,
}

/// The campaigns in progress, each with its settings and its status.
pub(crate) async fn campaigns_in_progress(state: &WebState) -> anyhow::Result<Vec<CampaignLine>> {
    let mut campaigns = Vec::new();
    for row in state.store.campaigns().await? {
        if IN_PROGRESS.contains(&row.state.as_str()) {
            let settings = serde_json::from_str(&row.settings)?;
            campaigns.push(CampaignLine {
                settings,
                status: state.dialer.status(row.id).await?,
            });
        }
    }
    Ok(campaigns)
}

/// Midnight of `now_ms`'s day in the panel's zone (ms since the epoch): where "today"
/// starts for the agents' days.
pub(crate) fn day_start(zone: chrono_tz::Tz, now_ms: i64) -> i64 {
    zone.timestamp_millis_opt(now_ms)
        .single()
        .and_then(|now| {
            now.date_naive()
                .and_hms_opt(0, 0, 0)?
                .and_local_timezone(zone)
                .earliest()
        })
        .map_or(now_ms - now_ms.rem_euclid(86_400_000), |midnight| {
            midnight.timestamp_millis()
        })
}

impl Floor {
    /// Reads the floor from the dialer.
    pub(crate) async fn read(state: &WebState) -> anyhow::Result<Floor> {
        let dialer = &state.dialer;
        let now_ms = dialer.now_ms();
        let (agents, queues, answered, mut days, campaigns) = tokio::try_join!(
            async { Ok::<_, anyhow::Error>(dialer.agents().await?) },
            async { Ok(dialer.queues().await?) },
            async { Ok(dialer.answered_calls().await?) },
            async {
                Ok(dialer
                    .agents_days(day_start(state.settings.time_zone, now_ms))
                    .await?)
            },
            campaigns_in_progress(state),
        )?;
        let names: HashMap<i64, &str> = campaigns
            .iter()
            .map(|c| (c.status.id, c.status.name.as_str()))
            .collect();
        let calls: HashMap<i64, &ringhost_store::attempt::AnsweredAttempt> =
            answered.iter().map(|a| (a.id, a)).collect();
        let talking: HashSet<i64> = agents
            .iter()
            .filter(|a| a.state == AgentState::OnCall)
            .filter_map(|a| a.attempt_id)
            .collect();
        // Answered calls not with an agent, by their campaign's queue.
        let queue_of: HashMap<i64, &str> = campaigns
            .iter()
            .filter_map(|c| Some((c.status.id, c.settings.queue.as_deref()?)))
            .collect();
        let mut waiting: HashMap<&str, (u32, Option<i64>)> = HashMap::new();
        for call in answered.iter().filter(|a| !talking.contains(&a.id)) {
            if let Some(queue) = queue_of.get(&call.campaign_id) {
                let entry = waiting.entry(queue).or_default();
                entry.0 += 1;
                entry.1 = Some(
                    entry
                        .1
                        .map_or(call.answer_at_ms, |t| t.min(call.answer_at_ms)),
                );
            }
        }
        let queues = queues
            .into_iter()
            .map(|info| {
                let (waiting, longest_since_ms) = waiting
                    .get(info.queue.as_str())
                    .copied()
                    .unwrap_or_default();
                QueueLine {
                    paused: info
                        .agents
                        .iter()
                        .filter(|a| a.state == AgentState::Paused)
                        .count() as u32,
                    waiting,
                    longest_since_ms,
                    info,
                }
            })
            .collect();
        let agents = agents
            .into_iter()
            .map(|agent| {
                let call = agent
                    .attempt_id
                    .filter(|_| agent.state == AgentState::OnCall)
                    .and_then(|id| calls.get(&id))
                    .map(|call| CurrentCall {
                        campaign: names
                            .get(&call.campaign_id)
                            .map_or_else(|| call.campaign_id.to_string(), |n| (*n).to_owned()),
                        number: call.number.clone(),
                    });
                AgentLine {
                    day: days.remove(&agent.name).unwrap_or_default(),
                    call,
                    agent,
                }
            })
            .collect();
        Ok(Floor {
            now_ms,
            agents,
            campaigns,
            queues,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_starts_at_midnight_in_the_panels_zone() {
        // 2026-12-07 10:00 UTC is 11:00 in Rome: the day began at 23:00 UTC before.
        let now = chrono::Utc
            .with_ymd_and_hms(2026, 12, 7, 10, 0, 0)
            .unwrap()
            .timestamp_millis();
        assert_eq!(
            day_start(chrono_tz::Europe::Rome, now),
            now - 11 * 3_600_000
        );
        assert_eq!(day_start(chrono_tz::UTC, now), now - 10 * 3_600_000);
    }
}
