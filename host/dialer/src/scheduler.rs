//! The scheduler: picks the next contacts across the active campaigns and starts their
//! calls, then records how each went.
//!
//! It runs whenever something may have changed (a call ends, a campaign is started or
//! resumed: [`Dialer::wake`]) and at least every `tick`, since time itself makes
//! contacts due (retry waits, calling hours, a `*Schedule*` time). One pass:
//! 0. New rows of the exchange table become contacts.
//! 1. Scheduled campaigns whose start has come begin running.
//! 2. The running campaigns, by priority then start time, up to the maximum of active
//!    campaigns, each: asks its pacer how many calls to start (clamped to the ledger's
//!    headroom), claims that many due contacts, and for each checks do-not-call and
//!    calling hours, takes a permit, writes the attempt, and only then places the call.
//! 3. A campaign with no contact left to call and no call in progress ends its run.
//!
//! A call's task holds the permit; when the call ends it asks the disposition mapper,
//! writes the attempt's end and the contact's next state in one transaction, drops the
//! permit, pushes the result to the campaign's CRM connector, and wakes the scheduler.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use ringhost_plugins::PluginRegistry;
use ringhost_plugins::disposition::{self, AttemptResult};
use ringhost_plugins::pacer::{self, AgentBasis, Parameters, Snapshot};
use ringhost_store::Store;
use ringhost_store::attempt::{AttemptEnd, AttemptStart};
use ringhost_store::campaign::CampaignRow;
use ringhost_store::contact::ContactRow;
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::clock::Clock;
use crate::events::DialerEvent;
use crate::hours::{CallingHours, Verdict};
use crate::ledger::{CampaignLimits, Ledger, Permit};
use crate::lifecycle::CampaignState;
use crate::settings::{CampaignKind, CampaignSettings, ListSettings};
use ringhost_call::{CallReport, CallRequest, Carrier, Class, OnAnswer, Progress, QueueResult};

/// How the scheduler runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedulerConfig {
    /// This host's name among those sharing the database: its claims and attempts
    /// carry it, so that its recovery after a crash closes only its own.
    pub host: String,
    /// The longest time between two passes.
    pub tick: Duration,
    /// Campaigns dialling at once at most (by priority, then start time); 0 for no
    /// limit.
    pub max_active_campaigns: u32,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            host: "ringhost".into(),
            tick: Duration::from_millis(250),
            max_active_campaigns: 0,
        }
    }
}

/// The dialer: shared by the scheduler's task, the calls' tasks and the API.
#[derive(Clone)]
pub struct Dialer {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) store: Store,
    pub(crate) ledger: Ledger,
    carrier: Arc<dyn Carrier>,
    plugins: Option<PluginRegistry>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) config: SchedulerConfig,
    wake: Notify,
    calls: Mutex<HashMap<i64, CallCounts>>,
    tasks: TaskTracker,
    pub(crate) events: tokio::sync::broadcast::Sender<DialerEvent>,
}

/// A campaign's calls in progress, by stage: the pacer's snapshot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallCounts {
    /// Placed, not ringing yet.
    pub dialing: u32,
    /// Ringing.
    pub ringing: u32,
    /// Answered and not ended.
    pub answered: u32,
}

/// A campaign's rates over its rolling window (`rate_window_s`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Rates {
    /// Answered attempts of those ended.
    pub answer_rate: f64,
    /// Abandoned calls of those answered (regulators cap it, typically at 3%).
    pub abandon_rate: f64,
}

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
}

impl Dialer {
    /// A dialer over `store`, placing calls through `carrier`.
    pub fn new(
        store: Store,
        ledger: Ledger,
        carrier: Arc<dyn Carrier>,
        plugins: Option<PluginRegistry>,
        clock: Arc<dyn Clock>,
        config: SchedulerConfig,
    ) -> Dialer {
        Dialer {
            inner: Arc::new(Inner {
                store,
                ledger,
                carrier,
                plugins,
                clock,
                config,
                wake: Notify::new(),
                calls: Mutex::default(),
                tasks: TaskTracker::new(),
                events: crate::events::channel(),
            }),
        }
    }

    /// The channel ledger.
    pub fn ledger(&self) -> &Ledger {
        &self.inner.ledger
    }

    /// Asks for a pass soon (something changed).
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// A campaign's calls in progress.
    pub fn calls(&self, campaign_id: i64) -> CallCounts {
        self.inner
            .lock_calls()
            .get(&campaign_id)
            .copied()
            .unwrap_or_default()
    }

    /// Closes what a crash left behind, before the first pass: attempts in progress
    /// become `interrupted` and their contacts are due again after the list's "other"
    /// wait, or done when that was their last attempt (an attempt is counted when it
    /// is written, so a restart never gives a contact more than its maximum).
    ///
    /// # Errors
    /// When the database cannot be read or written.
    pub async fn recover(&self) -> anyhow::Result<Recovery> {
        let store = &self.inner.store;
        let now = self.inner.clock.now_ms();
        let mut recovery = Recovery::default();
        let host = &self.inner.config.host;
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
        if recovery != Recovery::default() {
            tracing::warn!(
                interrupted = recovery.interrupted,
                rescheduled = recovery.rescheduled,
                released = recovery.released,
                agents = recovery.agents,
                "attempts left in progress by the previous run were closed as interrupted"
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

    /// Runs passes until `stop` is cancelled, then waits for the calls in progress.
    pub async fn run_until(self, stop: CancellationToken) {
        loop {
            if let Err(error) = self.pass().await {
                tracing::error!(
                    error = format!("{error:#}"),
                    "scheduler pass failed; retrying at the next tick"
                );
            }
            tokio::select! {
                () = stop.cancelled() => break,
                () = self.inner.wake.notified() => {}
                () = tokio::time::sleep(self.inner.config.tick) => {}
            }
        }
        self.inner.tasks.close();
        self.inner.tasks.wait().await;
    }

    /// Waits until every call started so far has ended and been recorded.
    pub async fn settle(&self) {
        self.inner.tasks.close();
        self.inner.tasks.wait().await;
        self.inner.tasks.reopen();
    }

    /// One pass of the scheduler (see the module's documentation).
    ///
    /// # Errors
    /// When the database cannot be read or written.
    pub async fn pass(&self) -> anyhow::Result<()> {
        let store = &self.inner.store;
        let now = self.inner.clock.now_ms();
        self.pick_up_exchange(now).await?;
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

    /// The most calls the ledger could grant the campaign now, internal or external
    /// (each call's permit is still taken for its own class).
    fn headroom(&self, campaign: i64) -> u32 {
        let ledger = &self.inner.ledger;
        ledger
            .headroom(Class::External, Some(campaign))
            .max(ledger.headroom(Class::Internal, Some(campaign)))
    }

    /// How many calls the campaign's pacer wants started now.
    async fn pace(
        &self,
        campaign: &CampaignRow,
        settings: &CampaignSettings,
    ) -> anyhow::Result<u32> {
        let calls = self.calls(campaign.id);
        let on_their_way = calls.dialing + calls.ringing;
        if settings.kind == CampaignKind::Notification || settings.pacing.strategy == "fixed" {
            // ADS's simultaneous calls: keep max_calls going (the ledger's headroom
            // when there is no cap).
            let cap = if settings.max_calls == 0 {
                u32::MAX
            } else {
                settings.max_calls
            };
            return Ok(cap.saturating_sub(on_their_way + calls.answered));
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
            // Answered calls wait in the queue until an agent takes them (or they are
            // abandoned).
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
        let plugin = match p.strategy.as_str() {
            "progressive" => None,
            name => {
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

    /// Checks a claimed contact and, if it may be called now, writes its attempt and
    /// starts its call.
    async fn dial(
        &self,
        campaign: &CampaignRow,
        settings: &CampaignSettings,
        list: &ListSettings,
        hours: &CallingHours,
        contact: ContactRow,
        now: i64,
    ) -> anyhow::Result<()> {
        let store = &self.inner.store;
        let max = settings.max_attempts(&list.retry);
        if contact.attempts >= i64::from(max) {
            return store.close_contact(contact.id, "MAX_ATTEMPTS", now).await;
        }
        let index = (contact.attempts as usize) % contact.numbers.len().max(1);
        let Some(number) = contact.numbers.get(index).cloned() else {
            return store.close_contact(contact.id, "NO_NUMBER", now).await;
        };
        if store.is_do_not_call(&number, contact.list_id, now).await? {
            tracing::info!(campaign = %campaign.name, contact = contact.id, "number on a do-not-call list; not called");
            return store.close_contact(contact.id, "DNC", now).await;
        }
        let zone = contact.time_zone.parse().unwrap_or(chrono_tz::UTC);
        match hours.check(zone, now) {
            Verdict::Open => {}
            Verdict::OpensAt(at) => return store.defer_contact(contact.id, at, now).await,
            Verdict::Never => {
                return store
                    .close_contact(contact.id, "NO_CALLING_HOURS", now)
                    .await;
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
        let in_progress = calls.dialing + calls.ringing + calls.answered;
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

impl Inner {
    fn lock_calls(&self) -> std::sync::MutexGuard<'_, HashMap<i64, CallCounts>> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One call in progress, from its placing to its record.
struct Call {
    dialer: Dialer,
    campaign_id: i64,
    campaign_name: String,
    contact_id: i64,
    number: String,
    /// The contact's variables, for the screen pop.
    variables: serde_json::Value,
    attempt: i64,
    max_attempts: u32,
    list: ListSettings,
    settings: CampaignSettings,
    /// The channels, freed when the call is recorded.
    _permit: Permit,
}

impl Call {
    async fn run(self, request: CallRequest) {
        let attempt_id = request.attempt_id;
        let (progress, mut reports) = mpsc::unbounded_channel();
        let agents = Arc::new(crate::queue::Queues::new(self.dialer.clone()));
        let placing = self.dialer.inner.carrier.place(request, progress, agents);
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
                        let _ = inner.events.send(DialerEvent::CallConnected {
                            campaign: campaign.clone(),
                            attempt_id,
                            agent,
                            contact_id,
                            number: number.clone(),
                            variables: variables.clone(),
                        });
                        continue;
                    }
                };
                if next <= stage {
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
                let _ = inner.events.send(match next {
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
                let mut calls = inner.lock_calls();
                let counts = calls.entry(campaign_id).or_default();
                let left = stage.count(counts);
                *left = left.saturating_sub(1);
                *next.count(counts) += 1;
                stage = next;
            }
            stage
        };
        let (report, stage) = tokio::join!(placing, steps);
        {
            let mut calls = self.dialer.inner.lock_calls();
            let counts = calls.entry(self.campaign_id).or_default();
            let left = stage.count(counts);
            *left = left.saturating_sub(1);
        }
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
            ivr_result: report.ivr_result.clone(),
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
            ivr_result: report.ivr_result.clone(),
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

/// Where a call stands, for the campaign's counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Dialing,
    Ringing,
    Answered,
}

impl Stage {
    fn count(self, counts: &mut CallCounts) -> &mut u32 {
        match self {
            Stage::Dialing => &mut counts.dialing,
            Stage::Ringing => &mut counts.ringing,
            Stage::Answered => &mut counts.answered,
        }
    }
}
