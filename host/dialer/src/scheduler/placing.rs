//! A claimed contact placed: the maximum of attempts, do-not-call and calling hours
//! checked, a permit taken, the attempt written, and only then its call started.
//!
//! Two paths share these steps: the scheduler's pass (`dial`: a contact it claimed,
//! its answer queued for agents) and an agent's call from the desk
//! (`crate::desk_call`: a contact claimed for that agent, whose phone rings first).
//! Each check is made once, here ([`Dialer::clear`]); a contact held back goes where
//! [`Held::settle`] puts it, whoever asked.

use std::sync::Arc;
use std::time::Duration;

use ringhost_call::{Agents, CallRequest, OnAnswer};
use ringhost_store::Store;
use ringhost_store::attempt::AttemptStart;
use ringhost_store::campaign::CampaignRow;
use ringhost_store::contact::ContactRow;

use crate::events::DialerEvent;
use crate::hours::{CallingHours, Verdict};
use crate::ledger::{Permit, Refusal};
use crate::settings::{CampaignKind, CampaignSettings, ListSettings};

use super::Dialer;
use super::call::Call;

/// How long a contact waits when its number is booked for a callback: the operator
/// calls it soon, or gives it back.
const BOOKED_DEFER_MS: i64 = 15 * 60 * 1000;

/// Why a claimed contact is closed without a call: its final status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CloseReason {
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
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CloseReason::MaxAttempts => "MAX_ATTEMPTS",
            CloseReason::NoNumber => "NO_NUMBER",
            CloseReason::DoNotCall => "DNC",
            CloseReason::NoCallingHours => "NO_CALLING_HOURS",
        }
    }
}

/// Why a claimed contact is not called now.
#[derive(Debug)]
pub(crate) enum Held {
    /// Never, as it stands: closed with this status.
    Closed(CloseReason),
    /// Outside its calling hours: due again when they open (ms since the epoch).
    Deferred(i64),
    /// No channel free (the ledger's refusal): due again at once, for a later pass.
    NoChannel(Refusal),
}

impl Held {
    /// Puts the contact where this says (closed, or ready again when due) at `now`.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub(crate) async fn settle(
        &self,
        store: &Store,
        contact_id: i64,
        now: i64,
    ) -> anyhow::Result<()> {
        match self {
            Held::Closed(why) => store.close_contact(contact_id, why.as_str(), now).await,
            Held::Deferred(at) => store.defer_contact(contact_id, *at, now).await,
            Held::NoChannel(_) => store.defer_contact(contact_id, now, now).await,
        }
    }
}

/// A contact cleared for a call: the number to dial, the channels it holds, which
/// attempt of the contact it is.
pub(crate) struct Cleared {
    number: String,
    permit: Permit,
    attempt: i64,
    max_attempts: u32,
}

/// What a campaign's call needs beside its contact: the campaign, its settings and
/// its list's.
pub(crate) struct Placement<'a> {
    pub(crate) campaign: &'a CampaignRow,
    pub(crate) settings: &'a CampaignSettings,
    pub(crate) list: &'a ListSettings,
}

impl Dialer {
    /// Checks a claimed contact and, if it may be called now, writes its attempt and
    /// starts its call, queued for agents when answered.
    pub(super) async fn dial(
        &self,
        campaign: &CampaignRow,
        settings: &CampaignSettings,
        list: &ListSettings,
        hours: &CallingHours,
        contact: ContactRow,
        now: i64,
    ) -> anyhow::Result<()> {
        let placement = Placement {
            campaign,
            settings,
            list,
        };
        let cleared = match self.clear(&placement, hours, &contact, now).await? {
            // A number an operator booked to call back is theirs: not the campaign's
            // (its permit dropped here).
            Ok(cleared) if self.inner.store.is_booked_callback(&cleared.number).await? => {
                tracing::info!(campaign = %campaign.name, contact = contact.id, "number booked for a callback; not called now");
                return Held::Deferred(now + BOOKED_DEFER_MS)
                    .settle(&self.inner.store, contact.id, now)
                    .await;
            }
            Ok(cleared) => cleared,
            Err(held) => {
                if let Held::NoChannel(refusal) = &held {
                    tracing::debug!(campaign = %campaign.name, %refusal, "no channel; the contact waits");
                }
                return held.settle(&self.inner.store, contact.id, now).await;
            }
        };
        let on_answer = queued(settings);
        let agents = Arc::new(crate::queue::Queues::new(self.clone()));
        let (call, request) = self
            .begin(&placement, &contact, cleared, on_answer, agents, now)
            .await?;
        self.start(call, request);
        Ok(())
    }

    /// The checks every campaign's call passes before its attempt is written: the
    /// maximum of attempts, a number to call (the next in turn), do-not-call, the
    /// calling hours in the contact's zone, then a permit from the ledger.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub(crate) async fn clear(
        &self,
        placement: &Placement<'_>,
        hours: &CallingHours,
        contact: &ContactRow,
        now: i64,
    ) -> anyhow::Result<Result<Cleared, Held>> {
        let store = &self.inner.store;
        let campaign = placement.campaign;
        let max_attempts = placement.settings.max_attempts(&placement.list.retry);
        if contact.attempts >= i64::from(max_attempts) {
            return Ok(Err(Held::Closed(CloseReason::MaxAttempts)));
        }
        let index = (contact.attempts as usize) % contact.numbers.len().max(1);
        let Some(number) = contact.numbers.get(index).cloned() else {
            return Ok(Err(Held::Closed(CloseReason::NoNumber)));
        };
        if store.is_do_not_call(&number, contact.list_id, now).await? {
            tracing::info!(campaign = %campaign.name, contact = contact.id, "number on a do-not-call list; not called");
            return Ok(Err(Held::Closed(CloseReason::DoNotCall)));
        }
        let zone = contact.time_zone.parse().unwrap_or(chrono_tz::UTC);
        match hours.check(zone, now) {
            Verdict::Open => {}
            Verdict::OpensAt(at) => return Ok(Err(Held::Deferred(at))),
            Verdict::Never => return Ok(Err(Held::Closed(CloseReason::NoCallingHours))),
        }
        let class = self.inner.carrier.class_of(&number);
        let permit = match self.inner.ledger.acquire(class, Some(campaign.id)) {
            Ok(permit) => permit,
            Err(refusal) => return Ok(Err(Held::NoChannel(refusal))),
        };
        Ok(Ok(Cleared {
            number,
            permit,
            attempt: contact.attempts + 1,
            max_attempts,
        }))
    }

    /// Writes the attempt of a cleared contact (before its call exists: a crash from
    /// here on finds it) and builds its call, doing `on_answer`, whose agents come
    /// from `agents`; [`Dialer::start`] starts it.
    ///
    /// # Errors
    /// When the attempt cannot be written (the permit is dropped).
    pub(crate) async fn begin(
        &self,
        placement: &Placement<'_>,
        contact: &ContactRow,
        cleared: Cleared,
        on_answer: OnAnswer,
        agents: Arc<dyn Agents>,
        now: i64,
    ) -> anyhow::Result<(Call, CallRequest)> {
        let Placement {
            campaign,
            settings,
            list,
        } = placement;
        let start = AttemptStart {
            host: self.inner.config.host.clone(),
            campaign_id: campaign.id,
            run: campaign.run,
            list_id: contact.list_id,
            contact_id: contact.id,
            number: cleared.number.clone(),
            attempt: cleared.attempt,
            started_at_ms: now,
        };
        let attempt_id = self.inner.store.begin_attempt(&start).await?;
        // Parsed once: the call's script gets them as pairs, the screen pop as JSON.
        let variables_json: serde_json::Value =
            serde_json::from_str(&contact.variables).unwrap_or_default();
        let variables = crate::admin::variable_pairs(&variables_json);
        let request = CallRequest {
            attempt_id,
            campaign: campaign.name.clone(),
            number: cleared.number,
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
            attempt: cleared.attempt,
            max_attempts: cleared.max_attempts,
            list: (*list).clone(),
            settings: (*settings).clone(),
            agents,
            _permit: cleared.permit,
        };
        Ok((call, request))
    }

    /// Starts a call whose attempt is written: counted as dialling, published, and
    /// run to its record.
    pub(crate) fn start(&self, call: Call, request: CallRequest) {
        let now = self.inner.clock.now_ms();
        (self.inner).in_flight(call.campaign_id, |c| c.placed(request.attempt_id, now));
        self.publish(DialerEvent::CallStarted {
            campaign: call.campaign_name.clone(),
            attempt_id: request.attempt_id,
            contact_id: call.contact_id,
            number: request.number.clone(),
        });
        self.inner.tasks.spawn(call.run(request));
    }
}

/// What an answered call of a campaign placed by the scheduler does, as its settings
/// say.
fn queued(settings: &CampaignSettings) -> OnAnswer {
    match (settings.kind, &settings.extension, &settings.queue) {
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
    }
}
