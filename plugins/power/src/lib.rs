//! Power pacing, with the meanings of the products Ringhost replaces:
//!
//! - TVox's ratio on *ready* or *present* agents: 0% is one call per agent, 100% two;
//! - ADS's global multiplier: 2 free agents x 3 = 6 calls;
//! - "only dial when queue members are free": nothing while no agent is ready;
//! - the campaign's cap on simultaneous calls.
//!
//! Calls already on their way (dialing, ringing, queued) count against the total.

use ringhost_sdk::pacer::{AgentBasis, Pacer, Snapshot};

struct Power;

impl Pacer for Power {
    fn pace(snapshot: Snapshot) -> u32 {
        let p = &snapshot.parameters;
        if p.only_when_agents_free && snapshot.agents_ready == 0 {
            return 0;
        }
        let agents = match p.ratio_on {
            AgentBasis::Ready => snapshot.agents_ready,
            AgentBasis::Present => snapshot.agents_present,
        };
        let multiplier = if p.multiplier > 0.0 {
            p.multiplier
        } else {
            1.0
        };
        let wanted = (f64::from(agents) * (100.0 + f64::from(p.ratio_percent)) / 100.0 * multiplier)
            .floor() as u32;
        let on_their_way = snapshot.calls_dialing + snapshot.calls_ringing + snapshot.calls_queued;
        let mut calls = wanted.saturating_sub(on_their_way);
        if p.max_calls > 0 {
            calls = calls.min(p.max_calls.saturating_sub(on_their_way));
        }
        calls
    }
}

ringhost_sdk::pacer::export_pacer!(Power);
