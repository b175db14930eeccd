//! API keys: who may call what.
//!
//! A key's permissions are operation ids, the very names the OpenAPI document gives
//! its operations, so a client reads in the document which permission an operation
//! needs and an operator grants exactly those. The guard is a middleware put on each
//! operation's route by the router, with that operation's id: a handler cannot forget
//! to check, and no second list of permission names exists to drift.
//!
//! Only the hash of a secret is looked up, as only hashes are stored.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use ringhost_store::api_key::hash;

use super::ApiError;
use crate::AppState;
use crate::role::Role;

/// The permission that grants every operation.
const ANY: &str = "*";

/// What the middleware of one operation knows: where keys are, and the permission the
/// operation needs.
#[derive(Clone)]
pub(crate) struct Guard {
    state: AppState,
    operation_id: Arc<str>,
}

impl Guard {
    /// The guard of the operation `operation_id`.
    pub(crate) fn new(state: AppState, operation_id: &str) -> Guard {
        Guard {
            state,
            operation_id: operation_id.into(),
        }
    }

    /// Whether the request's key may call the operation.
    async fn check(&self, headers: &HeaderMap, uri: &Uri) -> Result<(), ApiError> {
        let in_query = QUERY_KEY_OPERATIONS
            .contains(&&*self.operation_id)
            .then(|| query_key(uri))
            .flatten();
        let secret = secret(headers).or(in_query.as_deref()).ok_or_else(|| {
            ApiError::unauthorized(
                "an API key is needed, as `Authorization: Bearer <key>` or `X-API-Key: <key>`",
            )
        })?;
        let key = self
            .state
            .store
            .api_key(&hash(secret), self.state.dialer.now_ms())
            .await?
            .ok_or_else(|| ApiError::unauthorized("unknown API key"))?;
        if allows(&key.name, &key.permissions, &self.operation_id) {
            tracing::debug!(key = %key.name, operation = %self.operation_id, "API call");
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!("this key may not call {}", self.operation_id),
            ))
        }
    }
}

/// The middleware: the request goes on only with a key that may call the operation.
pub(crate) async fn require_key(
    State(guard): State<Guard>,
    request: Request,
    next: Next,
) -> Response {
    match guard.check(request.headers(), request.uri()).await {
        Ok(()) => next.run(request).await,
        Err(refusal) => refusal.into_response(),
    }
}

/// The operations that also take their key as a `key` query parameter: a PBX's
/// dynamic routing (Kalliope's) can only call an address, with no header of its own.
const QUERY_KEY_OPERATIONS: &[&str] = &["intakeMissedCall"];

/// The `key` query parameter of `uri`, decoded.
fn query_key(uri: &Uri) -> Option<String> {
    form_urlencoded::parse(uri.query()?.as_bytes())
        .find(|(name, _)| name == "key")
        .map(|(_, value)| value.into_owned())
        .filter(|key| !key.is_empty())
}

/// The secret a request carries: a bearer token, or else an `X-API-Key` header (for
/// clients whose `Authorization` header is taken by a proxy).
fn secret(headers: &HeaderMap) -> Option<&str> {
    let given = |secret: &str| !secret.is_empty();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| given(token));
    bearer.or_else(|| {
        headers
            .get("x-api-key")
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
            .filter(|key| given(key))
    })
}

/// Whether `permissions` (a JSON array of operation ids, `"*"`, or `{"role": NAME}`
/// for a key given a role's operations) grants `operation_id`. Permissions that cannot
/// be read grant nothing, and say so in the log, since the key's owner only sees 403s.
fn allows(key: &str, permissions: &str, operation_id: &str) -> bool {
    match serde_json::from_str::<serde_json::Value>(permissions) {
        Ok(serde_json::Value::Object(given)) if given.len() == 1 => {
            match given
                .get("role")
                .and_then(|r| r.as_str())
                .and_then(Role::parse)
            {
                Some(role) => role.allows(operation_id),
                None => {
                    tracing::warn!(key, permissions, "an API key's role is not one");
                    false
                }
            }
        }
        Ok(serde_json::Value::String(one)) => one == ANY || one == operation_id,
        Ok(serde_json::Value::Array(granted)) => granted
            .iter()
            .filter_map(serde_json::Value::as_str)
            .any(|granted| granted == ANY || granted == operation_id),
        Ok(_) | Err(_) => {
            tracing::warn!(
                key,
                permissions,
                "an API key's permissions are not a JSON array of operation ids"
            );
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_are_operation_ids_or_any() {
        assert!(allows("k", r#"["*"]"#, "createList"));
        assert!(allows("k", r#""*""#, "createList"));
        assert!(allows("k", r#"["listLists","createList"]"#, "createList"));
        assert!(!allows("k", r#"["listLists"]"#, "createList"));
        assert!(!allows("k", "[]", "createList"));
        assert!(allows("k", r#"{"role":"supervisor"}"#, "pauseCampaign"));
        assert!(!allows("k", r#"{"role":"supervisor"}"#, "createList"));
        assert!(!allows("k", r#"{"role":"root"}"#, "listLists"));
        assert!(!allows("k", "not json", "createList"));
        assert!(!allows("k", r#"{"createList":true}"#, "createList"));
    }

    #[test]
    fn the_secret_comes_from_a_bearer_token_or_x_api_key() {
        let mut headers = HeaderMap::new();
        assert_eq!(secret(&headers), None);
        headers.insert("x-api-key", "rh_two".parse().unwrap());
        assert_eq!(secret(&headers), Some("rh_two"));
        headers.insert(header::AUTHORIZATION, "Basic dXNlcg==".parse().unwrap());
        assert_eq!(secret(&headers), Some("rh_two"));
        headers.insert(header::AUTHORIZATION, "bearer rh_one".parse().unwrap());
        assert_eq!(secret(&headers), Some("rh_one"));
        headers.insert(header::AUTHORIZATION, "Bearer  ".parse().unwrap());
        assert_eq!(secret(&headers), Some("rh_two"));
        headers.remove("x-api-key");
        assert_eq!(secret(&headers), None);
    }
}
