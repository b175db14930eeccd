//! A pacer that misbehaves the way its `mode` setting says: `spin` loops forever,
//! `hog` allocates until it is stopped, `panic` panics, anything else answers the
//! number in its `answer` setting (and logs it, and counts its calls in the
//! key-value store).

use ringhost_sdk::pacer::{Level, Pacer, Snapshot, host, kv};

struct Misbehave;

impl Pacer for Misbehave {
    fn pace(snapshot: Snapshot) -> u32 {
        match host::config("mode").as_deref() {
            Some("spin") => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            Some("hog") => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            Some("panic") => panic!("asked to panic"),
            _ => {
                let calls = kv::get("calls")
                    .map_or(0, |v| u32::from_le_bytes(v.try_into().unwrap_or_default()));
                kv::set("calls", &(calls + 1).to_le_bytes());
                let answer = host::config("answer")
                    .and_then(|a| a.parse().ok())
                    .unwrap_or(snapshot.agents_ready);
                host::log(
                    Level::Info,
                    &format!("answering {answer} for {}", snapshot.campaign),
                );
                answer
            }
        }
    }
}

ringhost_sdk::pacer::export_pacer!(Misbehave);
