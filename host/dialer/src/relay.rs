//! Every host's events on every host: hosts sharing a PostgreSQL database send their
//! events to each other over the store's feed (`NOTIFY`), so that the event stream
//! and every live page built on it show what all of them do. Each host hands its own
//! events to its listeners at once and sends them in the order they happened, so each
//! call's events (a call is one host's) keep their order everywhere.
//!
//! An event must fit in a notification: a screen pop whose contact's variables make
//! it too long goes to the other hosts without them (their pages show the call; the
//! agent's desk reads the contact from the store). On SQLite there is one host and
//! nothing to relay.

use anyhow::bail;
use ringhost_store::feed::MAX_MESSAGE;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::events::DialerEvent;
use crate::scheduler::Dialer;

/// The feed's channel.
const CHANNEL: &str = "ringhost_events";

/// One event as it travels.
#[derive(Debug, Serialize, Deserialize)]
struct Message {
    /// The host it happened on.
    host: String,
    event: DialerEvent,
}

impl Dialer {
    /// Relays this host's events to the other hosts on its database and theirs to this
    /// host's listeners, until `stop`. False on SQLite, where there is no other host.
    ///
    /// # Errors
    /// When the database cannot be reached, or events are relayed already.
    pub async fn relay_events(&self, stop: CancellationToken) -> anyhow::Result<bool> {
        let Some((mut sender, mut receiver)) = self.inner.store.feed(CHANNEL).await? else {
            return Ok(false);
        };
        let (outbox, mut outgoing) = mpsc::unbounded_channel();
        if self.inner.outbox.set(outbox).is_err() {
            bail!("this dialer's events are relayed already");
        }
        let host = self.inner.config.host.clone();
        let from = host.clone();
        let stopped = stop.clone();
        tokio::spawn(async move {
            loop {
                let event = tokio::select! {
                    () = stopped.cancelled() => break,
                    event = outgoing.recv() => event,
                };
                let Some(event) = event else { break };
                let Some(text) = encode(&from, event) else {
                    continue;
                };
                if let Err(error) = sender.send(&text).await {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "cannot send an event to the other hosts"
                    );
                }
            }
        });
        let events = self.inner.events.clone();
        tokio::spawn(async move {
            loop {
                let message = tokio::select! {
                    () = stop.cancelled() => break,
                    message = receiver.recv() => message,
                };
                match message.map(|text| serde_json::from_str::<Message>(&text)) {
                    Ok(Ok(message)) if message.host != host => {
                        let _ = events.send(message.event);
                    }
                    Ok(Ok(_)) => {}
                    Ok(Err(error)) => {
                        tracing::warn!(%error, "an event from another host cannot be read");
                    }
                    Err(error) => {
                        tracing::warn!(
                            error = format!("{error:#}"),
                            "cannot hear the other hosts' events; trying again"
                        );
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Ok(true)
    }
}

/// The event from `host` as a notification's text: without the contact's variables
/// when they make it too long; `None` (said in the log) when it is too long even so.
fn encode(host: &str, mut event: DialerEvent) -> Option<String> {
    let text = |event: DialerEvent| {
        serde_json::to_string(&Message {
            host: host.to_owned(),
            event,
        })
        .unwrap_or_default()
    };
    let whole = text(event.clone());
    if whole.len() <= MAX_MESSAGE {
        return Some(whole);
    }
    if let DialerEvent::CallAnswered { variables, .. }
    | DialerEvent::CallConnected { variables, .. } = &mut event
    {
        *variables = serde_json::Value::Object(Default::default());
    }
    let short = text(event);
    if short.len() <= MAX_MESSAGE {
        return Some(short);
    }
    tracing::warn!(
        bytes = short.len(),
        "an event too long to send to the other hosts"
    );
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_screen_pop_too_long_travels_without_its_variables() {
        let pop = |value: &str| DialerEvent::CallAnswered {
            campaign: "spring".into(),
            attempt_id: 7,
            contact_id: 3,
            number: "+390612345678".into(),
            variables: serde_json::json!({"note": value}),
        };
        let small = encode("a", pop("hello")).unwrap();
        let back: Message = serde_json::from_str(&small).unwrap();
        assert_eq!((back.host.as_str(), back.event), ("a", pop("hello")));
        let long = "x".repeat(10_000);
        let cut = encode("a", pop(&long)).unwrap();
        assert!(cut.len() <= MAX_MESSAGE);
        let back: Message = serde_json::from_str(&cut).unwrap();
        let DialerEvent::CallAnswered {
            variables,
            attempt_id,
            ..
        } = back.event
        else {
            panic!("{cut}");
        };
        assert_eq!((attempt_id, variables), (7, serde_json::json!({})));
        let name = DialerEvent::CampaignState {
            campaign: long,
            state: "running".into(),
        };
        assert_eq!(encode("a", name), None);
    }
}
