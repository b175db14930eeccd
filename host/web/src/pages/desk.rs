//! The agent's desk (`/agent`, users who are an agent): their state and its time,
//! always the host's; logging in (present in every queue they belong to), ready, a
//! pause with a reason from `[web] pause_reasons`, logging out. The call they are on
//! (the screen pop: the contact's columns, the campaign, the attempt's number, a timer,
//! a link into the CRM), the wrap-up's countdown, the disposition of their last call
//! (a status from the campaign's list, tags, a note, a call-back to them or to anyone),
//! and their calls and times of the day. While ready or paused, a call of their own
//! (click-to-call): a number typed, or a contact of the preview, through a campaign
//! whose queue they are in; their phone rings first.
//!
//! The desk follows the host like the supervisor's board: a feed of its own, rendered
//! again at once when the agent's state changes or a call is put through to them (the
//! screen pop), and when their wrap-up ends by itself.

use std::time::Duration;

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use ringhost_dialer::agents::{Agent, AgentState};
use ringhost_dialer::desk::{AgentDay, Disposition, EndedCall, InboundPop, ScreenPop};
use ringhost_dialer::desk_call::{DeskCampaign, DeskTarget, PreviewContact};
use ringhost_dialer::refusal::{AdminError, Refused};
use ringhost_store::attempt::AttemptRow;
use serde::Deserialize;

use super::floor::day_start;
use super::supervisor::duration;
use super::{Frame, failed, live_page};
use crate::WebState;
use crate::campaign_form::{read_moment, write_moment};
use crate::feed::{self, CSRF_SLOT, FeedKey, Rendered, concerns_agent};
use crate::language::Language;
use crate::session::Signed;

/// At most one desk per this time (a call put through is a state change and a
/// screen pop at once).
const SETTLE: Duration = Duration::from_millis(20);

/// The calls of the day a desk lists.
const CALLS_SHOWN: i64 = 50;

/// The contacts of each campaign a desk previews.
const PREVIEWED: u32 = 5;

/// What the desk shows, read at one moment.
#[derive(Template)]
#[template(path = "desk_board.html")]
struct Desk {
    language: Language,
    csrf: String,
    /// The host's clock when the desk was read.
    now_ms: i64,
    zone: chrono_tz::Tz,
    agent: Agent,
    /// The queues the agent belongs to.
    queues: Vec<String>,
    pause_reasons: Vec<String>,
    /// The call they are on.
    call: Option<ScreenPop>,
    /// The inbound call they are on (no campaign's).
    inbound: Option<InboundPop>,
    /// Their last ended call of the day, for its disposition.
    last: Option<EndedCall>,
    day: AgentDay,
    /// Their calls of the day, newest first, with their campaigns' names.
    calls: Vec<(AttemptRow, String)>,
    /// The campaigns they may call through from the desk, each with its next due
    /// contacts: only while they are ready or paused.
    dial: Vec<(DeskCampaign, Vec<PreviewContact>)>,
    /// A call from the desk that was refused, shown again beside its form.
    dialled: Dialled,
}

/// A refused call from the desk: why, and what the agent had chosen and typed, so
/// that nothing is lost.
#[derive(Debug, Default)]
struct Dialled {
    error: Option<String>,
    campaign_id: i64,
    number: String,
}

impl Desk {
    fn tr(&self, it: &'static str, en: &'static str) -> &'static str {
        self.language.pick((it, en))
    }

    /// The agent's state, in words.
    fn state_name(&self) -> &'static str {
        state_name(self.agent.state, self.language)
    }

    /// Whether the agent may ask for the state named `to` now.
    fn may(&self, to: &str) -> bool {
        AgentState::parse(to).is_some_and(|to| self.agent.state.may_ask(to))
    }

    /// Time since `since_ms`, as of the desk's moment.
    fn since(&self, since_ms: &i64) -> String {
        duration((self.now_ms - *since_ms) / 1000)
    }

    /// Time until `at_ms`, as of the desk's moment.
    fn until(&self, at_ms: &i64) -> String {
        duration((*at_ms - self.now_ms) / 1000)
    }

    /// Milliseconds as `h:mm:ss`.
    fn ms(&self, ms: &i64) -> String {
        duration(*ms / 1000)
    }

    /// When the agent's wrap-up ends, while they are in one.
    fn wrap_up_ends_ms(&self) -> Option<i64> {
        (self.agent.state == AgentState::WrapUp)
            .then(|| self.agent.since_ms + self.agent.wrap_up_s * 1000)
    }

    /// The screen pop's variables as `(column, value)`, by column name.
    fn variables(&self, call: &ScreenPop) -> Vec<(String, String)> {
        match &call.variables {
            serde_json::Value::Object(map) => map
                .iter()
                .map(|(k, v)| {
                    let value = match v {
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    (k.clone(), value)
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// A moment as `HH:MM` in the panel's zone.
    fn clock(&self, at_ms: &Option<i64>) -> String {
        at_ms
            .map(|at| write_moment(at, self.zone))
            .and_then(|at| at.split_once('T').map(|(_, time)| time.to_owned()))
            .unwrap_or_default()
    }

    /// A moment as `YYYY-MM-DD HH:MM` in the panel's zone.
    fn moment(&self, at_ms: &i64) -> String {
        write_moment(*at_ms, self.zone).replacen('T', " ", 1)
    }

    /// A previewed contact's columns, as `column: value` pairs on one line.
    fn summary(&self, contact: &PreviewContact) -> String {
        match &contact.variables {
            serde_json::Value::Object(map) => map
                .iter()
                .map(|(k, v)| match v {
                    serde_json::Value::String(s) => format!("{k}: {s}"),
                    other => format!("{k}: {other}"),
                })
                .collect::<Vec<_>>()
                .join(" · "),
            _ => String::new(),
        }
    }

    /// The tags of an attempt, comma-separated, as the form writes them.
    fn tags(&self, attempt: &AttemptRow) -> String {
        serde_json::from_str::<Vec<String>>(&attempt.tags)
            .unwrap_or_default()
            .join(", ")
    }

    async fn read(
        state: &WebState,
        name: &str,
        language: Language,
        csrf: &str,
    ) -> anyhow::Result<Desk> {
        let dialer = &state.dialer;
        let now_ms = dialer.now_ms();
        let today = day_start(state.settings.time_zone, now_ms);
        let agent = dialer
            .agents()
            .await?
            .into_iter()
            .find(|a| a.name == name)
            .ok_or_else(|| anyhow::anyhow!("agent {name:?} is gone"))?;
        let (call, inbound, last, mut days, calls, queues, campaigns) = tokio::try_join!(
            async { Ok::<_, anyhow::Error>(dialer.screen_pop(name).await?) },
            async { Ok(dialer.inbound_pop(name).await?) },
            async { Ok(dialer.last_call(name, today).await?) },
            async { Ok(dialer.agents_days(today).await?) },
            async { Ok(dialer.calls_of_agent(name, today, CALLS_SHOWN).await?) },
            async { Ok(dialer.queues().await?) },
            state.store.campaigns(),
        )?;
        let dial = if matches!(agent.state, AgentState::Ready | AgentState::Paused) {
            let mut dial = Vec::new();
            for campaign in dialer.desk_campaigns(name).await? {
                let preview = dialer
                    .preview_contacts(name, campaign.id, PREVIEWED)
                    .await?;
                dial.push((campaign, preview));
            }
            dial
        } else {
            Vec::new()
        };
        let campaign_name = |id: i64| {
            campaigns
                .iter()
                .find(|c| c.id == id)
                .map_or_else(|| id.to_string(), |c| c.name.clone())
        };
        Ok(Desk {
            language,
            csrf: csrf.to_owned(),
            now_ms,
            zone: state.settings.time_zone,
            queues: queues
                .into_iter()
                .filter(|q| q.agents.iter().any(|a| a.name == name))
                .map(|q| q.queue)
                .collect(),
            pause_reasons: state.settings.pause_reasons.clone(),
            call,
            inbound,
            last,
            day: days.remove(name).unwrap_or_default(),
            calls: calls
                .into_iter()
                .map(|a| {
                    let campaign = campaign_name(a.start.campaign_id);
                    (a, campaign)
                })
                .collect(),
            agent,
            dial,
            dialled: Dialled::default(),
        })
    }

    /// When the desk must be rendered again without a change: as its wrap-up ends.
    fn again_in(&self) -> Option<Duration> {
        let ends = self.wrap_up_ends_ms()?;
        Some(Duration::from_millis(
            (ends - self.now_ms).max(0) as u64 + 50,
        ))
    }
}

/// An agent's state in words.
fn state_name(state: AgentState, language: Language) -> &'static str {
    language.pick(match state {
        AgentState::LoggedOut => ("Disconnesso", "Logged out"),
        AgentState::Present => ("Presente, non pronto", "Logged in, not ready"),
        AgentState::Ready => ("Pronto", "Ready"),
        AgentState::OnCall => ("In chiamata", "On a call"),
        AgentState::WrapUp => ("Post-chiamata", "Wrap-up"),
        AgentState::Paused => ("In pausa", "Paused"),
    })
}

/// The agent the signed-in user is; `None` for users who are no agent.
fn agent_of(signed: &Signed) -> Option<String> {
    signed
        .role
        .allows("agentCall")
        .then(|| signed.user.agent.clone())
        .flatten()
}

/// The page refusing a user who is no agent: they have no desk.
fn no_desk(signed: &Signed) -> Response {
    signed.refuse_unless_may("agentCall").unwrap_or_else(|| {
        super::error_page(
            StatusCode::FORBIDDEN,
            signed.language,
            signed.language.pick((
                "Questo utente non è un operatore: non ha una postazione.",
                "This user is not an agent: they have no desk.",
            )),
        )
    })
}

/// The agent a desk's form acts for: the user's agent, if they may call `operation`
/// and the form carries their anti-forgery token; the refusal otherwise.
fn acting_agent(signed: &Signed, operation: &str, csrf: &str) -> Result<String, Box<Response>> {
    let name = agent_of(signed).ok_or_else(|| Box::new(no_desk(signed)))?;
    match signed
        .refuse_unless_may(operation)
        .or_else(|| signed.refuse_forged(csrf))
    {
        Some(refused) => Err(Box::new(refused)),
        None => Ok(name),
    }
}

/// The desk page as it is now, with an action's refusal if any.
async fn desk_page(
    state: &WebState,
    signed: &Signed,
    name: &str,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    call_page(state, signed, name, status, error, Dialled::default()).await
}

/// The desk page as it is now, with an action's refusal if any, and a refused call
/// from the desk beside its form.
async fn call_page(
    state: &WebState,
    signed: &Signed,
    name: &str,
    status: StatusCode,
    error: Option<String>,
    dialled: Dialled,
) -> Response {
    let title = signed.language.pick(("Postazione", "Desk"));
    let desk = async {
        let mut desk = Desk::read(state, name, signed.language, &signed.csrf).await?;
        desk.dialled = dialled;
        Ok(desk)
    };
    let page = (title, "desk", "/agent/events".to_owned());
    live_page(Frame::of(signed), page, false, status, error, desk).await
}

/// `GET /agent`: the desk as it is now; the page then follows its feed.
pub async fn desk(State(state): State<WebState>, signed: Signed) -> Response {
    match agent_of(&signed) {
        Some(name) => desk_page(&state, &signed, &name, StatusCode::OK, None).await,
        None => no_desk(&signed),
    }
}

/// `GET /agent/events`: the desk's `board` events.
pub async fn desk_events(State(state): State<WebState>, signed: Signed) -> Response {
    let Some(name) = agent_of(&signed) else {
        return no_desk(&signed);
    };
    let language = signed.language;
    let key = FeedKey::Desk(name.clone(), language);
    let board = move || feed::Board {
        concerns: Box::new(concerns_agent(name.clone())),
        read: Box::new(move |state| {
            let name = name.clone();
            Box::pin(async move {
                let desk = Desk::read(&state, &name, language, CSRF_SLOT).await?;
                Ok(Rendered {
                    again_in: desk.again_in(),
                    html: desk.render()?,
                })
            })
        }),
        settle: SETTLE,
    };
    Sse::new(feed::follow(&state, key, board, signed.csrf.clone()))
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// The desk's state form.
#[derive(Debug, Deserialize)]
pub struct StateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    reason: String,
}

/// `POST /agent/state`: the agent logs in, makes themself ready, pauses with one of
/// the configured reasons, or logs out.
pub async fn set_state(
    State(state): State<WebState>,
    signed: Signed,
    Form(form): Form<StateForm>,
) -> Response {
    let name = match acting_agent(&signed, "setAgentState", &form.csrf) {
        Ok(name) => name,
        Err(refused) => return *refused,
    };
    let language = signed.language;
    let to = match AgentState::parse(&form.state) {
        Some(
            to @ (AgentState::Present
            | AgentState::Ready
            | AgentState::Paused
            | AgentState::LoggedOut),
        ) => to,
        _ => {
            let error = language.pick((
                "Si può accedere, essere pronti, in pausa o disconnettersi.",
                "You can log in, be ready, pause or log out.",
            ));
            return desk_page(
                &state,
                &signed,
                &name,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(error.into()),
            )
            .await;
        }
    };
    let reason = form.reason.trim();
    if to == AgentState::Paused && !state.settings.pause_reasons.iter().any(|r| r == reason) {
        let error = language.pick((
            "Scegli il motivo della pausa dall'elenco.",
            "Pick the reason for the pause from the list.",
        ));
        return desk_page(
            &state,
            &signed,
            &name,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(error.into()),
        )
        .await;
    }
    let reason = (to == AgentState::Paused).then_some(reason);
    let user = signed.user.name.clone();
    match state
        .dialer
        .set_agent_state_by(&user, &name, to, reason)
        .await
    {
        Ok(_) => Redirect::to("/agent").into_response(),
        Err(AdminError::Refused(refused)) => {
            desk_page(
                &state,
                &signed,
                &name,
                StatusCode::CONFLICT,
                Some(refused.to_string()),
            )
            .await
        }
        Err(AdminError::Failed(error)) => failed(&error, "cannot set an agent's state"),
    }
}

/// The desk's disposition form.
#[derive(Debug, Deserialize)]
pub struct DispositionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    attempt_id: i64,
    #[serde(default)]
    status: String,
    /// Comma-separated.
    #[serde(default)]
    tags: String,
    #[serde(default)]
    note: String,
    /// A date and time in the panel's zone; empty: no call-back.
    #[serde(default)]
    reschedule: String,
    /// `me`: the call-back goes to this agent; anyone's otherwise.
    #[serde(default)]
    to: String,
}

/// `POST /agent/disposition`: the agent's word on a call they took.
pub async fn set_disposition(
    State(state): State<WebState>,
    signed: Signed,
    Form(form): Form<DispositionForm>,
) -> Response {
    let name = match acting_agent(&signed, "setDisposition", &form.csrf) {
        Ok(name) => name,
        Err(refused) => return *refused,
    };
    let language = signed.language;
    let refuse = |error: &'static str| {
        desk_page(
            &state,
            &signed,
            &name,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(error.to_owned()),
        )
    };
    let reschedule_at_ms = match form.reschedule.trim() {
        "" => None,
        raw => match read_moment(raw, state.settings.time_zone) {
            Ok(at) if at > state.dialer.now_ms() => Some(at),
            Ok(_) => {
                return refuse(language.pick((
                    "Il richiamo va fissato nel futuro.",
                    "A call-back must be in the future.",
                )))
                .await;
            }
            Err(_) => {
                return refuse(language.pick((
                    "La data del richiamo non si legge: AAAA-MM-GG HH:MM.",
                    "The call-back's date cannot be read: YYYY-MM-DD HH:MM.",
                )))
                .await;
            }
        },
    };
    let extension = match (form.to.as_str(), reschedule_at_ms) {
        ("me", Some(_)) => match state.dialer.agents().await {
            Ok(agents) => agents
                .into_iter()
                .find(|a| a.name == name)
                .map(|a| a.extension),
            Err(error) => return failed(&error.into(), "cannot read the agents"),
        },
        _ => None,
    };
    let disposition = Disposition {
        status: form.status.trim().to_owned(),
        tags: form
            .tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
        note: Some(form.note),
        reschedule_at_ms,
        extension,
    };
    match state
        .dialer
        .set_own_disposition(&name, form.attempt_id, &disposition)
        .await
    {
        Ok(()) => {
            tracing::info!(agent = %name, attempt = form.attempt_id, status = %disposition.status, "disposition from the agent's desk");
            Redirect::to("/agent").into_response()
        }
        Err(AdminError::Refused(Refused::NotFound(_))) => signed.not_found(),
        Err(AdminError::Refused(refused)) => {
            desk_page(
                &state,
                &signed,
                &name,
                StatusCode::CONFLICT,
                Some(refused.to_string()),
            )
            .await
        }
        Err(AdminError::Failed(error)) => failed(&error, "cannot set a disposition"),
    }
}

/// The desk's call form: a campaign and a typed number, or a previewed contact.
#[derive(Debug, Deserialize)]
pub struct CallForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    campaign_id: String,
    #[serde(default)]
    number: String,
    /// Set by a previewed contact's button; the number is then not read.
    #[serde(default)]
    contact_id: String,
}

/// `POST /agent/call`: the agent calls a number or a previewed contact through a
/// campaign (click-to-call); their phone rings first. A refusal (the campaign's
/// rules, the agent's state) is shown beside the form, with what was typed.
pub async fn call(
    State(state): State<WebState>,
    signed: Signed,
    Form(form): Form<CallForm>,
) -> Response {
    let name = match acting_agent(&signed, "agentDial", &form.csrf) {
        Ok(name) => name,
        Err(refused) => return *refused,
    };
    let language = signed.language;
    let number = form.number.trim().to_owned();
    let campaign_id = form.campaign_id.trim().parse::<i64>().ok();
    let target = match (form.contact_id.trim(), number.as_str()) {
        ("", "") => None,
        ("", typed) => Some(DeskTarget::Number(typed.to_owned())),
        (contact, _) => contact.parse().ok().map(DeskTarget::Contact),
    };
    let refuse = |status: StatusCode, error: String| {
        let dialled = Dialled {
            error: Some(error),
            campaign_id: campaign_id.unwrap_or_default(),
            number: number.clone(),
        };
        call_page(&state, &signed, &name, status, None, dialled)
    };
    let (Some(campaign_id), Some(target)) = (campaign_id, target) else {
        let error = language.pick((
            "Scegli la campagna e scrivi il numero da chiamare.",
            "Pick the campaign and type the number to call.",
        ));
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, error.into()).await;
    };
    match state
        .dialer
        .call_from_desk(&name, campaign_id, target)
        .await
    {
        Ok(attempt) => {
            tracing::info!(agent = %name, campaign = campaign_id, attempt, "call from the agent's desk");
            Redirect::to("/agent").into_response()
        }
        Err(AdminError::Refused(refused)) => {
            let status = match refused {
                Refused::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                Refused::NotFound(_) | Refused::Conflict(_) => StatusCode::CONFLICT,
            };
            refuse(status, refused.to_string()).await
        }
        Err(AdminError::Failed(error)) => failed(&error, "cannot call from the desk"),
    }
}
