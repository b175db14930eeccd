//! An IVR script for the host's tests, doing what its `mode` setting says when the
//! call is answered: `spin` loops forever and `panic` panics (misbehaving on purpose);
//! `transfer-queue` and `transfer-extension` send the caller to the `target`
//! setting; otherwise it hangs up at once.

use ringhost_sdk::ivr::{Action, Event, Ivr, Session, host};

struct Misbehave;

struct Call;

impl Session for Call {
    fn new(_variables: Vec<(String, String)>) -> Call {
        Call
    }

    fn on_event(&self, event: Event) -> Vec<Action> {
        if !matches!(event, Event::Answered) {
            return Vec::new();
        }
        match host::config("mode").as_deref() {
            Some("spin") => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            Some("panic") => panic!("asked to panic"),
            Some("transfer-queue") => {
                vec![Action::TransferToQueue(
                    host::config("target").unwrap_or_default(),
                )]
            }
            Some("transfer-extension") => vec![Action::TransferToExtension(
                host::config("target").unwrap_or_default(),
            )],
            _ => vec![Action::Hangup("DONE".into())],
        }
    }
}

impl Ivr for Misbehave {
    type Session = Call;
}

ringhost_sdk::ivr::export_ivr!(Misbehave);
