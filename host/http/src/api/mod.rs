//! The REST API under `/api/v1`.
//!
//! Every operation is one handler with a `#[utoipa::path]` annotation, and
//! [`operations`] is the one table of them. The annotation is the single source of an
//! operation's method, path and `operationId`: the router is built from what it
//! declares, the OpenAPI document is the union of the annotations, and the
//! `operationId` is the permission an API key needs. So a route cannot be served
//! without being documented, nor guarded by a permission name the document does not
//! show.
//!
//! Handlers translate HTTP to calls on the dialer's facade (`ringhost_dialer::admin`)
//! or, for read-only listings, the store, and back; they hold no business logic.

use axum::Router;
use axum::handler::Handler;
use axum::http::{Method, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::routing::{MethodFilter, MethodRouter};
use utoipa::openapi::OpenApi;

use crate::AppState;

mod agents;
mod auth;
mod campaigns;
mod channels;
mod error;
mod events;
mod exchange;
mod lists;
mod missed_calls;
mod openapi;
mod reports;
mod schemas;
mod templates;

#[cfg(test)]
mod tests;

use error::{ApiError, Json, Path, Query};

/// Where the API is mounted; every documented path starts with it.
pub(crate) const PREFIX: &str = "/api/v1";

/// One operation: a handler and what its annotation declares.
pub(crate) struct Operation {
    /// Its HTTP method.
    #[cfg_attr(
        not(test),
        expect(
            dead_code,
            reason = "the router has it in the handler; tests call each route"
        )
    )]
    pub(crate) method: Method,
    /// Its full path in OpenAPI (and axum) syntax: `/api/v1/campaigns/{id}`.
    pub(crate) path: String,
    /// Its `operationId`, which is also the permission a key needs to call it.
    pub(crate) id: String,
    /// Whether it is served without a key (its annotation says `security(())`).
    pub(crate) public: bool,
    /// The OpenAPI document of this operation alone, with the schemas it uses.
    doc: OpenApi,
    /// The handler, routed on its method.
    handler: MethodRouter<AppState>,
}

impl Operation {
    /// Reads `doc` (the document of `handler`'s annotation alone) for the method, path
    /// and id. Panics on an annotation that does not declare exactly one operation
    /// under [`PREFIX`]: a programming error, caught by any test that builds the app.
    fn new<H, T>(doc: OpenApi, handler: H) -> Operation
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let (method, path, id, public) = {
            let mut paths = doc.paths.paths.iter();
            let (path, item) = paths.next().expect("an annotation declares a path");
            assert!(paths.next().is_none(), "{path}: one path per handler");
            assert!(path.starts_with(PREFIX), "{path}: not under {PREFIX}");
            let mut declared = [
                (Method::GET, &item.get),
                (Method::POST, &item.post),
                (Method::PUT, &item.put),
                (Method::PATCH, &item.patch),
                (Method::DELETE, &item.delete),
            ]
            .into_iter()
            .filter_map(|(method, operation)| operation.as_ref().map(|o| (method, o)));
            let (method, operation) = declared.next().expect("an annotation declares a method");
            assert!(declared.next().is_none(), "{path}: one method per handler");
            let id = operation
                .operation_id
                .clone()
                .expect("utoipa always sets an operationId");
            (method, path.clone(), id, openapi::is_public(operation))
        };
        let filter = MethodFilter::try_from(method.clone()).expect("a routable method");
        Operation {
            method,
            path,
            id,
            public,
            doc,
            handler: axum::routing::on(filter, handler),
        }
    }
}

/// An [`Operation`] from a handler's path, e.g. `lists::list_lists`: its annotation's
/// document is derived in a scope of its own, so the table names each handler once.
macro_rules! operation {
    ($($handler:ident)::+) => {{
        #[derive(utoipa::OpenApi)]
        #[openapi(paths($($handler)::+))]
        struct Annotation;
        Operation::new(
            <Annotation as utoipa::OpenApi>::openapi(),
            $($handler)::+,
        )
    }};
}

/// The table: every operation of the API, in the order the document lists them.
pub(crate) fn operations() -> Vec<Operation> {
    vec![
        operation!(lists::list_lists),
        operation!(lists::create_list),
        operation!(lists::get_list),
        operation!(lists::import_contacts),
        operation!(lists::list_contacts),
        operation!(lists::add_do_not_call),
        operation!(campaigns::list_campaigns),
        operation!(campaigns::create_campaign),
        operation!(campaigns::get_campaign),
        operation!(campaigns::update_campaign),
        operation!(campaigns::start_campaign),
        operation!(campaigns::pause_campaign),
        operation!(campaigns::resume_campaign),
        operation!(campaigns::cancel_campaign),
        operation!(campaigns::terminate_campaign),
        operation!(campaigns::more_attempts),
        operation!(campaigns::dialer_new_call),
        operation!(campaigns::set_disposition),
        operation!(campaigns::campaign_status),
        operation!(campaigns::list_attempts),
        operation!(campaigns::campaign_events),
        operation!(campaigns::campaign_runs),
        operation!(exchange::add_exchange_rows),
        operation!(exchange::list_exchange_rows),
        operation!(exchange::reset_statistics),
        operation!(templates::list_templates),
        operation!(templates::put_template),
        operation!(agents::list_agents),
        operation!(agents::create_agent),
        operation!(agents::set_agent_state),
        operation!(agents::agent_call),
        operation!(agents::agent_dial),
        operation!(agents::monitor_call),
        operation!(agents::stop_monitor),
        operation!(agents::add_queue_member),
        operation!(agents::remove_queue_member),
        operation!(agents::queue_info),
        operation!(channels::channels),
        operation!(reports::get_report),
        operation!(missed_calls::intake_missed_call),
        operation!(missed_calls::list_missed_calls),
        operation!(missed_calls::flush_missed_calls),
        operation!(missed_calls::get_missed_call),
        operation!(missed_calls::book_missed_call),
        operation!(missed_calls::unbook_missed_call),
        operation!(missed_calls::call_back_missed_call),
        operation!(missed_calls::assign_missed_call),
        operation!(missed_calls::unassign_missed_call),
        operation!(missed_calls::close_missed_call),
        operation!(events::events),
        operation!(openapi::openapi),
    ]
}

/// Every operation's `operationId`: the names permissions and roles are made of.
pub(crate) fn operation_ids() -> &'static [String] {
    static IDS: std::sync::LazyLock<Vec<String>> =
        std::sync::LazyLock::new(|| operations().into_iter().map(|o| o.id).collect());
    &IDS
}

/// The API's router, to be nested under [`PREFIX`]: each operation guarded by its own
/// permission unless public, and a JSON 404 for any other path under the prefix.
pub(crate) fn router(state: &AppState) -> Router<AppState> {
    let mut router = Router::new();
    for operation in operations() {
        let handler = if operation.public {
            operation.handler
        } else {
            let guard = auth::Guard::new(state.clone(), &operation.id);
            operation
                .handler
                .route_layer(from_fn_with_state(guard, auth::require_key))
        };
        let path = operation.path.strip_prefix(PREFIX).unwrap_or("/");
        router = router.route(path, handler);
    }
    router.fallback(no_such_operation)
}

async fn no_such_operation() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no such operation: see /api/v1/openapi.json",
    )
}

/// A page's size from a `limit` parameter: 100 by default, 1 to 1000.
fn page_limit(limit: Option<i64>) -> i64 {
    limit.unwrap_or(100).clamp(1, 1000)
}
