//! The admin's contact lists: created, their counts, and a CSV import whose refused
//! rows are listed by line with their reason.

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ringhost_dialer::admin::ImportSummary;
use ringhost_dialer::refusal::AdminError;
use ringhost_dialer::settings::ListSettings;
use ringhost_store::contact::{ContactCounts, ListRow};
use serde::Deserialize;

use super::{Frame, error_page, failed, read_upload, render};
use crate::WebState;
use crate::session::Signed;

/// The create-list form.
#[derive(Debug, Default, Deserialize)]
pub struct NewList {
    #[serde(default)]
    name: String,
    #[serde(default)]
    accountcode: String,
    #[serde(default)]
    csrf: String,
}

/// A form's errors, by field.
#[derive(Debug, Default)]
struct ListErrors {
    name: Option<String>,
}

#[derive(Template)]
#[template(path = "lists.html")]
struct ListsPage {
    frame: Frame,
    csrf: String,
    lists: Vec<ListRow>,
    form: NewList,
    errors: ListErrors,
}

/// The lists page, with `form` and its `errors` as they were sent.
async fn lists_page(
    state: &WebState,
    signed: &Signed,
    status: StatusCode,
    form: NewList,
    errors: ListErrors,
) -> Response {
    let lists = match state.store.lists().await {
        Ok(lists) => lists,
        Err(error) => return failed(&error, "cannot read the lists"),
    };
    let page = ListsPage {
        frame: Frame::of(signed),
        csrf: signed.csrf.clone(),
        lists,
        form,
        errors,
    };
    (status, render(&page)).into_response()
}

/// `GET /admin/lists`: the contact lists, and a form to create one.
pub async fn lists(State(state): State<WebState>, signed: Signed) -> Response {
    if let Some(refused) = signed.refuse_unless_may("listLists") {
        return refused;
    }
    lists_page(
        &state,
        &signed,
        StatusCode::OK,
        NewList::default(),
        ListErrors::default(),
    )
    .await
}

/// `POST /admin/lists`: creates a list; its errors shown beside their fields.
pub async fn create_list(
    State(state): State<WebState>,
    signed: Signed,
    Form(form): Form<NewList>,
) -> Response {
    let refused = signed.refuse_unless_may("createList");
    if let Some(refused) = refused.or_else(|| signed.refuse_forged(&form.csrf)) {
        return refused;
    }
    let text = signed.language.text();
    let name = form.name.trim();
    if name.is_empty() {
        let errors = ListErrors {
            name: Some(text.required.to_owned()),
        };
        return lists_page(
            &state,
            &signed,
            StatusCode::UNPROCESSABLE_ENTITY,
            form,
            errors,
        )
        .await;
    }
    let created = state
        .dialer
        .create_list(name, form.accountcode.trim(), &ListSettings::default())
        .await;
    match created {
        Ok(_) => Redirect::to("/admin/lists").into_response(),
        Err(AdminError::Refused(refused)) => {
            let errors = ListErrors {
                name: Some(refused.to_string()),
            };
            lists_page(
                &state,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                errors,
            )
            .await
        }
        Err(AdminError::Failed(error)) => failed(&error, "cannot create a list"),
    }
}

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    frame: Frame,
    csrf: String,
    list: ListRow,
    counts: ContactCounts,
    summary: Option<ImportSummary>,
    file_error: Option<&'static str>,
}

/// One list's page: its counts, the import form, and an import's result.
async fn list_page(
    state: &WebState,
    signed: &Signed,
    name: &str,
    summary: Option<ImportSummary>,
    file_error: Option<&'static str>,
) -> Response {
    let found = match state.store.list_by_name(name).await {
        Ok(found) => found,
        Err(error) => return failed(&error, "cannot read a list"),
    };
    let Some(list) = found else {
        return signed.not_found();
    };
    let counts = match state.store.contact_counts(&[list.id]).await {
        Ok(counts) => counts,
        Err(error) => return failed(&error, "cannot count a list's contacts"),
    };
    let status = if file_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = ListPage {
        frame: Frame::of(signed),
        csrf: signed.csrf.clone(),
        list,
        counts,
        summary,
        file_error,
    };
    (status, render(&page)).into_response()
}

/// `GET /admin/lists/{name}`: a list's counts and its import form.
pub async fn list(
    State(state): State<WebState>,
    signed: Signed,
    Path(name): Path<String>,
) -> Response {
    if let Some(refused) = signed.refuse_unless_may("getList") {
        return refused;
    }
    list_page(&state, &signed, &name, None, None).await
}

/// `POST /admin/lists/{name}/import`: imports a CSV into the list (a multipart form:
/// `csrf`, then the file `csv`); the good rows are kept and the bad ones listed by
/// line with their reason.
pub async fn import(
    State(state): State<WebState>,
    signed: Signed,
    Path(name): Path<String>,
    form: Multipart,
) -> Response {
    if let Some(refused) = signed.refuse_unless_may("importContacts") {
        return refused;
    }
    let (csrf, csv) = match read_upload(form, "csv", &signed).await {
        Ok(read) => read,
        Err(refused) => return refused,
    };
    if let Some(refused) = signed.refuse_forged(&csrf) {
        return refused;
    }
    let text = signed.language.text();
    let Some(csv) = csv.filter(|csv| !csv.is_empty()) else {
        return list_page(&state, &signed, &name, None, Some(text.no_file)).await;
    };
    if !matches!(state.store.list_by_name(&name).await, Ok(Some(_))) {
        return signed.not_found();
    }
    match state.dialer.import(&name, &csv[..]).await {
        Ok(summary) => {
            tracing::info!(user = %signed.user.name, list = %name, imported = summary.imported, rejected = summary.rejected.len(), "contacts imported from the web panel");
            list_page(&state, &signed, &name, Some(summary), None).await
        }
        Err(AdminError::Refused(refused)) => error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            signed.language,
            &refused.to_string(),
        ),
        Err(AdminError::Failed(error)) => failed(&error, "cannot import contacts"),
    }
}
