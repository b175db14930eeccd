//! Predictive pacing in the manner of VICIdial's adaptive dialer: a dial level (calls
//! per ready agent, before the answer rate) that rises while the abandon rate is under
//! its target and falls when it is over, adjusted at most once per interval, within
//! clamps. To have `level x ready` calls answered it places that many divided by the
//! answer rate.
//!
//! Settings (`[config]` of the package, or the campaign's `extra` parameters, which
//! win): `gain` (level change per point of abandon-rate error, default 20, so 1% under
//! target raises the level by 0.2), `interval-s` (default 15), `min-level` (1.0),
//! `max-level` (3.0). The level is kept in the plugin's key-value store per campaign.

use ringhost_sdk::pacer::{Pacer, Snapshot, host, kv};

struct Predictive;

fn setting(snapshot: &Snapshot, key: &str, default: f64) -> f64 {
    snapshot
        .parameters
        .extra
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .or_else(|| host::config(key))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn load(key: &str) -> Option<f64> {
    kv::get(key).and_then(|bytes| Some(f64::from_le_bytes(bytes.try_into().ok()?)))
}

impl Pacer for Predictive {
    fn pace(snapshot: Snapshot) -> u32 {
        let (min, max) = (
            setting(&snapshot, "min-level", 1.0),
            setting(&snapshot, "max-level", 3.0),
        );
        let level_key = format!("{}/level", snapshot.campaign);
        let when_key = format!("{}/adjusted", snapshot.campaign);
        let mut level = load(&level_key).unwrap_or(min);
        let now = host::now_ms() as f64;
        let interval_ms = setting(&snapshot, "interval-s", 15.0) * 1000.0;
        if load(&when_key).is_none_or(|last| now - last >= interval_ms) {
            let error = snapshot.parameters.target_abandon_rate - snapshot.abandon_rate;
            level = (level + setting(&snapshot, "gain", 20.0) * error).clamp(min, max);
            kv::set(&level_key, &level.to_le_bytes());
            kv::set(&when_key, &now.to_le_bytes());
        }
        let answer_rate = snapshot.answer_rate.max(0.1);
        let wanted = (f64::from(snapshot.agents_ready) * level / answer_rate).round() as u32;
        let on_their_way = snapshot.calls_dialing + snapshot.calls_ringing + snapshot.calls_queued;
        wanted.saturating_sub(on_their_way)
    }
}

ringhost_sdk::pacer::export_pacer!(Predictive);
