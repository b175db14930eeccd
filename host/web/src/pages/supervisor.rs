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

use std::time::Duration;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use ringhost_dialer::MonitorMode;
use ringhost_dialer::agents::{Agent, AgentState};
use ringhost_dialer::events::DialerEvent;
use ringhost_dialer::ledger::{Counts, Limits};
use ringhost_dialer::refusal::{AdminError, Refused};
use ringhost_dialer::settings::Strategy;
use ringhost_sip::TrunkStatus;
use serde::Deserialize;

use super::floor::{AgentLine, CampaignLine, Floor, QueueLine};
use super::{Frame, failed, live_page};
use crate::feed::{self, CSRF_SLOT, FeedKey, Rendered};
use crate::language::Language;
use crate::session::Signed;
use crate::{Alerts, WebState};

/// At most one board per this time (a quiet host's change is shown at once).
const SETTLE: Duration = Duration::from_millis(250);

/// Everything the board shows, read at one moment.
#[derive(Template)]
#[template(path = "supervisor_board.html")]
struct Board {
    language: Language,
    /// The anti-forgery token for the actions' forms ([`CSRF_SLOT`] in a feed's
    /// board).
    csrf: String,
    /// The host's clock when the board was read, which the browser's ticking times
    /// start from.
    now_ms: i64,
    agents: Vec<AgentLine>,
    campaigns: Vec<CampaignLine>,
    queues: Vec<QueueLine>,
    /// The host's channels: in use, and the limits (0: none).
    channels: Counts,
    /// Calls holding channels, internal and external.
    in_use: u32,
    limits: Limits,
    /// The trunks the host runs, with their state.
    trunks: Vec<TrunkStatus>,
    /// How long an agent may stay in a state before their row is coloured.
    alerts: Alerts,
}

impl Board {
    fn tr(&self, it: &'static str, en: &'static str) -> &'static str {
        self.language.pick((it, en))
    }

    /// The ways of listening in, by name.
    fn modes(&self) -> [&'static str; 3] {
        MonitorMode::ALL.map(MonitorMode::as_str)
    }

    /// A way of listening in, in words.
    fn mode_name(&self, mode: &&str) -> &'static str {
        self.language.pick(match *mode {
            "whisper" => ("Suggerisci", "Whisper"),
            "barge" => ("Intervieni", "Barge in"),
            _ => ("Ascolta", "Listen"),
        })
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

    /// Time since `since_ms`, as of the board's moment.
    fn since(&self, since_ms: &i64) -> String {
        duration((self.now_ms - *since_ms) / 1000)
    }

    /// Milliseconds as `h:mm:ss`.
    fn ms(&self, ms: &i64) -> String {
        duration(*ms / 1000)
    }

    /// Milliseconds an agent may stay in their state before the alert (0: never).
    fn alert_ms(&self, agent: &Agent) -> i64 {
        self.alerts.after_ms(agent.state)
    }

    /// Whether an agent has been in their state past the alert.
    fn over(&self, agent: &Agent) -> bool {
        let after = self.alert_ms(agent);
        after > 0 && self.now_ms - agent.since_ms > after
    }

    /// The pacing as the board names it: the strategy and its main parameter.
    fn pacing(&self, line: &CampaignLine) -> String {
        let p = &line.settings.pacing;
        match &p.strategy {
            Strategy::Fixed => format!("fixed ({})", line.settings.max_calls),
            Strategy::Progressive if p.ratio_percent > 0 => {
                format!("progressive +{}%", p.ratio_percent)
            }
            Strategy::Progressive => "progressive".to_owned(),
            Strategy::Plugin(name) => format!(
                "{name} ({} {:.1}%)",
                self.tr("obiettivo", "target"),
                p.target_abandon_rate * 100.0
            ),
        }
    }

    /// The pacing's level now: calls in progress per agent working (ready or busy)
    /// in the campaign's queue.
    fn level(&self, line: &CampaignLine) -> String {
        let s = &line.status;
        let calls = s.calls_dialing + s.calls_ringing + s.calls_answered + s.calls_talking;
        let agents = line
            .settings
            .queue
            .as_deref()
            .and_then(|q| self.queues.iter().find(|l| l.info.queue == q))
            .map_or(0, |l| l.info.ready + l.info.busy);
        if agents == 0 {
            calls.to_string()
        } else {
            format!("{:.2}", f64::from(calls) / f64::from(agents))
        }
    }

    /// A campaign's calls holding channels.
    fn calls(&self, line: &CampaignLine) -> u32 {
        let s = &line.status;
        s.calls_dialing + s.calls_ringing + s.calls_answered + s.calls_talking
    }

    /// A campaign's channels reserved (its share of the dialer's).
    fn reserved(&self, line: &CampaignLine) -> u32 {
        self.limits.dialer_channels * line.settings.reserved_percent / 100
    }

    /// Whether a campaign's abandon rate is over its cap.
    fn abandon_over(&self, line: &CampaignLine) -> bool {
        line.status.abandon_rate > line.settings.pacing.target_abandon_rate
    }

    /// Reads the board from the dialer and the store.
    async fn read(state: &WebState, language: Language, csrf: &str) -> anyhow::Result<Board> {
        let floor = Floor::read(state).await?;
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
            now_ms: floor.now_ms,
            agents: floor.agents,
            campaigns: floor.campaigns,
            queues: floor.queues,
            alerts: state.settings.alerts,
        })
    }
}

/// The refusal of an action of the board: not a supervisor or admin, not allowed
/// `operation`, or a form without the session's token.
fn refuse_action(signed: &Signed, operation: &str, csrf: &str) -> Option<Response> {
    refuse(signed)
        .or_else(|| signed.refuse_unless_may(operation))
        .or_else(|| signed.refuse_forged(csrf))
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
    let title = signed.language.pick(("Supervisione", "Supervisor"));
    let board = Board::read(state, signed.language, &signed.csrf);
    let page = (title, "supervisor", "/supervisor/events".to_owned());
    live_page(Frame::of(signed), page, true, status, error, board).await
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
    if let Some(refused) = refuse_action(&signed, "setAgentState", &change.csrf) {
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
    let user = &signed.user.name;
    let done = state
        .dialer
        .set_agent_state_by(user, &name, to, reason)
        .await
        .map(|agent| {
            tracing::info!(by = %user, agent = %agent.name, state = agent.state.as_str(), "agent's state set from the supervisor's board");
        });
    after_action(&state, &signed, done, "cannot set an agent's state").await
}

/// The listen-in form: the mode, and the supervisor's phone to ring when starting.
#[derive(Debug, Deserialize)]
pub struct MonitorForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    mode: String,
    /// Empty: change the mode of a supervisor already on the call.
    #[serde(default)]
    extension: String,
}

/// `POST /supervisor/agents/{name}/monitor`: rings the supervisor's phone onto the
/// call the agent is on in a mode, or changes the mode; back to the board.
pub async fn monitor(
    State(state): State<WebState>,
    signed: Signed,
    Path(name): Path<String>,
    Form(form): Form<MonitorForm>,
) -> Response {
    if let Some(refused) = refuse_action(&signed, "monitorCall", &form.csrf) {
        return refused;
    }
    let Some(mode) = MonitorMode::parse(&form.mode) else {
        let error = signed.language.pick((
            "Si ascolta, si suggerisce all'operatore o si interviene.",
            "You can listen, whisper to the agent or barge in.",
        ));
        return supervisor_page(
            &state,
            &signed,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(error.into()),
        )
        .await;
    };
    let user = &signed.user.name;
    let extension = form.extension.trim();
    let done = if extension.is_empty() {
        state.dialer.set_monitor_mode(user, &name, mode).await
    } else {
        state
            .dialer
            .monitor(user, &name, extension, mode)
            .await
            .map(|_| ())
    };
    let step = mode.as_str();
    listened(&signed, &name, step, &done);
    after_action(&state, &signed, done, "cannot listen in on a call").await
}

/// The stop form.
#[derive(Debug, Deserialize)]
pub struct StopForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /supervisor/agents/{name}/monitor/stop`: hangs up the supervisor listening
/// to the agent's call.
pub async fn stop_monitor(
    State(state): State<WebState>,
    signed: Signed,
    Path(name): Path<String>,
    Form(form): Form<StopForm>,
) -> Response {
    if let Some(refused) = refuse_action(&signed, "stopMonitor", &form.csrf) {
        return refused;
    }
    let done = state.dialer.stop_monitor(&signed.user.name, &name).await;
    listened(&signed, &name, "stop", &done);
    after_action(&state, &signed, done, "cannot listen in on a call").await
}

/// Logs a listen-in step that was taken.
fn listened(signed: &Signed, agent: &str, step: &str, done: &Result<(), AdminError>) {
    if done.is_ok() {
        tracing::info!(by = %signed.user.name, %agent, step, "listening in from the supervisor's board");
    }
}

/// Back to the board after an action, or the board with the action's refusal; a
/// failure of the host is logged as `failure`.
async fn after_action(
    state: &WebState,
    signed: &Signed,
    done: Result<(), AdminError>,
    failure: &str,
) -> Response {
    match done {
        Ok(()) => Redirect::to("/supervisor").into_response(),
        Err(AdminError::Refused(Refused::NotFound(_))) => signed.not_found(),
        Err(AdminError::Refused(refused)) => {
            supervisor_page(
                state,
                signed,
                StatusCode::CONFLICT,
                Some(refused.to_string()),
            )
            .await
        }
        Err(AdminError::Failed(error)) => failed(&error, failure),
    }
}

/// `GET /supervisor/events`: server-sent `board` events, each the board's HTML: the
/// latest at once, then one after each burst of changes.
pub async fn board_events(State(state): State<WebState>, signed: Signed) -> Response {
    if let Some(refused) = refuse(&signed) {
        return refused;
    }
    let language = signed.language;
    let board = move || feed::Board {
        read: Box::new(move |state| {
            Box::pin(async move {
                let html = Board::read(&state, language, CSRF_SLOT).await?.render()?;
                Ok(Rendered {
                    html,
                    again_in: None,
                })
            })
        }),
        concerns: Box::new(|_: &DialerEvent| true),
        settle: SETTLE,
    };
    let boards = feed::follow(
        &state,
        FeedKey::Supervisor(language),
        board,
        signed.csrf.clone(),
    );
    Sse::new(boards)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// Seconds as `h:mm:ss`, or `m:ss` under an hour.
pub(crate) fn duration(seconds: i64) -> String {
    let s = seconds.max(0);
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}
