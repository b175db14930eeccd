//! Live feeds: a board (the supervisor's, the wallboard's, an agent's desk) rendered
//! once after each burst of the dialer's changes and shared by every page that shows
//! it, then sent to each over server-sent events.
//!
//! Rendering once per board, not once per page, is what lets hundreds of open pages
//! follow the host: a change costs one read of the dialer and one render, then a copy
//! per page. A change after a quiet spell is rendered at once; a busy host's changes
//! are taken together, one board per `settle` at most. A feed runs while a page follows it and stops when the last one leaves.
//! Boards carry forms; they are rendered with [`CSRF_SLOT`] where the anti-forgery
//! token goes, and each page's stream puts its own session's token there.
//!
//! A board is always the host's state of the moment, so a page that connects, or
//! reconnects whatever `Last-Event-ID` it sends, gets the latest board at once and
//! needs nothing else.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::response::sse::Event;
use ringhost_dialer::events::DialerEvent;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;
use tokio_stream::Stream;

use crate::WebState;
use crate::language::Language;

/// What a board's forms carry where the session's anti-forgery token goes; each
/// page's stream replaces it. Control characters: no escaped text contains them.
pub(crate) const CSRF_SLOT: &str = "\u{1}csrf\u{1}";

/// A board, as one feed shows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum FeedKey {
    /// The supervisor's board, in a language.
    Supervisor(Language),
    /// The wallboard, in a language.
    Wallboard(Language),
    /// An agent's desk, in a language.
    Desk(String, Language),
}

/// A board rendered, and when to render it again if nothing changes before (a
/// wrap-up that ends by itself).
pub(crate) struct Rendered {
    /// The board's HTML, with [`CSRF_SLOT`] for the token.
    pub html: String,
    /// Render again after this long even without a change.
    pub again_in: Option<Duration>,
}

/// A rendered board, numbered.
type Latest = Option<(u64, Arc<str>)>;

/// The future a board's reader returns.
pub(crate) type Reading = Pin<Box<dyn Future<Output = anyhow::Result<Rendered>> + Send>>;

/// How a feed reads its board and which of the dialer's changes concern it.
pub(crate) struct Board {
    /// Reads and renders the board.
    pub read: Box<dyn Fn(WebState) -> Reading + Send + Sync>,
    /// Whether a change concerns the board (an agent's desk cares about that agent
    /// only); called in order, so it may remember what it saw.
    pub concerns: Box<dyn FnMut(&DialerEvent) -> bool + Send>,
    /// At most one board per this time: a change after a quiet spell is rendered at
    /// once, changes that follow a board closer than this wait for the end of it
    /// and make one board.
    pub settle: Duration,
}

/// The feeds running, by board.
#[derive(Default)]
pub struct Feeds {
    running: Mutex<HashMap<FeedKey, Arc<watch::Sender<Latest>>>>,
}

impl Feeds {
    /// How many feeds run now.
    pub fn running(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<FeedKey, Arc<watch::Sender<Latest>>>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A page's stream of `key`'s board: the latest at once, then each new one, as
/// `board` events with `csrf` in the token's place. `board` starts the feed when no
/// page follows it yet.
pub(crate) fn follow<B: FnOnce() -> Board>(
    state: &WebState,
    key: FeedKey,
    board: B,
    csrf: String,
) -> impl Stream<Item = Result<Event, Infallible>> + use<B> {
    let mut boards = subscribe(state, key, board);
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Event, Infallible>>(4);
    tokio::spawn(async move {
        loop {
            let latest = boards.borrow_and_update().clone();
            if let Some((id, html)) = latest {
                let event = Event::default()
                    .event("board")
                    .id(id.to_string())
                    .data(html.replace(CSRF_SLOT, &csrf));
                if sender.send(Ok(event)).await.is_err() {
                    return;
                }
            }
            // The feed stopped (the host is shutting down) or the page went away.
            tokio::select! {
                changed = boards.changed() => if changed.is_err() { return },
                () = sender.closed() => return,
            }
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(receiver)
}

/// A receiver of `key`'s boards, starting its feed if none runs.
fn subscribe(
    state: &WebState,
    key: FeedKey,
    board: impl FnOnce() -> Board,
) -> watch::Receiver<Latest> {
    let mut running = state.feeds.lock();
    if let Some(sender) = running.get(&key) {
        return sender.subscribe();
    }
    let (sender, receiver) = watch::channel(None);
    let sender = Arc::new(sender);
    running.insert(key.clone(), sender.clone());
    tokio::spawn(run(state.clone(), key, board(), sender));
    receiver
}

/// A feed: renders its board now, then after each burst of changes that concern it,
/// until no page follows it.
async fn run(state: WebState, key: FeedKey, mut board: Board, sender: Arc<watch::Sender<Latest>>) {
    let mut changes = state.dialer.subscribe();
    let mut id = 0u64;
    loop {
        let mut again_in = None;
        let rendered_at = tokio::time::Instant::now();
        match (board.read)(state.clone()).await {
            Ok(rendered) => {
                id += 1;
                again_in = rendered.again_in;
                sender.send_replace(Some((id, rendered.html.into())));
            }
            Err(error) => {
                tracing::error!(
                    error = format!("{error:#}"),
                    ?key,
                    "cannot read a live board"
                )
            }
        }
        // The next change that concerns the board, the time to render again, or the
        // last page gone.
        let again = async {
            match again_in {
                Some(after) => tokio::time::sleep(after).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(again);
        loop {
            tokio::select! {
                change = changes.recv() => match change {
                    Ok(event) if (board.concerns)(&event) => break,
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => break,
                    Err(RecvError::Closed) => return stop(&state, &key),
                },
                () = &mut again => break,
                () = sender.closed() => {
                    if stopped(&state, &key, &sender) {
                        return;
                    }
                }
            }
        }
        // At most one board per `settle`: at once after a quiet spell, else when the
        // last one is `settle` old (what changes meanwhile joins it).
        let settle = tokio::time::sleep_until(rendered_at + board.settle);
        tokio::pin!(settle);
        loop {
            tokio::select! {
                () = &mut settle => break,
                change = changes.recv() => if let Err(RecvError::Closed) = change {
                    return stop(&state, &key);
                },
            }
        }
    }
}

/// Removes the feed of `key` if no page follows it (checked under the lock new
/// pages subscribe under); whether it did.
fn stopped(state: &WebState, key: &FeedKey, sender: &watch::Sender<Latest>) -> bool {
    let mut running = state.feeds.lock();
    if sender.receiver_count() > 0 {
        return false;
    }
    running.remove(key);
    true
}

fn stop(state: &WebState, key: &FeedKey) {
    state.feeds.lock().remove(key);
}

/// Whether a change concerns agent `name`'s desk: their own states, the calls put
/// through to them (campaigns' and inbound), and those calls' ends (remembered by
/// attempt; an inbound call's end is the agent's next state).
pub(crate) fn concerns_agent(name: String) -> impl FnMut(&DialerEvent) -> bool + Send {
    let mut theirs: HashSet<i64> = HashSet::new();
    move |event| match event {
        DialerEvent::AgentState { agent, .. } => *agent == name,
        DialerEvent::CallConnected {
            agent, attempt_id, ..
        } if *agent == name => {
            theirs.insert(*attempt_id);
            true
        }
        DialerEvent::CallEnded { attempt_id, .. } => theirs.remove(attempt_id),
        DialerEvent::InboundConnected { agent, .. } => *agent == name,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_desk_hears_of_its_agent_and_its_calls_only() {
        let mut concerns = concerns_agent("bruno".into());
        let state = |agent: &str| DialerEvent::AgentState {
            agent: agent.into(),
            state: "ready".into(),
            reason: None,
        };
        let connected = |agent: &str, attempt_id| DialerEvent::CallConnected {
            campaign: "c".into(),
            attempt_id,
            agent: agent.into(),
            contact_id: 1,
            number: "+39".into(),
            variables: serde_json::Value::Null,
        };
        let ended = |attempt_id| DialerEvent::CallEnded {
            campaign: "c".into(),
            attempt_id,
            outcome: "ANSWER".into(),
            status: "ANSWER".into(),
        };
        assert!(concerns(&state("bruno")));
        assert!(!concerns(&state("carla")));
        assert!(!concerns(&connected("carla", 7)));
        assert!(concerns(&connected("bruno", 8)));
        assert!(!concerns(&ended(7)));
        assert!(concerns(&ended(8)));
        assert!(!concerns(&ended(8)), "each call ends once");
        let inbound = |agent: &str| DialerEvent::InboundConnected {
            inbound_id: 3,
            agent: agent.into(),
            caller: "+39".into(),
            line: "+3902".into(),
        };
        assert!(concerns(&inbound("bruno")));
        assert!(!concerns(&inbound("carla")));
    }
}
