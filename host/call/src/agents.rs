//! The agents a queued call is put through to, as the call layer needs them: taken
//! one at a time for a call, let go of when they did not talk, released into wrap-up
//! when they did. The dialer keeps the agents (their states are in the store) and
//! implements [`Agents`]; this layer rings their phones and carries the audio.

use std::future::Future;
use std::pin::Pin;

/// A future an [`Agents`] method returns (boxed: the carrier holds the agents as a
/// trait object, handed with each call).
pub type AgentsFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The agents, as a queued call sees them.
pub trait Agents: Send + Sync {
    /// Takes the longest-idle free agent of `queue` for attempt `attempt_id`'s call
    /// (`None`: an inbound call, which is no attempt); they are on this call from
    /// now, so never on two at once. `None` when no agent of the queue is free.
    fn take<'a>(
        &'a self,
        queue: &'a str,
        attempt_id: Option<i64>,
    ) -> AgentsFuture<'a, anyhow::Result<Option<Offer>>>;

    /// Who is at `extension`: its agent, taken for attempt `attempt_id`'s call when
    /// free.
    fn take_at<'a>(
        &'a self,
        extension: &'a str,
        attempt_id: Option<i64>,
    ) -> AgentsFuture<'a, anyhow::Result<AtExtension>>;

    /// Lets go of an agent who did not talk to the caller, as `why` says.
    fn skip<'a>(&'a self, offer: &'a Offer, why: Skip) -> AgentsFuture<'a, ()>;

    /// The agent's call is over: their wrap-up begins.
    fn release<'a>(&'a self, offer: &'a Offer) -> AgentsFuture<'a, ()>;
}

/// An agent taken for one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// The agent's name.
    pub agent: String,
    /// The address of record their phone registers.
    pub extension: String,
    /// Since when they had been free (milliseconds since the epoch): given back when
    /// the call goes away before they talk, so they keep their place in line.
    pub free_since_ms: i64,
}

/// Who is at an extension a call is put through to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AtExtension {
    /// A free agent, now on this call.
    Agent(Offer),
    /// An agent who is not free (on a call, paused, away): their phone is not rung.
    Busy,
    /// No agent: a phone anyone may ring.
    NoAgent,
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
    /// abandoned): free again, in the place they had.
    CallGone,
}
