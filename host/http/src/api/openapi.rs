//! The OpenAPI 3.1 document of the API, served at `/api/v1/openapi.json`.
//!
//! It is assembled from the operations' own annotations (the same table the router is
//! built from), so it describes exactly what is served. What no single annotation
//! says is added here once: the two ways to present a key, that the document's
//! `operationId`s are the keys' permissions, and the refusals every guarded operation
//! may answer.

use std::sync::LazyLock;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Ref, RefOr, Response,
    ResponseBuilder,
};
use utoipa::{PartialSchema as _, ToSchema};

use super::error::ErrorBody;

/// What the document says of the API as a whole.
const DESCRIPTION: &str = "Ringhost's REST API: contact lists and their contacts, \
campaigns and their lifecycle, templates, channels.\n\n\
Every operation but this document's needs an API key, sent as \
`Authorization: Bearer <key>` or as `X-API-Key: <key>`. A key is granted operations \
by their `operationId`: each operationId in this document IS the permission an API \
key needs to call that operation (`*` grants them all). A request without a known key \
is answered 401, one whose key lacks the permission 403.\n\n\
Every refusal is a JSON object `{\"error\": \"...\"}`: 400 for a malformed request, 404 \
for an unknown object, 409 for a request the object's state does not allow (starting \
a running campaign, editing one that dials), 500 for a failure of the host, whose log \
tells more.";

/// The security schemes' names, as requirements refer to them.
const BEARER: &str = "bearer";
const API_KEY_HEADER: &str = "apiKey";

/// The document, rendered once.
static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    document()
        .to_json()
        .expect("the OpenAPI document serialises")
});

/// Whether an operation is served without a key: its annotation replaces the
/// document's requirements by the empty one (`security(())`).
pub(crate) fn is_public(operation: &Operation) -> bool {
    operation
        .security
        .as_ref()
        .is_some_and(|requirements| requirements.contains(&SecurityRequirement::default()))
}

/// The whole document: the operations' annotations, the security schemes, the common
/// refusals.
pub(crate) fn document() -> OpenApi {
    let mut document = OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Ringhost API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(DESCRIPTION))
                .build(),
        )
        .components(Some(
            ComponentsBuilder::new()
                .security_scheme(
                    BEARER,
                    SecurityScheme::Http(
                        HttpBuilder::new()
                            .scheme(HttpAuthScheme::Bearer)
                            .description(Some("`Authorization: Bearer <key>`"))
                            .build(),
                    ),
                )
                .security_scheme(
                    API_KEY_HEADER,
                    SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                        "X-API-Key",
                        "The key in a header of its own",
                    ))),
                )
                .schema(ErrorBody::name(), ErrorBody::schema())
                .build(),
        ))
        .security(Some([BEARER, API_KEY_HEADER].map(|scheme| {
            SecurityRequirement::new(scheme, Vec::<String>::new())
        })))
        .build();
    for operation in super::operations() {
        document.merge(operation.doc);
    }
    for item in document.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for operation in operations.into_iter().flatten() {
            add_common_refusals(operation);
        }
    }
    document
}

/// The refusals any operation may answer, which its annotation need not repeat.
fn add_common_refusals(operation: &mut Operation) {
    let mut common = vec![(
        "500",
        "The host failed; its log tells more. The body does not.",
    )];
    if !is_public(operation) {
        common.push(("401", "No API key, or an unknown one"));
        common.push(("403", "The key lacks this operation's permission"));
    }
    let responses = &mut operation.responses.responses;
    for (status, description) in common {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| refusal(description));
    }
}

fn refusal(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(ErrorBody::name())))
                .build(),
        )
        .build()
        .into()
}

/// This document: what the API offers and the permission each operation needs.
///
/// Served without a key, so that a client can discover what to ask a key for.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    operation_id = "getOpenApi",
    tag = "meta",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object))
)]
pub(crate) async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.as_str(),
    )
}
