//! Progressive pacing: a call for each ready agent that has none on its way, so that no
//! answered call waits for an agent (no abandoned calls) at the cost of agents' idle
//! time while calls ring.

use ringhost_sdk::pacer::{Pacer, Snapshot};

struct Progressive;

impl Pacer for Progressive {
    fn pace(snapshot: Snapshot) -> u32 {
        let on_their_way = snapshot.calls_dialing + snapshot.calls_ringing + snapshot.calls_queued;
        snapshot.agents_ready.saturating_sub(on_their_way)
    }
}

ringhost_sdk::pacer::export_pacer!(Progressive);
