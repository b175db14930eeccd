//! The admin's users: listed, created (each error beside its field), disabled.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ringhost_store::user::UserRow;
use serde::Deserialize;

use super::{Frame, Plain, error_page, failed, render};
use crate::language::Language;
use crate::session::Signed;
use crate::{WebState, password, users};
use ringhost_http::role::Role;

/// The create-user form.
#[derive(Debug, Default, Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

/// The create-user form's errors, by field.
#[derive(Debug, Default)]
struct UserErrors {
    name: Option<&'static str>,
    role: Option<&'static str>,
    password: Option<&'static str>,
}

impl UserErrors {
    fn any(&self) -> bool {
        self.name.is_some() || self.role.is_some() || self.password.is_some()
    }
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    frame: Frame,
    csrf: String,
    users: Vec<UserRow>,
    form: NewUserForm,
    errors: UserErrors,
}

/// The users page, with `form` and its `errors` as they were sent.
async fn users_page(
    state: &WebState,
    signed: &Signed,
    status: StatusCode,
    form: NewUserForm,
    errors: UserErrors,
) -> Response {
    let all = match users::list(&state.store).await {
        Ok(all) => all,
        Err(error) => return failed(&error, "cannot read the users"),
    };
    let page = UsersPage {
        frame: Frame::of(signed),
        csrf: signed.csrf.clone(),
        users: all,
        // The password is never sent back.
        form: NewUserForm {
            password: String::new(),
            ..form
        },
        errors,
    };
    (status, render(&page)).into_response()
}

/// `GET /admin/users`: the users, and a form to create one.
pub async fn users_list(State(state): State<WebState>, signed: Signed) -> Response {
    if let Some(refused) = signed.refuse_unless(&[Role::Admin]) {
        return refused;
    }
    let form = NewUserForm {
        role: Role::Agent.as_str().to_owned(),
        language: signed.language.as_str().to_owned(),
        ..NewUserForm::default()
    };
    users_page(&state, &signed, StatusCode::OK, form, UserErrors::default()).await
}

/// `POST /admin/users`: creates a user; each error beside its field, nothing saved.
pub async fn create_user(
    State(state): State<WebState>,
    signed: Signed,
    Form(form): Form<NewUserForm>,
) -> Response {
    let refused = signed.refuse_unless(&[Role::Admin]);
    if let Some(refused) = refused.or_else(|| signed.refuse_forged(&form.csrf)) {
        return refused;
    }
    let text = signed.language.text();
    let role = Role::parse(&form.role);
    let language = Language::parse(&form.language);
    let mut errors = UserErrors {
        name: (!users::valid_name(&form.name)).then_some(text.bad_user_name),
        role: (role.is_none() || language.is_none()).then_some(text.bad_choice),
        password: (form.password.chars().count() < password::MIN_LENGTH)
            .then_some(text.short_password),
    };
    if errors.name.is_none() && matches!(state.store.user_by_name(&form.name).await, Ok(Some(_))) {
        errors.name = Some(text.taken);
    }
    let (Some(role), Some(language), false) = (role, language, errors.any()) else {
        return users_page(
            &state,
            &signed,
            StatusCode::UNPROCESSABLE_ENTITY,
            form,
            errors,
        )
        .await;
    };
    let spec = users::UserSpec {
        name: &form.name,
        display_name: &form.display_name,
        role,
        language,
        agent: None,
    };
    match users::create(&state.store, &spec, &form.password, crate::now_ms()).await {
        Ok(_) => {
            tracing::info!(by = %signed.user.name, user = %form.name, role = role.as_str(), "web user created");
            Redirect::to("/admin/users").into_response()
        }
        Err(error) => failed(&error, "cannot create a user"),
    }
}

/// `POST /admin/users/{name}/disable`: disables a user (their sessions end). An admin
/// cannot disable themself, so that the panel always keeps one.
pub async fn disable_user(
    State(state): State<WebState>,
    signed: Signed,
    Path(name): Path<String>,
    Form(form): Form<Plain>,
) -> Response {
    let refused = signed.refuse_unless(&[Role::Admin]);
    if let Some(refused) = refused.or_else(|| signed.refuse_forged(&form.csrf)) {
        return refused;
    }
    let text = signed.language.text();
    if name == signed.user.name {
        return error_page(StatusCode::CONFLICT, signed.language, text.forbidden);
    }
    match users::disable(&state.store, &name, crate::now_ms()).await {
        Ok(()) => {
            tracing::info!(by = %signed.user.name, user = %name, "web user disabled");
            Redirect::to("/admin/users").into_response()
        }
        Err(_) => signed.not_found(),
    }
}
