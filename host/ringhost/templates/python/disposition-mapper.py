"""{{name}}: a disposition mapper. It turns the raw result of an attempt into a status
and says whether, and when, to try the contact again."""

from wit_world import exports
from wit_world.exports import dispositions as d


class Dispositions(exports.Dispositions):
    def dispose(self, attempt: d.AttemptResult) -> d.Disposition:
        policy = attempt.policy
        waits = {
            d.Outcome.BUSY: ("BUSY", policy.wait_busy_s),
            d.Outcome.NO_ANSWER: ("NOANSWER", policy.wait_no_answer_s),
            d.Outcome.CONGESTION: ("CONGESTION", policy.wait_congestion_s),
        }
        if attempt.outcome == d.Outcome.ANSWERED:
            status, wait = "ANSWERED", None
        else:
            status, wait = waits.get(attempt.outcome, ("FAILED", policy.wait_other_s))
        return d.Disposition(
            status=status,
            retry=wait is not None and attempt.attempt < policy.max_attempts,
            retry_after_s=wait or 0,
            tags=attempt.tags,
            do_not_call_until_ms=None,
        )
