//! The pages: sign-in and sign-out, the home page, the admin's lists, and the error
//! pages. Each handler checks the role the page needs and the anti-forgery token of
//! every form it takes; a form's errors are shown beside their fields and nothing is
//! saved half-way.

use std::net::SocketAddr;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use ringhost_dialer::admin::ImportSummary;
use ringhost_dialer::refusal::AdminError;
use ringhost_dialer::settings::ListSettings;
use ringhost_store::contact::{ContactCounts, ListRow};
use ringhost_store::user::UserRow;
use serde::Deserialize;

use crate::language::{Language, Text};
use crate::role::Role;
use crate::session::{
    SESSION_COOKIE, SIGN_IN_COOKIE, Signed, cookie_value, new_token, same_token, set_cookie,
    token_hash,
};
use crate::{WebState, assets, password, users};

/// What every page's frame (`base.html`) shows: its texts and language, the
/// vendored htmx, and the signed-in user in the header.
pub struct Frame {
    t: &'static Text,
    lang: &'static str,
    htmx: &'static str,
    me: Option<Me>,
}

impl Frame {
    /// The frame of a signed-in user's page, in their language.
    fn of(signed: &Signed) -> Frame {
        Frame {
            me: Some(Me {
                display_name: signed.user.display_name.clone(),
                csrf: signed.csrf.clone(),
                admin: signed.role == Role::Admin,
            }),
            ..Frame::signed_out(signed.language)
        }
    }

    /// The frame of a page seen signed out, in `language`.
    fn signed_out(language: Language) -> Frame {
        Frame {
            t: language.text(),
            lang: language.as_str(),
            htmx: assets::HTMX,
            me: None,
        }
    }
}

/// The signed-in user as the page header shows them.
pub struct Me {
    display_name: String,
    csrf: String,
    admin: bool,
}

/// A 500 for a request the host could not serve (its database failed): the error
/// goes to the log as `what`, the browser learns nothing of it.
pub(crate) fn failed(error: &anyhow::Error, what: &str) -> Response {
    tracing::error!(error = format!("{error:#}"), "{what}");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

/// Renders `page`, or a 500 with a log line when a template fails.
fn render(page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(error) => {
            tracing::error!(%error, "a page could not be rendered");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    frame: Frame,
    status: u16,
    message: &'a str,
}

/// An error page with `status` and `message`, in `language`.
pub fn error_page(status: StatusCode, language: Language, message: &str) -> Response {
    let page = ErrorPage {
        frame: Frame::signed_out(language),
        status: status.as_u16(),
        message,
    };
    (status, render(&page)).into_response()
}

/// The language of a signed-out request: its `Accept-Language`.
fn asked_language(headers: &HeaderMap) -> Language {
    Language::from_accept(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

/// The 404 page, for any path the panel does not serve.
pub async fn not_found(headers: HeaderMap) -> Response {
    let language = asked_language(&headers);
    error_page(StatusCode::NOT_FOUND, language, language.text().not_found)
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage<'a> {
    frame: Frame,
    csrf: &'a str,
    name: &'a str,
    error: Option<&'a str>,
}

/// The sign-in page with a fresh anti-forgery token (set as its cookie too).
fn sign_in_page(
    status: StatusCode,
    language: Language,
    name: &str,
    error: Option<&str>,
    secure: bool,
) -> Response {
    let csrf = new_token();
    let page = SignInPage {
        frame: Frame::signed_out(language),
        csrf: &csrf,
        name,
        error,
    };
    let cookie = set_cookie(SIGN_IN_COOKIE, Some(&csrf), secure);
    (status, [(header::SET_COOKIE, cookie)], render(&page)).into_response()
}

/// `GET /`: the sign-in page; a signed-in user goes on to their home page.
pub async fn sign_in_form(
    State(state): State<WebState>,
    signed: Result<Signed, Response>,
    headers: HeaderMap,
) -> Response {
    if signed.is_ok() {
        return Redirect::to("/home").into_response();
    }
    sign_in_page(
        StatusCode::OK,
        asked_language(&headers),
        "",
        None,
        state.settings.secure_cookies,
    )
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct SignIn {
    name: String,
    password: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /`: signs in. Each failure is one log line with the source address (a
/// fail2ban filter can match `web sign-in failed`); the password never reaches a log.
pub async fn sign_in(
    State(state): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<SignIn>,
) -> Response {
    let language = asked_language(&headers);
    let text = language.text();
    let secure = state.settings.secure_cookies;
    let expected = cookie_value(&headers, SIGN_IN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_token(&form.csrf, &expected) {
        tracing::warn!(address = %peer.ip(), "web sign-in refused: anti-forgery token missing or wrong");
        return sign_in_page(
            StatusCode::FORBIDDEN,
            language,
            &form.name,
            Some(text.bad_form),
            secure,
        );
    }
    let address = peer.ip();
    if !state.throttle.allows(&form.name, address) {
        tracing::warn!(user = %form.name, %address, "web sign-in failed: throttled");
        return sign_in_page(
            StatusCode::TOO_MANY_REQUESTS,
            language,
            &form.name,
            Some(text.throttled),
            secure,
        );
    }
    let user = match state.store.user_by_name(&form.name).await {
        Ok(user) => user,
        Err(error) => return failed(&error, "cannot read the users"),
    };
    // A missing user costs a hash too, so that timing does not tell names apart.
    let phc = user
        .as_ref()
        .map_or(DECOY.as_str(), |u| u.password_hash.as_str());
    let checked = tokio::task::spawn_blocking({
        let (password, phc) = (form.password.clone(), phc.to_owned());
        move || password::verify(&password, &phc)
    })
    .await
    .unwrap_or(false);
    let user = match user {
        Some(user) if checked && !user.disabled => user,
        _ => {
            state.throttle.failed(&form.name, address);
            tracing::warn!(user = %form.name, %address, "web sign-in failed");
            return sign_in_page(
                StatusCode::UNAUTHORIZED,
                language,
                &form.name,
                Some(text.bad_credentials),
                secure,
            );
        }
    };
    state.throttle.succeeded(&form.name);
    let token = new_token();
    let created = state
        .store
        .create_session(
            &token_hash(&token),
            user.id,
            &new_token(),
            &address.to_string(),
            crate::now_ms(),
        )
        .await;
    if let Err(error) = created {
        return failed(&error, "cannot start a web session");
    }
    tracing::info!(user = %user.name, %address, "web sign-in");
    let mut response = Redirect::to("/home").into_response();
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, Some(&token), secure),
    );
    headers.append(header::SET_COOKIE, set_cookie(SIGN_IN_COOKIE, None, secure));
    response
}

/// An argon2id hash of no one's password, checked for a name that has no user.
static DECOY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    password::hash(&new_token()).expect("a token is long enough to be a password")
});

/// A form that carries only its anti-forgery token.
#[derive(Debug, Deserialize)]
pub struct Plain {
    #[serde(default)]
    csrf: String,
}

/// `POST /signout`: ends the session.
pub async fn sign_out(
    State(state): State<WebState>,
    signed: Signed,
    Form(form): Form<Plain>,
) -> Response {
    if let Some(refused) = signed.refuse_forged(&form.csrf) {
        return refused;
    }
    if let Err(error) = state.store.delete_session(&signed.token_hash).await {
        tracing::error!(error = format!("{error:#}"), "cannot end a web session");
    }
    tracing::info!(user = %signed.user.name, "web sign-out");
    let mut response = Redirect::to("/").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, None, state.settings.secure_cookies),
    );
    response
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    frame: Frame,
    display_name: String,
}

/// `GET /home`: every signed-in user's landing page.
pub async fn home(signed: Signed) -> Response {
    render(&HomePage {
        frame: Frame::of(&signed),
        display_name: signed.user.display_name.clone(),
    })
}

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
    if let Some(refused) = signed.refuse_unless(&[Role::Admin]) {
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
    let refused = signed.refuse_unless(&[Role::Admin]);
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
        let text = signed.language.text();
        return error_page(StatusCode::NOT_FOUND, signed.language, text.not_found);
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
    if let Some(refused) = signed.refuse_unless(&[Role::Admin]) {
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
    mut form: Multipart,
) -> Response {
    if let Some(refused) = signed.refuse_unless(&[Role::Admin]) {
        return refused;
    }
    let mut csrf = String::new();
    let mut csv: Option<Vec<u8>> = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) => {
                let text = signed.language.text();
                tracing::warn!(%error, "an import form could not be read");
                return error_page(StatusCode::BAD_REQUEST, signed.language, text.bad_form);
            }
        };
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("csv") => csv = field.bytes().await.ok().map(|b| b.to_vec()),
            _ => {}
        }
    }
    if let Some(refused) = signed.refuse_forged(&csrf) {
        return refused;
    }
    let text = signed.language.text();
    let Some(csv) = csv.filter(|csv| !csv.is_empty()) else {
        return list_page(&state, &signed, &name, None, Some(text.no_file)).await;
    };
    if !matches!(state.store.list_by_name(&name).await, Ok(Some(_))) {
        return error_page(StatusCode::NOT_FOUND, signed.language, text.not_found);
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
        Err(_) => error_page(StatusCode::NOT_FOUND, signed.language, text.not_found),
    }
}
