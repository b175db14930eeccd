//! {{name}}: an IVR script. Each answered call gets a session holding the contact's
//! variables (the list's CSV columns, by header name); events come in, actions go out.

use ringhost_sdk::ivr::{Action, Collect, Event, Ivr, Session};

struct Plugin;

struct Call {
    message: String,
}

impl Session for Call {
    fn new(variables: Vec<(String, String)>) -> Call {
        let message = variables
            .into_iter()
            .find(|(name, _)| name == "message")
            .map_or_else(|| "message".to_owned(), |(_, value)| value);
        Call { message }
    }

    fn on_event(&self, event: Event) -> Vec<Action> {
        match event {
            Event::Answered => vec![
                Action::Play(vec![self.message.clone(), "press-1-to-confirm".to_owned()]),
                Action::Collect(Collect {
                    max_digits: 1,
                    terminator: None,
                    timeout_ms: 5000,
                }),
            ],
            Event::Collected(digits) if digits == "1" => {
                vec![Action::Confirm, Action::Hangup("CONFIRMED".to_owned())]
            }
            Event::Collected(_) | Event::Timeout => {
                vec![Action::Hangup("NOT_CONFIRMED".to_owned())]
            }
            _ => Vec::new(),
        }
    }
}

impl Ivr for Plugin {
    type Session = Call;
}

ringhost_sdk::ivr::export_ivr!(Plugin);
