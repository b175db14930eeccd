//! Agents and queues: agents' states (set by the agents themselves, or their
//! supervisor), queue membership, and `queueInfo` (ADS's `QueueInfo`), a queue's
//! agents and counts.

use axum::extract::State;
use axum::http::StatusCode;
use ringhost_dialer::MonitorMode;
use ringhost_dialer::agents::{Agent, AgentState, QueueInfo};
use ringhost_dialer::desk::ScreenPop;
use ringhost_dialer::desk_call::DeskTarget;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::ErrorBody;
use super::{ApiError, Json, Path};
use crate::AppState;

/// Who the audit names for what an API key does (keys have no person behind them).
const API_USER: &str = "api";

/// An agent as of now (a wrap-up past its time shows as ready).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AgentView {
    /// The login.
    name: String,
    /// The address of record of the agent's phone.
    extension: String,
    /// `logged_out`, `present`, `ready`, `on_call`, `wrap_up` or `paused`.
    state: String,
    /// Why the agent paused.
    reason: Option<String>,
    /// Since when, in ms since the epoch.
    since_ms: i64,
    /// Seconds of wrap-up after each call.
    wrap_up_s: i64,
    /// The attempt whose call the agent is on.
    attempt_id: Option<i64>,
}

impl From<Agent> for AgentView {
    fn from(a: Agent) -> Self {
        AgentView {
            name: a.name,
            extension: a.extension,
            state: a.state.as_str().to_owned(),
            reason: a.reason,
            since_ms: a.since_ms,
            wrap_up_s: a.wrap_up_s,
            attempt_id: a.attempt_id,
        }
    }
}

/// The call an agent is on, with the contact's data: the screen pop.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ScreenPopView {
    /// The attempt.
    attempt_id: i64,
    /// Which attempt of the contact this is (1 for the first).
    attempt: i64,
    /// Its campaign.
    campaign: String,
    /// The contact.
    contact_id: i64,
    /// The number called.
    number: String,
    /// The contact's variables by name: the list's columns, the exchange table's data.
    #[schema(value_type = Object)]
    variables: serde_json::Value,
    /// Since when the agent is on the call (ms since the epoch).
    since_ms: i64,
    /// The campaign's CRM page for this contact, when it has one.
    crm_url: Option<String>,
}

impl From<ScreenPop> for ScreenPopView {
    fn from(p: ScreenPop) -> Self {
        ScreenPopView {
            attempt_id: p.attempt_id,
            attempt: p.attempt,
            campaign: p.campaign,
            contact_id: p.contact_id,
            number: p.number,
            variables: p.variables,
            since_ms: p.since_ms,
            crm_url: p.crm_url,
        }
    }
}

/// A new agent, logged out.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewAgent {
    /// The login.
    name: String,
    /// The address of record of the agent's phone (a `[[phones]]` account).
    extension: String,
    /// Seconds of wrap-up after each call (default 10).
    #[serde(default = "default_wrap_up")]
    wrap_up_s: u32,
}

fn default_wrap_up() -> u32 {
    10
}

/// The state an agent asks for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StateChange {
    /// `logged_out`, `present`, `ready` or `paused` (calls set `on_call` and
    /// `wrap_up`).
    state: String,
    /// Why, for a pause (required then).
    reason: Option<String>,
}

/// A queue's agents and counts.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct QueueView {
    /// The queue.
    queue: String,
    /// Its agents.
    agents: Vec<AgentView>,
    /// Agents waiting for a call.
    ready: u32,
    /// Agents logged in.
    present: u32,
    /// Agents on a call or in wrap-up.
    busy: u32,
}

impl From<QueueInfo> for QueueView {
    fn from(q: QueueInfo) -> Self {
        QueueView {
            queue: q.queue,
            agents: q.agents.into_iter().map(AgentView::from).collect(),
            ready: q.ready,
            present: q.present,
            busy: q.busy,
        }
    }
}

/// Every agent, by name.
#[utoipa::path(
    get,
    path = "/api/v1/agents",
    operation_id = "listAgents",
    tag = "agents",
    responses((status = 200, description = "Every agent", body = [AgentView]))
)]
pub(crate) async fn list_agents(
    State(state): State<AppState>,
) -> Result<Json<Vec<AgentView>>, ApiError> {
    let agents = state.dialer.agents().await?;
    Ok(Json(agents.into_iter().map(AgentView::from).collect()))
}

/// Adds an agent, logged out.
#[utoipa::path(
    post,
    path = "/api/v1/agents",
    operation_id = "createAgent",
    tag = "agents",
    request_body = NewAgent,
    responses(
        (status = 201, description = "The agent", body = AgentView),
        (status = 409, description = "The name or extension is taken", body = ErrorBody),
    )
)]
pub(crate) async fn create_agent(
    State(state): State<AppState>,
    Json(new): Json<NewAgent>,
) -> Result<(StatusCode, Json<AgentView>), ApiError> {
    let agent = state
        .dialer
        .create_agent(&new.name, &new.extension, new.wrap_up_s)
        .await?;
    Ok((StatusCode::CREATED, Json(agent.into())))
}

/// Changes an agent's state: log in (`present`), `ready`, `paused` with a reason,
/// `logged_out`.
#[utoipa::path(
    post,
    path = "/api/v1/agents/{name}/state",
    operation_id = "setAgentState",
    tag = "agents",
    params(("name" = String, Path, description = "The agent's login")),
    request_body = StateChange,
    responses(
        (status = 200, description = "The agent", body = AgentView),
        (status = 400, description = "No such state, or a pause without a reason", body = ErrorBody),
        (status = 404, description = "No such agent", body = ErrorBody),
        (status = 409, description = "Not from the agent's current state", body = ErrorBody),
    )
)]
pub(crate) async fn set_agent_state(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(change): Json<StateChange>,
) -> Result<Json<AgentView>, ApiError> {
    let to = AgentState::parse(&change.state)
        .ok_or_else(|| ApiError::invalid(format!("{:?} is not an agent state", change.state)))?;
    let agent = state
        .dialer
        .set_agent_state(&name, to, change.reason.as_deref())
        .await?;
    Ok(Json(agent.into()))
}

/// Listening in on the call an agent is on.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MonitorRequest {
    /// `listen` (the supervisor hears both parties), `whisper` (the agent hears the
    /// supervisor too, the customer does not) or `barge` (all three talk).
    mode: String,
    /// The supervisor's phone (an extension registered with the host, never a number
    /// through a trunk) to ring onto the call; omitted to change the mode of a
    /// supervisor already on it.
    extension: Option<String>,
}

/// Rings a supervisor's phone onto the call an agent is on, or changes how they
/// listen. Every step is audited.
#[utoipa::path(
    put,
    path = "/api/v1/agents/{name}/monitor",
    operation_id = "monitorCall",
    tag = "agents",
    params(("name" = String, Path, description = "The agent whose call is listened to")),
    request_body = MonitorRequest,
    responses(
        (status = 204, description = "The supervisor's phone rings, or the mode changed"),
        (status = 400, description = "No such mode, or the extension is not a registered phone", body = ErrorBody),
        (status = 404, description = "No such agent", body = ErrorBody),
        (status = 409, description = "The agent is not talking on a call, or it is listened to already", body = ErrorBody),
    )
)]
pub(crate) async fn monitor_call(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(request): Json<MonitorRequest>,
) -> Result<StatusCode, ApiError> {
    let mode = MonitorMode::parse(&request.mode).ok_or_else(|| {
        ApiError::invalid(format!(
            "{:?} is not a mode: listen, whisper or barge",
            request.mode
        ))
    })?;
    match request.extension {
        Some(extension) => {
            state
                .dialer
                .monitor(API_USER, &name, &extension, mode)
                .await?;
        }
        None => state.dialer.set_monitor_mode(API_USER, &name, mode).await?,
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Hangs up the supervisor listening to an agent's call.
#[utoipa::path(
    delete,
    path = "/api/v1/agents/{name}/monitor",
    operation_id = "stopMonitor",
    tag = "agents",
    params(("name" = String, Path, description = "The agent whose call is listened to")),
    responses(
        (status = 204, description = "The supervisor is hung up"),
        (status = 404, description = "No such agent", body = ErrorBody),
        (status = 409, description = "Nobody listens to the agent's call", body = ErrorBody),
    )
)]
pub(crate) async fn stop_monitor(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.dialer.stop_monitor(API_USER, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Makes an agent a member of a queue.
#[utoipa::path(
    put,
    path = "/api/v1/queues/{queue}/members/{agent}",
    operation_id = "addQueueMember",
    tag = "agents",
    params(
        ("queue" = String, Path, description = "The queue"),
        ("agent" = String, Path, description = "The agent's login"),
    ),
    responses(
        (status = 200, description = "The queue", body = QueueView),
        (status = 404, description = "No such agent", body = ErrorBody),
    )
)]
pub(crate) async fn add_queue_member(
    State(state): State<AppState>,
    Path((queue, agent)): Path<(String, String)>,
) -> Result<Json<QueueView>, ApiError> {
    state.dialer.add_queue_member(&queue, &agent).await?;
    Ok(Json(state.dialer.queue_info(&queue).await?.into()))
}

/// Takes an agent out of a queue.
#[utoipa::path(
    delete,
    path = "/api/v1/queues/{queue}/members/{agent}",
    operation_id = "removeQueueMember",
    tag = "agents",
    params(
        ("queue" = String, Path, description = "The queue"),
        ("agent" = String, Path, description = "The agent's login"),
    ),
    responses(
        (status = 200, description = "The queue", body = QueueView),
        (status = 404, description = "The agent is not in the queue", body = ErrorBody),
    )
)]
pub(crate) async fn remove_queue_member(
    State(state): State<AppState>,
    Path((queue, agent)): Path<(String, String)>,
) -> Result<Json<QueueView>, ApiError> {
    state.dialer.remove_queue_member(&queue, &agent).await?;
    Ok(Json(state.dialer.queue_info(&queue).await?.into()))
}

/// A queue's agents and counts (ADS's `QueueInfo`).
#[utoipa::path(
    get,
    path = "/api/v1/queues/{queue}",
    operation_id = "queueInfo",
    tag = "agents",
    params(("queue" = String, Path, description = "The queue")),
    responses((status = 200, description = "The queue", body = QueueView))
)]
pub(crate) async fn queue_info(
    State(state): State<AppState>,
    Path(queue): Path<String>,
) -> Result<Json<QueueView>, ApiError> {
    Ok(Json(state.dialer.queue_info(&queue).await?.into()))
}

/// The call an agent is on, with the contact's data (the screen pop): what the
/// `call_connected` event carried, for a desk that was not listening then.
#[utoipa::path(
    get,
    path = "/api/v1/agents/{name}/call",
    operation_id = "agentCall",
    tag = "agents",
    params(("name" = String, Path, description = "The agent")),
    responses(
        (status = 200, description = "The call and the contact's data", body = ScreenPopView),
        (status = 404, description = "No such agent, or the agent is on no call", body = ErrorBody),
    )
)]
pub(crate) async fn agent_call(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<ScreenPopView>, ApiError> {
    match state.dialer.screen_pop(&name).await? {
        Some(pop) => Ok(Json(pop.into())),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("agent {name:?} is on no call"),
        )),
    }
}

/// A call an agent asks for from the desk (click-to-call): a number or a contact,
/// called through a campaign.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeskCallRequest {
    /// The campaign: running or paused, its queue the agent's.
    campaign_id: i64,
    /// A number as typed, read in the campaign's first list's region; or
    number: Option<String>,
    /// a ready contact of the campaign's lists (the preview's). Exactly one of the two.
    contact_id: Option<i64>,
}

/// The call placed from the desk.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DeskCallView {
    /// Its attempt, written before the call.
    attempt_id: i64,
}

/// Calls a number or a contact through a campaign for an agent (click-to-call, ADS's
/// `DialerNewCall` from the desk): the agent's phone rings first, the callee once
/// they answer. Every rule of the campaign's calls holds: do-not-call, calling hours,
/// the channel ledger, caller ID and route.
#[utoipa::path(
    post,
    path = "/api/v1/agents/{name}/calls",
    operation_id = "agentDial",
    tag = "agents",
    params(("name" = String, Path, description = "The agent who calls")),
    request_body = DeskCallRequest,
    responses(
        (status = 201, description = "The agent's phone rings", body = DeskCallView),
        (status = 400, description = "Neither or both of number and contact, or a number that cannot be read", body = ErrorBody),
        (status = 404, description = "No such agent or campaign, or no such contact in it", body = ErrorBody),
        (status = 409, description = "Refused: the agent is busy or not in the campaign's queue, the campaign is not running, do-not-call, calling hours, no channel", body = ErrorBody),
    )
)]
pub(crate) async fn agent_dial(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(request): Json<DeskCallRequest>,
) -> Result<(StatusCode, Json<DeskCallView>), ApiError> {
    let target = match (request.number, request.contact_id) {
        (Some(number), None) => DeskTarget::Number(number),
        (None, Some(id)) => DeskTarget::Contact(id),
        _ => {
            return Err(ApiError::invalid("give either a number or a contact_id"));
        }
    };
    let attempt_id = state
        .dialer
        .call_from_desk(&name, request.campaign_id, target)
        .await?;
    Ok((StatusCode::CREATED, Json(DeskCallView { attempt_id })))
}
