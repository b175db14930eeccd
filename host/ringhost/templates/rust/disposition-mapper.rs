//! {{name}}: a disposition mapper. It turns the raw result of an attempt into a status
//! and says whether, and when, to try the contact again.

use ringhost_sdk::disposition::{AttemptResult, Disposition, Mapper, Outcome};

struct Plugin;

impl Mapper for Plugin {
    fn dispose(attempt: AttemptResult) -> Disposition {
        let policy = &attempt.policy;
        let (status, wait) = match attempt.outcome {
            Outcome::Answered => ("ANSWERED", None),
            Outcome::Busy => ("BUSY", Some(policy.wait_busy_s)),
            Outcome::NoAnswer => ("NOANSWER", Some(policy.wait_no_answer_s)),
            Outcome::Congestion => ("CONGESTION", Some(policy.wait_congestion_s)),
            _ => ("FAILED", Some(policy.wait_other_s)),
        };
        Disposition {
            status: status.to_owned(),
            retry: wait.is_some() && attempt.attempt < policy.max_attempts,
            retry_after_s: wait.unwrap_or(0),
            tags: attempt.tags,
            do_not_call_until_ms: None,
        }
    }
}

ringhost_sdk::disposition::export_mapper!(Plugin);
