//! Campaigns: creating and editing them, moving them through their lifecycle, and
//! reading what they did (status, attempts, events, runs).
//!
//! Each lifecycle command is an operation of its own, not a `state` field to PATCH,
//! so that a key can be allowed to pause campaigns without being allowed to start
//! them, and each refusal (409) names the command that does not apply.

use axum::extract::State;
use axum::http::StatusCode;
use ringhost_dialer::admin::{CampaignStatus, variable_pairs};
use ringhost_dialer::desk::Disposition;
use ringhost_dialer::lifecycle::{CampaignState, Command};
use ringhost_store::attempt::AttemptRow;
use ringhost_store::campaign::{CampaignRow, EventRow, RunRow};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::error::ErrorBody;
use super::schemas::{CampaignSettingsDoc, CampaignStatusDoc};
use super::{ApiError, Json, Path, Query, page_limit};
use crate::AppState;

/// A campaign.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CampaignView {
    /// Its id.
    id: i64,
    /// Its unique name.
    name: String,
    /// The template it was made from, if any.
    template_id: Option<i64>,
    /// Its lifecycle state: `created`, `scheduled`, `running`, `paused`, `finished`,
    /// `cancelled`, `completed`, `incomplete` or `terminated`.
    state: String,
    /// Its current (or last) run; 0 before the first start.
    run: i64,
    /// Higher runs first when channels are short.
    priority: i64,
    /// The ids of the lists it dials.
    lists: Vec<i64>,
    /// Its settings, the template's merged in.
    #[schema(value_type = CampaignSettingsDoc)]
    settings: Value,
    /// Its delayed start (ms since the epoch), if any.
    start_at_ms: Option<i64>,
    /// When its current run started (ms since the epoch).
    started_at_ms: Option<i64>,
}

impl CampaignView {
    fn of(row: CampaignRow) -> anyhow::Result<CampaignView> {
        Ok(CampaignView {
            settings: serde_json::from_str(&row.settings)?,
            id: row.id,
            name: row.name,
            template_id: row.template_id,
            state: row.state,
            run: row.run,
            priority: row.priority,
            lists: row.list_ids,
            start_at_ms: row.start_at_ms,
            started_at_ms: row.started_at_ms,
        })
    }
}

/// A new campaign.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct NewCampaign {
    /// Its unique name.
    name: String,
    /// The template (by name) whose settings it starts from.
    template: Option<String>,
    /// The lists (by name) it dials.
    lists: Vec<String>,
    /// Settings over the template's (or the defaults).
    #[schema(value_type = Option<CampaignSettingsDoc>)]
    settings: Option<Map<String, Value>>,
    /// A delayed start (ms since the epoch): started before then, it waits.
    start_at_ms: Option<i64>,
}

/// Changes to a campaign that is not dialling.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct CampaignChanges {
    /// The lists (by name) it dials instead of its current ones.
    lists: Option<Vec<String>>,
    /// Settings to change; the others keep their values.
    #[schema(value_type = Option<CampaignSettingsDoc>)]
    settings: Option<Map<String, Value>>,
    /// A new delayed start (ms since the epoch).
    start_at_ms: Option<i64>,
}

/// A created object's id.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Created {
    /// Its id.
    id: i64,
}

/// Where a command left a campaign.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct StateView {
    /// Its new lifecycle state.
    #[schema(value_type = String, example = "running")]
    state: CampaignState,
}

/// Recipients to give more attempts.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct MoreAttempts {
    /// Contact ids, of the campaign's lists.
    contact_ids: Vec<i64>,
}

/// What more attempts did.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Reopened {
    /// Contacts due again.
    reopened: u64,
}

/// A page of attempts, newest first.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AttemptsPage {
    /// Only attempts before this id: the last id of the previous page.
    before: Option<i64>,
    /// At most this many: 100 when absent, 1000 at most.
    limit: Option<i64>,
}

/// One call attempt: the detail record of a call.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AttemptView {
    /// Its id.
    id: i64,
    /// Its campaign.
    campaign_id: i64,
    /// The campaign's run it belongs to.
    run: i64,
    /// The contact's list.
    list_id: i64,
    /// The contact.
    contact_id: i64,
    /// The number dialled, E.164.
    number: String,
    /// Its rank among the contact's attempts, from 1.
    attempt: i64,
    /// `dialing`, `ringing`, `answered`, `ended` or `interrupted`.
    state: String,
    /// The trunk that carried it.
    trunk: Option<String>,
    /// When it was placed (ms since the epoch).
    started_at_ms: i64,
    /// When it started ringing.
    ring_at_ms: Option<i64>,
    /// When it was answered.
    answer_at_ms: Option<i64>,
    /// When it ended.
    end_at_ms: Option<i64>,
    /// How long it rang.
    ring_ms: Option<i64>,
    /// How long it was answered.
    talk_ms: Option<i64>,
    /// The final SIP status code.
    sip_code: Option<i64>,
    /// The Q.850 cause.
    cause: Option<i64>,
    /// The raw outcome: answered, busy, no answer, ...
    outcome: Option<String>,
    /// The disposition status the mapper gave it.
    status: Option<String>,
    /// Whether the contact is tried again.
    retry: Option<bool>,
    /// The mapper's tags.
    tags: Vec<String>,
    /// The agent who took it.
    agent: Option<String>,
    /// Whether the callee confirmed (notification campaigns).
    confirmed: bool,
    /// Who hung up an answered call: `callee` or `ringhost` (the system, the agent,
    /// the IVR).
    hangup_by: Option<String>,
    /// The queue's result: `QUEUE_ANSWER`, `QUEUE_HANGUP` (hung up while waiting),
    /// `QUEUE_TIMEOUT` (closed by the system), `ABANDONED`.
    queue_result: Option<String>,
    /// The IVR's result.
    ivr_result: Option<String>,
}

impl AttemptView {
    fn of(row: AttemptRow) -> anyhow::Result<AttemptView> {
        Ok(AttemptView {
            tags: serde_json::from_str(&row.tags)?,
            id: row.id,
            campaign_id: row.start.campaign_id,
            run: row.start.run,
            list_id: row.start.list_id,
            contact_id: row.start.contact_id,
            number: row.start.number,
            attempt: row.start.attempt,
            state: row.state,
            trunk: row.trunk,
            started_at_ms: row.start.started_at_ms,
            ring_at_ms: row.ring_at_ms,
            answer_at_ms: row.answer_at_ms,
            end_at_ms: row.end_at_ms,
            ring_ms: row.ring_ms,
            talk_ms: row.talk_ms,
            sip_code: row.sip_code,
            cause: row.cause,
            outcome: row.outcome,
            status: row.status,
            retry: row.retry,
            agent: row.agent,
            confirmed: row.confirmed,
            hangup_by: row.hangup_by,
            queue_result: row.queue_result,
            ivr_result: row.ivr_result,
        })
    }
}

/// One event of a campaign's history.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct EventView {
    /// The run it happened in.
    run: i64,
    /// When (ms since the epoch).
    at_ms: i64,
    /// What: `created`, `started`, `paused`, `resumed`, `cancelled`, ...
    event: String,
    /// More words on it.
    detail: String,
}

impl From<EventRow> for EventView {
    fn from(row: EventRow) -> EventView {
        EventView {
            run: row.run,
            at_ms: row.at_ms,
            event: row.event,
            detail: row.detail,
        }
    }
}

/// One run of a campaign: from a start to its end.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RunView {
    /// Its campaign.
    campaign_id: i64,
    /// The campaign's name then.
    campaign_name: String,
    /// Its number, from 1.
    run: i64,
    /// The campaign's settings during the run.
    #[schema(value_type = CampaignSettingsDoc)]
    settings: Value,
    /// When it started (ms since the epoch).
    started_at_ms: i64,
    /// When it ended, if it has.
    ended_at_ms: Option<i64>,
    /// How it ended: `finished`, `cancelled`, `completed`, ...
    result: Option<String>,
}

impl RunView {
    fn of(row: RunRow) -> anyhow::Result<RunView> {
        Ok(RunView {
            settings: serde_json::from_str(&row.settings)?,
            campaign_id: row.campaign_id,
            campaign_name: row.campaign_name,
            run: row.run,
            started_at_ms: row.started_at_ms,
            ended_at_ms: row.ended_at_ms,
            result: row.result,
        })
    }
}

/// Every campaign.
#[utoipa::path(
    get,
    path = "/api/v1/campaigns",
    operation_id = "listCampaigns",
    tag = "campaigns",
    responses((status = 200, description = "Every campaign", body = [CampaignView]))
)]
pub(crate) async fn list_campaigns(
    State(state): State<AppState>,
) -> Result<Json<Vec<CampaignView>>, ApiError> {
    let rows = state.store.campaigns().await?;
    let views = rows
        .into_iter()
        .map(CampaignView::of)
        .collect::<Result<_, _>>()?;
    Ok(Json(views))
}

/// Creates a campaign over lists, from a template or the defaults.
///
/// It is created stopped: start it with `startCampaign`.
#[utoipa::path(
    post,
    path = "/api/v1/campaigns",
    operation_id = "createCampaign",
    tag = "campaigns",
    request_body = NewCampaign,
    responses(
        (status = 201, description = "The campaign's id", body = Created),
        (status = 400, description = "Settings that do not parse", body = ErrorBody),
        (status = 404, description = "No such list or template", body = ErrorBody),
        (status = 409, description = "A campaign of that name exists", body = ErrorBody),
    )
)]
pub(crate) async fn create_campaign(
    State(state): State<AppState>,
    Json(new): Json<NewCampaign>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = state
        .dialer
        .create_campaign(
            &new.name,
            new.template.as_deref(),
            &new.lists,
            Value::Object(new.settings.unwrap_or_default()),
            new.start_at_ms,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// A campaign.
#[utoipa::path(
    get,
    path = "/api/v1/campaigns/{id}",
    operation_id = "getCampaign",
    tag = "campaigns",
    params(("id" = i64, Path, description = "The campaign's id")),
    responses(
        (status = 200, description = "The campaign", body = CampaignView),
        (status = 404, description = "No such campaign", body = ErrorBody),
    )
)]
pub(crate) async fn get_campaign(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<CampaignView>, ApiError> {
    Ok(Json(CampaignView::of(campaign(&state, id).await?)?))
}

/// Changes a campaign's lists, settings or delayed start.
///
/// Only a campaign that is not dialling can change (not while scheduled, running or
/// paused), as in the products it replaces.
#[utoipa::path(
    patch,
    path = "/api/v1/campaigns/{id}",
    operation_id = "updateCampaign",
    tag = "campaigns",
    params(("id" = i64, Path, description = "The campaign's id")),
    request_body = CampaignChanges,
    responses(
        (status = 200, description = "The campaign as changed", body = CampaignView),
        (status = 400, description = "Settings that do not parse", body = ErrorBody),
        (status = 404, description = "No such campaign or list", body = ErrorBody),
        (status = 409, description = "The campaign is dialling", body = ErrorBody),
    )
)]
pub(crate) async fn update_campaign(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(changes): Json<CampaignChanges>,
) -> Result<Json<CampaignView>, ApiError> {
    state
        .dialer
        .update_campaign(
            id,
            changes.lists.as_deref(),
            Value::Object(changes.settings.unwrap_or_default()),
            changes.start_at_ms,
        )
        .await?;
    Ok(Json(CampaignView::of(campaign(&state, id).await?)?))
}

/// Starts a new run of a campaign: now, or at its delayed start.
#[utoipa::path(
    post,
    path = "/api/v1/campaigns/{id}/start",
    operation_id = "startCampaign",
    tag = "campaigns",
    params(("id" = i64, Path, description = "The campaign's id")),
    responses(
        (status = 200, description = "`running`, or `scheduled` until its delayed start", body = StateView),
        (status = 404, description = "No such campaign", body = ErrorBody),
        (status = 409, description = "A run is in progress", body = ErrorBody),
    )
)]
pub(crate) async fn start_campaign(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<StateView>, ApiError> {
    command(&state, id, Command::Start).await
}

/// Stops starting calls; calls in progress finish.
#[utoipa::path(
    post,
    path = "/api/v1/campaigns/{id}/pause",
    operation_id = "pauseCampaign",
    tag = "campaigns",
    params(("id" = i64, Path, description = "The campaign's id")),
    responses(
        (status = 200, description = "`paused`", body = StateView),
        (status = 404, description = "No such campaign", body = ErrorBody),
        (status = 409, description = "The campaign is not running", body = ErrorBody),
    )
)]
pub(crate) async fn pause_campaign(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<StateView>, ApiError> {
    command(&state, id, Command::Pause).await
}

/// Starts calls again after a pause.
#[utoipa::path(
    post,
    path = "/api/v1/campaigns/{id}/resume",
    operation_id = "resumeCampaign",
    tag = "campaigns",
    params(("id" = i64, Path, description = "The campaign's id")),
    responses(
        (status = 200, description = "`running`", body = StateView),
        (status = 404, description = "No such campaign", body = ErrorBody),
        (status = 409, description = "The campaign is not paused", body = ErrorBody),
    )
)]
pub(crate) async fn resume_campaign(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<StateView>, ApiError> {
    command(&state, id, Command::Resume).await
}

/// Ends the current run; the campaign can be started again later.
#[utoipa::path(
    post,
    path = "/api/v1/campaigns/{id}/cancel",
    operation_id = "cancelCampaign",
    tag = "campaigns",
    params(("id" = i64, Path, description = "The campaign's id")),
    responses(
        (status = 200, description = "`cancelled`", body = StateView),
        (status = 404, description = "No such campaign", body = ErrorBody),
        (status = 409, description = "No run is in progress", body = ErrorBody),
    )
)]
pub(crate) async fn cancel_campaign(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<StateView>, ApiError> {
    command(&state, id, Command::Cancel).await
}

/// Closes an incomplete notification run without more attempts.
#[utoipa::path(
    post,
    path = "/api/v1/campaigns/{id}/terminate",
    operation_id = "terminateCampaign",
    tag = "campaigns",
    params(("id" = i64, Path, description = "The campaign's id")),
    responses(
        (status = 200, description = "`terminated`", body = StateView),
        (status = 404, description = "No such campaign", body = ErrorBody),
        (status = 409, description = "The campaign is not incomplete", body = ErrorBody),
    )
)]
pub(crate) async fn terminate_campaign(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<StateView>, ApiError> {
    command(&state, id, Command::Terminate).await
}

/// Gives chosen recipients of an incomplete notification run more attempts; the run
/// goes on.
#[utoipa::path(
    post,
    path = "/api/v1/campaigns/{id}/more-attempts",
    operation_id = "moreAttempts",
    tag = "campaigns",
    params(("id" = i64, Path, description = "The campaign's id")),
    request_body = MoreAttempts,
    responses(
        (status = 200, description = "How many contacts are due again", body = Reopened),
        (status = 404, description = "No such campaign, or a contact not of its lists", body = ErrorBody),
        (status = 409, description = "The campaign is not incomplete", body = ErrorBody),
    )
)]
pub(crate) async fn more_attempts(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<MoreAttempts>,
) -> Result<Json<Reopened>, ApiError> {
    let reopened = state.dialer.more_attempts(id, &body.contact_ids).await?;
    Ok(Json(Reopened { reopened }))
}

/// The agent's word on an ended call.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DispositionChange {
    /// The status (any text the contact center uses: `SALE`, `CALLBACK`, ...).
    status: String,
    /// Tags, replacing the attempt's.
    #[serde(default)]
    tags: Vec<String>,
    /// The agent's note.
    note: Option<String>,
    /// Call the contact again at this time (ms since the epoch).
    reschedule_at_ms: Option<i64>,
    /// The extension that call goes to (the agent's own, say).
    extension: Option<String>,
}

/// Sets an ended call's disposition and tags as its agent decided, and reschedules
/// the contact if asked.
#[utoipa::path(
    post,
    path = "/api/v1/attempts/{id}/disposition",
    operation_id = "setDisposition",
    tag = "campaigns",
    params(("id" = i64, Path, description = "The attempt's id")),
    request_body = DispositionChange,
    responses(
        (status = 204, description = "Recorded"),
        (status = 400, description = "No status", body = ErrorBody),
        (status = 409, description = "Not an ended call, or its contact is being dialled", body = ErrorBody),
    )
)]
pub(crate) async fn set_disposition(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(change): Json<DispositionChange>,
) -> Result<StatusCode, ApiError> {
    state
        .dialer
        .set_disposition(
            id,
            &Disposition {
                status: change.status,
                tags: change.tags,
                note: change.note,
                reschedule_at_ms: change.reschedule_at_ms,
                extension: change.extension,
            },
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One call to place through a campaign (ADS's `DialerNewCall`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewCall {
    /// The number, international or in the campaign's first list's region.
    number: String,
    /// The contact's variables, for the IVR script and the agent's screen pop.
    #[serde(default)]
    #[schema(value_type = Object)]
    variables: Map<String, Value>,
}

/// The contact a new call became.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct NewCallContact {
    /// The contact's id, in the campaign's first list.
    contact_id: i64,
}

/// Places one call through a running campaign (ADS's `DialerNewCall`): a new contact
/// of its first list, due now, dialled within the campaign's channels, calling hours,
/// do-not-call lists and retries, and recorded as its attempts.
#[utoipa::path(
    post,
    path = "/api/v1/campaigns/{id}/calls",
    operation_id = "dialerNewCall",
    tag = "campaigns",
    params(("id" = i64, Path, description = "The campaign's id")),
    request_body = NewCall,
    responses(
        (status = 201, description = "The call's contact, due now", body = NewCallContact),
        (status = 400, description = "Not a phone number", body = ErrorBody),
        (status = 404, description = "No such campaign", body = ErrorBody),
        (status = 409, description = "The campaign is not running, or has no list", body = ErrorBody),
    )
)]
pub(crate) async fn dialer_new_call(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(call): Json<NewCall>,
) -> Result<(StatusCode, Json<NewCallContact>), ApiError> {
    let variables = variable_pairs(&Value::Object(call.variables));
    let contact_id = state.dialer.new_call(id, &call.number, &variables).await?;
    Ok((StatusCode::CREATED, Json(NewCallContact { contact_id })))
}

/// A campaign's state and counters: contacts, this run's attempts, calls in progress.
#[utoipa::path(
    get,
    path = "/api/v1/campaigns/{id}/status",
    operation_id = "campaignStatus",
    tag = "campaigns",
    params(("id" = i64, Path, description = "The campaign's id")),
    responses(
        (status = 200, description = "Its status", body = CampaignStatusDoc),
        (status = 404, description = "No such campaign", body = ErrorBody),
    )
)]
pub(crate) async fn campaign_status(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<CampaignStatus>, ApiError> {
    Ok(Json(state.dialer.status(id).await?))
}

/// A page of a campaign's attempts, newest first: its call detail records.
#[utoipa::path(
    get,
    path = "/api/v1/campaigns/{id}/attempts",
    operation_id = "listAttempts",
    tag = "campaigns",
    params(("id" = i64, Path, description = "The campaign's id"), AttemptsPage),
    responses(
        (status = 200, description = "The attempts; fewer than `limit` on the last page", body = [AttemptView]),
        (status = 404, description = "No such campaign", body = ErrorBody),
    )
)]
pub(crate) async fn list_attempts(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(page): Query<AttemptsPage>,
) -> Result<Json<Vec<AttemptView>>, ApiError> {
    campaign(&state, id).await?;
    let rows = state
        .store
        .attempts_of_campaign(id, page.before.unwrap_or(i64::MAX), page_limit(page.limit))
        .await?;
    let views = rows
        .into_iter()
        .map(AttemptView::of)
        .collect::<Result<_, _>>()?;
    Ok(Json(views))
}

/// A campaign's history, oldest first: who started, paused, cancelled it and when.
#[utoipa::path(
    get,
    path = "/api/v1/campaigns/{id}/events",
    operation_id = "campaignEvents",
    tag = "campaigns",
    params(("id" = i64, Path, description = "The campaign's id")),
    responses(
        (status = 200, description = "Its events", body = [EventView]),
        (status = 404, description = "No such campaign", body = ErrorBody),
    )
)]
pub(crate) async fn campaign_events(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Vec<EventView>>, ApiError> {
    campaign(&state, id).await?;
    let rows = state.store.campaign_events(id).await?;
    Ok(Json(rows.into_iter().map(EventView::from).collect()))
}

/// A campaign's runs, oldest first, each with the settings it ran with.
#[utoipa::path(
    get,
    path = "/api/v1/campaigns/{id}/runs",
    operation_id = "campaignRuns",
    tag = "campaigns",
    params(("id" = i64, Path, description = "The campaign's id")),
    responses(
        (status = 200, description = "Its runs", body = [RunView]),
        (status = 404, description = "No such campaign", body = ErrorBody),
    )
)]
pub(crate) async fn campaign_runs(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Vec<RunView>>, ApiError> {
    campaign(&state, id).await?;
    let rows = state.store.campaign_runs(id).await?;
    let views = rows
        .into_iter()
        .map(RunView::of)
        .collect::<Result<_, _>>()?;
    Ok(Json(views))
}

async fn command(state: &AppState, id: i64, command: Command) -> Result<Json<StateView>, ApiError> {
    let state = state.dialer.command(id, command).await?;
    Ok(Json(StateView { state }))
}

/// The campaign `id`, or 404: listings of an unknown campaign are refused rather than
/// empty, so a wrong id is not mistaken for a quiet campaign.
async fn campaign(state: &AppState, id: i64) -> Result<CampaignRow, ApiError> {
    state
        .store
        .campaign(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("campaign {id}")))
}
