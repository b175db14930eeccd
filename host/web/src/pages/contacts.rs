//! A list's contacts, a page at a time and searched by number or text, and the
//! do-not-call numbers (a list's own, or the global ones) with a form to add one.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ringhost_dialer::refusal::{AdminError, Refused};
use ringhost_dialer::settings::ListSettings;
use ringhost_store::contact::{ContactRow, ContactSearch, DoNotCallRow, ListRow};
use serde::Deserialize;

use super::campaigns::moment;
use super::{Frame, failed, path_segment, render};
use crate::WebState;
use crate::campaign_form;
use crate::session::Signed;

/// How many contacts a page shows.
const PAGE: i64 = 50;

/// A contacts page's query: what to find, and where the page starts.
#[derive(Debug, Default, Deserialize)]
pub struct ContactsQuery {
    #[serde(default)]
    q: String,
    after: Option<i64>,
}

/// A contact as its table shows it.
struct ContactLine {
    row: ContactRow,
    numbers: String,
    columns: Vec<(String, String)>,
    next_at: String,
}

#[derive(Template)]
#[template(path = "contacts.html")]
struct ContactsPage {
    frame: Frame,
    list: ListRow,
    q: String,
    contacts: Vec<ContactLine>,
    next: Option<i64>,
}

/// What a search means: a whole number in the list's terms, the start of an E.164
/// number, else a text in the contact's columns.
fn search_of(q: &str, settings: &ListSettings) -> ContactSearch {
    let q = q.trim();
    if q.is_empty() {
        return ContactSearch::All;
    }
    if let Ok((e164, _)) = settings.read_number(q) {
        return ContactSearch::Number(e164);
    }
    let compact: String = q.chars().filter(|c| !c.is_whitespace()).collect();
    match compact.strip_prefix('+') {
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            ContactSearch::Number(compact)
        }
        _ => ContactSearch::Text(q.to_owned()),
    }
}

/// The list called `name`, or the page to answer with.
async fn list_named(state: &WebState, signed: &Signed, name: &str) -> Result<ListRow, Response> {
    match state.store.list_by_name(name).await {
        Ok(Some(list)) => Ok(list),
        Ok(None) => Err(signed.not_found()),
        Err(error) => Err(failed(&error, "cannot read a list")),
    }
}

/// `GET /admin/lists/{name}/contacts[?q=...][&after=ID]`: the list's contacts, 50 a
/// page (by id, so a deep page costs what the first does), with a search.
pub async fn contacts(
    State(state): State<WebState>,
    signed: Signed,
    Path(name): Path<String>,
    Query(query): Query<ContactsQuery>,
) -> Response {
    if let Some(refused) = signed.refuse_unless_may("listContacts") {
        return refused;
    }
    let list = match list_named(&state, &signed, &name).await {
        Ok(list) => list,
        Err(page) => return page,
    };
    let settings: ListSettings = serde_json::from_str(&list.settings).unwrap_or_default();
    let search = search_of(&query.q, &settings);
    let rows = state
        .store
        .search_contacts(list.id, &search, query.after.unwrap_or(0), PAGE + 1)
        .await;
    let rows = match rows {
        Ok(rows) => rows,
        Err(error) => return failed(&error, "cannot read contacts"),
    };
    let zone = state.settings.time_zone;
    let next = (rows.len() as i64 > PAGE)
        .then(|| rows.get(PAGE as usize - 1).map(|c| c.id))
        .flatten();
    let contacts = rows
        .into_iter()
        .take(PAGE as usize)
        .map(|row| ContactLine {
            numbers: row.numbers.join(", "),
            columns: ringhost_dialer::admin::variable_pairs(
                &serde_json::from_str(&row.variables).unwrap_or_default(),
            ),
            next_at: if row.state == "ready" {
                moment(row.next_at_ms, zone)
            } else {
                String::new()
            },
            row,
        })
        .collect();
    render(&ContactsPage {
        frame: Frame::of(&signed),
        list,
        q: query.q,
        contacts,
        next,
    })
}

/// The add-a-number form.
#[derive(Debug, Default, Deserialize)]
pub struct NewDoNotCall {
    #[serde(default)]
    number: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    csrf: String,
}

/// The add-a-number form's errors.
#[derive(Debug, Default)]
struct DoNotCallErrors {
    number: Option<String>,
    until: Option<String>,
}

/// A do-not-call number as the table shows it.
struct DoNotCallLine {
    row: DoNotCallRow,
    until: String,
    added: String,
}

#[derive(Template)]
#[template(path = "do_not_call.html")]
struct DoNotCallPage {
    frame: Frame,
    csrf: String,
    /// The list; the global numbers when `None`.
    list: Option<String>,
    action: String,
    numbers: Vec<DoNotCallLine>,
    may_add: bool,
    form: NewDoNotCall,
    errors: DoNotCallErrors,
}

/// How many numbers the page shows (the newest).
const NUMBERS_SHOWN: i64 = 500;

async fn do_not_call_page(
    state: &WebState,
    signed: &Signed,
    list: Option<ListRow>,
    status: StatusCode,
    form: NewDoNotCall,
    errors: DoNotCallErrors,
) -> Response {
    let list_id = list.as_ref().map_or(0, |l| l.id);
    let rows = match state
        .store
        .do_not_call_numbers(list_id, NUMBERS_SHOWN)
        .await
    {
        Ok(rows) => rows,
        Err(error) => return failed(&error, "cannot read the do-not-call numbers"),
    };
    let zone = state.settings.time_zone;
    let numbers = rows
        .into_iter()
        .map(|row| DoNotCallLine {
            until: row.until_ms.map(|at| moment(at, zone)).unwrap_or_default(),
            added: moment(row.added_at_ms, zone),
            row,
        })
        .collect();
    let name = list.map(|l| l.name);
    let action = match &name {
        Some(name) => format!("/admin/lists/{}/do-not-call", path_segment(name)),
        None => "/admin/do-not-call".to_owned(),
    };
    let page = DoNotCallPage {
        frame: Frame::of(signed),
        csrf: signed.csrf.clone(),
        list: name,
        action,
        numbers,
        may_add: signed.role.allows("addDoNotCall"),
        form,
        errors,
    };
    (status, render(&page)).into_response()
}

/// `GET /admin/do-not-call`: the global do-not-call numbers.
pub async fn global_do_not_call(State(state): State<WebState>, signed: Signed) -> Response {
    if let Some(refused) = signed.refuse_unless_may("listContacts") {
        return refused;
    }
    let form = NewDoNotCall::default();
    do_not_call_page(
        &state,
        &signed,
        None,
        StatusCode::OK,
        form,
        DoNotCallErrors::default(),
    )
    .await
}

/// `GET /admin/lists/{name}/do-not-call`: a list's own do-not-call numbers.
pub async fn list_do_not_call(
    State(state): State<WebState>,
    signed: Signed,
    Path(name): Path<String>,
) -> Response {
    if let Some(refused) = signed.refuse_unless_may("listContacts") {
        return refused;
    }
    let list = match list_named(&state, &signed, &name).await {
        Ok(list) => list,
        Err(page) => return page,
    };
    let form = NewDoNotCall::default();
    let errors = DoNotCallErrors::default();
    do_not_call_page(&state, &signed, Some(list), StatusCode::OK, form, errors).await
}

/// `POST /admin/do-not-call`: adds a global do-not-call number.
pub async fn add_global_do_not_call(
    State(state): State<WebState>,
    signed: Signed,
    Form(form): Form<NewDoNotCall>,
) -> Response {
    add_do_not_call(state, signed, None, form).await
}

/// `POST /admin/lists/{name}/do-not-call`: adds a number to a list's do-not-call
/// numbers.
pub async fn add_list_do_not_call(
    State(state): State<WebState>,
    signed: Signed,
    Path(name): Path<String>,
    Form(form): Form<NewDoNotCall>,
) -> Response {
    add_do_not_call(state, signed, Some(name), form).await
}

async fn add_do_not_call(
    state: WebState,
    signed: Signed,
    list: Option<String>,
    form: NewDoNotCall,
) -> Response {
    let refused = signed.refuse_unless_may("addDoNotCall");
    if let Some(refused) = refused.or_else(|| signed.refuse_forged(&form.csrf)) {
        return refused;
    }
    let row = match &list {
        Some(name) => match list_named(&state, &signed, name).await {
            Ok(list) => Some(list),
            Err(page) => return page,
        },
        None => None,
    };
    let mut errors = DoNotCallErrors::default();
    let until_ms = if form.until.trim().is_empty() {
        None
    } else {
        match campaign_form::read_moment(&form.until, state.settings.time_zone) {
            Ok(at) => Some(at),
            Err(problem) => {
                errors.until = Some(problem.message(signed.language));
                None
            }
        }
    };
    if errors.until.is_none() {
        let added = state
            .dialer
            .add_do_not_call(&form.number, list.as_deref(), until_ms, form.reason.trim())
            .await;
        match added {
            Ok(number) => {
                tracing::info!(by = %signed.user.name, %number, list = list.as_deref().unwrap_or(""), "do-not-call number added from the web panel");
                let to = match &list {
                    Some(name) => format!("/admin/lists/{}/do-not-call", path_segment(name)),
                    None => "/admin/do-not-call".to_owned(),
                };
                return Redirect::to(&to).into_response();
            }
            Err(AdminError::Refused(Refused::Invalid(why))) => errors.number = Some(why),
            Err(AdminError::Refused(other)) => errors.number = Some(other.to_string()),
            Err(AdminError::Failed(error)) => return failed(&error, "cannot add a number"),
        }
    }
    do_not_call_page(
        &state,
        &signed,
        row,
        StatusCode::UNPROCESSABLE_ENTITY,
        form,
        errors,
    )
    .await
}
