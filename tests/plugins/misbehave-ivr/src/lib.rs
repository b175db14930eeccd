//! An IVR script that misbehaves when the call is answered, as its `mode` setting
//! says: `spin` loops forever, `panic` panics; otherwise it hangs up at once.

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
            _ => vec![Action::Hangup("DONE".into())],
        }
    }
}

impl Ivr for Misbehave {
    type Session = Call;
}

ringhost_sdk::ivr::export_ivr!(Misbehave);
