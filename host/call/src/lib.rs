//! Ringhost's call layer: a call's life once the dialer hands it a request.
//!
//! The dialer decides who is called and when; it hands a [`CallRequest`] to a
//! [`Carrier`] and hears back [`Progress`] and a [`CallReport`]. The
//! [`TrunkCarrier`] places the request through the trunks as a [`Leg`] (a SIP call and
//! its media), follows it until answered, then hands the answered call to one handler:
//!
//! - `notify`: a notification's message and its confirmation by DTMF;
//! - `ivr`: an IVR plugin's script driving the call;
//! - `queued`: the call put through to a person (a queue's longest-idle free agent,
//!   taken from [`Agents`], or an extension), with music on hold, abandonment and the
//!   maximum wait;
//! - `desk`: a call an agent asked for from their desk, the other way round: the
//!   agent's phone first, the callee dialled once they answer, then bridged.
//!
//! The other way in, `inbound` answers calls to the host's own numbers and puts them
//! through `queued` to agents ([`InboundCall`]).
//!
//! A bridged call can be monitored: `monitor` rings a supervisor's registered phone
//! and puts it on the call to listen, whisper to the agent or barge in
//! ([`Carrier::monitor`]).
//!
//! Everything a call needs from the host is one [`CallContext`]. This crate knows
//! SIP and media through their crates' calls and events, never a message, and no
//! SQL: agents' states are the dialer's, behind [`Agents`].
//!
//! [`probe`] is `ringhost dial`'s call: a trunk tested with one call (a prompt,
//! digits, a bridge) or a signalling load.

pub mod agents;
pub mod carrier;
pub mod context;
mod desk;
pub mod inbound;
mod ivr;
pub mod leg;
pub mod monitor;
mod notify;
pub mod probe;
pub mod prompts;
mod queued;
pub mod report;
pub mod request;

pub use agents::{Agents, AtExtension, Offer, Skip};
pub use carrier::{Carrier, Monitoring, Placing, TrunkCarrier};
pub use context::{CallContext, MediaSettings};
pub use desk::AGENT_UNANSWERED;
pub use inbound::{InboundCall, InboundCalls, InboundQueue};
pub use leg::{Leg, LegEvent};
pub use monitor::{BridgedCalls, MonitorMode, MonitorRefusal};
pub use prompts::Prompts;
pub use report::{CallReport, HangupBy, IvrResult, Outcome, Progress, QueueResult};
pub use request::{CallRequest, Class, OnAnswer};
