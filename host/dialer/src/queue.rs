//! Answered calls handed to agents: the agents' side of the automatic call
//! distributor. A queued call asks for the longest-idle free agent of its queue; the
//! agent is on that call from the moment they are taken, so no agent gets two calls at
//! once, and the carrier rings their phone. An agent whose phone does not answer is
//! paused with the reason, so that the next call goes to the next agent (as a real
//! ACD's "ring no answer" does); an agent whose call is over goes into wrap-up.
//!
//! This knows agents and their states, never telephony: the carrier (the binary's
//! trunks and legs) rings the phone and bridges the audio.

use crate::agents::AgentState;
use crate::events::DialerEvent;
use crate::scheduler::Dialer;

/// The queues as a queued call sees them; handed to the carrier with each call.
#[derive(Clone)]
pub struct Queues {
    dialer: Dialer,
}

/// An agent taken for one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// The agent's name.
    pub agent: String,
    /// The address of record their phone registers.
    pub extension: String,
}

/// Why an agent was let go of before talking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Their phone rang out, was busy or refused the call: paused until they make
    /// themself ready again.
    NoAnswer,
    /// Their phone is not registered: paused, since no call can reach them.
    Unreachable,
    /// The call went away while their phone rang (the callee hung up, the call was
    /// abandoned): ready again, as idle as they were.
    CallGone,
}

impl Queues {
    pub(crate) fn new(dialer: Dialer) -> Queues {
        Queues { dialer }
    }

    /// Takes the longest-idle free agent of `queue`; they are on this call from now.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn take(&self, queue: &str) -> anyhow::Result<Option<Offer>> {
        let now = self.dialer.now_ms();
        let Some(row) = self.dialer.inner.store.take_agent(queue, now).await? else {
            return Ok(None);
        };
        self.publish(&row.name, AgentState::OnCall, None);
        Ok(Some(Offer {
            agent: row.name,
            extension: row.extension,
        }))
    }

    /// Lets go of an agent who did not talk to the caller, as `why` says.
    pub async fn skip(&self, offer: &Offer, why: Skip) {
        let (state, reason) = match why {
            Skip::NoAnswer => (AgentState::Paused, Some("did not answer")),
            Skip::Unreachable => (AgentState::Paused, Some("phone not registered")),
            Skip::CallGone => (AgentState::Ready, None),
        };
        tracing::info!(agent = %offer.agent, ?why, "agent skipped");
        self.set(offer, state, reason).await;
    }

    /// The agent's call is over: their wrap-up begins.
    pub async fn release(&self, offer: &Offer) {
        self.set(offer, AgentState::WrapUp, None).await;
    }

    async fn set(&self, offer: &Offer, state: AgentState, reason: Option<&str>) {
        let now = self.dialer.now_ms();
        if let Err(error) = self
            .dialer
            .inner
            .store
            .set_agent_state(&offer.agent, state.as_str(), reason, now)
            .await
        {
            // The agent stays on a call until the next start's recovery frees them.
            tracing::error!(agent = %offer.agent, error = format!("{error:#}"), "cannot change the agent's state");
            return;
        }
        self.publish(&offer.agent, state, reason);
        // A free agent is a call to start.
        self.dialer.wake();
    }

    fn publish(&self, agent: &str, state: AgentState, reason: Option<&str>) {
        self.dialer.publish(DialerEvent::AgentState {
            agent: agent.to_owned(),
            state: state.as_str().to_owned(),
            reason: reason.map(str::to_owned),
        });
    }
}
