//! The result of a call attempt as a typed value: what the dialer, the disposition
//! mapper and the attempt record see. No SIP message crosses this line, only the
//! numbers a report needs (SIP code, Q.850 cause).

use serde::Serialize;

/// How an attempt ended, in the vocabulary of outbound dialers (ADS, TVox).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
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
    /// The trunk could not be reached or never answered the INVITE.
    ChannelUnavailable,
    /// We cancelled before the ring timeout (hang-up requested, shutdown).
    Cancelled,
    /// Any other failure.
    Failed,
}

/// Who ended an answered call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HangupBy {
    /// Ringhost sent the BYE.
    Local,
    /// The far end sent the BYE.
    Remote,
}

/// Everything known about how an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallOutcome {
    /// The outcome class.
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
    pub hangup_by: Option<HangupBy>,
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
