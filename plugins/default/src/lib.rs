//! The default disposition mapper: the ADS table of `ringhost-ads`, the same one the
//! host falls back to, so that installing this plugin changes nothing until it is
//! edited. A starting point for a mapper of one's own.

use ringhost_sdk::disposition::{AttemptResult, Disposition, Mapper, Outcome};

struct Default;

impl Mapper for Default {
    fn dispose(attempt: AttemptResult) -> Disposition {
        let decision = ringhost_ads::decide_attempt!(attempt, Outcome);
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
