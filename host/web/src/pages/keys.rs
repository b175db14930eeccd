//! The admin's API keys: listed with what each may call and when it was last used,
//! made (given a role, or chosen operations) with the secret shown once, and revoked.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ringhost_http::role::Role;
use ringhost_store::api_key::{self, ApiKeyListed};
use serde::Deserialize;

use super::campaigns::moment;
use super::{Frame, Plain, failed, render};
use crate::WebState;
use crate::session::Signed;

/// A key as the table shows it.
struct KeyLine {
    listed: ApiKeyListed,
    created: String,
    last_used: String,
}

/// The new-key form's errors.
#[derive(Default)]
struct KeyErrors {
    name: Option<&'static str>,
    grant: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "keys.html")]
struct KeysPage {
    frame: Frame,
    csrf: String,
    keys: Vec<KeyLine>,
    operations: &'static [String],
    roles: Vec<&'static str>,
    /// A key just made: its name and its secret, shown this once.
    made: Option<(String, String)>,
    name: String,
    errors: KeyErrors,
}

async fn keys_page(
    state: &WebState,
    signed: &Signed,
    status: StatusCode,
    made: Option<(String, String)>,
    name: String,
    errors: KeyErrors,
) -> Response {
    let listed = match state.store.api_keys().await {
        Ok(listed) => listed,
        Err(error) => return failed(&error, "cannot read the API keys"),
    };
    let zone = state.settings.time_zone;
    let keys = listed
        .into_iter()
        .map(|listed| KeyLine {
            created: moment(listed.created_at_ms, zone),
            last_used: listed
                .last_used_at_ms
                .map(|at| moment(at, zone))
                .unwrap_or_default(),
            listed,
        })
        .collect();
    let page = KeysPage {
        frame: Frame::of(signed),
        csrf: signed.csrf.clone(),
        keys,
        operations: ringhost_http::operation_ids(),
        roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
        made,
        name,
        errors,
    };
    (status, render(&page)).into_response()
}

/// `GET /admin/keys`: the API keys and the form to make one.
pub async fn keys(State(state): State<WebState>, signed: Signed) -> Response {
    if let Some(refused) = signed.refuse_unless(&[Role::Admin]) {
        return refused;
    }
    keys_page(
        &state,
        &signed,
        StatusCode::OK,
        None,
        String::new(),
        KeyErrors::default(),
    )
    .await
}

/// `POST /admin/keys`: makes a key given a role (`role`) or chosen operations
/// (`operation`, repeated); the page shows its secret once.
pub async fn create_key(
    State(state): State<WebState>,
    signed: Signed,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let value = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.trim())
    };
    let refused = signed.refuse_unless(&[Role::Admin]);
    if let Some(refused) = refused.or_else(|| signed.refuse_forged(value("csrf"))) {
        return refused;
    }
    let language = signed.language;
    let name = value("name").to_owned();
    let operations: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "operation")
        .map(|(_, v)| v.as_str())
        .collect();
    let known = ringhost_http::operation_ids();
    let permissions = match (value("role"), operations.is_empty()) {
        ("", false) if operations.iter().all(|o| known.iter().any(|k| k == o)) => {
            serde_json::to_string(&operations).ok()
        }
        (role, true) if Role::parse(role).is_some() => {
            Some(serde_json::json!({ "role": role }).to_string())
        }
        _ => None,
    };
    let mut errors = KeyErrors::default();
    if name.is_empty() || name.len() > 64 {
        errors.name = Some(language.pick(("Da 1 a 64 caratteri.", "1 to 64 characters.")));
    }
    if permissions.is_none() {
        errors.grant = Some(language.pick((
            "Scegli un ruolo oppure le operazioni, non entrambi.",
            "Choose a role or the operations, not both.",
        )));
    }
    let taken =
        matches!(state.store.api_keys().await, Ok(keys) if keys.iter().any(|k| k.key.name == name));
    if taken {
        errors.name = Some(language.text().taken);
    }
    let (Some(permissions), None) = (permissions, errors.name.or(errors.grant)) else {
        return keys_page(
            &state,
            &signed,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            name,
            errors,
        )
        .await;
    };
    let secret = api_key::new_secret();
    let created = state
        .store
        .create_api_key(
            &name,
            &api_key::hash(&secret),
            &permissions,
            state.dialer.now_ms(),
        )
        .await;
    if let Err(error) = created {
        return failed(&error, "cannot make an API key");
    }
    tracing::info!(by = %signed.user.name, key = %name, %permissions, "API key made from the web panel");
    keys_page(
        &state,
        &signed,
        StatusCode::OK,
        Some((name, secret)),
        String::new(),
        KeyErrors::default(),
    )
    .await
}

/// Which key to revoke.
#[derive(Debug, Deserialize)]
pub struct KeyName {
    name: String,
}

/// `POST /admin/keys/{name}/revoke`: deletes the key; its secret stops working at once.
pub async fn revoke_key(
    State(state): State<WebState>,
    signed: Signed,
    Path(KeyName { name }): Path<KeyName>,
    Form(form): Form<Plain>,
) -> Response {
    let refused = signed.refuse_unless(&[Role::Admin]);
    if let Some(refused) = refused.or_else(|| signed.refuse_forged(&form.csrf)) {
        return refused;
    }
    match state.store.delete_api_key(&name).await {
        Ok(true) => {
            tracing::info!(by = %signed.user.name, key = %name, "API key revoked from the web panel");
            Redirect::to("/admin/keys").into_response()
        }
        Ok(false) => signed.not_found(),
        Err(error) => failed(&error, "cannot revoke an API key"),
    }
}
