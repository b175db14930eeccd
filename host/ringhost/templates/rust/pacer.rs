//! {{name}}: a pacer. Ringhost asks it, per campaign, how many calls to start now, and
//! clamps the answer to the free channels.

use ringhost_sdk::pacer::{Pacer, Snapshot};

struct Plugin;

impl Pacer for Plugin {
    fn pace(snapshot: Snapshot) -> u32 {
        // One call per ready agent, less the calls already on their way.
        let on_their_way = snapshot.calls_dialing + snapshot.calls_ringing + snapshot.calls_queued;
        snapshot.agents_ready.saturating_sub(on_their_way)
    }
}

ringhost_sdk::pacer::export_pacer!(Plugin);
