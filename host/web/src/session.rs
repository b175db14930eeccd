//! Signing in and being signed in. A session is a random token in an HttpOnly,
//! SameSite=Lax cookie (`Secure` when the panel is served over TLS), kept in the store
//! by its hash so that a restart keeps people signed in; it ends after the idle timeout
//! or at sign-out. Every state-changing form carries the session's anti-forgery token;
//! the sign-in form, before any session, carries one that must match a cookie of its
//! own (double submit).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use cookie::{Cookie, SameSite};
use ringhost_store::user::UserRow;

use crate::WebState;
use crate::language::Language;
use crate::pages::{error_page, failed};
use ringhost_http::role::Role;

/// The session cookie.
pub const SESSION_COOKIE: &str = "rh_session";

/// The sign-in form's anti-forgery cookie.
pub const SIGN_IN_COOKIE: &str = "rh_sign_in";

/// A new random token: 160 bits, hexadecimal.
pub fn new_token() -> String {
    ringhost_store::api_key::new_secret()
}

/// What is stored of a token.
pub fn token_hash(token: &str) -> String {
    ringhost_store::api_key::hash(token)
}

/// The value of cookie `name` in a request's headers.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// A `Set-Cookie` value for `name`: HttpOnly, SameSite=Lax, the whole site; `Secure`
/// when `secure`; removed when `value` is `None`.
pub fn set_cookie(name: &str, value: Option<&str>, secure: bool) -> HeaderValue {
    let mut cookie = Cookie::build((name, value.unwrap_or("").to_owned()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/")
        .build();
    if value.is_none() {
        cookie.make_removal();
    }
    HeaderValue::from_str(&cookie.to_string()).expect("a cookie is a valid header")
}

/// Whether two tokens are equal, in time that does not depend on where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// How often sessions idle past the timeout are deleted.
const PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Deletes the sessions idle for `idle_timeout` or more; how many.
///
/// # Errors
/// When the database cannot be written.
pub async fn purge_idle(
    store: &ringhost_store::Store,
    idle_timeout: std::time::Duration,
) -> anyhow::Result<u64> {
    let idle_since = crate::now_ms() - idle_timeout.as_millis() as i64;
    store.purge_sessions(idle_since).await
}

/// Purges idle sessions every ten minutes, for as long as the host runs (an idle
/// session is refused anyway; this keeps the table small).
pub async fn purge_idle_forever(store: ringhost_store::Store, idle_timeout: std::time::Duration) {
    loop {
        tokio::time::sleep(PURGE_EVERY).await;
        match purge_idle(&store, idle_timeout).await {
            Ok(0) => {}
            Ok(purged) => tracing::debug!(purged, "idle web sessions deleted"),
            Err(error) => {
                tracing::warn!(error = format!("{error:#}"), "idle web sessions not purged")
            }
        }
    }
}

/// A signed-in user, taken from the session cookie; a request without a live session
/// is sent to the sign-in page.
#[derive(Debug, Clone)]
pub struct Signed {
    /// Who.
    pub user: UserRow,
    /// Their role.
    pub role: Role,
    /// Their language.
    pub language: Language,
    /// The session's anti-forgery token.
    pub csrf: String,
    /// The session's token hash (for sign-out).
    pub token_hash: String,
}

impl Signed {
    /// The 403 page to answer with, unless the user has one of `roles`.
    pub fn refuse_unless(&self, roles: &[Role]) -> Option<Response> {
        (!roles.contains(&self.role)).then(|| {
            error_page(
                StatusCode::FORBIDDEN,
                self.language,
                self.language.text().forbidden,
            )
        })
    }

    /// The 403 page to answer with, unless the user's role may call the API
    /// operation `operation_id` (what the page shows or does).
    pub fn refuse_unless_may(&self, operation_id: &str) -> Option<Response> {
        (!self.role.allows(operation_id)).then(|| {
            error_page(
                StatusCode::FORBIDDEN,
                self.language,
                self.language.text().forbidden,
            )
        })
    }

    /// The 404 page, in the user's language: what a page answers for something that
    /// does not exist.
    pub fn not_found(&self) -> Response {
        error_page(
            StatusCode::NOT_FOUND,
            self.language,
            self.language.text().not_found,
        )
    }

    /// The 403 page to answer a form with, unless `token` is the session's
    /// anti-forgery token.
    pub fn refuse_forged(&self, token: &str) -> Option<Response> {
        if same_token(token, &self.csrf) {
            return None;
        }
        tracing::warn!(user = %self.user.name, "web form refused: anti-forgery token missing or wrong");
        Some(error_page(
            StatusCode::FORBIDDEN,
            self.language,
            self.language.text().bad_form,
        ))
    }
}

impl FromRequestParts<WebState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Signed, Response> {
        let sign_in = || Redirect::to("/").into_response();
        let token = cookie_value(&parts.headers, SESSION_COOKIE).ok_or_else(sign_in)?;
        let now = crate::now_ms();
        let idle_since = now - state.settings.idle_timeout.as_millis() as i64;
        let hash = token_hash(&token);
        let session = match state.store.session(&hash, idle_since, now).await {
            Ok(Some(session)) => session,
            Ok(None) => return Err(sign_in()),
            Err(error) => return Err(failed(&error, "cannot read a web session")),
        };
        let Some(role) = Role::parse(&session.user.role) else {
            return Err(sign_in());
        };
        Ok(Signed {
            language: Language::parse(&session.user.language).unwrap_or(Language::En),
            role,
            csrf: session.csrf,
            user: session.user,
            token_hash: hash,
        })
    }
}
