//! Ringhost's predictive pacer: look-ahead pacing (the `ringhost-lookahead` crate,
//! after Samuelson 1999). A new call is placed only while the chance that its person,
//! should one answer, finds no agent within the grace stays under a bound, computed
//! from each ringing call's time so far and each agent's time on their call; the bound
//! is steered so the campaign's abandon rate spends its budget over the window and
//! never more.
//!
//! The host asks through `look-ahead` with the floor and what it has measured; asked
//! through plain `pacing` (a 0.1.0 host, `ringhost plugin pace`), the calls and agents
//! are taken as just begun and the rates as assumed, and the bound is not steered.
//!
//! The bound and the counts it was steered on are kept per campaign in memory and in
//! the plugin's key-value store (so a reload of the plugin goes on where it was).

use std::cell::RefCell;
use std::collections::HashMap;

use ringhost_lookahead::{Budget, Floor, Lookahead, Measured, Observed, Sample};

wit_bindgen::generate!({
    path: "../../wit",
    world: "look-ahead-pacer",
});

use exports::ringhost::plugin::look_ahead::{self as wit, Guest as LookAhead};
use exports::ringhost::plugin::pacing::{Guest as Pacer, Snapshot};
use ringhost::plugin::kv;

struct Predictive;

thread_local! {
    /// Each campaign's state, with the tables of its distributions (rebuilt only when
    /// the measurements move).
    static STATES: RefCell<HashMap<String, Lookahead>> = RefCell::new(HashMap::new());
}

/// Asks the campaign's look-ahead state, kept between questions.
fn dials(
    snapshot: &Snapshot,
    floor: &Floor<'_>,
    measured: &Measured,
    budget: Option<Budget>,
) -> u32 {
    let key = format!("{}/look-ahead", snapshot.campaign);
    STATES.with_borrow_mut(|states| {
        let state = states.entry(key.clone()).or_insert_with(|| {
            kv::get(&key).map_or_else(Lookahead::new, |bytes| Lookahead::from_bytes(&bytes))
        });
        // Without the window's counts the bound stays where it was steered.
        let budget = budget.unwrap_or(Budget {
            target: snapshot.parameters.target_abandon_rate,
            answered: state.seen.0,
            dropped: state.seen.1,
        });
        let dials = state.dials(floor, measured, &budget);
        kv::set(&key, &state.to_bytes());
        dials
    })
}

fn sample(s: wit::Sample) -> Sample {
    Sample {
        count: s.count,
        mean_ms: s.mean_ms,
        cv: s.cv,
    }
}

impl LookAhead for Predictive {
    fn pace(snapshot: Snapshot, floor: wit::Floor, m: wit::Measured, window: wit::Window) -> u32 {
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
        let budget = Budget {
            target: snapshot.parameters.target_abandon_rate,
            answered: window.answered,
            dropped: window.abandoned,
        };
        let floor = Floor {
            agents_ready: snapshot.agents_ready,
            calls_waiting: snapshot.calls_queued,
            ringing_for_ms: &floor.ringing_ms,
            talking_for_ms: &floor.talking_ms,
            wrap_left_ms: &floor.wrap_left_ms,
            headroom: snapshot.channel_headroom,
        };
        dials(&snapshot, &floor, &measured, Some(budget))
    }
}

impl Pacer for Predictive {
    fn pace(snapshot: Snapshot) -> u32 {
        let ringing = vec![0; (snapshot.calls_dialing + snapshot.calls_ringing) as usize];
        let talking = vec![0; snapshot.agents_busy as usize];
        let assumed = Measured::default();
        let measured = Measured {
            person_rate: if snapshot.answer_rate > 0.0 {
                snapshot.answer_rate
            } else {
                1.0
            },
            talk_mean_ms: if snapshot.mean_handle_ms > 0 {
                (snapshot.mean_handle_ms as f64 - assumed.wrap_ms).max(1_000.0)
            } else {
                assumed.talk_mean_ms
            },
            ..assumed
        };
        let floor = Floor {
            agents_ready: snapshot.agents_ready,
            calls_waiting: snapshot.calls_queued,
            ringing_for_ms: &ringing,
            talking_for_ms: &talking,
            wrap_left_ms: &[],
            headroom: snapshot.channel_headroom,
        };
        dials(&snapshot, &floor, &measured, None)
    }
}

export!(Predictive);
