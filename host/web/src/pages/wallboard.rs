//! The wallboard (`/wallboard?token=...`): a read-only kiosk screen with no sign-in,
//! opened with a secret of its own (`[web] wallboard_token`; none: no wallboard). Large
//! figures per campaign in progress and per queue, and alarms when a threshold trips:
//! a campaign's abandon rate at 80% of its cap or more, a queue with more answered
//! calls waiting than agents ready. Live like the supervisor's board.

use std::convert::Infallible;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use ringhost_dialer::admin::CampaignStatus;
use serde::Deserialize;
use tokio_stream::Stream;

use super::supervisor::{campaigns_in_progress, live};
use super::{Frame, asked_language, error_page, failed, render};
use crate::WebState;
use crate::language::Language;
use crate::session::same_token;

/// An abandon rate this close to its cap (as a share of it) raises the alarm.
const ABANDON_ALARM: f64 = 0.8;

/// A campaign's tile.
struct CampaignTile {
    status: CampaignStatus,
    /// Its abandon-rate cap.
    cap: f64,
    alarm: bool,
}

/// A queue's tile.
struct QueueTile {
    queue: String,
    ready: u32,
    busy: u32,
    /// Answered calls of its campaigns waiting for an agent.
    waiting: u32,
    alarm: bool,
}

#[derive(Template)]
#[template(path = "wallboard_board.html")]
struct Wall {
    language: Language,
    campaigns: Vec<CampaignTile>,
    queues: Vec<QueueTile>,
}

impl Wall {
    fn tr(&self, it: &'static str, en: &'static str) -> &'static str {
        self.language.pick((it, en))
    }

    fn percent(&self, share: &f64) -> String {
        format!("{:.1}%", share * 100.0)
    }

    async fn read(state: &WebState, language: Language) -> anyhow::Result<Wall> {
        let mut campaigns = Vec::new();
        let mut waiting_by_queue: Vec<(String, u32)> = Vec::new();
        for (settings, status) in campaigns_in_progress(state).await? {
            if let Some(queue) = &settings.queue {
                match waiting_by_queue.iter_mut().find(|(q, _)| q == queue) {
                    Some((_, waiting)) => *waiting += status.calls_answered,
                    None => waiting_by_queue.push((queue.clone(), status.calls_answered)),
                }
            }
            let cap = settings.pacing.target_abandon_rate;
            campaigns.push(CampaignTile {
                alarm: cap > 0.0 && status.abandon_rate >= cap * ABANDON_ALARM,
                cap,
                status,
            });
        }
        let queues = state
            .dialer
            .queues()
            .await?
            .into_iter()
            .map(|info| {
                let waiting = waiting_by_queue
                    .iter()
                    .find(|(q, _)| *q == info.queue)
                    .map_or(0, |(_, w)| *w);
                QueueTile {
                    alarm: waiting > info.ready,
                    queue: info.queue,
                    ready: info.ready,
                    busy: info.busy,
                    waiting,
                }
            })
            .collect();
        Ok(Wall {
            language,
            campaigns,
            queues,
        })
    }
}

#[derive(Template)]
#[template(path = "wallboard.html")]
struct WallboardPage {
    frame: Frame,
    /// Where the page's events come from (with its token).
    stream: String,
    board: String,
}

/// The wallboard's secret, as the address carries it.
#[derive(Debug, Deserialize)]
pub struct Token {
    #[serde(default)]
    token: String,
}

/// Whether `token` opens the wallboard (compared in constant time); a refusal page if
/// not.
fn refuse(state: &WebState, token: &str, language: Language) -> Option<Response> {
    let open = state
        .settings
        .wallboard_token
        .as_deref()
        .is_some_and(|secret| same_token(secret, token));
    (!open).then(|| {
        tracing::warn!("wallboard refused: a wrong or missing token");
        let message = language.pick((
            "Il tabellone si apre con il suo indirizzo completo.",
            "The wallboard opens with its full address.",
        ));
        error_page(StatusCode::FORBIDDEN, language, message)
    })
}

/// `GET /wallboard?token=...`: the wallboard as it is now; it then follows the events.
pub async fn wallboard(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(Token { token }): Query<Token>,
) -> Response {
    let language = asked_language(&headers);
    if let Some(refused) = refuse(&state, &token, language) {
        return refused;
    }
    let board = match Wall::read(&state, language).await.map(|w| w.render()) {
        Ok(Ok(board)) => board,
        Ok(Err(error)) => return failed(&error.into(), "cannot render the wallboard"),
        Err(error) => return failed(&error, "cannot read the wallboard"),
    };
    let stream = format!(
        "/wallboard/events?token={}",
        percent_encoding::utf8_percent_encode(&token, percent_encoding::NON_ALPHANUMERIC)
    );
    render(&WallboardPage {
        frame: Frame::signed_out(language),
        stream,
        board,
    })
}

/// `GET /wallboard/events?token=...`: the wallboard's `board` events.
pub async fn wallboard_events(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(Token { token }): Query<Token>,
) -> Response {
    let language = asked_language(&headers);
    if let Some(refused) = refuse(&state, &token, language) {
        return refused;
    }
    Sse::new(walls(state, language))
        .keep_alive(KeepAlive::default())
        .into_response()
}

fn walls(state: WebState, language: Language) -> impl Stream<Item = Result<Event, Infallible>> {
    live(state, move |state| async move {
        Ok(Wall::read(&state, language).await?.render()?)
    })
}
