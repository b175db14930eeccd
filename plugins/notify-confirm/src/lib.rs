//! The notification IVR of Kalliope's call campaigns: the message, then "press 1 to
//! confirm"; 1 confirms and thanks the callee; anything else, or nothing, plays it
//! again, up to `repeats` times, and the call ends `NOT_CONFIRMED`.
//!
//! The contact's CSV columns are the session's variables: a `message` column names
//! the prompt to play for that contact (a per-contact message), else the `message`
//! setting does.

use std::cell::Cell;

use ringhost_sdk::ivr::{Action, Collect, Event, Ivr, Session, host};

struct NotifyConfirm;

struct Call {
    message: String,
    played: Cell<u32>,
}

fn setting(key: &str, default: &str) -> String {
    host::config(key).unwrap_or_else(|| default.to_owned())
}

impl Call {
    /// The message and the question, then wait for one key.
    fn ask(&self) -> Vec<Action> {
        self.played.set(self.played.get() + 1);
        vec![
            Action::Play(vec![
                self.message.clone(),
                setting("ask", "press-1-to-confirm"),
            ]),
            Action::Collect(Collect {
                max_digits: 1,
                terminator: None,
                timeout_ms: setting("timeout-ms", "5000").parse().unwrap_or(5000),
            }),
        ]
    }

    fn again_or_give_up(&self) -> Vec<Action> {
        let repeats: u32 = setting("repeats", "3").parse().unwrap_or(3);
        if self.played.get() < repeats {
            self.ask()
        } else {
            vec![Action::Hangup("NOT_CONFIRMED".into())]
        }
    }
}

impl Session for Call {
    fn new(variables: Vec<(String, String)>) -> Call {
        let message = variables
            .into_iter()
            .find(|(name, value)| name == "message" && !value.is_empty())
            .map_or_else(|| setting("message", "message"), |(_, value)| value);
        Call {
            message,
            played: Cell::new(0),
        }
    }

    fn on_event(&self, event: Event) -> Vec<Action> {
        match event {
            Event::Answered => self.ask(),
            Event::Collected(digits) if digits == "1" => vec![
                Action::Confirm,
                Action::Tag("confirmed".into()),
                Action::Play(vec![setting("thanks", "thank-you")]),
                Action::Hangup("CONFIRMED".into()),
            ],
            Event::Collected(_) | Event::Timeout => self.again_or_give_up(),
            Event::Digit(_) | Event::PlaybackDone | Event::Hangup => Vec::new(),
        }
    }
}

impl Ivr for NotifyConfirm {
    type Session = Call;
}

ringhost_sdk::ivr::export_ivr!(NotifyConfirm);
