//! The pages. Here: the frame every page shares, sign-in and sign-out, the home page
//! and the error pages; each area of the panel is a module of its own. Each handler
//! checks that the user's role may do what the page does and the anti-forgery token of
//! every form it takes; a form's errors are shown beside their fields and nothing is
//! saved half-way.

use std::net::SocketAddr;

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::language::{Language, Text};
use crate::session::{
    SESSION_COOKIE, SIGN_IN_COOKIE, Signed, cookie_value, new_token, same_token, set_cookie,
    token_hash,
};
use crate::{WebState, assets, password};
use ringhost_http::role::Role;

pub mod agents;
pub mod campaigns;
pub mod contacts;
pub mod desk;
pub mod floor;
pub mod keys;
pub mod lists;
pub mod missed;
pub mod plugins;
pub mod reports;
pub mod supervisor;
pub mod templates;
pub mod trunks;
pub mod users;
pub mod wallboard;

/// What every page's frame (`base.html`) shows: its texts and language, the
/// vendored htmx, and the signed-in user in the header.
pub struct Frame {
    t: &'static Text,
    language: Language,
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
                steers: signed.role.allows("campaignStatus"),
                agent: signed.user.agent.is_some() && signed.role.allows("agentCall"),
            }),
            ..Frame::signed_out(signed.language)
        }
    }

    /// The frame of a page seen signed out, in `language`.
    fn signed_out(language: Language) -> Frame {
        Frame {
            t: language.text(),
            language,
            lang: language.as_str(),
            htmx: assets::HTMX,
            me: None,
        }
    }

    /// Whether the signed-in user is an admin (who sees the forms that change the
    /// setup; others see the same pages read-only).
    fn admin(&self) -> bool {
        self.me.as_ref().is_some_and(|me| me.admin)
    }

    /// Of a text written in Italian and English, the one in the page's language.
    fn tr(&self, it: &'static str, en: &'static str) -> &'static str {
        self.language.pick((it, en))
    }
}

/// The signed-in user as the page header shows them.
pub struct Me {
    display_name: String,
    csrf: String,
    /// Sees the setup pages.
    admin: bool,
    /// Sees the campaigns (admins and supervisors).
    steers: bool,
    /// Has a desk (an agent).
    agent: bool,
}

/// Reads a multipart form of an anti-forgery token (`csrf`) and one file (the field
/// `file`): the token and the file's bytes, if any; a form that cannot be read is a
/// 400 page.
async fn read_upload(
    mut form: axum::extract::Multipart,
    file: &str,
    signed: &Signed,
) -> Result<(String, Option<Vec<u8>>), Response> {
    let mut csrf = String::new();
    let mut bytes = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) => {
                tracing::warn!(%error, "an uploaded form could not be read");
                let text = signed.language.text();
                return Err(error_page(
                    StatusCode::BAD_REQUEST,
                    signed.language,
                    text.bad_form,
                ));
            }
        };
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some(name) if name == file => bytes = field.bytes().await.ok().map(|b| b.to_vec()),
            _ => {}
        }
    }
    Ok((csrf, bytes))
}

/// `segment` percent-encoded for a path, as the templates' `urlencode` writes it.
fn path_segment(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A 500 for a request the host could not serve (its database failed): the error
/// goes to the log as `what`, the browser learns nothing of it.
pub(crate) fn failed(error: &anyhow::Error, what: &str) -> Response {
    tracing::error!(error = format!("{error:#}"), "{what}");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

/// A live page (the supervisor's board, the agent's desk, the wallboard): its board
/// rendered now, which the page then replaces with each board of its stream.
#[derive(Template)]
#[template(path = "live.html")]
struct LivePage {
    frame: Frame,
    title: &'static str,
    /// The board's class: `supervisor`, `desk` or `wallboard`.
    kind: &'static str,
    /// Where the page's `board` events come from.
    stream: String,
    /// Whether the page filters its rows.
    filter: bool,
    /// Why the last action was refused.
    error: Option<String>,
    /// The board's HTML, rendered (and escaped) by its own template.
    board: String,
}

/// A live page answering with `status`: `board` read and rendered now, in `frame`.
async fn live_page<T: Template>(
    frame: Frame,
    (title, kind, stream): (&'static str, &'static str, String),
    filter: bool,
    status: StatusCode,
    error: Option<String>,
    board: impl Future<Output = anyhow::Result<T>>,
) -> Response {
    let board = match board.await.map(|b| b.render()) {
        Ok(Ok(board)) => board,
        Ok(Err(error)) => return failed(&error.into(), "cannot render a live board"),
        Err(error) => return failed(&error, "cannot read a live board"),
    };
    let page = LivePage {
        frame,
        title,
        kind,
        stream,
        filter,
        error,
        board,
    };
    (status, render(&page)).into_response()
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
