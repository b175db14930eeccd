//! Ringhost's look-ahead pacer (`ringhost-lookahead`, the predictive plugin's own
//! code) run natively, asked with what the scheduler gives a look-ahead pacer: the
//! same figures the plugin reads through the WIT `look-ahead` interface, so the two
//! pace alike (a test in `tests/packages.rs` holds them to it).

use ringhost_lookahead::{Budget, Floor, Lookahead, Measured, Observed, Sample};
use ringhost_plugins::pacer;

use crate::engine::View;

use super::Pacer;

/// The look-ahead pacer with its state.
#[derive(Debug, Clone, Default)]
pub struct Predictive {
    state: Lookahead,
}

impl Predictive {
    /// A campaign's start.
    pub fn new() -> Predictive {
        Predictive {
            state: Lookahead::new(),
        }
    }
}

fn sample(s: pacer::Sample) -> Sample {
    Sample {
        count: s.count,
        mean_ms: s.mean_ms,
        cv: s.cv,
    }
}

impl Pacer for Predictive {
    fn name(&self) -> String {
        "predictive".into()
    }

    fn looks_ahead(&self) -> bool {
        true
    }

    fn reset(&mut self) -> anyhow::Result<()> {
        self.state = Lookahead::new();
        Ok(())
    }

    fn pace(&mut self, view: &View<'_>) -> u32 {
        let Some(ahead) = view.ahead else {
            return pacer::progressive(view.snapshot);
        };
        let (floor, m, window) = (&ahead.floor, &ahead.measured, &ahead.window);
        let observed = Observed {
            dials: m.dials,
            person_rate: m.person_rate,
            answer: sample(m.answer),
            talk: sample(m.talk),
            talks_ended: (m.talks_ended, m.talks_ended_ms as f64),
            wrap_ms: m.wrap_ms as f64,
            grace_ms: m.grace_ms as f64,
            ring_timeout_ms: m.ring_timeout_ms as f64,
        };
        let measured = Measured::estimate(&observed, &floor.talking_ms);
        let floor = Floor {
            agents_ready: view.snapshot.agents_ready,
            calls_waiting: view.snapshot.calls_queued,
            ringing_for_ms: &floor.ringing_ms,
            talking_for_ms: &floor.talking_ms,
            wrap_left_ms: &floor.wrap_left_ms,
            headroom: view.snapshot.channel_headroom,
        };
        let budget = Budget {
            target: view.snapshot.parameters.target_abandon_rate,
            answered: window.answered,
            dropped: window.abandoned,
        };
        self.state.dials(&floor, &measured, &budget)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::best_ratio;
    use crate::{Scenario, simulate};

    /// On the same seeds, the look-ahead pacer keeps every seed within 3% and keeps
    /// agents busier than the best fixed ratio that does.
    #[test]
    fn it_stays_within_the_rule_and_beats_the_best_ratio() {
        let scenario = Scenario {
            agents: 20,
            hours: 2.0,
            ..Scenario::default()
        };
        let ours = simulate(&scenario, &mut Predictive::new(), 3).unwrap();
        assert!(ours.within(0.03), "{:?}", ours.abandon.ftc);
        let ratio = best_ratio(&scenario, 3).unwrap();
        assert!(
            ours.occupancy.mean > ratio.occupancy.mean + 0.02,
            "{} vs {} ({})",
            ours.occupancy.mean,
            ratio.occupancy.mean,
            ratio.pacer
        );
    }
}
