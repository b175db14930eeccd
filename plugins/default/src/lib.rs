//! The default disposition mapper: the ADS table of `ringhost-ads`, the same one the
//! host falls back to, so that installing this plugin changes nothing until it is
//! edited. A starting point for a mapper of one's own.

use ringhost_sdk::disposition::{AttemptResult, Disposition, Mapper, Outcome};

struct Default;

impl Mapper for Default {
    fn dispose(attempt: AttemptResult) -> Disposition {
        let outcome = match attempt.outcome {
            Outcome::Answered => ringhost_ads::Outcome::Answered,
            Outcome::Busy => ringhost_ads::Outcome::Busy,
            Outcome::NoAnswer => ringhost_ads::Outcome::NoAnswer,
            Outcome::Congestion => ringhost_ads::Outcome::Congestion,
            Outcome::NoRoute => ringhost_ads::Outcome::NoRoute,
            Outcome::ChannelUnavailable => ringhost_ads::Outcome::ChannelUnavailable,
            Outcome::Cancelled => ringhost_ads::Outcome::Cancelled,
            Outcome::Failed => ringhost_ads::Outcome::Failed,
            Outcome::AnsweringMachine => ringhost_ads::Outcome::AnsweringMachine,
            Outcome::Fax => ringhost_ads::Outcome::Fax,
        };
        let policy = ringhost_ads::Policy {
            max_attempts: attempt.policy.max_attempts,
            wait_busy_s: attempt.policy.wait_busy_s,
            wait_no_answer_s: attempt.policy.wait_no_answer_s,
            wait_congestion_s: attempt.policy.wait_congestion_s,
            wait_other_s: attempt.policy.wait_other_s,
        };
        let decision = ringhost_ads::decide(
            outcome,
            attempt.attempt,
            policy,
            attempt.ivr_result.is_some(),
            attempt.confirmed,
        );
        Disposition {
            status: decision.status.to_owned(),
            retry: decision.retry,
            retry_after_s: decision.retry_after_s,
            tags: attempt.tags,
            do_not_call_until_ms: None,
        }
    }
}

ringhost_sdk::disposition::export_mapper!(Default);
