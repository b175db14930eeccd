//! The API through the whole router: keys, permissions, the dialer's refusals as
//! statuses, and the document against the table the router is built from. A real
//! SQLite store and a real dialer are behind it; no scheduler pass runs, so no call is
//! placed.

use std::collections::{BTreeSet, HashSet};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt as _;
use ringhost_dialer::admin::{CampaignStatus, ImportSummary};
use ringhost_dialer::import::Rejected;
use ringhost_store::api_key::hash;
use serde_json::{Value, json};
use tower::ServiceExt as _;

use super::operations;
use crate::tests::state;
use crate::{AppState, app};

/// An answer: its status, its `WWW-Authenticate` header, its JSON body (`null` when
/// empty).
struct Answer {
    status: StatusCode,
    challenge: Option<String>,
    body: Value,
}

/// Sends `method path` with `key` as a bearer token and `body` as JSON.
async fn call(
    state: &AppState,
    method: Method,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(key) = key {
        request = request.header(header::AUTHORIZATION, format!("Bearer {key}"));
    }
    let request = match body {
        Some(json) => request
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json.to_string())),
        None => request.body(Body::empty()),
    };
    send(state, request.unwrap()).await
}

async fn send(state: &AppState, request: Request<Body>) -> Answer {
    let response = app(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let challenge = response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes)))
    };
    Answer {
        status,
        challenge,
        body,
    }
}

/// A new key called `name` with `permissions` (JSON); its secret.
async fn key(state: &AppState, name: &str, permissions: &str) -> String {
    let secret = format!("rh_test_{name}");
    state
        .store
        .create_api_key(name, &hash(&secret), permissions, 0)
        .await
        .unwrap();
    secret
}

/// An operation's path with its parameters filled in.
fn concrete(path: &str) -> String {
    path.replace("{name}", "nothing")
        .replace("{id}", "1")
        .replace("{queue}", "sales")
        .replace("{agent}", "anna")
}

#[tokio::test]
async fn every_operation_but_the_document_needs_a_known_key() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir).await;
    key(&state, "all", r#"["*"]"#).await;
    for operation in operations() {
        let path = concrete(&operation.path);
        for key in [None, Some("rh_wrong")] {
            let answer = call(&state, operation.method.clone(), &path, key, None).await;
            if operation.public {
                assert_eq!(answer.status, StatusCode::OK, "{} {path}", operation.id);
                continue;
            }
            assert_eq!(
                answer.status,
                StatusCode::UNAUTHORIZED,
                "{} {path} with {key:?}",
                operation.id
            );
            assert_eq!(answer.challenge.as_deref(), Some("Bearer"));
            assert!(answer.body["error"].is_string(), "{}", answer.body);
        }
    }
}

#[tokio::test]
async fn a_key_calls_only_the_operations_it_was_granted() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir).await;
    let reader = key(&state, "reader", r#"["listCampaigns"]"#).await;

    let new = json!({"name": "c", "lists": []});
    let answer = call(
        &state,
        Method::POST,
        "/api/v1/campaigns",
        Some(&reader),
        Some(new),
    )
    .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    assert_eq!(
        answer.body,
        json!({"error": "this key may not call createCampaign"})
    );

    let answer = call(
        &state,
        Method::GET,
        "/api/v1/campaigns",
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body, json!([]));

    // The same key in a header of its own.
    let request = Request::get("/api/v1/campaigns")
        .header("X-API-Key", &reader)
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&state, request).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_list_is_imported_and_dialled_by_a_campaign_through_its_lifecycle() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir).await;
    let all = key(&state, "all", r#"["*"]"#).await;
    let key = Some(all.as_str());

    let answer = call(
        &state,
        Method::POST,
        "/api/v1/lists",
        key,
        Some(json!({"name": "customers", "accountcode": "sales"})),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    assert_eq!(answer.body["name"], "customers");
    assert_eq!(answer.body["settings"]["default_region"], "IT");

    let csv = "numbers,name\n+39 02 1234 5678,Anna\nnot a number,Bruno\n347 123 4567,Carla\n";
    let request = Request::post("/api/v1/lists/customers/import")
        .header(header::AUTHORIZATION, format!("Bearer {all}"))
        .header(header::CONTENT_TYPE, "text/csv")
        .body(Body::from(csv))
        .unwrap();
    let answer = send(&state, request).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["list"], "customers");
    assert_eq!(answer.body["imported"], 2);
    let rejected = answer.body["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1, "{}", answer.body);
    assert_eq!(rejected[0]["line"], 3);
    assert!(
        !rejected[0]["reason"].as_str().unwrap().is_empty(),
        "{}",
        answer.body
    );

    let answer = call(
        &state,
        Method::GET,
        "/api/v1/lists/customers/contacts?limit=1",
        key,
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let page = answer.body.as_array().unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0]["numbers"], json!(["+390212345678"]));
    assert_eq!(page[0]["variables"], json!({"name": "Anna"}));
    assert_eq!(page[0]["state"], "ready");
    let after = page[0]["id"].as_i64().unwrap();
    let answer = call(
        &state,
        Method::GET,
        &format!("/api/v1/lists/customers/contacts?after={after}"),
        key,
        None,
    )
    .await;
    assert_eq!(answer.body[0]["variables"], json!({"name": "Carla"}));
    assert_eq!(answer.body.as_array().unwrap().len(), 1);

    let answer = call(&state, Method::GET, "/api/v1/lists/customers", key, None).await;
    assert_eq!(
        answer.body["contacts"],
        json!({"ready": 2, "dialing": 0, "done": 0})
    );
    assert_eq!(answer.body["accountcode"], "sales");

    let new = json!({
        "name": "reminders",
        "lists": ["customers"],
        "settings": {"kind": "notification", "max_calls": 2},
    });
    let answer = call(&state, Method::POST, "/api/v1/campaigns", key, Some(new)).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let id = answer.body["id"].as_i64().unwrap();
    let campaign = format!("/api/v1/campaigns/{id}");

    let answer = call(&state, Method::GET, &campaign, key, None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["name"], "reminders");
    assert_eq!(answer.body["state"], "created");
    assert_eq!(answer.body["settings"]["kind"], "notification");
    assert_eq!(answer.body["settings"]["max_calls"], 2);
    assert!(answer.body["lists"].as_array().unwrap().len() == 1);

    let start = format!("{campaign}/start");
    let answer = call(&state, Method::POST, &start, key, None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body, json!({"state": "running"}));

    let answer = call(&state, Method::POST, &start, key, None).await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.body);
    assert!(answer.body["error"].as_str().unwrap().contains("running"));

    let changes = json!({"settings": {"max_calls": 3}});
    let answer = call(&state, Method::PATCH, &campaign, key, Some(changes)).await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.body);

    let answer = call(
        &state,
        Method::POST,
        &format!("{campaign}/pause"),
        key,
        None,
    )
    .await;
    assert_eq!(answer.body, json!({"state": "paused"}));
    let answer = call(
        &state,
        Method::POST,
        &format!("{campaign}/cancel"),
        key,
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body, json!({"state": "cancelled"}));

    // Cancelled, it can be edited again.
    let changes = json!({"settings": {"max_calls": 3}});
    let answer = call(&state, Method::PATCH, &campaign, key, Some(changes)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["settings"]["max_calls"], 3);
    assert_eq!(answer.body["settings"]["kind"], "notification");

    let answer = call(
        &state,
        Method::GET,
        &format!("{campaign}/status"),
        key,
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["state"], "cancelled");
    assert_eq!(answer.body["run"], 1);
    assert_eq!(answer.body["contacts_ready"], 2);
    assert_eq!(answer.body["calls_dialing"], 0);

    let answer = call(
        &state,
        Method::GET,
        &format!("{campaign}/events"),
        key,
        None,
    )
    .await;
    let events: Vec<&str> = answer
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(events[..3], ["created", "started", "paused"], "{events:?}");
    let answer = call(&state, Method::GET, &format!("{campaign}/runs"), key, None).await;
    assert_eq!(answer.body[0]["run"], 1);
    assert_eq!(answer.body[0]["settings"]["kind"], "notification");
    let answer = call(
        &state,
        Method::GET,
        &format!("{campaign}/attempts"),
        key,
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body, json!([]));

    let answer = call(&state, Method::GET, "/api/v1/campaigns", key, None).await;
    assert_eq!(answer.body[0]["id"], id);

    let answer = call(&state, Method::GET, "/api/v1/channels", key, None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["external"], 0);
    assert_eq!(answer.body["limits"]["dialer_channels"], 0);
}

#[tokio::test]
async fn refusals_have_their_status_and_a_json_error() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir).await;
    let all = key(&state, "all", r#""*""#).await;
    let key = Some(all.as_str());

    let answer = call(&state, Method::GET, "/api/v1/campaigns/99", key, None).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.body);
    assert_eq!(answer.body, json!({"error": "campaign 99 not found"}));
    let answer = call(
        &state,
        Method::POST,
        "/api/v1/campaigns/99/start",
        key,
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.body);
    let answer = call(
        &state,
        Method::GET,
        "/api/v1/campaigns/99/attempts",
        key,
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.body);
    let answer = call(&state, Method::GET, "/api/v1/lists/nothing", key, None).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.body);

    let new = json!({"name": "c", "lists": [], "settings": {"bogus": 1}});
    let answer = call(&state, Method::POST, "/api/v1/campaigns", key, Some(new)).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert!(answer.body["error"].as_str().unwrap().contains("bogus"));

    let new = json!({"name": "c", "lists": ["nothing"]});
    let answer = call(&state, Method::POST, "/api/v1/campaigns", key, Some(new)).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.body);

    // Malformed requests are refused in the same shape as the dialer's refusals.
    let answer = call(&state, Method::GET, "/api/v1/campaigns/abc", key, None).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert!(answer.body["error"].is_string());
    let answer = call(
        &state,
        Method::POST,
        "/api/v1/campaigns",
        key,
        Some(json!({})),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert!(answer.body["error"].is_string());
    let answer = call(
        &state,
        Method::GET,
        "/api/v1/lists/x/contacts?limit=many",
        key,
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    let answer = call(&state, Method::GET, "/api/v1/nothing", key, None).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.body);
    assert!(answer.body["error"].is_string());

    let list = json!({"name": "l", "settings": {"bogus": 1}});
    let answer = call(&state, Method::POST, "/api/v1/lists", key, Some(list)).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    let list = json!({"name": "l"});
    let answer = call(
        &state,
        Method::POST,
        "/api/v1/lists",
        key,
        Some(list.clone()),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let answer = call(&state, Method::POST, "/api/v1/lists", key, Some(list)).await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.body);

    let request = Request::post("/api/v1/lists/l/import")
        .header(header::AUTHORIZATION, format!("Bearer {all}"))
        .body(Body::empty())
        .unwrap();
    let answer = send(&state, request).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);

    let dnc = json!({"number": "02 1234 5678", "list": "l", "reason": "asked"});
    let answer = call(&state, Method::POST, "/api/v1/do-not-call", key, Some(dnc)).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    assert_eq!(answer.body, json!({"number": "+390212345678"}));
    let dnc = json!({"number": "hello"});
    let answer = call(&state, Method::POST, "/api/v1/do-not-call", key, Some(dnc)).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
}

#[tokio::test]
async fn templates_are_checked_when_stored_and_give_campaigns_their_settings() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir).await;
    let all = key(&state, "all", r#"["*"]"#).await;
    let key = Some(all.as_str());

    let bad = json!({"kind": "robocall"});
    let answer = call(&state, Method::PUT, "/api/v1/templates/t", key, Some(bad)).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    let good = json!({"kind": "notification", "priority": 5});
    let answer = call(
        &state,
        Method::PUT,
        "/api/v1/templates/t",
        key,
        Some(good.clone()),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["settings"], good);
    let answer = call(&state, Method::GET, "/api/v1/templates", key, None).await;
    assert_eq!(answer.body[0]["name"], "t");

    let new = json!({"name": "c", "template": "t", "lists": [], "settings": {"priority": 7}});
    let answer = call(&state, Method::POST, "/api/v1/campaigns", key, Some(new)).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let path = format!("/api/v1/campaigns/{}", answer.body["id"]);
    let answer = call(&state, Method::GET, &path, key, None).await;
    assert_eq!(answer.body["settings"]["kind"], "notification");
    assert_eq!(answer.body["priority"], 7);
}

#[tokio::test]
async fn the_document_is_public_and_names_every_operation_of_the_router() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir).await;
    let answer = call(&state, Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let document = answer.body;
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let description = document["info"]["description"].as_str().unwrap();
    assert!(
        description.contains("operationId in this document IS the permission an API key needs")
    );

    let mut ids = HashSet::new();
    for operation in operations() {
        let id = &operation.id;
        // utoipa names an operation after its function when not told otherwise: a
        // snake_case id means an annotation without `operation_id`.
        assert!(
            id.chars().next().unwrap().is_ascii_lowercase()
                && id.chars().all(|c| c.is_ascii_alphanumeric()),
            "{} {}: set operation_id to a lowerCamelCase permission name, not {id:?}",
            operation.method,
            operation.path
        );
        assert!(ids.insert(id.clone()), "{id} twice");
        let method = operation.method.as_str().to_lowercase();
        let documented = &document["paths"][&operation.path][&method];
        assert_eq!(
            documented["operationId"],
            id.as_str(),
            "{method} {}",
            operation.path
        );
        let refusals = &documented["responses"];
        assert_eq!(refusals.get("401").is_some(), !operation.public, "{id}");
        assert_eq!(refusals.get("403").is_some(), !operation.public, "{id}");
    }
    let documented: usize = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(
        documented,
        ids.len(),
        "the document has operations the router lacks"
    );
}

/// The keys of a JSON object.
fn keys(value: &Value) -> BTreeSet<String> {
    value.as_object().unwrap().keys().cloned().collect()
}

#[test]
fn the_mirrored_schemas_have_the_fields_of_the_dialers_types() {
    let document = serde_json::to_value(super::openapi::document()).unwrap();
    let schemas = &document["components"]["schemas"];
    let rejected = Rejected {
        line: 3,
        reason: "no number".into(),
    };
    let summary = ImportSummary {
        list: "l".into(),
        imported: 1,
        rejected: vec![rejected.clone()],
    };
    let status = CampaignStatus {
        id: 1,
        name: "c".into(),
        state: "running".into(),
        run: 1,
        contacts_ready: 0,
        contacts_dialing: 0,
        contacts_done: 0,
        attempts_by_status: vec![("ok".into(), 1)],
        attempts_by_outcome: vec![("answered".into(), 1)],
        confirmed: 0,
        calls_dialing: 0,
        calls_ringing: 0,
        calls_answered: 0,
        calls_talking: 0,
        answer_rate: 0.5,
        abandon_rate: 0.0,
    };
    for (name, value) in [
        ("Rejected", serde_json::to_value(rejected).unwrap()),
        ("ImportSummary", serde_json::to_value(summary).unwrap()),
        ("CampaignStatus", serde_json::to_value(status).unwrap()),
    ] {
        assert_eq!(keys(&schemas[name]["properties"]), keys(&value), "{name}");
    }
    for name in ["ListSettings", "CampaignSettings"] {
        let schema = &schemas[name];
        assert_eq!(
            keys(&schema["properties"]),
            keys(&schema["default"]),
            "{name}"
        );
        assert_eq!(schema["additionalProperties"], false, "{name}");
    }
}

#[tokio::test]
async fn agents_change_state_join_queues_and_queue_info_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir).await;
    let admin = key(&state, "admin", r#"["*"]"#).await;
    let ads = key(&state, "ads", r#"["queueInfo"]"#).await;
    for (name, extension) in [("anna", "201"), ("bruno", "202")] {
        let new = json!({"name": name, "extension": extension});
        let answer = call(
            &state,
            Method::POST,
            "/api/v1/agents",
            Some(&admin),
            Some(new),
        )
        .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        assert_eq!(answer.body["state"], "logged_out");
        let path = format!("/api/v1/queues/sales/members/{name}");
        let answer = call(&state, Method::PUT, &path, Some(&admin), None).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    }
    let taken = json!({"name": "carla", "extension": "201"});
    let answer = call(
        &state,
        Method::POST,
        "/api/v1/agents",
        Some(&admin),
        Some(taken),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.body);
    let set = |name: &str, body: Value| {
        let state = state.clone();
        let admin = admin.clone();
        let path = format!("/api/v1/agents/{name}/state");
        async move { call(&state, Method::POST, &path, Some(&admin), Some(body)).await }
    };
    assert_eq!(
        set("anna", json!({"state": "present"})).await.status,
        StatusCode::OK
    );
    assert_eq!(
        set("anna", json!({"state": "ready"})).await.status,
        StatusCode::OK
    );
    assert_eq!(
        set("bruno", json!({"state": "present"})).await.status,
        StatusCode::OK
    );
    let unreasoned = set("bruno", json!({"state": "paused"})).await;
    assert_eq!(
        unreasoned.status,
        StatusCode::BAD_REQUEST,
        "{}",
        unreasoned.body
    );
    let paused = set("bruno", json!({"state": "paused", "reason": "training"})).await;
    assert_eq!(paused.body["reason"], "training", "{}", paused.body);
    let on_call = set("anna", json!({"state": "on_call"})).await;
    assert_eq!(on_call.status, StatusCode::CONFLICT, "{}", on_call.body);
    let unknown = set("zoe", json!({"state": "ready"})).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.body);

    // ADS's QueueInfo, with a key allowed only that.
    let info = call(
        &state,
        Method::GET,
        "/api/v1/queues/sales",
        Some(&ads),
        None,
    )
    .await;
    assert_eq!(info.status, StatusCode::OK, "{}", info.body);
    assert_eq!(
        (&info.body["ready"], &info.body["present"]),
        (&json!(1), &json!(2))
    );
    assert_eq!(info.body["agents"][1]["state"], "paused");
    let denied = call(&state, Method::GET, "/api/v1/agents", Some(&ads), None).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let path = "/api/v1/queues/sales/members/bruno";
    let left = call(&state, Method::DELETE, path, Some(&admin), None).await;
    assert_eq!(
        left.body["agents"].as_array().unwrap().len(),
        1,
        "{}",
        left.body
    );
}

#[tokio::test]
async fn dialer_new_call_adds_a_due_contact_to_a_running_campaign_only() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir).await;
    let admin = key(&state, "admin", r#"["*"]"#).await;
    let crm = key(&state, "crm", r#"["dialerNewCall"]"#).await;
    let list = json!({"name": "inbound"});
    let answer = call(
        &state,
        Method::POST,
        "/api/v1/lists",
        Some(&admin),
        Some(list),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let new = json!({"name": "api", "lists": ["inbound"], "settings": {"keep_running": true}});
    let created = call(
        &state,
        Method::POST,
        "/api/v1/campaigns",
        Some(&admin),
        Some(new),
    )
    .await;
    let id = created.body["id"].as_i64().unwrap();
    let path = format!("/api/v1/campaigns/{id}/calls");
    let body = json!({"number": "06 1234 5678", "variables": {"name": "Zoe", "order": 42}});
    let early = call(&state, Method::POST, &path, Some(&crm), Some(body.clone())).await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.body);
    let start = format!("/api/v1/campaigns/{id}/start");
    assert_eq!(
        call(&state, Method::POST, &start, Some(&admin), None)
            .await
            .status,
        StatusCode::OK
    );
    let placed = call(&state, Method::POST, &path, Some(&crm), Some(body)).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.body);
    let contacts = call(
        &state,
        Method::GET,
        "/api/v1/lists/inbound/contacts",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(
        contacts.body[0]["id"], placed.body["contact_id"],
        "{}",
        contacts.body
    );
    assert_eq!(contacts.body[0]["numbers"][0], "+390612345678");
    assert_eq!(contacts.body[0]["variables"]["order"], "42");
    let denied = call(&state, Method::GET, "/api/v1/campaigns", Some(&crm), None).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_event_stream_tells_what_happens_as_it_happens() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir).await;
    let admin = key(&state, "admin", r#"["*"]"#).await;
    let request = Request::get("/api/v1/events")
        .header(header::AUTHORIZATION, format!("Bearer {admin}"))
        .body(Body::empty())
        .unwrap();
    let response = app(state.clone()).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/event-stream"
    );
    let mut body = response.into_body();
    state.dialer.create_agent("anna", "201", 10).await.unwrap();
    state
        .dialer
        .set_agent_state("anna", ringhost_dialer::agents::AgentState::Present, None)
        .await
        .unwrap();
    let mut seen = String::new();
    while !seen.contains("\n\n") {
        let frame = tokio::time::timeout(std::time::Duration::from_secs(5), body.frame())
            .await
            .expect("an event within 5 s")
            .unwrap()
            .unwrap();
        if let Ok(data) = frame.into_data() {
            seen.push_str(&String::from_utf8_lossy(&data));
        }
    }
    assert!(seen.starts_with("event: agent_state\n"), "{seen}");
    assert!(
        seen.contains(r#""agent":"anna""#) && seen.contains(r#""state":"present""#),
        "{seen}"
    );
}

#[tokio::test]
async fn an_agent_sets_an_ended_calls_disposition_and_reschedules_the_contact() {
    use ringhost_store::attempt::{AttemptEnd, AttemptStart};
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir).await;
    let agent = key(&state, "agent", r#"["setDisposition"]"#).await;
    state
        .dialer
        .import("leads", "numbers\n0611111111\n".as_bytes())
        .await
        .unwrap();
    let list = state.store.list_by_name("leads").await.unwrap().unwrap();
    let contact = state.store.contacts(list.id, 0, 1).await.unwrap().remove(0);
    let start = AttemptStart {
        host: "h".into(),
        campaign_id: 1,
        run: 1,
        list_id: list.id,
        contact_id: contact.id,
        number: contact.numbers[0].clone(),
        attempt: 1,
        started_at_ms: 1,
    };
    let open = state.store.begin_attempt(&start).await.unwrap();
    let path = format!("/api/v1/attempts/{open}/disposition");
    let body = json!({"status": "CALLBACK", "tags": ["interested"], "reschedule_at_ms": 9_000_000, "extension": "201"});
    let early = call(
        &state,
        Method::POST,
        &path,
        Some(&agent),
        Some(body.clone()),
    )
    .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.body);
    let end = AttemptEnd {
        end_at_ms: 2,
        trunk: None,
        ring_ms: 1,
        talk_ms: 1,
        sip_code: Some(200),
        cause: None,
        outcome: "answered".into(),
        status: "ANSWER".into(),
        retry: false,
        next_at_ms: 2,
        tags: "[]".into(),
        agent: None,
        confirmed: false,
        hangup_by: None,
        queue_result: None,
        ivr_result: None,
    };
    state
        .store
        .end_attempt(open, contact.id, &end)
        .await
        .unwrap();
    let done = call(&state, Method::POST, &path, Some(&agent), Some(body)).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.body);
    let attempt = state
        .store
        .attempts_of_contact(contact.id)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        (attempt.status.as_deref(), attempt.tags.as_str()),
        (Some("CALLBACK"), r#"["interested"]"#)
    );
    let contact = state.store.contact(contact.id).await.unwrap().unwrap();
    assert_eq!(
        (contact.state.as_str(), contact.next_at_ms),
        ("ready", 9_000_000)
    );
    assert_eq!(contact.schedule_extension.as_deref(), Some("201"));
    let empty = call(
        &state,
        Method::POST,
        &path,
        Some(&agent),
        Some(json!({"status": " "})),
    )
    .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_agent_on_a_call_reads_the_contacts_data() {
    use ringhost_dialer::agents::AgentState;
    use ringhost_store::agent::AgentCall;
    use ringhost_store::attempt::AttemptStart;
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir).await;
    let desk = key(&state, "desk", r#"["agentCall"]"#).await;
    state
        .dialer
        .import(
            "leads",
            "numbers,name,customer_id\n0611111111,Anna Rossi,C042\n".as_bytes(),
        )
        .await
        .unwrap();
    let list = state.store.list_by_name("leads").await.unwrap().unwrap();
    let contact = state.store.contacts(list.id, 0, 1).await.unwrap().remove(0);
    state.dialer.create_agent("bruno", "202", 0).await.unwrap();
    state
        .dialer
        .add_queue_member("sales", "bruno")
        .await
        .unwrap();
    state
        .dialer
        .set_agent_state("bruno", AgentState::Ready, None)
        .await
        .unwrap();
    let path = "/api/v1/agents/bruno/call";
    let idle = call(&state, Method::GET, path, Some(&desk), None).await;
    assert_eq!(idle.status, StatusCode::NOT_FOUND, "{}", idle.body);
    // A call takes bruno, as the carrier does for an answered queued call.
    let attempt = state
        .store
        .begin_attempt(&AttemptStart {
            host: "h".into(),
            campaign_id: 1,
            run: 1,
            list_id: list.id,
            contact_id: contact.id,
            number: contact.numbers[0].clone(),
            attempt: 1,
            started_at_ms: 1,
        })
        .await
        .unwrap();
    let taken = AgentCall {
        host: "h",
        attempt_id: Some(attempt),
        now_ms: 2,
    };
    assert!(
        state
            .store
            .take_agent("sales", &taken)
            .await
            .unwrap()
            .is_some()
    );
    let pop = call(&state, Method::GET, path, Some(&desk), None).await;
    assert_eq!(pop.status, StatusCode::OK, "{}", pop.body);
    assert_eq!(pop.body["attempt_id"], attempt);
    assert_eq!(pop.body["number"], "+390611111111");
    assert_eq!(pop.body["variables"]["name"], "Anna Rossi", "{}", pop.body);
    assert_eq!(pop.body["variables"]["customer_id"], "C042");
    let unknown = call(
        &state,
        Method::GET,
        "/api/v1/agents/nobody/call",
        Some(&desk),
        None,
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_report_is_json_csv_or_a_spreadsheet_for_the_keys_allowed_it() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir).await;
    let reader = key(&state, "reader", r#"["getReport"]"#).await;
    let other = key(&state, "other", r#"["listCampaigns"]"#).await;
    let path = "/api/v1/reports/campaign-stats";

    let json = call(&state, Method::GET, path, Some(&reader), None).await;
    assert_eq!(json.status, StatusCode::OK);
    assert_eq!(json.body["report"], "campaign-stats");
    let keys: Vec<&str> = json.body["tables"][0]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["group", "value", "records", "share"]);
    assert_eq!(json.body["tables"][0]["rows"], json!([]));
    // Every report answers; compliance has its three tables.
    for (name, tables) in [
        ("detailed", 1),
        ("attempts", 1),
        ("agents", 1),
        ("compliance", 3),
        ("missed-calls", 4),
    ] {
        let path = format!("/api/v1/reports/{name}?zone=Europe/Rome&language=it");
        let report = call(&state, Method::GET, &path, Some(&reader), None).await;
        assert_eq!(report.status, StatusCode::OK, "{name}");
        assert_eq!(
            report.body["tables"].as_array().unwrap().len(),
            tables,
            "{name}"
        );
    }

    let raw = |format: &str| {
        Request::get(format!("{path}?campaigns=a,b&format={format}"))
            .header(header::AUTHORIZATION, format!("Bearer {reader}"))
            .body(Body::empty())
            .unwrap()
    };
    for (format, kind, start) in [
        (
            "csv",
            "text/csv; charset=utf-8",
            &b"group,value,records,share\n"[..],
        ),
        (
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &b"PK"[..],
        ),
    ] {
        let response = app(state.clone()).oneshot(raw(format)).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{format}");
        assert_eq!(response.headers()[header::CONTENT_TYPE], kind);
        assert_eq!(
            response.headers()[header::CONTENT_DISPOSITION],
            format!("attachment; filename=\"campaign-stats.{format}\"").as_str()
        );
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        assert!(bytes.starts_with(start), "{format}");
    }

    let bad = call(
        &state,
        Method::GET,
        &format!("{path}?format=pdf"),
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    for query in ["zone=Europe/Milano", "language=fr"] {
        let bad = call(
            &state,
            Method::GET,
            &format!("{path}?{query}"),
            Some(&reader),
            None,
        )
        .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{query}");
    }
    let missing = call(
        &state,
        Method::GET,
        "/api/v1/reports/nope",
        Some(&reader),
        None,
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let refused = call(&state, Method::GET, path, Some(&other), None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

/// Kalliope's dynamic-routing template, as its documentation prints it, with what the
/// PBX puts in place of its placeholders (`%PARAM3%` to `%PARAM5%` left as they are).
fn kalliope_xml(unique_id: &str, caller: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<parameters>\n<unique_id>{unique_id}</unique_id>\n\
         <caller>{caller}</caller>\n<called>0299999999</called>\n\
         <servicecode>%PARAM1%</servicecode>\n<param1>NOME_DELLA_CODA</param1>\n\
         <param2>queue</param2>\n<param3>%PARAM3%</param3>\n<param4>%PARAM4%</param4>\n\
         <param5>%PARAM5%</param5>\n</parameters>\n"
    )
}

/// Posts `body` to the intake as a PBX does: the key in the address, XML.
async fn post_intake(state: &AppState, key: &str, content_type: &str, body: String) -> Answer {
    let request = Request::post(format!("/api/v1/missed-calls/intake?key={key}"))
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    send(state, request).await
}

#[tokio::test]
async fn a_pbx_posts_missed_calls_as_kalliope_writes_them() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir).await;
    let pbx = key(&state, "pbx", r#"["intakeMissedCall"]"#).await;
    let admin = key(&state, "admin", r#"["*"]"#).await;
    let total = |state: AppState, admin: String| async move {
        let list = call(
            &state,
            Method::GET,
            "/api/v1/missed-calls?view=all",
            Some(&admin),
            None,
        )
        .await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        list.body
    };

    let first = post_intake(
        &state,
        &pbx,
        "application/xml",
        kalliope_xml("1765.1", "0287654321"),
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert_eq!(first.body["calls"], 1);
    // The same number again, as JSON with a bearer key: the same request.
    let second = call(
        &state,
        Method::POST,
        "/api/v1/missed-calls/intake",
        Some(&pbx),
        Some(json!({"unique_id": "1765.2", "caller": "+39 02 8765 4321", "param1": "sales", "param2": "queue"})),
    )
    .await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.body);
    assert_eq!(second.body["request_id"], first.body["request_id"]);
    assert_eq!(second.body["calls"], 2);
    // A repeated unique id changes nothing.
    let again = post_intake(
        &state,
        &pbx,
        "text/xml",
        kalliope_xml("1765.1", "0287654321"),
    )
    .await;
    assert_eq!(
        (again.status, &again.body["repeated"]),
        (StatusCode::OK, &json!(true))
    );

    // Malformed bodies: 400 with the reason, nothing stored.
    let before = total(state.clone(), admin.clone()).await;
    for (content_type, body) in [
        ("application/xml", "<parameters><caller>0287654321</caller>".to_owned()),
        ("application/xml", "<?xml version=\"1.0\"?><!DOCTYPE p [<!ENTITY x \"0287654321\">]><parameters><caller>&x;</caller></parameters>".to_owned()),
        ("application/xml", kalliope_xml("1765.3", "%CALLER_NUM%")),
        ("application/xml", kalliope_xml("1765.4", "not a number")),
        ("application/json", r#"{"caller": "0287654321", "who": 1}"#.to_owned()),
        ("application/json", "{".to_owned()),
    ] {
        let answer = post_intake(&state, &pbx, content_type, body.clone()).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}: {}", answer.body);
        assert!(answer.body["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    assert_eq!(total(state.clone(), admin.clone()).await, before);
    // The key in the address serves the intake only; a wrong one is refused.
    let wrong = post_intake(
        &state,
        "rh_wrong",
        "application/xml",
        kalliope_xml("1765.5", "0611111111"),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let listed = call(
        &state,
        Method::GET,
        &format!("/api/v1/missed-calls?key={admin}"),
        None,
        None,
    )
    .await;
    assert_eq!(listed.status, StatusCode::UNAUTHORIZED);

    // The list, with the fields the issue names.
    let list = total(state.clone(), admin.clone()).await;
    assert_eq!(list["total"], 1);
    let request = &list["missed_calls"][0];
    for field in [
        "caller",
        "calls",
        "first_call",
        "last_call",
        "queue",
        "recalled",
        "last_recalled",
        "booked_by",
        "assigned_to",
        "state",
    ] {
        assert!(
            request.get(field).is_some(),
            "{field} missing from {request}"
        );
    }
    assert_eq!(request["caller"], "+390287654321");
    assert_eq!(
        (request["calls"].as_i64(), request["state"].as_str()),
        (Some(2), Some("open"))
    );
    assert_eq!(request["queue"], "sales");

    // Booked by one operator; another cannot; the supervisor assigns and flushes.
    let id = request["id"].as_i64().unwrap();
    let book = |who: &str| json!({ "operator": who });
    // Only an agent books: a name that is none is refused, the request kept open.
    let nobody = call(
        &state,
        Method::POST,
        &format!("/api/v1/missed-calls/{id}/booking"),
        Some(&admin),
        Some(book("anna")),
    )
    .await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND, "{}", nobody.body);
    for (name, extension) in [("anna", "201"), ("bruno", "202")] {
        let made = call(
            &state,
            Method::POST,
            "/api/v1/agents",
            Some(&admin),
            Some(json!({"name": name, "extension": extension})),
        )
        .await;
        assert!(made.status.is_success(), "{}", made.body);
    }
    let booked = call(
        &state,
        Method::POST,
        &format!("/api/v1/missed-calls/{id}/booking"),
        Some(&admin),
        Some(book("anna")),
    )
    .await;
    assert_eq!(booked.status, StatusCode::NO_CONTENT, "{}", booked.body);
    let taken = call(
        &state,
        Method::POST,
        &format!("/api/v1/missed-calls/{id}/booking"),
        Some(&admin),
        Some(book("bruno")),
    )
    .await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.body);
    let annas = call(
        &state,
        Method::GET,
        "/api/v1/missed-calls?view=booked&operator=anna",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(annas.body["total"], 1);
    let to_call = call(
        &state,
        Method::GET,
        "/api/v1/missed-calls?view=to_call",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(to_call.body["total"], 0);
    // Nobody with an extension is called carlo: he cannot be assigned it.
    let assigned = call(
        &state,
        Method::PUT,
        &format!("/api/v1/missed-calls/{id}/assignment"),
        Some(&admin),
        Some(book("carlo")),
    )
    .await;
    assert_eq!(
        assigned.status,
        StatusCode::BAD_REQUEST,
        "{}",
        assigned.body
    );
    // No callback campaign is configured: refused, and the request stays as it was.
    let called = call(
        &state,
        Method::POST,
        &format!("/api/v1/missed-calls/{id}/calls"),
        Some(&admin),
        Some(book("anna")),
    )
    .await;
    assert_eq!(called.status, StatusCode::CONFLICT, "{}", called.body);
    let flushed = call(
        &state,
        Method::POST,
        "/api/v1/missed-calls/flush?queue=x&name=other",
        Some(&admin),
        Some(Value::Null),
    )
    .await;
    assert_eq!(
        (flushed.status, &flushed.body["flushed"]),
        (StatusCode::OK, &json!(0))
    );
    let flushed = call(
        &state,
        Method::POST,
        "/api/v1/missed-calls/flush?name=sales",
        Some(&admin),
        Some(Value::Null),
    )
    .await;
    assert_eq!(
        (flushed.status, &flushed.body["flushed"]),
        (StatusCode::OK, &json!(1))
    );
    let detail = call(
        &state,
        Method::GET,
        &format!("/api/v1/missed-calls/{id}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(detail.body["missed_call"]["closure"], "flushed");
    let kinds: Vec<&str> = detail.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["call", "call", "booked", "flushed"]);
}
