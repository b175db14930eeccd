//! An agent's call from their desk (click-to-call: ADS's `DialerNewCall` asked by the
//! agent): the agent picks a contact of a campaign from the preview, or types a
//! number, and the call goes through the campaign as any of its calls, the agent's
//! phone rung first (`ringhost_call`'s `OnAnswer::Desk`).
//!
//! **Security** (toll fraud): no call reaches a trunk unless a campaign asked. Here
//! the campaign must be running or paused, be an agents' campaign whose queue the
//! agent is in, and the callee a contact of its lists (a typed number becomes one, in
//! its first list's region); the call then passes exactly the checks of the
//! scheduler's calls (`scheduler::placing`): maximum of attempts, do-not-call,
//! calling hours in the contact's zone, a permit from the ledger, the attempt
//! written before the call, the campaign's caller ID and route.
//!
//! The agent, ready or paused, is taken for the call at once (a compare-and-set in
//! the store), so no queued call takes them meanwhile; the contact is claimed for it,
//! so no pass dials it separately. A refusal gives both back: the agent to the state
//! they called from, a picked contact where the scheduler would put it (a typed
//! number is not written at all). Once placed, the agent is let go of as the call
//! layer says: wrap-up after talking; paused "did not answer" when their phone rang
//! out; back to the state they called from when the callee did not answer.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use ringhost_call::agents::AgentsFuture;
use ringhost_call::{Agents, AtExtension, Offer, OnAnswer, Skip};
use ringhost_store::agent::AgentRow;
use ringhost_store::campaign::CampaignRow;
use ringhost_store::contact::{ContactRow, NewContactRow};
use serde::Serialize;

use crate::agents::{Agent, AgentState};
use crate::events::DialerEvent;
use crate::hours::CallingHours;
use crate::lifecycle::CampaignState;
use crate::queue::Queues;
use crate::refusal::{AdminResult, Refused};
use crate::scheduler::{CloseReason, Dialer, Held, Placement};
use crate::settings::{CampaignKind, CampaignSettings, ListSettings};

/// Whom an agent calls from the desk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeskTarget {
    /// A number as the agent typed it, read in the campaign's first list's region:
    /// it becomes a new contact of that list.
    Number(String),
    /// A ready contact of one of the campaign's lists (the preview's), by id.
    Contact(i64),
}

/// A campaign an agent may call from the desk: running or paused, its queue theirs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeskCampaign {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// `running` or `paused`.
    pub state: String,
}

/// A contact as the preview shows it, before the agent calls it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreviewContact {
    /// Its id, for [`DeskTarget::Contact`].
    pub id: i64,
    /// The number its next attempt dials.
    pub number: String,
    /// Attempts made so far.
    pub attempts: i64,
    /// The contact's variables (the list's columns).
    pub variables: serde_json::Value,
}

/// A campaign the agent is allowed to call through, with its settings.
struct Allowed {
    campaign: CampaignRow,
    settings: CampaignSettings,
}

impl Dialer {
    /// The campaigns agent `agent` may call from the desk: running or paused agents'
    /// campaigns whose queue they are in, by name.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn desk_campaigns(&self, agent: &str) -> AdminResult<Vec<DeskCampaign>> {
        let store = &self.inner.store;
        let mut members: HashMap<String, bool> = HashMap::new();
        let mut allowed = Vec::new();
        for campaign in store.campaigns().await? {
            if !callable(&campaign) {
                continue;
            }
            let Ok(settings) = serde_json::from_str::<CampaignSettings>(&campaign.settings) else {
                continue;
            };
            let Some(queue) = desk_queue(&settings) else {
                continue;
            };
            let member = match members.get(queue) {
                Some(&member) => member,
                None => {
                    let member = self.in_queue(queue, agent).await?;
                    members.insert(queue.to_owned(), member);
                    member
                }
            };
            if member {
                allowed.push(DeskCampaign {
                    id: campaign.id,
                    name: campaign.name,
                    state: campaign.state,
                });
            }
        }
        allowed.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(allowed)
    }

    /// The next `limit` contacts of campaign `campaign_id` due now, for agent `agent`
    /// to pick one to call.
    ///
    /// # Errors
    /// [`Refused`] when the agent may not call through the campaign (see
    /// [`Dialer::call_from_desk`]); database errors.
    pub async fn preview_contacts(
        &self,
        agent: &str,
        campaign_id: i64,
        limit: u32,
    ) -> AdminResult<Vec<PreviewContact>> {
        let allowed = self.allowed(agent, campaign_id).await?;
        let due = self
            .inner
            .store
            .due_contacts(&allowed.campaign.list_ids, self.now_ms(), i64::from(limit))
            .await?;
        Ok(due
            .into_iter()
            .map(|contact| {
                let index = (contact.attempts as usize) % contact.numbers.len().max(1);
                PreviewContact {
                    id: contact.id,
                    number: contact.numbers.get(index).cloned().unwrap_or_default(),
                    attempts: contact.attempts,
                    variables: serde_json::from_str(&contact.variables).unwrap_or_default(),
                }
            })
            .collect())
    }

    /// Calls `target` through campaign `campaign_id` for agent `agent`: their phone
    /// rings first, the callee once they answer. Returns the call's attempt once it
    /// is placed.
    ///
    /// # Errors
    /// [`Refused`] for an unknown agent or campaign; a campaign neither running nor
    /// paused, without a queue, or whose queue the agent is not in; an agent neither
    /// ready nor paused; a number that cannot be read; a contact not of the campaign
    /// or not ready; and every check of a campaign's call (do-not-call, calling hours,
    /// maximum of attempts, no free channel). Database errors.
    pub async fn call_from_desk(
        &self,
        agent: &str,
        campaign_id: i64,
        target: DeskTarget,
    ) -> AdminResult<i64> {
        let allowed = self.allowed(agent, campaign_id).await?;
        let store = &self.inner.store;
        let row = store
            .agent(agent)
            .await?
            .ok_or_else(|| Refused::NotFound(format!("agent {agent:?}")))?;
        let now = self.now_ms();
        let before = Agent::of(row.clone(), now);
        if !matches!(before.state, AgentState::Ready | AgentState::Paused) {
            return Err(Refused::Conflict(format!(
                "agent {agent:?} is {}: a call from the desk starts when ready or paused",
                before.state.as_str()
            ))
            .into());
        }
        let callee = self.callee(&allowed.campaign, target, now).await?;
        let desk_agent = self.take_desk_agent(&row, before, now).await?;
        let placed = self
            .place_from_desk(&allowed, callee, &desk_agent, now)
            .await;
        if placed.is_err() {
            desk_agent.give_back().await;
        }
        placed
    }

    /// Campaign `campaign_id`, if agent `agent` may call through it from the desk.
    async fn allowed(&self, agent: &str, campaign_id: i64) -> AdminResult<Allowed> {
        let campaign = self.campaign_row(campaign_id).await?;
        if !callable(&campaign) {
            return Err(Refused::Conflict(format!(
                "campaign {:?} is {}: its calls start only while it runs or is paused",
                campaign.name, campaign.state
            ))
            .into());
        }
        let settings: CampaignSettings = serde_json::from_str(&campaign.settings)?;
        let Some(queue) = desk_queue(&settings) else {
            return Err(Refused::Conflict(format!(
                "campaign {:?} puts no call through to agents",
                campaign.name
            ))
            .into());
        };
        if !self.in_queue(queue, agent).await? {
            return Err(Refused::Conflict(format!(
                "agent {agent:?} is not in the queue {queue:?} of campaign {:?}",
                campaign.name
            ))
            .into());
        }
        Ok(Allowed { campaign, settings })
    }

    /// Whether `agent` is a member of `queue`.
    async fn in_queue(&self, queue: &str, agent: &str) -> anyhow::Result<bool> {
        let members = self.inner.store.queue_members(queue).await?;
        Ok(members.iter().any(|m| m.name == agent))
    }

    /// The callee `target` names, read and checked against the campaign; nothing is
    /// written yet.
    async fn callee(
        &self,
        campaign: &CampaignRow,
        target: DeskTarget,
        now: i64,
    ) -> AdminResult<Callee> {
        let store = &self.inner.store;
        match target {
            DeskTarget::Number(written) => {
                let (list_id, contact) = self
                    .new_contact(campaign, &written, "{}".into(), now)
                    .await?;
                Ok(Callee::New(list_id, contact))
            }
            DeskTarget::Contact(id) => {
                let contact = store
                    .contact(id)
                    .await?
                    .filter(|c| campaign.list_ids.contains(&c.list_id))
                    .ok_or_else(|| {
                        Refused::NotFound(format!("contact {id} of campaign {:?}", campaign.name))
                    })?;
                if contact.state != "ready" {
                    return Err(Refused::Conflict(format!(
                        "contact {id} is {}, not ready to be called",
                        contact.state
                    ))
                    .into());
                }
                Ok(Callee::Picked(id))
            }
        }
    }

    /// Takes the agent `row` describes for their call, if they are still as read.
    async fn take_desk_agent(
        &self,
        row: &AgentRow,
        before: Agent,
        now: i64,
    ) -> AdminResult<DeskAgent> {
        let store = &self.inner.store;
        let host = &self.inner.config.host;
        if !store
            .take_agent_named(&row.name, (&row.state, row.since_ms), host, now)
            .await?
        {
            return Err(Refused::Conflict(format!(
                "agent {:?} changed state meanwhile; ask again",
                row.name
            ))
            .into());
        }
        self.publish(DialerEvent::AgentState {
            agent: row.name.clone(),
            state: AgentState::OnCall.as_str().to_owned(),
            reason: None,
        });
        let offer = Offer {
            agent: row.name.clone(),
            extension: row.extension.clone(),
            free_since_ms: before.since_ms,
        };
        Ok(DeskAgent {
            queues: Queues::new(self.clone()),
            offer,
            before,
        })
    }

    /// The taken agent's call to `callee`: the contact claimed, the campaign's checks,
    /// the attempt written, the call started. On a refusal the contact is where the
    /// scheduler would put it; the caller gives the agent back.
    async fn place_from_desk(
        &self,
        allowed: &Allowed,
        callee: Callee,
        agent: &DeskAgent,
        now: i64,
    ) -> AdminResult<i64> {
        let store = &self.inner.store;
        let host = &self.inner.config.host;
        let hours = CallingHours::new(&allowed.settings.calling_hours).map_err(|error| {
            Refused::Conflict(format!("the campaign's calling hours are wrong: {error}"))
        })?;
        let (list_id, contact) = match &callee {
            Callee::New(list_id, new) => (*list_id, unsaved(*list_id, new)),
            Callee::Picked(id) => {
                let contact = store.claim_contact(host, *id, now).await?.ok_or_else(|| {
                    Refused::Conflict(format!("contact {id} was taken meanwhile"))
                })?;
                (contact.list_id, contact)
            }
        };
        let list: ListSettings = match store.list(list_id).await? {
            Some(list) => serde_json::from_str(&list.settings).unwrap_or_default(),
            None => ListSettings::default(),
        };
        let placement = Placement {
            campaign: &allowed.campaign,
            settings: &allowed.settings,
            list: &list,
        };
        let cleared = match self.clear(&placement, &hours, &contact, now).await {
            Ok(Ok(cleared)) => cleared,
            Ok(Err(held)) => {
                if let Callee::Picked(id) = callee {
                    held.settle(store, id, now).await?;
                }
                return Err(Refused::Conflict(refusal(&held)).into());
            }
            Err(error) => {
                self.unclaim(&callee, now).await;
                return Err(error.into());
            }
        };
        // Cleared: a typed number becomes a contact of the list, claimed for this call.
        let contact = match callee {
            Callee::New(list_id, new) => {
                let inserted = store.insert_claimed_contact(list_id, &new, host, now).await;
                ContactRow {
                    id: inserted?,
                    ..contact
                }
            }
            Callee::Picked(_) => contact,
        };
        let on_answer = OnAnswer::Desk {
            agent: agent.offer.clone(),
            agent_ring: Duration::from_secs(u64::from(allowed.settings.agent_ring_s.max(1))),
        };
        let agents = Arc::new(agent.clone());
        let begun = self
            .begin(&placement, &contact, cleared, on_answer, agents, now)
            .await;
        let (call, request) = match begun {
            Ok(begun) => begun,
            Err(error) => {
                self.unclaim(&Callee::Picked(contact.id), now).await;
                return Err(error.into());
            }
        };
        let attempt_id = request.attempt_id;
        // The supervisor's board and monitors find the agent's call by it.
        if let Err(error) = store
            .set_agent_attempt(&agent.offer.agent, host, attempt_id)
            .await
        {
            tracing::warn!(agent = %agent.offer.agent, error = format!("{error:#}"), "cannot note the agent's call");
        }
        tracing::info!(agent = %agent.offer.agent, campaign = %allowed.campaign.name, attempt = attempt_id, "call from the desk");
        self.start(call, request);
        Ok(attempt_id)
    }

    /// Gives a claimed contact back, due now, after a failure (a typed number was not
    /// written: nothing to give back).
    async fn unclaim(&self, callee: &Callee, now: i64) {
        if let Callee::Picked(id) = callee
            && let Err(error) = self.inner.store.defer_contact(*id, now, now).await
        {
            // Claimed by this host: its next start's recovery gives it back.
            tracing::error!(
                contact = id,
                error = format!("{error:#}"),
                "cannot give the contact back"
            );
        }
    }
}

/// Whom the desk call is for, before it is placed.
enum Callee {
    /// A typed number: a contact of this list once the call is cleared.
    New(i64, NewContactRow),
    /// A contact picked from the preview, by id.
    Picked(i64),
}

/// A typed number as the checks see it: a contact with no attempt yet, not written.
fn unsaved(list_id: i64, new: &NewContactRow) -> ContactRow {
    ContactRow {
        id: 0,
        list_id,
        line: new.line,
        numbers: new.numbers.clone(),
        variables: new.variables.clone(),
        time_zone: new.time_zone.clone(),
        schedule_extension: None,
        state: "dialing".into(),
        attempts: 0,
        next_at_ms: new.next_at_ms,
        status: None,
        external_id: None,
    }
}

/// Whether calls of `campaign` may start now: running, or paused (the pacer is off,
/// agents may still call).
fn callable(campaign: &CampaignRow) -> bool {
    matches!(
        CampaignState::parse(&campaign.state),
        Some(CampaignState::Running | CampaignState::Paused)
    )
}

/// The queue of agents a campaign puts its calls through to; `None` for a
/// notification campaign or one without a queue.
fn desk_queue(settings: &CampaignSettings) -> Option<&str> {
    match settings.kind {
        CampaignKind::Agent => settings.queue.as_deref(),
        CampaignKind::Notification => None,
    }
}

/// What the agent reads when the campaign's checks hold a contact back.
fn refusal(held: &Held) -> String {
    match held {
        Held::Closed(CloseReason::DoNotCall) => "the number is on a do-not-call list".into(),
        Held::Closed(CloseReason::MaxAttempts) => {
            "the contact has had its maximum of attempts".into()
        }
        Held::Closed(CloseReason::NoNumber) => "the contact has no number to call".into(),
        Held::Closed(CloseReason::NoCallingHours) => {
            "the campaign's calling hours never open".into()
        }
        Held::Deferred(_) => "outside the calling hours in the contact's time zone".into(),
        Held::NoChannel(why) => format!("no channel free now ({why})"),
    }
}

/// The agent of a desk call, as its call layer sees them: nobody else is ever taken
/// for it; a call that went away gives them back to the state they called from.
#[derive(Clone)]
struct DeskAgent {
    queues: Queues,
    offer: Offer,
    /// Where they were before the call.
    before: Agent,
}

impl DeskAgent {
    /// Back to the state they called from (ready in their place in line, or paused
    /// with their reason).
    async fn give_back(&self) {
        let before = &self.before;
        self.queues
            .leave_call(
                &self.offer,
                before.state,
                before.reason.as_deref(),
                before.since_ms,
            )
            .await;
    }
}

impl Agents for DeskAgent {
    fn take<'a>(
        &'a self,
        _queue: &'a str,
        _attempt_id: Option<i64>,
    ) -> AgentsFuture<'a, anyhow::Result<Option<Offer>>> {
        Box::pin(async { Ok(None) })
    }

    fn take_at<'a>(
        &'a self,
        _extension: &'a str,
        _attempt_id: Option<i64>,
    ) -> AgentsFuture<'a, anyhow::Result<AtExtension>> {
        Box::pin(async { Ok(AtExtension::Busy) })
    }

    fn skip<'a>(&'a self, offer: &'a Offer, why: Skip) -> AgentsFuture<'a, ()> {
        match why {
            Skip::CallGone => Box::pin(self.give_back()),
            Skip::NoAnswer | Skip::Unreachable => Agents::skip(&self.queues, offer, why),
        }
    }

    fn release<'a>(&'a self, offer: &'a Offer) -> AgentsFuture<'a, ()> {
        Agents::release(&self.queues, offer)
    }
}
