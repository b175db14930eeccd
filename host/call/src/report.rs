//! What the dialer hears back from a call: its progress as it happens, and the report
//! once it is over, in the attempt record's vocabulary.

use std::time::Duration;

pub use ringhost_ads::{HangupBy, Outcome};
use ringhost_sip::CallOutcome;

/// A call's progress, reported as it happens so that the attempt is written at
/// every step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// The far end rings.
    Ringing,
    /// The callee answered.
    Answered,
    /// An agent (or the person at an extension) answered and talks to the callee.
    Agent(String),
}

/// How a queued call left its queue (TVox's queue results).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueResult {
    /// An agent took the call.
    Answer,
    /// It waited past the queue's maximum: "closed by the system".
    Timeout,
    /// The callee hung up while waiting.
    Hangup,
    /// No agent took it in time (a silent or abandoned call, in the regulators'
    /// words): its number is not called again, by any campaign, for the campaign's
    /// `abandoned_no_call_days`.
    Abandoned,
}

impl QueueResult {
    /// The name kept in the attempt record and shown by the API.
    pub fn as_str(self) -> &'static str {
        match self {
            QueueResult::Answer => "QUEUE_ANSWER",
            QueueResult::Timeout => "QUEUE_TIMEOUT",
            QueueResult::Hangup => "QUEUE_HANGUP",
            QueueResult::Abandoned => "ABANDONED",
        }
    }
}

/// What an IVR (a script, or the built-in message and confirmation) made of an
/// answered call, for the attempt record and the disposition mapper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IvrResult {
    /// The callee confirmed (pressed 1 after the built-in message).
    Confirmed,
    /// The callee heard the built-in message and did not confirm: retried.
    NotConfirmed,
    /// The script failed (trapped, ran out of time, could not start).
    Failed,
    /// The script sent the caller on (to a queue or an extension) without a status of
    /// its own.
    Transfer,
    /// The status the script hung up with, as it gave it.
    Script(String),
}

impl IvrResult {
    /// The name kept in the attempt record and handed to the mapper.
    pub fn as_str(&self) -> &str {
        match self {
            IvrResult::Confirmed => "CONFIRMED",
            IvrResult::NotConfirmed => "NOT_CONFIRMED",
            IvrResult::Failed => ringhost_plugins::ivr::IVR_FAILED,
            IvrResult::Transfer => "IVR_TRANSFER",
            IvrResult::Script(status) => status,
        }
    }
}

/// How a call went.
#[derive(Debug, Clone, PartialEq)]
pub struct CallReport {
    /// The raw outcome.
    pub outcome: Outcome,
    /// The final SIP code.
    pub sip_code: Option<u16>,
    /// The Q.850 cause.
    pub cause: Option<u16>,
    /// The trunk that carried it.
    pub trunk: Option<String>,
    /// Ringing time.
    pub ring: Duration,
    /// Talk time.
    pub talk: Duration,
    /// Who hung up an answered call.
    pub hangup_by: Option<HangupBy>,
    /// The callee confirmed (notification calls).
    pub confirmed: bool,
    /// The IVR's result, when one ran.
    pub ivr_result: Option<IvrResult>,
    /// The queue's result, when the call queued.
    pub queue_result: Option<QueueResult>,
    /// Tags set during the call.
    pub tags: Vec<String>,
    /// The agent who took it.
    pub agent: Option<String>,
}

impl CallReport {
    /// A call that could not be placed at all, with `outcome`.
    pub fn failed(outcome: Outcome) -> CallReport {
        CallReport {
            outcome,
            sip_code: None,
            cause: None,
            trunk: None,
            ring: Duration::ZERO,
            talk: Duration::ZERO,
            hangup_by: None,
            confirmed: false,
            ivr_result: None,
            queue_result: None,
            tags: Vec::new(),
            agent: None,
        }
    }

    /// The report of a call that ended as `outcome` says, before anything that
    /// happened after the answer is added.
    pub fn ended(outcome: CallOutcome) -> CallReport {
        CallReport {
            sip_code: outcome.sip_code,
            cause: outcome.q850_cause,
            trunk: outcome.trunk,
            ring: Duration::from_millis(outcome.ring_ms),
            talk: Duration::from_millis(outcome.talk_ms),
            hangup_by: outcome.hangup_by,
            ..CallReport::failed(outcome.outcome)
        }
    }
}

/// A call whose events stopped without an outcome (its task is gone).
pub(crate) fn no_outcome() -> CallOutcome {
    CallOutcome {
        outcome: Outcome::Failed,
        sip_code: None,
        q850_cause: None,
        ring_ms: 0,
        talk_ms: 0,
        trunk: None,
        hangup_by: None,
    }
}
