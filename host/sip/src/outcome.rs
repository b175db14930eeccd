//! The result of a call as a typed value, in the host's one vocabulary
//! ([`ringhost_ads::Outcome`], [`ringhost_ads::HangupBy`]): a final response is
//! classified here. No SIP message crosses this line, only the numbers a report needs
//! (SIP code, Q.850 cause).

pub use ringhost_ads::{HangupBy, Outcome};
use serde::{Serialize, Serializer};

/// Everything known about how an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallOutcome {
    /// The outcome class.
    #[serde(serialize_with = "outcome_name")]
    pub outcome: Outcome,
    /// The final SIP status of the INVITE, if one arrived.
    pub sip_code: Option<u16>,
    /// The Q.850 cause from a Reason header (final response or BYE), if any.
    pub q850_cause: Option<u16>,
    /// From the INVITE sent to the answer or the final response.
    pub ring_ms: u64,
    /// From the answer to the hang-up; 0 when not answered.
    pub talk_ms: u64,
    /// The trunk that carried the last INVITE, when the call went through a route.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trunk: Option<String>,
    /// Who hung up an answered call.
    #[serde(serialize_with = "hangup_name")]
    pub hangup_by: Option<HangupBy>,
}

fn outcome_name<S: Serializer>(outcome: &Outcome, to: S) -> Result<S::Ok, S::Error> {
    to.serialize_str(outcome.as_str())
}

fn hangup_name<S: Serializer>(by: &Option<HangupBy>, to: S) -> Result<S::Ok, S::Error> {
    match by {
        Some(by) => to.serialize_str(by.as_str()),
        None => to.serialize_none(),
    }
}

/// Classifies a final response to an INVITE (not a 2xx).
pub fn classify(code: u16, q850: Option<u16>) -> Outcome {
    match (code, q850) {
        (486 | 600, _) | (_, Some(17)) => Outcome::Busy,
        (404 | 484 | 604, _) | (_, Some(1 | 3 | 28)) => Outcome::NoRoute,
        (503, _) | (_, Some(34 | 38 | 41 | 42 | 44)) => Outcome::Congestion,
        (408 | 480, _) | (_, Some(18 | 19)) => Outcome::NoAnswer,
        (487, _) => Outcome::Cancelled,
        _ => Outcome::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_codes_dialers_care_about() {
        assert_eq!(classify(486, None), Outcome::Busy);
        assert_eq!(classify(600, None), Outcome::Busy);
        assert_eq!(classify(503, Some(34)), Outcome::Congestion);
        assert_eq!(classify(500, Some(34)), Outcome::Congestion);
        assert_eq!(classify(404, None), Outcome::NoRoute);
        assert_eq!(classify(484, None), Outcome::NoRoute);
        assert_eq!(classify(604, None), Outcome::NoRoute);
        assert_eq!(classify(408, None), Outcome::NoAnswer);
        assert_eq!(classify(480, None), Outcome::NoAnswer);
        assert_eq!(classify(403, None), Outcome::Failed);
        assert_eq!(classify(480, Some(17)), Outcome::Busy);
    }
}
