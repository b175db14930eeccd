//! What happens in the dialer, as it happens: the event stream that agents' screens
//! and supervisors' views follow (`/api/v1/events`). An answered call carries the
//! contact's data (the list's columns, the exchange table's data): the screen pop.
//!
//! Events go out on a broadcast channel; a listener that falls behind loses the
//! oldest ones rather than slowing the calls down.

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::scheduler::Dialer;

/// Events kept for a listener that falls behind.
const BACKLOG: usize = 1024;

/// One thing that happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum DialerEvent {
    /// A call's attempt is written and its call placed.
    CallStarted {
        /// The campaign.
        campaign: String,
        /// The attempt.
        attempt_id: i64,
        /// The contact.
        contact_id: i64,
        /// The number dialled.
        number: String,
    },
    /// The far end rings.
    CallRinging {
        /// The campaign.
        campaign: String,
        /// The attempt.
        attempt_id: i64,
    },
    /// The callee answered: the screen pop.
    CallAnswered {
        /// The campaign.
        campaign: String,
        /// The attempt.
        attempt_id: i64,
        /// The contact.
        contact_id: i64,
        /// The number.
        number: String,
        /// The contact's variables, by header name.
        variables: serde_json::Value,
    },
    /// An agent answered the call and talks to the callee: the screen pop on their
    /// desk.
    CallConnected {
        /// The campaign.
        campaign: String,
        /// The attempt.
        attempt_id: i64,
        /// The agent.
        agent: String,
        /// The contact.
        contact_id: i64,
        /// The number.
        number: String,
        /// The contact's variables, by header name.
        variables: serde_json::Value,
    },
    /// An agent answered an inbound call (to one of the host's numbers): the screen
    /// pop on their desk. Its end is the agent's next state.
    InboundConnected {
        /// The inbound call's record.
        inbound_id: i64,
        /// The agent.
        agent: String,
        /// The caller.
        caller: String,
        /// The number they called.
        line: String,
    },
    /// The call is over and recorded.
    CallEnded {
        /// The campaign.
        campaign: String,
        /// The attempt.
        attempt_id: i64,
        /// The raw outcome.
        outcome: String,
        /// The disposition's status.
        status: String,
    },
    /// A campaign changed state.
    CampaignState {
        /// The campaign.
        campaign: String,
        /// Its new state.
        state: String,
    },
    /// An agent changed state.
    AgentState {
        /// The agent.
        agent: String,
        /// The new state.
        state: String,
        /// Why, for a pause.
        reason: Option<String>,
    },
}

/// The sending side, held by the dialer.
pub(crate) fn channel() -> broadcast::Sender<DialerEvent> {
    broadcast::channel(BACKLOG).0
}

impl Dialer {
    /// Every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<DialerEvent> {
        self.inner.events.subscribe()
    }

    /// Tells whoever listens (nobody listening is fine).
    pub(crate) fn publish(&self, event: DialerEvent) {
        self.inner.publish(event);
    }
}

impl crate::scheduler::Inner {
    /// Tells this host's listeners, and the other hosts' when events are relayed
    /// (`crate::relay`).
    pub(crate) fn publish(&self, event: DialerEvent) {
        if let Some(outbox) = self.outbox.get() {
            let _ = outbox.send(event.clone());
        }
        let _ = self.events.send(event);
    }
}
