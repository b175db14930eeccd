//! What the dialer asks of a call: the number, the route, and what happens once the
//! callee answers. The dialer builds these from a campaign's settings and a contact;
//! it never sees a SIP message.

use std::time::Duration;

use crate::agents::Offer;

/// One call the dialer wants placed.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRequest {
    /// The attempt it belongs to (written before this request exists).
    pub attempt_id: i64,
    /// The campaign's name, for logs.
    pub campaign: String,
    /// The number, E.164.
    pub number: String,
    /// The caller ID to present.
    pub caller_id: Option<String>,
    /// The route whose trunks may carry it; the default route when unset.
    pub route: Option<String>,
    /// Given up as no answer after this long ringing.
    pub ring_timeout: Duration,
    /// What happens once the callee answers.
    pub on_answer: OnAnswer,
    /// The contact's variables, by header name.
    pub variables: Vec<(String, String)>,
}

/// What an answered call does: one handler of the call layer each.
#[derive(Debug, Clone, PartialEq)]
pub enum OnAnswer {
    /// Play a prompt (if any), ask for a confirmation by DTMF if `confirm`, hang up;
    /// or let an IVR plugin drive the call.
    Notify {
        /// A WAV file.
        audio: Option<String>,
        /// Ask the callee to press 1.
        confirm: bool,
        /// How long the callee has to press it, after the message.
        confirm_wait: Duration,
        /// The IVR plugin that drives the call instead, when set.
        ivr: Option<String>,
    },
    /// Join an agents' queue: the callee hears `music` (comfort noise when unset,
    /// never silence) while the longest-idle free agent's phone rings, and is
    /// bridged to the agent who answers. With no agent talking within
    /// `abandon_after`, the callee hears `message` and the call ends as abandoned;
    /// with abandoning off (zero), past `max_wait` it ends "closed by the system".
    Queue {
        /// The queue's name.
        queue: String,
        /// How long an answered call may wait for an agent (the regulators' 2 s);
        /// zero for no limit but `max_wait`.
        abandon_after: Duration,
        /// The longest wait in the queue.
        max_wait: Duration,
        /// How long an agent's phone rings before the agent is skipped.
        agent_ring: Duration,
        /// The prompt an abandoned callee hears.
        message: Option<String>,
        /// What a waiting callee hears, looped; comfort noise when unset.
        music: Option<String>,
    },
    /// Be sent to an extension (ADS's dial to an extension after answer).
    Extension(String),
    /// A call from an agent's desk (click-to-call): `agent`, taken for this call by
    /// the dialer, has their registered phone rung first; only once they answer is
    /// the callee dialled, and on the callee's answer the two are bridged. An agent
    /// who does not answer means no call to the callee at all.
    Desk {
        /// The agent who asked for the call.
        agent: Offer,
        /// How long their phone rings before the call is given up.
        agent_ring: Duration,
    },
    /// Nothing to do: hang up.
    HangUp,
}

/// Whether a number is reached inside the host (a registered extension, dialled
/// without a trunk) or through a trunk: Kalliope's limits count the two apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// An extension of this host.
    Internal,
    /// A number beyond a trunk.
    External,
}
