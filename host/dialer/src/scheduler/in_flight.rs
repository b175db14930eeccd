//! A campaign's calls in progress: counted by stage for every pacer, and each call not
//! yet answered with the time it was placed, for a look-ahead pacer (each ringing
//! call's chance to be answered depends on how long it has rung).

use std::collections::HashMap;

use super::CallCounts;

/// Where a call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Stage {
    Dialing,
    Ringing,
    Answered,
    Talking,
}

/// One campaign's calls in progress.
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    counts: CallCounts,
    /// Calls placed and not yet answered: attempt id to when it was placed (ms).
    placed: HashMap<i64, i64>,
}

impl InFlight {
    /// The counts by stage.
    pub(super) fn counts(&self) -> CallCounts {
        self.counts
    }

    /// A call placed at `at_ms`: dialling.
    pub(super) fn placed(&mut self, attempt_id: i64, at_ms: i64) {
        self.counts.dialing += 1;
        self.placed.insert(attempt_id, at_ms);
    }

    /// A call moved on from `from` to `to`.
    pub(super) fn moved(&mut self, attempt_id: i64, from: Stage, to: Stage) {
        self.leave(from);
        *self.count(to) += 1;
        if to < Stage::Answered {
            return;
        }
        self.placed.remove(&attempt_id);
    }

    /// A call ended at `stage`.
    pub(super) fn ended(&mut self, attempt_id: i64, stage: Stage) {
        self.leave(stage);
        self.placed.remove(&attempt_id);
    }

    /// Each call not yet answered: the time since it was placed, ms.
    pub(super) fn ringing_ms(&self, now_ms: i64) -> Vec<u64> {
        self.placed
            .values()
            .map(|&at| (now_ms - at).max(0) as u64)
            .collect()
    }

    fn leave(&mut self, stage: Stage) {
        let left = self.count(stage);
        *left = left.saturating_sub(1);
    }

    fn count(&mut self, stage: Stage) -> &mut u32 {
        match stage {
            Stage::Dialing => &mut self.counts.dialing,
            Stage::Ringing => &mut self.counts.ringing,
            Stage::Answered => &mut self.counts.answered,
            Stage::Talking => &mut self.counts.talking,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_move_through_their_stages_and_unanswered_ones_keep_their_time() {
        let mut calls = InFlight::default();
        calls.placed(1, 1_000);
        calls.placed(2, 3_000);
        calls.moved(1, Stage::Dialing, Stage::Ringing);
        let mut ringing = calls.ringing_ms(5_000);
        ringing.sort_unstable();
        assert_eq!(ringing, [2_000, 4_000]);
        calls.moved(1, Stage::Ringing, Stage::Answered);
        assert_eq!(calls.ringing_ms(5_000), [2_000]);
        assert_eq!(
            calls.counts(),
            CallCounts {
                dialing: 1,
                answered: 1,
                ..CallCounts::default()
            }
        );
        calls.moved(1, Stage::Answered, Stage::Talking);
        calls.ended(2, Stage::Dialing);
        calls.ended(1, Stage::Talking);
        assert_eq!(calls.counts(), CallCounts::default());
        assert!(calls.ringing_ms(5_000).is_empty());
    }
}
