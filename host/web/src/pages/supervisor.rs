//! The supervisor's live view (`/supervisor`, supervisors and admins): every agent with
//! their state and its time, every campaign in progress with its calls by stage, rates
//! and contacts left, every queue with its agents ready, busy and paused, the host's
//! channels against its limits, and every trunk up or down with its channels in use.
//!
//! The page follows the host through server-sent events (`/supervisor/events`): the
//! whole board, rendered by the server, on connect and after every change the dialer
//! publishes (changes within a quarter of a second taken together). A board is always
//! the host's state of the moment, so a reconnect (whatever `Last-Event-ID` says)
//! needs nothing but the next board. No page polls; the times in states tick in the
//! browser.

use std::convert::Infallible;
use std::time::Duration;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use ringhost_dialer::admin::CampaignStatus;
use ringhost_dialer::agents::{Agent, AgentState, QueueInfo};
use ringhost_dialer::ledger::{Counts, Limits};
use ringhost_dialer::refusal::{AdminError, Refused};
use ringhost_dialer::settings::CampaignSettings;
use ringhost_sip::TrunkStatus;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use tokio_stream::Stream;

use super::{Frame, failed, render};
use crate::WebState;
use crate::language::Language;
use crate::session::Signed;

/// Changes published within this time after the first one make one board.
const SETTLE: Duration = Duration::from_millis(250);

/// Campaign states the live pages show: those that may place calls, or soon will.
const IN_PROGRESS: [&str; 3] = ["running", "paused", "scheduled"];

/// The campaigns in progress, each with its settings and its status: what the live
/// pages show of campaigns.
pub(crate) async fn campaigns_in_progress(
    state: &WebState,
) -> anyhow::Result<Vec<(CampaignSettings, CampaignStatus)>> {
    let mut campaigns = Vec::new();
    for row in state.store.campaigns().await? {
        if IN_PROGRESS.contains(&row.state.as_str()) {
            let settings = serde_json::from_str(&row.settings)?;
            campaigns.push((settings, state.dialer.status(row.id).await?));
        }
    }
    Ok(campaigns)
}

/// A queue as the board shows it.
struct QueueLine {
    info: QueueInfo,
    paused: usize,
}

/// Everything the board shows, read at one moment.
#[derive(Template)]
#[template(path = "supervisor_board.html")]
struct Board {
    language: Language,
    /// The session's anti-forgery token, for the actions' forms.
    csrf: String,
    /// The host's clock when the board was read, which the browser's ticking times
    /// start from.
    now_ms: i64,
    agents: Vec<Agent>,
    campaigns: Vec<CampaignStatus>,
    queues: Vec<QueueLine>,
    /// The host's channels: in use, and the limits (0: none).
    channels: Counts,
    /// Calls holding channels, internal and external.
    in_use: u32,
    limits: Limits,
    /// The trunks the host runs, with their state.
    trunks: Vec<TrunkStatus>,
}

impl Board {
    fn tr(&self, it: &'static str, en: &'static str) -> &'static str {
        self.language.pick((it, en))
    }

    /// Whether a supervisor may move `agent` to the state named `to`.
    fn may(&self, agent: &Agent, to: &str) -> bool {
        AgentState::parse(to).is_some_and(|to| agent.state.may_ask(to))
    }

    /// `used / limit`, or `used` alone when there is no limit.
    fn against(&self, used: &u32, limit: &u32) -> String {
        if *limit == 0 {
            used.to_string()
        } else {
            format!("{used} / {limit}")
        }
    }

    /// Time in a state entered at `since_ms`, as of the board's moment.
    fn since(&self, since_ms: &i64) -> String {
        duration((self.now_ms - *since_ms) / 1000)
    }

    /// Reads the board from the dialer and the store.
    async fn read(state: &WebState, language: Language, csrf: &str) -> anyhow::Result<Board> {
        let (agents, queues) = tokio::try_join!(state.dialer.agents(), state.dialer.queues())?;
        let campaigns = campaigns_in_progress(state)
            .await?
            .into_iter()
            .map(|(_, status)| status)
            .collect();
        let queues = queues
            .into_iter()
            .map(|info| QueueLine {
                paused: info
                    .agents
                    .iter()
                    .filter(|a| a.state == AgentState::Paused)
                    .count(),
                info,
            })
            .collect();
        let ledger = state.dialer.ledger();
        let channels = ledger.counts();
        Ok(Board {
            in_use: channels.internal + channels.external,
            channels,
            limits: ledger.limits(),
            trunks: state
                .trunks
                .as_ref()
                .map(|board| board.trunks.status())
                .unwrap_or_default(),
            language,
            csrf: csrf.to_owned(),
            now_ms: state.dialer.now_ms(),
            agents,
            campaigns,
            queues,
        })
    }
}

#[derive(Template)]
#[template(path = "supervisor.html")]
struct SupervisorPage {
    frame: Frame,
    /// Why the last action was refused.
    error: Option<String>,
    /// The board's HTML, rendered (and escaped) by its own template.
    board: String,
}

/// Supervisors and admins: those who may see both agents and campaigns.
fn refuse(signed: &Signed) -> Option<Response> {
    signed
        .refuse_unless_may("listAgents")
        .or_else(|| signed.refuse_unless_may("campaignStatus"))
}

/// The page with the board as it is now, and an action's refusal if any.
async fn supervisor_page(
    state: &WebState,
    signed: &Signed,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let board = match Board::read(state, signed.language, &signed.csrf).await {
        Ok(board) => board,
        Err(error) => return failed(&error, "cannot read the supervisor's board"),
    };
    match board.render() {
        Ok(board) => {
            let page = SupervisorPage {
                frame: Frame::of(signed),
                error,
                board,
            };
            (status, render(&page)).into_response()
        }
        Err(error) => failed(&error.into(), "cannot render the supervisor's board"),
    }
}

/// `GET /supervisor`: the board as it is now; the page then follows the events.
pub async fn supervisor(State(state): State<WebState>, signed: Signed) -> Response {
    if let Some(refused) = refuse(&signed) {
        return refused;
    }
    supervisor_page(&state, &signed, StatusCode::OK, None).await
}

/// The set-an-agent's-state form.
#[derive(Debug, Deserialize)]
pub struct StateChange {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    reason: String,
}

/// `POST /supervisor/agents/{name}/state`: sets an agent ready, paused (with a
/// reason) or logged out, recorded with who did it; back to the board.
pub async fn set_agent_state(
    State(state): State<WebState>,
    signed: Signed,
    Path(name): Path<String>,
    Form(change): Form<StateChange>,
) -> Response {
    let refused = refuse(&signed).or_else(|| signed.refuse_unless_may("setAgentState"));
    if let Some(refused) = refused.or_else(|| signed.refuse_forged(&change.csrf)) {
        return refused;
    }
    let to = match AgentState::parse(&change.state) {
        Some(to @ (AgentState::Ready | AgentState::Paused | AgentState::LoggedOut)) => to,
        _ => {
            let error = signed.language.pick((
                "Si può mettere un operatore pronto, in pausa o disconnetterlo.",
                "An agent can be set ready, paused or logged out.",
            ));
            return supervisor_page(
                &state,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(error.into()),
            )
            .await;
        }
    };
    let reason = Some(change.reason.as_str()).filter(|r| !r.trim().is_empty());
    let user = signed.user.name.clone();
    match state
        .dialer
        .set_agent_state_by(&user, &name, to, reason)
        .await
    {
        Ok(agent) => {
            tracing::info!(by = %user, agent = %agent.name, state = agent.state.as_str(), "agent's state set from the supervisor's board");
            Redirect::to("/supervisor").into_response()
        }
        Err(AdminError::Refused(Refused::NotFound(_))) => signed.not_found(),
        Err(AdminError::Refused(refused)) => {
            supervisor_page(
                &state,
                &signed,
                StatusCode::CONFLICT,
                Some(refused.to_string()),
            )
            .await
        }
        Err(AdminError::Failed(error)) => failed(&error, "cannot set an agent's state"),
    }
}

/// `GET /supervisor/events`: server-sent `board` events, each the board's HTML: one at
/// once, then one after each change.
pub async fn board_events(State(state): State<WebState>, signed: Signed) -> Response {
    if let Some(refused) = refuse(&signed) {
        return refused;
    }
    Sse::new(boards(state, signed.language, signed.csrf.clone()))
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// The boards: one now, then one per burst of changes, numbered.
fn boards(
    state: WebState,
    language: Language,
    csrf: String,
) -> impl Stream<Item = Result<Event, Infallible>> {
    live(state, move |state| {
        let csrf = csrf.clone();
        async move { Ok(Board::read(&state, language, &csrf).await?.render()?) }
    })
}

/// A live page's stream: `read(state)`'s HTML now, then again after each burst of the
/// dialer's changes, as `board` events numbered from 1. A read that fails is logged
/// and skipped; the next change tries again.
pub(crate) fn live<R, Fut>(
    state: WebState,
    read: R,
) -> impl Stream<Item = Result<Event, Infallible>>
where
    R: Fn(WebState) -> Fut + Send + 'static,
    Fut: Future<Output = anyhow::Result<String>> + Send + 'static,
{
    let mut changes = state.dialer.subscribe();
    async_stream(move |sender| async move {
        let mut id = 0u64;
        loop {
            match read(state.clone()).await {
                Ok(html) => {
                    id += 1;
                    let event = Event::default()
                        .event("board")
                        .id(id.to_string())
                        .data(html);
                    if sender.send(Ok(event)).await.is_err() {
                        return;
                    }
                }
                Err(error) => {
                    tracing::error!(error = format!("{error:#}"), "cannot read a live board")
                }
            }
            // The next change, then whatever follows it within SETTLE.
            match changes.recv().await {
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            }
            let settle = tokio::time::sleep(SETTLE);
            tokio::pin!(settle);
            loop {
                tokio::select! {
                    () = &mut settle => break,
                    change = changes.recv() => if let Err(RecvError::Closed) = change { return },
                }
            }
        }
    })
}

/// A stream fed by a task writing to a channel: the task ends when the page goes away
/// (its sends fail).
fn async_stream<F, Fut>(task: F) -> impl Stream<Item = Result<Event, Infallible>>
where
    F: FnOnce(tokio::sync::mpsc::Sender<Result<Event, Infallible>>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    tokio::spawn(task(sender));
    tokio_stream::wrappers::ReceiverStream::new(receiver)
}

/// Seconds as `h:mm:ss`, or `m:ss` under an hour.
fn duration(seconds: i64) -> String {
    let s = seconds.max(0);
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}
