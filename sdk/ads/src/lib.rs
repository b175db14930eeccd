//! The vocabulary of a call's result (how it ended, who hung up) and the InstantVoice
//! ADS statuses it maps to: one definition, used by every crate of the host (the SIP
//! layer classifies into it, the call layer reports it, the dialer records it) and by
//! the `default` mapper plugin, so that the plugin and the built-in fallback can never
//! disagree. The WIT bindings have their own copies of the enums, converted at one
//! seam (the host's `ringhost_plugins::disposition`, a plugin's [`decide_attempt`]).

#![no_std]

/// How a call attempt ended (the ADS and TVox outcome vocabulary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The callee answered (2xx).
    Answered,
    /// 486 Busy Here, 600 Busy Everywhere, or Q.850 cause 17.
    Busy,
    /// Rang until the ring timeout and was cancelled, or 408 / 480.
    NoAnswer,
    /// 503, or Q.850 cause 34 (no circuit available) and its kin.
    Congestion,
    /// 404, 484, 604: the number does not exist.
    NoRoute,
    /// No channel could carry the call: the trunk could not be reached or never
    /// answered the INVITE.
    ChannelUnavailable,
    /// Ringhost cancelled it before the ring timeout (hang-up requested, shutdown).
    Cancelled,
    /// Anything else that failed.
    Failed,
    /// An answering machine took it.
    AnsweringMachine,
    /// A fax answered.
    Fax,
}

impl Outcome {
    /// The outcome's name in attempt records, metrics and JSON (`no_answer`).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::Busy => "busy",
            Outcome::NoAnswer => "no_answer",
            Outcome::Congestion => "congestion",
            Outcome::NoRoute => "no_route",
            Outcome::ChannelUnavailable => "channel_unavailable",
            Outcome::Cancelled => "cancelled",
            Outcome::Failed => "failed",
            Outcome::AnsweringMachine => "answering_machine",
            Outcome::Fax => "fax",
        }
    }
}

/// Who ended an answered call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HangupBy {
    /// Ringhost sent the BYE (the IVR, the agent's side, the hold time, shutdown).
    Ringhost,
    /// The far end of the call sent it: the callee (or, on an agent's leg, the
    /// agent's phone).
    Callee,
}

impl HangupBy {
    /// Its name in attempt records and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            HangupBy::Ringhost => "ringhost",
            HangupBy::Callee => "callee",
        }
    }
}

/// The list's retry policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Attempts allowed in all.
    pub max_attempts: u32,
    /// Seconds after a busy callee.
    pub wait_busy_s: u32,
    /// Seconds after no answer (and an answering machine).
    pub wait_no_answer_s: u32,
    /// Seconds after congestion or no channel.
    pub wait_congestion_s: u32,
    /// Seconds after anything else retried.
    pub wait_other_s: u32,
}

/// What the mapping decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// The ADS status.
    pub status: &'static str,
    /// Whether the contact gets another attempt.
    pub retry: bool,
    /// Seconds until it.
    pub retry_after_s: u32,
}

/// The default mapping: the ADS status of the outcome; a retry after the policy's wait
/// for outcomes worth retrying, while attempts remain. An answered call is done unless
/// an IVR ran and the callee did not confirm (`confirmation_expected`), which counts
/// as not reached.
pub fn decide(
    outcome: Outcome,
    attempt: u32,
    policy: Policy,
    confirmation_expected: bool,
    confirmed: bool,
) -> Decision {
    let (status, wait) = match outcome {
        Outcome::Answered if confirmation_expected && !confirmed => {
            ("NOT_CONFIRMED", Some(policy.wait_other_s))
        }
        Outcome::Answered => ("ANSWER", None),
        Outcome::Busy => ("BUSY", Some(policy.wait_busy_s)),
        Outcome::NoAnswer => ("NOANSWER", Some(policy.wait_no_answer_s)),
        Outcome::AnsweringMachine => ("ANSWERING_MACHINE", Some(policy.wait_no_answer_s)),
        Outcome::Congestion => ("CONGESTION", Some(policy.wait_congestion_s)),
        Outcome::ChannelUnavailable => ("CHANUNAVAIL", Some(policy.wait_congestion_s)),
        Outcome::Cancelled => ("CANCEL", Some(policy.wait_other_s)),
        Outcome::Failed => ("FAILED", Some(policy.wait_other_s)),
        Outcome::NoRoute => ("NOROUTE", None),
        Outcome::Fax => ("FAX", None),
    };
    let retry = wait.is_some() && attempt < policy.max_attempts;
    Decision {
        status,
        retry,
        retry_after_s: if retry { wait.unwrap_or(0) } else { 0 },
    }
}

/// [`decide`] for an attempt of the `ringhost:plugin` WIT types, whichever bindings
/// generated them (the host's wasmtime bindings, a plugin's wit-bindgen ones): the
/// attempt's `outcome` (of the enum type `$outcome`), `attempt`, `policy`,
/// `ivr_result` and `confirmed`. One conversion, written once, for both sides.
#[macro_export]
macro_rules! decide_attempt {
    ($attempt:expr, $outcome:ident) => {{
        let attempt = &$attempt;
        let outcome = match attempt.outcome {
            $outcome::Answered => $crate::Outcome::Answered,
            $outcome::Busy => $crate::Outcome::Busy,
            $outcome::NoAnswer => $crate::Outcome::NoAnswer,
            $outcome::Congestion => $crate::Outcome::Congestion,
            $outcome::NoRoute => $crate::Outcome::NoRoute,
            $outcome::ChannelUnavailable => $crate::Outcome::ChannelUnavailable,
            $outcome::Cancelled => $crate::Outcome::Cancelled,
            $outcome::Failed => $crate::Outcome::Failed,
            $outcome::AnsweringMachine => $crate::Outcome::AnsweringMachine,
            $outcome::Fax => $crate::Outcome::Fax,
        };
        let policy = $crate::Policy {
            max_attempts: attempt.policy.max_attempts,
            wait_busy_s: attempt.policy.wait_busy_s,
            wait_no_answer_s: attempt.policy.wait_no_answer_s,
            wait_congestion_s: attempt.policy.wait_congestion_s,
            wait_other_s: attempt.policy.wait_other_s,
        };
        $crate::decide(
            outcome,
            attempt.attempt,
            policy,
            attempt.ivr_result.is_some(),
            attempt.confirmed,
        )
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: Policy = Policy {
        max_attempts: 3,
        wait_busy_s: 300,
        wait_no_answer_s: 1800,
        wait_congestion_s: 60,
        wait_other_s: 600,
    };

    #[test]
    fn retries_until_the_last_attempt() {
        let busy = decide(Outcome::Busy, 1, POLICY, false, false);
        assert_eq!(
            busy,
            Decision {
                status: "BUSY",
                retry: true,
                retry_after_s: 300
            }
        );
        assert!(decide(Outcome::NoAnswer, 2, POLICY, false, false).retry);
        let last = decide(Outcome::NoAnswer, 3, POLICY, false, false);
        assert_eq!(
            last,
            Decision {
                status: "NOANSWER",
                retry: false,
                retry_after_s: 0
            }
        );
    }

    #[test]
    fn answered_unroutable_and_fax_are_final() {
        for outcome in [Outcome::Answered, Outcome::NoRoute, Outcome::Fax] {
            assert!(
                !decide(outcome, 1, POLICY, false, false).retry,
                "{outcome:?}"
            );
        }
        let unconfirmed = decide(Outcome::Answered, 1, POLICY, true, false);
        assert_eq!(
            unconfirmed,
            Decision {
                status: "NOT_CONFIRMED",
                retry: true,
                retry_after_s: 600
            }
        );
        assert_eq!(
            decide(Outcome::Answered, 1, POLICY, true, true).status,
            "ANSWER"
        );
    }
}
