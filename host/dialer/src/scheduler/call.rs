//! A call's life in the dialer: its progress moves the campaign's counts and is
//! written to the attempt; its report goes through the disposition mapper, and the
//! attempt's end and the contact's next state are written in one transaction; the
//! permit is dropped, the CRM connector gets the result.

use std::sync::Arc;

use ringhost_call::{Agents, CallReport, CallRequest, Progress, QueueResult};
use ringhost_plugins::disposition::{self, AttemptResult};
use ringhost_store::attempt::AttemptEnd;
use tokio::sync::mpsc;

use crate::events::DialerEvent;
use crate::ledger::Permit;
use crate::settings::{CampaignSettings, ListSettings};

use super::Dialer;
use super::in_flight::Stage;

/// One call in progress, from its placing to its record.
pub(crate) struct Call {
    pub(super) dialer: Dialer,
    pub(super) campaign_id: i64,
    pub(super) campaign_name: String,
    pub(super) contact_id: i64,
    pub(super) number: String,
    /// The contact's variables, for the screen pop.
    pub(super) variables: serde_json::Value,
    pub(super) attempt: i64,
    pub(super) max_attempts: u32,
    pub(super) list: ListSettings,
    pub(super) settings: CampaignSettings,
    /// The agents its answer is put through to (a queue's), or the one agent who
    /// asked for it from their desk.
    pub(super) agents: Arc<dyn Agents>,
    /// The channels, freed when the call is recorded.
    pub(super) _permit: Permit,
}

impl Call {
    pub(super) async fn run(self, request: CallRequest) {
        let attempt_id = request.attempt_id;
        let (progress, mut reports) = mpsc::unbounded_channel();
        let placing = self
            .dialer
            .inner
            .carrier
            .place(request, progress, self.agents.clone());
        let inner = self.dialer.inner.clone();
        let campaign_id = self.campaign_id;
        let (campaign, contact_id) = (self.campaign_name.clone(), self.contact_id);
        let (number, variables) = (self.number.clone(), self.variables.clone());
        // Each step is written to the attempt and moves the call along the campaign's
        // counts; the carrier drops its sender when the call is over.
        let steps = async move {
            let mut stage = Stage::Dialing;
            while let Some(step) = reports.recv().await {
                let next = match step {
                    Progress::Ringing => Stage::Ringing,
                    Progress::Answered => Stage::Answered,
                    Progress::Agent(agent) => {
                        // The screen pop of the agent who took the call.
                        inner.publish(DialerEvent::CallConnected {
                            campaign: campaign.clone(),
                            attempt_id,
                            agent,
                            contact_id,
                            number: number.clone(),
                            variables: variables.clone(),
                        });
                        Stage::Talking
                    }
                };
                if next <= stage {
                    continue;
                }
                if next == Stage::Talking {
                    // Already written and published as answered: only the counts move.
                    inner.in_flight(campaign_id, |c| c.moved(attempt_id, stage, next));
                    stage = next;
                    continue;
                }
                let now = inner.clock.now_ms();
                let written = match next {
                    Stage::Ringing => inner.store.attempt_ringing(attempt_id, now).await,
                    _ => inner.store.attempt_answered(attempt_id, now).await,
                };
                if let Err(error) = written {
                    tracing::warn!(
                        attempt = attempt_id,
                        error = format!("{error:#}"),
                        "cannot record the call's progress"
                    );
                }
                inner.publish(match next {
                    Stage::Ringing => DialerEvent::CallRinging {
                        campaign: campaign.clone(),
                        attempt_id,
                    },
                    _ => DialerEvent::CallAnswered {
                        campaign: campaign.clone(),
                        attempt_id,
                        contact_id,
                        number: number.clone(),
                        variables: variables.clone(),
                    },
                });
                inner.in_flight(campaign_id, |c| c.moved(attempt_id, stage, next));
                stage = next;
            }
            stage
        };
        let (report, stage) = tokio::join!(placing, steps);
        (self.dialer.inner).in_flight(self.campaign_id, |c| c.ended(attempt_id, stage));
        self.record(attempt_id, report).await;
    }

    /// Maps the report to a disposition and writes the attempt's end with the contact's
    /// next state; the permit is dropped after.
    async fn record(self, attempt_id: i64, report: CallReport) {
        let inner = &self.dialer.inner;
        let policy = &self.list.retry;
        let result = AttemptResult {
            outcome: report.outcome.into(),
            sip_code: report.sip_code,
            q850_cause: report.cause,
            ring_ms: report.ring.as_millis() as u64,
            talk_ms: report.talk.as_millis() as u64,
            hangup_by: report.hangup_by.map(Into::into),
            ivr_result: report.ivr_result.as_ref().map(|r| r.as_str().to_owned()),
            queue_result: report.queue_result.map(|r| r.as_str().to_owned()),
            confirmed: report.confirmed,
            tags: report.tags.clone(),
            attempt: self.attempt as u32,
            policy: disposition::RetryPolicy {
                max_attempts: self.max_attempts,
                wait_busy_s: policy.wait_busy_s,
                wait_no_answer_s: policy.wait_no_answer_s,
                wait_congestion_s: policy.wait_congestion_s,
                wait_other_s: policy.wait_other_s,
            },
        };
        let mapper = self
            .settings
            .mapper
            .as_deref()
            .and_then(|name| inner.plugins.as_ref().and_then(|r| r.mapper(name)));
        let decided = disposition::dispose(mapper.as_deref(), &result);
        let now = inner.clock.now_ms();
        // The host keeps the maximum whatever a mapper says.
        let retry = decided.retry && self.attempt < i64::from(self.max_attempts);
        let mut next_at = now + i64::from(decided.retry_after_s) * 1000;
        if let Some(until) = decided.do_not_call_until_ms {
            next_at = next_at.max(until as i64);
        }
        let end = AttemptEnd {
            end_at_ms: now,
            trunk: report.trunk.clone(),
            ring_ms: result.ring_ms as i64,
            talk_ms: result.talk_ms as i64,
            sip_code: report.sip_code.map(i64::from),
            cause: report.cause.map(i64::from),
            outcome: report.outcome.as_str().to_owned(),
            status: decided.status.clone(),
            retry,
            next_at_ms: next_at,
            tags: serde_json::to_string(&decided.tags).unwrap_or_else(|_| "[]".into()),
            agent: report.agent.clone(),
            confirmed: report.confirmed,
            hangup_by: report.hangup_by.map(|by| by.as_str().to_owned()),
            queue_result: report.queue_result.map(|r| r.as_str().to_owned()),
            ivr_result: result.ivr_result.clone(),
        };
        if let Err(error) = inner
            .store
            .end_attempt(attempt_id, self.contact_id, &end)
            .await
        {
            // The attempt stays open: the next start's recovery closes it.
            tracing::error!(
                attempt = attempt_id,
                error = format!("{error:#}"),
                "cannot record the attempt's end"
            );
        }
        if report.queue_result == Some(QueueResult::Abandoned)
            && self.settings.abandoned_no_call_days > 0
        {
            // The rule is about the person, whatever list or campaign holds them.
            let until = now + i64::from(self.settings.abandoned_no_call_days) * 86_400_000;
            let held = inner
                .store
                .add_do_not_call(&self.number, 0, Some(until), "abandoned call", now)
                .await;
            if let Err(error) = held {
                tracing::error!(
                    attempt = attempt_id,
                    error = format!("{error:#}"),
                    "cannot hold back an abandoned number"
                );
            }
        }
        metrics::counter!("ringhost_attempts_total", "outcome" => report.outcome.as_str())
            .increment(1);
        if let Some(result) = report.queue_result {
            // QUEUE_ANSWER counts the calls handed to agents.
            metrics::counter!("ringhost_queue_results_total", "result" => result.as_str())
                .increment(1);
        }
        tracing::info!(
            campaign = %self.campaign_name,
            attempt = attempt_id,
            outcome = report.outcome.as_str(),
            status = %decided.status,
            retry,
            "attempt ended"
        );
        self.dialer.publish(DialerEvent::CallEnded {
            campaign: self.campaign_name.clone(),
            attempt_id,
            outcome: report.outcome.as_str().to_owned(),
            status: decided.status.clone(),
        });
        if let Some(name) = &self.settings.connector {
            self.push_to_crm(name, attempt_id, &report, &decided.status, now);
        }
        drop(self._permit);
        self.dialer.wake();
    }

    /// Hands the result to the campaign's CRM connector, off the async executor (a
    /// connector call may take seconds of HTTP).
    fn push_to_crm(
        &self,
        name: &str,
        attempt_id: i64,
        report: &CallReport,
        status: &str,
        now: i64,
    ) {
        let Some(connector) = self
            .dialer
            .inner
            .plugins
            .as_ref()
            .and_then(|r| r.connector(name))
        else {
            tracing::warn!(
                connector = name,
                "CRM connector not loaded; the result is not pushed"
            );
            return;
        };
        let record = ringhost_plugins::crm::AttemptRecord {
            campaign: self.campaign_name.clone(),
            contact_id: self.contact_id.to_string(),
            phone_number: self.number.clone(),
            attempt: self.attempt as u32,
            status: status.to_owned(),
            tags: report.tags.clone(),
            started_ms: (now - report.ring.as_millis() as i64 - report.talk.as_millis() as i64)
                .max(0) as u64,
            talk_ms: report.talk.as_millis() as u64,
            agent: report.agent.clone(),
        };
        tokio::task::spawn_blocking(move || match connector.push_result(&record) {
            Ok(Ok(())) => {}
            Ok(Err(reason)) => {
                tracing::warn!(attempt = attempt_id, %reason, "the CRM refused the result")
            }
            Err(error) => tracing::warn!(attempt = attempt_id, %error, "the CRM connector failed"),
        });
    }
}
