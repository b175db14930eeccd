//! Missed calls to call back: a PBX's intake (Kalliope's dynamic-routing XML, or the
//! same fields as JSON), the requests as operators and supervisors list them, and what
//! each does to one: book, unbook, call back, assign, unassign, close, flush.
//!
//! API keys have no person behind them: operations done for an operator name them in
//! the body, and supervisors' ones are recorded as done by `api`.

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use ringhost_dialer::missed::MissedCallForm;
use ringhost_store::missed::{
    Intake, MissedColumn, MissedEventRow, MissedFilter, MissedOrder, MissedRequestRow, MissedView,
    Source, Span,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::ErrorBody;
use super::{ApiError, Json, Path, Query};
use crate::AppState;

/// Who the history names for what an API key does.
const API_USER: &str = "api";

/// The largest intake body: a missed call is a few hundred bytes.
const MAX_INTAKE_BYTES: usize = 64 * 1024;

/// What the intake takes besides its body.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct IntakeQuery {
    /// The API key, for a PBX whose dynamic routing can only call an address (a
    /// header is better where it can be sent: a query string ends up in logs).
    #[serde(default)]
    #[expect(dead_code, reason = "read by the guard; declared for the document")]
    key: Option<String>,
}

/// What the intake did.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct IntakeView {
    /// The request the call was counted on; `null` for a repeated `unique_id`.
    request_id: Option<i64>,
    /// Its calls so far (1: a new request).
    calls: Option<i64>,
    /// True when this `unique_id` was counted before and nothing changed.
    repeated: bool,
}

/// Counts a missed call a PBX reports: Kalliope's dynamic-routing XML exactly as its
/// documentation writes it (`<parameters>` with `unique_id`, `caller`, `called`,
/// `servicecode`, `param1` the queue's name, `param2` its kind, `param3` to `param5`;
/// a `%PLACEHOLDER%` left unexpanded means empty), or the same fields as a JSON object.
/// One request per caller number; the same `unique_id` twice counts once. The key may
/// come as `?key=`.
#[utoipa::path(
    post,
    path = "/api/v1/missed-calls/intake",
    operation_id = "intakeMissedCall",
    tag = "missed-calls",
    params(IntakeQuery),
    request_body(content = String, description = "Kalliope's XML or the same fields as JSON, told apart by the body (XML starts with `<`) whatever its type", content_type = "application/xml"),
    responses(
        (status = 201, description = "Counted on its caller's request", body = IntakeView),
        (status = 200, description = "A repeated unique_id: nothing changed", body = IntakeView),
        (status = 400, description = "Malformed XML or JSON, a DTD or entity, no caller, a caller that is no number: nothing stored", body = ErrorBody),
        (status = 413, description = "A body over 64 KiB", body = ErrorBody),
    )
)]
pub(crate) async fn intake_missed_call(
    State(state): State<AppState>,
    Query(_query): Query<IntakeQuery>,
    body: Body,
) -> Result<(StatusCode, Json<IntakeView>), ApiError> {
    let bytes = axum::body::to_bytes(body, MAX_INTAKE_BYTES)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("a missed call's body is at most {MAX_INTAKE_BYTES} bytes"),
            )
        })?;
    // What the body is, rather than what it is labelled: a PBX's dynamic routing may
    // send its XML under any type, and JSON never starts with `<`.
    let xml = bytes.trim_ascii_start().starts_with(b"<");
    let form = if xml {
        let text =
            std::str::from_utf8(&bytes).map_err(|_| ApiError::invalid("the XML is not UTF-8"))?;
        MissedCallForm::from_xml(text)
    } else {
        MissedCallForm::from_json(&bytes)
    }
    .map_err(|error| ApiError::invalid(error.to_string()))?;
    Ok(match state.dialer.intake_missed_call(form).await? {
        Intake::Counted { request_id, calls } => (
            StatusCode::CREATED,
            Json(IntakeView {
                request_id: Some(request_id),
                calls: Some(calls),
                repeated: false,
            }),
        ),
        Intake::Repeated => (
            StatusCode::OK,
            Json(IntakeView {
                request_id: None,
                calls: None,
                repeated: true,
            }),
        ),
    })
}

/// The filters and order of a list of missed calls: those of the pages.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct MissedQuery {
    /// `pending` (the default: not closed), `to_call` (open, booked by nobody),
    /// `booked` (booked by `operator`), `closed` or `all`.
    view: Option<String>,
    /// With `view=booked`: whose bookings.
    operator: Option<String>,
    /// The destination's kind (`queue`).
    kind: Option<String>,
    /// The destination's name (the queue's).
    name: Option<String>,
    /// `pbx` or `inbound`.
    source: Option<String>,
    /// Part of the caller's number.
    caller: Option<String>,
    /// The accountcode.
    accountcode: Option<String>,
    /// First call at or after (ms since the epoch).
    first_call_from: Option<i64>,
    /// First call before.
    first_call_until: Option<i64>,
    /// Last call at or after.
    last_call_from: Option<i64>,
    /// Last call before.
    last_call_until: Option<i64>,
    /// Last callback at or after.
    last_recalled_from: Option<i64>,
    /// Last callback before.
    last_recalled_until: Option<i64>,
    /// Times recalled, exactly.
    recalled: Option<i64>,
    /// `caller`, `calls`, `first_call`, `last_call` (the default), `recalled`,
    /// `last_recalled`, `queue` or `booked_by`.
    sort: Option<String>,
    /// `desc` (the default) or `asc`.
    order: Option<String>,
    /// Requests skipped.
    offset: Option<i64>,
    /// Requests returned, 1 to 1000 (100 by default).
    limit: Option<i64>,
}

impl MissedQuery {
    /// The store's filter and order.
    fn read(&self) -> Result<(MissedFilter, MissedOrder), ApiError> {
        let view = match self.view.as_deref().unwrap_or("pending") {
            "pending" => MissedView::Pending,
            "to_call" => MissedView::ToCall,
            "booked" => MissedView::BookedBy(
                self.operator
                    .clone()
                    .ok_or_else(|| ApiError::invalid("view=booked needs operator="))?,
            ),
            "closed" => MissedView::Closed,
            "all" => MissedView::All,
            other => return Err(ApiError::invalid(format!("no view {other:?}"))),
        };
        let source = match self.source.as_deref() {
            None => None,
            Some(text) => Some(
                Source::parse(text)
                    .ok_or_else(|| ApiError::invalid(format!("no source {text:?}")))?,
            ),
        };
        let column = match self.sort.as_deref().unwrap_or("last_call") {
            "caller" => MissedColumn::Caller,
            "calls" => MissedColumn::Calls,
            "first_call" => MissedColumn::FirstCall,
            "last_call" => MissedColumn::LastCall,
            "recalled" => MissedColumn::Recalled,
            "last_recalled" => MissedColumn::LastRecalled,
            "queue" => MissedColumn::Name,
            "booked_by" => MissedColumn::BookedBy,
            other => return Err(ApiError::invalid(format!("cannot sort by {other:?}"))),
        };
        let descending = match self.order.as_deref().unwrap_or("desc") {
            "desc" => true,
            "asc" => false,
            other => return Err(ApiError::invalid(format!("no order {other:?}"))),
        };
        let filter = MissedFilter {
            view,
            kind: self.kind.clone(),
            name: self.name.clone(),
            source,
            caller: self.caller.clone(),
            accountcode: self.accountcode.clone(),
            first_call: Span {
                from_ms: self.first_call_from,
                until_ms: self.first_call_until,
            },
            last_call: Span {
                from_ms: self.last_call_from,
                until_ms: self.last_call_until,
            },
            last_recalled: Span {
                from_ms: self.last_recalled_from,
                until_ms: self.last_recalled_until,
            },
            recalled: self.recalled,
        };
        Ok((filter, MissedOrder { column, descending }))
    }
}

/// A request to call back.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MissedCallView {
    /// Its id.
    id: i64,
    /// The number to call back, E.164.
    caller: String,
    /// Missed calls counted.
    calls: i64,
    /// The first missed call (ms since the epoch).
    first_call: i64,
    /// The last missed call.
    last_call: i64,
    /// The destination's name (the queue's).
    queue: String,
    /// The destination's kind (`queue`).
    kind: String,
    /// `pbx` or `inbound`.
    source: String,
    /// The number the customer called.
    called: String,
    /// The accountcode.
    accountcode: String,
    /// Callbacks that did not close it.
    recalled: i64,
    /// When the last of them ended.
    last_recalled: Option<i64>,
    /// The operator who booked it, or was assigned it.
    booked_by: Option<String>,
    /// The operator it was assigned to by a supervisor.
    assigned_to: Option<String>,
    /// `open`, `calling` or `closed`.
    state: String,
    /// How it was closed: `callback`, `inbound`, `forced` or `flushed`.
    closure: Option<String>,
    /// When.
    closed_at: Option<i64>,
}

impl From<MissedRequestRow> for MissedCallView {
    fn from(r: MissedRequestRow) -> Self {
        MissedCallView {
            id: r.id,
            assigned_to: r.assigned_by.as_ref().and(r.booked_by.clone()),
            caller: r.caller,
            calls: r.calls,
            first_call: r.first_call_ms,
            last_call: r.last_call_ms,
            queue: r.name,
            kind: r.kind,
            source: r.source.as_str().into(),
            called: r.called,
            accountcode: r.accountcode,
            recalled: r.recalled,
            last_recalled: r.last_recalled_ms,
            booked_by: r.booked_by,
            state: r.state.as_str().into(),
            closure: r.closure.map(|c| c.as_str().into()),
            closed_at: r.closed_at_ms,
        }
    }
}

/// A page of requests.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MissedPageView {
    /// The page.
    missed_calls: Vec<MissedCallView>,
    /// Requests the filter matches in all.
    total: i64,
}

/// Lists missed calls to call back, filtered and sorted as the pages are.
#[utoipa::path(
    get,
    path = "/api/v1/missed-calls",
    operation_id = "listMissedCalls",
    tag = "missed-calls",
    params(MissedQuery),
    responses(
        (status = 200, description = "A page of requests", body = MissedPageView),
        (status = 400, description = "An unknown view, source, sort or order", body = ErrorBody),
    )
)]
pub(crate) async fn list_missed_calls(
    State(state): State<AppState>,
    Query(query): Query<MissedQuery>,
) -> Result<Json<MissedPageView>, ApiError> {
    let (filter, order) = query.read()?;
    let page = state
        .dialer
        .missed_calls(
            &filter,
            order,
            query.offset.unwrap_or(0),
            query.limit.unwrap_or(100),
        )
        .await?;
    Ok(Json(MissedPageView {
        total: page.total,
        missed_calls: page.requests.into_iter().map(Into::into).collect(),
    }))
}

/// A line of a request's history.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MissedEventView {
    /// When (ms since the epoch).
    at: i64,
    /// `call`, `callback`, `booked`, `unbooked`, `assigned`, `unassigned`, `closed`,
    /// `flushed`.
    kind: String,
    /// Who.
    actor: Option<String>,
    /// A callback's attempt.
    attempt_id: Option<i64>,
    /// A callback's outcome.
    outcome: Option<String>,
    /// A callback's talk time (ms).
    talk_ms: Option<i64>,
}

impl From<MissedEventRow> for MissedEventView {
    fn from(e: MissedEventRow) -> Self {
        MissedEventView {
            at: e.at_ms,
            kind: e.kind,
            actor: e.actor,
            attempt_id: e.attempt_id,
            outcome: e.outcome,
            talk_ms: e.talk_ms,
        }
    }
}

/// A request with its history.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MissedDetailView {
    /// The request.
    missed_call: MissedCallView,
    /// Its calls, callbacks, bookings and closure, oldest first.
    history: Vec<MissedEventView>,
}

/// A missed call to call back, with the history of its calls and callbacks.
#[utoipa::path(
    get,
    path = "/api/v1/missed-calls/{id}",
    operation_id = "getMissedCall",
    tag = "missed-calls",
    params(("id" = i64, Path, description = "The request")),
    responses(
        (status = 200, description = "The request", body = MissedDetailView),
        (status = 404, description = "No such request", body = ErrorBody),
    )
)]
pub(crate) async fn get_missed_call(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<MissedDetailView>, ApiError> {
    let detail = state.dialer.missed_call(id).await?;
    Ok(Json(MissedDetailView {
        missed_call: detail.request.into(),
        history: detail.history.into_iter().map(Into::into).collect(),
    }))
}

/// The operator an operation is done for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OperatorBody {
    /// The operator (an agent's name).
    operator: String,
}

/// Books a request for an operator: from now on only they see and call it. Two
/// operators can never book the same request.
#[utoipa::path(
    post,
    path = "/api/v1/missed-calls/{id}/booking",
    operation_id = "bookMissedCall",
    tag = "missed-calls",
    params(("id" = i64, Path, description = "The request")),
    request_body = OperatorBody,
    responses(
        (status = 204, description = "Booked"),
        (status = 404, description = "No such request", body = ErrorBody),
        (status = 409, description = "Booked by someone else, being called back, or closed", body = ErrorBody),
    )
)]
pub(crate) async fn book_missed_call(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<OperatorBody>,
) -> Result<StatusCode, ApiError> {
    state.dialer.book_missed(&body.operator, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Gives back a request the operator had booked.
#[utoipa::path(
    delete,
    path = "/api/v1/missed-calls/{id}/booking",
    operation_id = "unbookMissedCall",
    tag = "missed-calls",
    params(("id" = i64, Path, description = "The request")),
    request_body = OperatorBody,
    responses(
        (status = 204, description = "Given back"),
        (status = 404, description = "No such request", body = ErrorBody),
        (status = 409, description = "Not booked by this operator", body = ErrorBody),
    )
)]
pub(crate) async fn unbook_missed_call(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<OperatorBody>,
) -> Result<StatusCode, ApiError> {
    state.dialer.unbook_missed(&body.operator, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The callback placed.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CallBackView {
    /// Its attempt, written before the call.
    attempt_id: i64,
}

/// Calls a request back for an operator (click-to-call): their phone rings, then the
/// customer's, through the callback campaign (`[missed_calls] campaign`). While the
/// call runs the request is hidden; it is closed when the customer answers and talks
/// longer than `min_talk`, otherwise it comes back.
#[utoipa::path(
    post,
    path = "/api/v1/missed-calls/{id}/calls",
    operation_id = "callBackMissedCall",
    tag = "missed-calls",
    params(("id" = i64, Path, description = "The request")),
    request_body = OperatorBody,
    responses(
        (status = 201, description = "The operator's phone rings", body = CallBackView),
        (status = 404, description = "No such request or callback campaign", body = ErrorBody),
        (status = 409, description = "Booked by someone else, being called back, closed; no callback campaign; the operator's state or the campaign's rules", body = ErrorBody),
    )
)]
pub(crate) async fn call_back_missed_call(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<OperatorBody>,
) -> Result<(StatusCode, Json<CallBackView>), ApiError> {
    let attempt_id = state.dialer.call_back(&body.operator, id).await?;
    Ok((StatusCode::CREATED, Json(CallBackView { attempt_id })))
}

/// Assigns a request to an operator (an agent with an extension, among the configured
/// operators when some are), taking it from whoever had booked it.
#[utoipa::path(
    put,
    path = "/api/v1/missed-calls/{id}/assignment",
    operation_id = "assignMissedCall",
    tag = "missed-calls",
    params(("id" = i64, Path, description = "The request")),
    request_body = OperatorBody,
    responses(
        (status = 204, description = "Assigned"),
        (status = 400, description = "This operator cannot be assigned requests", body = ErrorBody),
        (status = 404, description = "No such request", body = ErrorBody),
        (status = 409, description = "Being called back, or closed", body = ErrorBody),
    )
)]
pub(crate) async fn assign_missed_call(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<OperatorBody>,
) -> Result<StatusCode, ApiError> {
    state
        .dialer
        .assign_missed(API_USER, id, &body.operator)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Takes a request from whoever booked it or was assigned it.
#[utoipa::path(
    delete,
    path = "/api/v1/missed-calls/{id}/assignment",
    operation_id = "unassignMissedCall",
    tag = "missed-calls",
    params(("id" = i64, Path, description = "The request")),
    responses(
        (status = 204, description = "Open to every operator again"),
        (status = 404, description = "No such request", body = ErrorBody),
        (status = 409, description = "Booked by nobody, being called back, or closed", body = ErrorBody),
    )
)]
pub(crate) async fn unassign_missed_call(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.dialer.unassign_missed(API_USER, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Closes a request by hand (a forced closure).
#[utoipa::path(
    post,
    path = "/api/v1/missed-calls/{id}/close",
    operation_id = "closeMissedCall",
    tag = "missed-calls",
    params(("id" = i64, Path, description = "The request")),
    responses(
        (status = 204, description = "Closed"),
        (status = 404, description = "No such request", body = ErrorBody),
        (status = 409, description = "Being called back, or closed", body = ErrorBody),
    )
)]
pub(crate) async fn close_missed_call(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.dialer.close_missed(API_USER, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How many requests a flush closed.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FlushView {
    /// Closed as flushed.
    flushed: u64,
}

/// Flushes open requests: every one the filters match (the list's query parameters),
/// or only those of `ids` among them. Requests being called back are left alone.
#[utoipa::path(
    post,
    path = "/api/v1/missed-calls/flush",
    operation_id = "flushMissedCalls",
    tag = "missed-calls",
    params(MissedQuery),
    request_body(content = Option<Vec<i64>>, description = "The ids to flush among those matched; none: all of them"),
    responses(
        (status = 200, description = "Flushed", body = FlushView),
        (status = 400, description = "An unknown view, source, sort or order", body = ErrorBody),
    )
)]
pub(crate) async fn flush_missed_calls(
    State(state): State<AppState>,
    Query(query): Query<MissedQuery>,
    Json(ids): Json<Option<Vec<i64>>>,
) -> Result<Json<FlushView>, ApiError> {
    let (filter, _) = query.read()?;
    let flushed = state
        .dialer
        .flush_missed(API_USER, &filter, ids.as_deref())
        .await?;
    Ok(Json(FlushView { flushed }))
}
