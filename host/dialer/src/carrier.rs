//! What the dialer asks of a call, and what it hears back: the seam between the
//! dialer (contacts, campaigns, channels) and telephony (SIP, media), which the binary
//! fills with trunks and legs. The dialer never sees a SIP message.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use ringhost_plugins::disposition::{HangupBy, Outcome};
use tokio::sync::mpsc;

use crate::ledger::Class;
use crate::queue::Queues;

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

/// What an answered call does.
#[derive(Debug, Clone, PartialEq)]
pub enum OnAnswer {
    /// Play a prompt (if any), ask for a confirmation by DTMF if `confirm`, hang up.
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
    /// never silence) while the longest-idle free agent's phone rings
    /// ([`Queues::take`]), and is bridged to the agent who answers. With no agent
    /// talking within `abandon_after`, the callee hears `message` and the call ends
    /// as abandoned; with abandoning off (zero), past `max_wait` it ends "closed by the
    /// system".
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
    /// Be sent to an extension (ADS).
    Extension(String),
    /// Nothing to do yet: hang up.
    HangUp,
}

/// A call's progress, reported as it happens so that the attempt is written at
/// every step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// The far end rings.
    Ringing,
    /// The callee answered.
    Answered,
    /// An agent answered and talks to the callee.
    Agent(String),
}

/// The queue result of an answered call that no agent took in time (a silent or
/// abandoned call, in the regulators' words): its number is not called again, by any
/// campaign, for the campaign's `abandoned_no_call_days`.
pub const ABANDONED: &str = "ABANDONED";

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
    /// The IVR's own result (its hang-up status).
    pub ivr_result: Option<String>,
    /// The queue's result (QUEUE_ANSWER, QUEUE_TIMEOUT, ...).
    pub queue_result: Option<String>,
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
}

/// The queue result of a call an agent took.
pub const QUEUE_ANSWER: &str = "QUEUE_ANSWER";

/// The queue result of a call that waited past the queue's maximum: "closed by the
/// system".
pub const QUEUE_TIMEOUT: &str = "QUEUE_TIMEOUT";

/// The queue result of a callee who hung up while waiting.
pub const QUEUE_HANGUP: &str = "QUEUE_HANGUP";

/// A boxed call in progress.
pub type Placing = Pin<Box<dyn Future<Output = CallReport> + Send>>;

/// Places calls: the binary's trunks and legs in the host, SIPp behind them in the
/// tests.
pub trait Carrier: Send + Sync + 'static {
    /// Places `call`, reporting progress on `progress`, and resolves when it is over.
    /// A queued call takes its agent from `queues`.
    fn place(
        &self,
        call: CallRequest,
        progress: mpsc::UnboundedSender<Progress>,
        queues: Queues,
    ) -> Placing;

    /// Whether `number` is reached inside the host (a registered extension, dialled
    /// without a trunk) or through a trunk: the ledger counts the two apart.
    fn class_of(&self, number: &str) -> Class {
        let _ = number;
        Class::External
    }
}
