//! A claimed contact placed: the maximum of attempts, do-not-call and calling hours
//! checked, a permit taken, the attempt written, and only then its call started.

use std::time::Duration;

use ringhost_call::{CallRequest, OnAnswer};
use ringhost_store::attempt::AttemptStart;
use ringhost_store::campaign::CampaignRow;
use ringhost_store::contact::ContactRow;

use crate::events::DialerEvent;
use crate::hours::{CallingHours, Verdict};
use crate::settings::{CampaignKind, CampaignSettings, ListSettings};

use super::Dialer;
use super::call::Call;

/// Why a claimed contact is closed without a call: its final status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CloseReason {
    /// It has had its maximum of attempts.
    MaxAttempts,
    /// It has no number to call.
    NoNumber,
    /// Its number is on a do-not-call list.
    DoNotCall,
    /// Its calling hours never open.
    NoCallingHours,
}

impl CloseReason {
    /// The contact's status as the store keeps it.
    fn as_str(self) -> &'static str {
        match self {
            CloseReason::MaxAttempts => "MAX_ATTEMPTS",
            CloseReason::NoNumber => "NO_NUMBER",
            CloseReason::DoNotCall => "DNC",
            CloseReason::NoCallingHours => "NO_CALLING_HOURS",
        }
    }
}

impl Dialer {
    /// Checks a claimed contact and, if it may be called now, writes its attempt and
    /// starts its call.
    pub(super) async fn dial(
        &self,
        campaign: &CampaignRow,
        settings: &CampaignSettings,
        list: &ListSettings,
        hours: &CallingHours,
        contact: ContactRow,
        now: i64,
    ) -> anyhow::Result<()> {
        let store = &self.inner.store;
        let close = |why: CloseReason| store.close_contact(contact.id, why.as_str(), now);
        let max = settings.max_attempts(&list.retry);
        if contact.attempts >= i64::from(max) {
            return close(CloseReason::MaxAttempts).await;
        }
        let index = (contact.attempts as usize) % contact.numbers.len().max(1);
        let Some(number) = contact.numbers.get(index).cloned() else {
            return close(CloseReason::NoNumber).await;
        };
        if store.is_do_not_call(&number, contact.list_id, now).await? {
            tracing::info!(campaign = %campaign.name, contact = contact.id, "number on a do-not-call list; not called");
            return close(CloseReason::DoNotCall).await;
        }
        let zone = contact.time_zone.parse().unwrap_or(chrono_tz::UTC);
        match hours.check(zone, now) {
            Verdict::Open => {}
            Verdict::OpensAt(at) => return store.defer_contact(contact.id, at, now).await,
            Verdict::Never => {
                return close(CloseReason::NoCallingHours).await;
            }
        }
        let class = self.inner.carrier.class_of(&number);
        let permit = match self.inner.ledger.acquire(class, Some(campaign.id)) {
            Ok(permit) => permit,
            Err(refusal) => {
                tracing::debug!(campaign = %campaign.name, %refusal, "no channel; the contact waits");
                return store.defer_contact(contact.id, now, now).await;
            }
        };
        let attempt = contact.attempts + 1;
        let start = AttemptStart {
            host: self.inner.config.host.clone(),
            campaign_id: campaign.id,
            run: campaign.run,
            list_id: contact.list_id,
            contact_id: contact.id,
            number: number.clone(),
            attempt,
            started_at_ms: now,
        };
        // Written before the call exists: a crash from here on finds it.
        let attempt_id = store.begin_attempt(&start).await?;
        // Parsed once: the call's script gets them as pairs, the screen pop as JSON.
        let variables_json: serde_json::Value =
            serde_json::from_str(&contact.variables).unwrap_or_default();
        let variables = crate::admin::variable_pairs(&variables_json);
        let on_answer = match (settings.kind, &settings.extension, &settings.queue) {
            (_, Some(extension), _) => OnAnswer::Extension(extension.clone()),
            (CampaignKind::Notification, ..) => OnAnswer::Notify {
                audio: settings.audio.clone(),
                confirm: settings.confirm,
                confirm_wait: Duration::from_secs(u64::from(settings.confirm_wait_s)),
                ivr: settings.ivr.clone(),
            },
            (CampaignKind::Agent, _, Some(queue)) => OnAnswer::Queue {
                queue: queue.clone(),
                abandon_after: Duration::from_millis(u64::from(settings.abandon_after_ms)),
                max_wait: Duration::from_secs(u64::from(settings.queue_max_wait_s)),
                agent_ring: Duration::from_secs(u64::from(settings.agent_ring_s.max(1))),
                message: settings.abandon_message.clone(),
                music: settings.music_on_hold.clone(),
            },
            (CampaignKind::Agent, _, None) => OnAnswer::HangUp,
        };
        let request = CallRequest {
            attempt_id,
            campaign: campaign.name.clone(),
            number,
            caller_id: settings.caller_id.clone(),
            route: settings.route.clone(),
            ring_timeout: Duration::from_secs(u64::from(settings.ring_timeout_s.max(1))),
            on_answer,
            variables,
        };
        let call = Call {
            dialer: self.clone(),
            campaign_id: campaign.id,
            campaign_name: campaign.name.clone(),
            contact_id: contact.id,
            number: request.number.clone(),
            variables: variables_json,
            attempt,
            max_attempts: max,
            list: list.clone(),
            settings: settings.clone(),
            _permit: permit,
        };
        self.inner
            .lock_calls()
            .entry(campaign.id)
            .or_default()
            .dialing += 1;
        self.publish(DialerEvent::CallStarted {
            campaign: campaign.name.clone(),
            attempt_id,
            contact_id: contact.id,
            number: request.number.clone(),
        });
        self.inner.tasks.spawn(call.run(request));
        Ok(())
    }
}
