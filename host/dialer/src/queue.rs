//! Answered calls handed to agents: the agents' side of the automatic call
//! distributor. A queued call asks for the longest-idle free agent of its queue; the
//! agent is on that call from the moment they are taken, so no agent gets two calls at
//! once, and the carrier rings their phone. An agent whose phone does not answer is
//! paused with the reason, so that the next call goes to the next agent (as a real
//! ACD's "ring no answer" does); an agent whose call is over goes into wrap-up.
//!
//! Every move out of "on a call" checks that the agent is still on it, so a state the
//! agent asked for meanwhile is never overwritten.
//!
//! This knows agents and their states, never telephony: the call layer
//! (`ringhost-call`, through [`Agents`]) rings the phone and bridges the audio.

use ringhost_call::agents::AgentsFuture;
use ringhost_call::{Agents, AtExtension, Offer, Skip};
use ringhost_store::agent::{AgentCall, TakenAgent};

use crate::agents::AgentState;
use crate::events::DialerEvent;
use crate::scheduler::Dialer;

/// The queues as a queued call sees them ([`Agents`]); handed to the carrier with
/// each call.
#[derive(Clone)]
pub struct Queues {
    dialer: Dialer,
}

impl Queues {
    pub(crate) fn new(dialer: Dialer) -> Queues {
        Queues { dialer }
    }

    /// Takes the longest-idle free agent of `queue`; they are on this call from now.
    ///
    /// # Errors
    /// When the database cannot be written.
    async fn take(&self, queue: &str, attempt_id: Option<i64>) -> anyhow::Result<Option<Offer>> {
        let call = self.call(attempt_id);
        let taken = self.dialer.inner.store.take_agent(queue, &call).await?;
        Ok(taken.map(|taken| self.offer(taken)))
    }

    /// Attempt `attempt_id`'s call (none: an inbound call), from this host, now.
    fn call(&self, attempt_id: Option<i64>) -> AgentCall<'_> {
        AgentCall {
            host: &self.dialer.inner.config.host,
            attempt_id,
            now_ms: self.dialer.now_ms(),
        }
    }

    /// Who is at `extension`: its agent, taken for attempt `attempt_id`'s call if
    /// free.
    ///
    /// # Errors
    /// When the database cannot be read or written.
    async fn take_at(
        &self,
        extension: &str,
        attempt_id: Option<i64>,
    ) -> anyhow::Result<AtExtension> {
        let store = &self.dialer.inner.store;
        if let Some(taken) = store
            .take_agent_at(extension, &self.call(attempt_id))
            .await?
        {
            return Ok(AtExtension::Agent(self.offer(taken)));
        }
        Ok(match store.agent_at(extension).await? {
            Some(_) => AtExtension::Busy,
            None => AtExtension::NoAgent,
        })
    }

    fn offer(&self, taken: TakenAgent) -> Offer {
        self.publish(&taken.name, AgentState::OnCall, None);
        Offer {
            agent: taken.name,
            extension: taken.extension,
            free_since_ms: taken.free_since_ms,
        }
    }

    /// Lets go of an agent who did not talk to the caller, as `why` says.
    async fn skip(&self, offer: &Offer, why: Skip) {
        let now = self.dialer.now_ms();
        let (state, reason, since) = match why {
            Skip::NoAnswer => (AgentState::Paused, Some("did not answer"), now),
            Skip::Unreachable => (AgentState::Paused, Some("phone not registered"), now),
            Skip::CallGone => (AgentState::Ready, None, offer.free_since_ms),
        };
        tracing::info!(agent = %offer.agent, ?why, "agent skipped");
        self.leave_call(offer, state, reason, since).await;
    }

    /// The agent's call is over: their wrap-up begins.
    async fn release(&self, offer: &Offer) {
        let now = self.dialer.now_ms();
        self.leave_call(offer, AgentState::WrapUp, None, now).await;
    }

    /// Moves an agent off their call to `to` (with `reason`, since `since`), unless
    /// they are on a call no more.
    pub(crate) async fn leave_call(
        &self,
        offer: &Offer,
        to: AgentState,
        reason: Option<&str>,
        since: i64,
    ) {
        let moved = self
            .dialer
            .inner
            .store
            .move_agent(
                &offer.agent,
                AgentState::OnCall.as_str(),
                to.as_str(),
                reason,
                since,
            )
            .await;
        match moved {
            Ok(true) => {
                self.publish(&offer.agent, to, reason);
                // A free agent is a call to start.
                self.dialer.wake();
            }
            // Recovery or an operator moved them already.
            Ok(false) => {
                tracing::warn!(agent = %offer.agent, "agent no longer on the call");
            }
            // The agent stays on a call until this host's next start frees them.
            Err(error) => {
                tracing::error!(agent = %offer.agent, error = format!("{error:#}"), "cannot change the agent's state");
            }
        }
    }

    fn publish(&self, agent: &str, state: AgentState, reason: Option<&str>) {
        self.dialer.publish(DialerEvent::AgentState {
            agent: agent.to_owned(),
            state: state.as_str().to_owned(),
            reason: reason.map(str::to_owned),
        });
    }
}

impl Agents for Queues {
    fn take<'a>(
        &'a self,
        queue: &'a str,
        attempt_id: Option<i64>,
    ) -> AgentsFuture<'a, anyhow::Result<Option<Offer>>> {
        Box::pin(Queues::take(self, queue, attempt_id))
    }

    fn take_at<'a>(
        &'a self,
        extension: &'a str,
        attempt_id: Option<i64>,
    ) -> AgentsFuture<'a, anyhow::Result<AtExtension>> {
        Box::pin(Queues::take_at(self, extension, attempt_id))
    }

    fn skip<'a>(&'a self, offer: &'a Offer, why: Skip) -> AgentsFuture<'a, ()> {
        Box::pin(Queues::skip(self, offer, why))
    }

    fn release<'a>(&'a self, offer: &'a Offer) -> AgentsFuture<'a, ()> {
        Box::pin(Queues::release(self, offer))
    }
}
