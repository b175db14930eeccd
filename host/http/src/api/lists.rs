//! Contact lists, their contacts and the numbers never to call: what campaigns dial.
//!
//! Lists are addressed by name, the handle an operator imports into
//! (`ringhost import NAME`), rather than by id.

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use ringhost_dialer::admin::ImportSummary;
use ringhost_dialer::settings::ListSettings;
use ringhost_store::contact::{ContactCounts, ContactRow, ListRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::ErrorBody;
use super::schemas::{ImportSummaryDoc, ListSettingsDoc};
use super::{ApiError, Json, Path, Query, page_limit};
use crate::AppState;

/// The largest CSV file taken in one request. Whole lists are imported at once, and a
/// million contacts is about 100 MiB.
const MAX_IMPORT_BYTES: usize = 256 << 20;

/// A contact list.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ListView {
    /// Its id, as campaigns refer to it.
    id: i64,
    /// Its unique name.
    name: String,
    /// The accounting code of its calls.
    accountcode: String,
    /// Whether its contacts are dialled.
    active: bool,
    /// Its settings.
    #[schema(value_type = ListSettingsDoc)]
    settings: ListSettings,
}

impl ListView {
    fn of(row: ListRow) -> anyhow::Result<ListView> {
        Ok(ListView {
            settings: serde_json::from_str(&row.settings)?,
            id: row.id,
            name: row.name,
            accountcode: row.accountcode,
            active: row.active,
        })
    }
}

/// A contact list with how far its contacts are.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ListDetail {
    #[serde(flatten)]
    list: ListView,
    /// Its contacts by state.
    contacts: Counts,
}

/// Contacts by state.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Counts {
    /// Waiting for their next attempt.
    ready: i64,
    /// Being dialled now.
    dialing: i64,
    /// Finished: reached, out of attempts, or refused.
    done: i64,
}

/// A new contact list.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct NewList {
    /// Its unique name.
    name: String,
    /// The accounting code of its calls.
    #[serde(default)]
    accountcode: String,
    /// Its settings; the defaults when absent.
    #[serde(default)]
    #[schema(value_type = Option<ListSettingsDoc>)]
    settings: ListSettings,
}

/// One contact of a list.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ContactView {
    /// Its id.
    id: i64,
    /// Its line in the imported file.
    line: i64,
    /// Its numbers in E.164, tried in this order.
    numbers: Vec<String>,
    /// The file's other columns, by header.
    #[schema(value_type = Object)]
    variables: serde_json::Map<String, serde_json::Value>,
    /// Its IANA time zone, for calling hours.
    time_zone: String,
    /// `ready`, `dialing` or `done`.
    state: String,
    /// Attempts made so far.
    attempts: i64,
    /// When it is due next (ms since the epoch).
    next_at_ms: i64,
    /// Its last disposition status.
    status: Option<String>,
}

impl ContactView {
    fn of(row: ContactRow) -> anyhow::Result<ContactView> {
        Ok(ContactView {
            variables: serde_json::from_str(&row.variables)?,
            id: row.id,
            line: row.line,
            numbers: row.numbers,
            time_zone: row.time_zone,
            state: row.state,
            attempts: row.attempts,
            next_at_ms: row.next_at_ms,
            status: row.status,
        })
    }
}

/// A page of contacts, in import order.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ContactsPage {
    /// Only contacts after this id: the last id of the previous page.
    after: Option<i64>,
    /// At most this many: 100 when absent, 1000 at most.
    limit: Option<i64>,
}

/// A number never to call.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct NewDoNotCall {
    /// The number, international or in the list's (or the default) region.
    number: String,
    /// The list whose contacts must not be called on it; every list when absent.
    list: Option<String>,
    /// Until when (ms since the epoch); for ever when absent.
    until_ms: Option<i64>,
    /// Why, for people.
    reason: Option<String>,
}

/// A number as stored: E.164.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Number {
    /// The number in E.164.
    number: String,
}

/// Every contact list.
#[utoipa::path(
    get,
    path = "/api/v1/lists",
    operation_id = "listLists",
    tag = "lists",
    responses((status = 200, description = "Every list, by name", body = [ListView]))
)]
pub(crate) async fn list_lists(
    State(state): State<AppState>,
) -> Result<Json<Vec<ListView>>, ApiError> {
    let lists = state.store.lists().await?;
    let views = lists
        .into_iter()
        .map(ListView::of)
        .collect::<Result<_, _>>()?;
    Ok(Json(views))
}

/// Creates a contact list.
///
/// Importing into a list that does not exist creates it with the default settings;
/// this is for a list that needs other settings or an accounting code.
#[utoipa::path(
    post,
    path = "/api/v1/lists",
    operation_id = "createList",
    tag = "lists",
    request_body = NewList,
    responses(
        (status = 201, description = "The list", body = ListView),
        (status = 400, description = "No name, or settings that do not parse", body = ErrorBody),
        (status = 409, description = "A list of that name exists", body = ErrorBody),
    )
)]
pub(crate) async fn create_list(
    State(state): State<AppState>,
    Json(new): Json<NewList>,
) -> Result<(StatusCode, Json<ListView>), ApiError> {
    let row = state
        .dialer
        .create_list(&new.name, &new.accountcode, &new.settings)
        .await?;
    Ok((StatusCode::CREATED, Json(ListView::of(row)?)))
}

/// A contact list and its contacts' progress.
#[utoipa::path(
    get,
    path = "/api/v1/lists/{name}",
    operation_id = "getList",
    tag = "lists",
    params(("name" = String, Path, description = "The list's name")),
    responses(
        (status = 200, description = "The list", body = ListDetail),
        (status = 404, description = "No such list", body = ErrorBody),
    )
)]
pub(crate) async fn get_list(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<ListDetail>, ApiError> {
    let row = list(&state, &name).await?;
    let ContactCounts {
        ready,
        dialing,
        done,
    } = state.store.contact_counts(&[row.id]).await?;
    Ok(Json(ListDetail {
        list: ListView::of(row)?,
        contacts: Counts {
            ready,
            dialing,
            done,
        },
    }))
}

/// Imports contacts from an ADS CSV file.
///
/// The body is the file itself. The list is created with the default settings when
/// missing. Good rows are stored and bad ones reported with their line and reason, so
/// a file with a few bad rows is still imported; a file that is not CSV at all (no
/// header, duplicate columns) is refused whole.
#[utoipa::path(
    post,
    path = "/api/v1/lists/{name}/import",
    operation_id = "importContacts",
    tag = "lists",
    params(("name" = String, Path, description = "The list's name")),
    request_body(content = String, content_type = "text/csv", description = "The CSV file"),
    responses(
        (status = 200, description = "What was imported and what was not", body = ImportSummaryDoc),
        (status = 400, description = "The file cannot be read as CSV", body = ErrorBody),
        (status = 413, description = "The file is larger than 256 MiB", body = ErrorBody),
    )
)]
pub(crate) async fn import_contacts(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Body,
) -> Result<Json<ImportSummary>, ApiError> {
    let csv = axum::body::to_bytes(body, MAX_IMPORT_BYTES)
        .await
        .map_err(|e| {
            let limit = MAX_IMPORT_BYTES >> 20;
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the file cannot be read whole (at most {limit} MiB are taken): {e}"),
            )
        })?;
    Ok(Json(state.dialer.import(&name, &csv[..]).await?))
}

/// A page of a list's contacts, in import order.
#[utoipa::path(
    get,
    path = "/api/v1/lists/{name}/contacts",
    operation_id = "listContacts",
    tag = "lists",
    params(("name" = String, Path, description = "The list's name"), ContactsPage),
    responses(
        (status = 200, description = "The contacts; fewer than `limit` on the last page", body = [ContactView]),
        (status = 404, description = "No such list", body = ErrorBody),
    )
)]
pub(crate) async fn list_contacts(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(page): Query<ContactsPage>,
) -> Result<Json<Vec<ContactView>>, ApiError> {
    let row = list(&state, &name).await?;
    let contacts = state
        .store
        .contacts(row.id, page.after.unwrap_or(0), page_limit(page.limit))
        .await?;
    let views = contacts
        .into_iter()
        .map(ContactView::of)
        .collect::<Result<_, _>>()?;
    Ok(Json(views))
}

/// Adds a number to the do-not-call list of one list, or of every list.
#[utoipa::path(
    post,
    path = "/api/v1/do-not-call",
    operation_id = "addDoNotCall",
    tag = "lists",
    request_body = NewDoNotCall,
    responses(
        (status = 201, description = "The number, normalised", body = Number),
        (status = 400, description = "Not a phone number", body = ErrorBody),
        (status = 404, description = "No such list", body = ErrorBody),
    )
)]
pub(crate) async fn add_do_not_call(
    State(state): State<AppState>,
    Json(new): Json<NewDoNotCall>,
) -> Result<(StatusCode, Json<Number>), ApiError> {
    let number = state
        .dialer
        .add_do_not_call(
            &new.number,
            new.list.as_deref(),
            new.until_ms,
            new.reason.as_deref().unwrap_or(""),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(Number { number })))
}

async fn list(state: &AppState, name: &str) -> Result<ListRow, ApiError> {
    state
        .store
        .list_by_name(name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("list {name:?}")))
}
