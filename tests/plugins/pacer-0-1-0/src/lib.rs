//! A pacer built for `ringhost:plugin@0.1.0`: two calls per ready agent, less the calls
//! on their way, times the `factor` in its configuration; it counts its questions in
//! its key-value store and logs the count, so that every import of 0.1.0 is called.

wit_bindgen::generate!({
    path: "wit",
    world: "pacer",
});

use exports::ringhost::plugin::pacing::{Guest, Snapshot};
use ringhost::plugin::{host, kv};

struct Old;

impl Guest for Old {
    fn pace(snapshot: Snapshot) -> u32 {
        let asked = kv::get("asked")
            .and_then(|bytes| Some(u64::from_le_bytes(bytes.try_into().ok()?)))
            .unwrap_or(0)
            + 1;
        kv::set("asked", &asked.to_le_bytes());
        host::log(host::Level::Debug, &format!("asked {asked} times"));
        let factor: u32 = host::config("factor")
            .and_then(|f| f.parse().ok())
            .unwrap_or(1);
        let on_their_way = snapshot.calls_dialing + snapshot.calls_ringing + snapshot.calls_queued;
        (2 * snapshot.agents_ready * factor).saturating_sub(on_their_way)
    }
}

export!(Old);
