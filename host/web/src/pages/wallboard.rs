//! The wallboard (`/wallboard?token=...`): a read-only kiosk screen with no sign-in,
//! opened with a secret of its own (`[web] wallboard_token`; none: no wallboard). Large
//! figures per campaign in progress and per queue, and alarms when a threshold trips:
//! a campaign's abandon rate at 80% of its cap or more, a queue with more answered
//! calls waiting than agents ready, or whose longest wait is past
//! `[web] alerts.queue_wait_s`. Live like the supervisor's board; rendered again each
//! second too, since a wait's alarm trips with time alone.

use std::time::Duration;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use ringhost_dialer::admin::CampaignStatus;
use ringhost_dialer::events::DialerEvent;
use serde::Deserialize;

use super::floor::{CampaignLine, Floor};
use super::supervisor::duration;
use super::{Frame, asked_language, error_page, live_page};
use crate::WebState;
use crate::feed::{FeedKey, Rendered};
use crate::language::Language;
use crate::session::same_token;

/// At most one wall per this time (a quiet host's change is shown at once).
const SETTLE: Duration = Duration::from_millis(250);

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
    /// When the longest-waiting of them was answered.
    longest_since_ms: Option<i64>,
    /// More calls waiting than agents ready.
    few_agents: bool,
    /// The longest wait is past `[web] alerts.queue_wait_s`.
    long_wait: bool,
}

#[derive(Template)]
#[template(path = "wallboard_board.html")]
struct Wall {
    language: Language,
    /// The host's clock when the wall was read.
    now_ms: i64,
    /// When a queue's longest wait will trip its alarm, if one will.
    alarm_in: Option<Duration>,
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

    /// Time since `since_ms`, as of the board's moment.
    fn since(&self, since_ms: &i64) -> String {
        duration((self.now_ms - *since_ms) / 1000)
    }

    async fn read(state: &WebState, language: Language) -> anyhow::Result<Wall> {
        let floor = Floor::read(state).await?;
        let campaigns = floor
            .campaigns
            .into_iter()
            .map(|CampaignLine { settings, status }| {
                let cap = settings.pacing.target_abandon_rate;
                CampaignTile {
                    alarm: cap > 0.0 && status.abandon_rate >= cap * ABANDON_ALARM,
                    cap,
                    status,
                }
            })
            .collect();
        let longest_wait_ms = i64::from(state.settings.alerts.queue_wait_s) * 1000;
        let alarm_in = floor
            .queues
            .iter()
            .filter_map(|q| q.longest_since_ms)
            .map(|since| since + longest_wait_ms - floor.now_ms)
            .filter(|&left| longest_wait_ms > 0 && left >= 0)
            .min()
            .map(|left| Duration::from_millis(left as u64 + 50));
        let queues = floor
            .queues
            .into_iter()
            .map(|q| {
                let long_wait = longest_wait_ms > 0
                    && q.longest_since_ms
                        .is_some_and(|since| floor.now_ms - since > longest_wait_ms);
                QueueTile {
                    few_agents: q.waiting > q.info.ready,
                    long_wait,
                    queue: q.info.queue,
                    ready: q.info.ready,
                    busy: q.info.busy,
                    waiting: q.waiting,
                    longest_since_ms: q.longest_since_ms,
                }
            })
            .collect();
        Ok(Wall {
            language,
            alarm_in,
            now_ms: floor.now_ms,
            campaigns,
            queues,
        })
    }
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
    let stream = format!(
        "/wallboard/events?token={}",
        percent_encoding::utf8_percent_encode(&token, percent_encoding::NON_ALPHANUMERIC)
    );
    let title = language.pick(("Tabellone", "Wallboard"));
    let wall = Wall::read(&state, language);
    let frame = Frame::signed_out(language);
    live_page(
        frame,
        (title, "wallboard", stream),
        false,
        StatusCode::OK,
        None,
        wall,
    )
    .await
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
    let board = move || crate::feed::Board {
        read: Box::new(move |state| {
            Box::pin(async move {
                let wall = Wall::read(&state, language).await?;
                // The longest wait's alarm trips with time alone.
                Ok(Rendered {
                    again_in: wall.alarm_in,
                    html: wall.render()?,
                })
            })
        }),
        concerns: Box::new(|_: &DialerEvent| true),
        settle: SETTLE,
    };
    let boards = crate::feed::follow(&state, FeedKey::Wallboard(language), board, String::new());
    Sse::new(boards)
        .keep_alive(KeepAlive::default())
        .into_response()
}
