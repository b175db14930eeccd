//! The agent's desk: who has one, the states an agent asks for, the screen pop of the
//! call they are on, the disposition of their last call, and the desk's own stream.

mod panel;

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use panel::{cells, get, next_event, panel_parts, post, send, sign_in};
use ringhost_dialer::agents::AgentState;
use ringhost_dialer::settings::ListSettings;
use ringhost_store::agent::AgentCall;
use ringhost_store::attempt::{AttemptEnd, AttemptStart};
use ringhost_web::WebSettings;
use serde_json::json;
use tower::ServiceExt as _;

#[tokio::test]
async fn an_agent_logs_in_is_ready_and_pauses_with_a_listed_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (app, dialer) = panel_parts(&dir, None, None, WebSettings::default()).await;
    dialer.add_queue_member("sales", "bruno").await.unwrap();

    // Only users who are an agent have a desk.
    let (admin, _) = sign_in(&app, "ada", "ada-password").await;
    assert_eq!(
        send(&app, get("/agent", Some(&admin))).await.status,
        StatusCode::FORBIDDEN
    );

    let (session, csrf) = sign_in(&app, "bruno", "bruno-password").await;
    let page = send(&app, get("/agent", Some(&session))).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.attr("#board-content", "data-state").as_deref(),
        Some("logged_out")
    );
    assert_eq!(page.select("#desk-state .set-present").len(), 1);
    assert!(page.select("#desk-state .set-paused").is_empty());

    let state = |to: &'static str, reason: &'static str| {
        vec![("state", to), ("reason", reason), ("csrf", csrf.as_str())]
    };
    for to in ["present", "ready"] {
        let done = send(&app, post("/agent/state", Some(&session), &state(to, ""))).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{to}");
    }
    let page = send(&app, get("/agent", Some(&session))).await;
    assert_eq!(
        page.attr("#board-content", "data-state").as_deref(),
        Some("ready")
    );
    assert_eq!(
        page.select("#desk-state .muted"),
        ["bruno · extension 200 · queues: sales"]
    );
    // The reasons offered are the configured ones; another is refused, nothing changes.
    assert_eq!(
        page.attrs("#pause-reason option", "value"),
        ["break", "lunch", "training", "meeting", "back office"]
    );
    let refused = send(
        &app,
        post("/agent/state", Some(&session), &state("paused", "nap")),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.select("#action-error").len(), 1);
    assert_eq!(
        refused.attr("#board-content", "data-state").as_deref(),
        Some("ready")
    );
    let forged = send(
        &app,
        post(
            "/agent/state",
            Some(&session),
            &[("state", "paused"), ("reason", "lunch")],
        ),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let paused = send(
        &app,
        post("/agent/state", Some(&session), &state("paused", "lunch")),
    )
    .await;
    assert_eq!(paused.status, StatusCode::SEE_OTHER);
    let page = send(&app, get("/agent", Some(&session))).await;
    assert_eq!(page.select("#desk-state .state"), ["Paused"]);
    assert_eq!(page.select("#desk-state .reason"), ["lunch"]);

    // The agent asked for it, so the audit says so.
    let store = panel::store(&dir).await;
    let changes = store.agent_changes("bruno", 10).await.unwrap();
    assert_eq!(changes[0].changed_by, "bruno");
    assert_eq!(changes[0].to_state, "paused");

    // The agent's day so far: a pause.
    let today = dialer.agents_days(0).await.unwrap();
    assert_eq!(today["bruno"].pauses.len(), 1);
}

#[tokio::test]
async fn the_desk_follows_its_agent_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let (app, dialer) = panel_parts(&dir, None, None, WebSettings::default()).await;
    dialer.create_agent("carla", "201", 5).await.unwrap();
    let (session, _) = sign_in(&app, "bruno", "bruno-password").await;
    let request = Request::get("/agent/events")
        .header(header::COOKIE, &session)
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();
    let mut pending = String::new();
    let (name, desk) = next_event(&mut body, &mut pending, Duration::from_secs(2)).await;
    assert_eq!(name, "board");
    assert_eq!(cells(&desk, "#desk-state .state"), ["Logged out"]);
    // No session's token is ever rendered into a feed's board: each stream puts its own.
    assert!(!desk.contains('\u{1}'));

    // Another agent's change does not concern bruno's desk; his own does.
    dialer
        .set_agent_state("carla", AgentState::Ready, None)
        .await
        .unwrap();
    let changed = Instant::now();
    dialer
        .set_agent_state("bruno", AgentState::Present, None)
        .await
        .unwrap();
    let (_, desk) = next_event(&mut body, &mut pending, Duration::from_secs(1)).await;
    assert_eq!(cells(&desk, "#desk-state .state"), ["Logged in, not ready"]);
    assert!(changed.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn the_screen_pop_shows_the_call_and_the_disposition_is_saved() {
    let dir = tempfile::tempdir().unwrap();
    let (app, dialer) = panel_parts(&dir, None, None, WebSettings::default()).await;
    let settings = ListSettings {
        default_region: "IT".into(),
        ..ListSettings::default()
    };
    dialer.create_list("leads", "", &settings).await.unwrap();
    let csv = "PHONE_NUMBER;NAME;CODE\n0287654321;<i>Maria</i>;A&7\n";
    dialer.import("leads", csv.as_bytes()).await.unwrap();
    let campaign = dialer
        .create_campaign(
            "winter",
            None,
            &["leads".to_owned()],
            json!({
                "queue": "sales",
                "dispositions": ["SALE", "NOT_INTERESTED"],
                "crm_url": "https://crm.example/c?code={CODE}&tel={number}",
            }),
            None,
        )
        .await
        .unwrap();
    dialer
        .set_agent_state("bruno", AgentState::Ready, None)
        .await
        .unwrap();

    // A call of the campaign, answered and put through to bruno (as the host's call
    // would write it).
    let store = panel::store(&dir).await;
    let list = store.list_by_name("leads").await.unwrap().unwrap();
    let contact = store
        .claim_due("h", &[list.id], i64::MAX / 2, 1)
        .await
        .unwrap()
        .remove(0);
    let start = AttemptStart {
        host: "h".into(),
        campaign_id: campaign,
        run: 1,
        list_id: list.id,
        contact_id: contact.id,
        number: contact.numbers[0].clone(),
        attempt: 1,
        started_at_ms: dialer.now_ms(),
    };
    let attempt = store.begin_attempt(&start).await.unwrap();
    store
        .attempt_answered(attempt, dialer.now_ms())
        .await
        .unwrap();
    let call = AgentCall {
        host: "h",
        attempt_id: Some(attempt),
        now_ms: dialer.now_ms(),
    };
    assert!(store.take_agent_at("200", &call).await.unwrap().is_some());

    let (session, csrf) = sign_in(&app, "bruno", "bruno-password").await;
    let page = send(&app, get("/agent", Some(&session))).await;
    assert_eq!(page.select("#screen-pop .number"), ["+390287654321"]);
    assert_eq!(page.select("#screen-pop .campaign"), ["winter"]);
    // The contact's columns, as text; the CRM link filled and encoded.
    assert_eq!(
        page.select("#screen-pop table.variables td"),
        ["A&7", "<i>Maria</i>"]
    );
    assert!(page.select("#screen-pop i").is_empty());
    assert_eq!(
        page.attr("#screen-pop a.crm", "href").as_deref(),
        Some("https://crm.example/c?code=A%267&tel=%2B390287654321")
    );
    assert!(
        page.select("#disposition").is_empty(),
        "the call is not over"
    );

    // The call ends: bruno wraps up, and the form is about it.
    let end = AttemptEnd {
        end_at_ms: dialer.now_ms(),
        trunk: None,
        ring_ms: 3_000,
        talk_ms: 42_000,
        sip_code: Some(200),
        cause: Some(16),
        outcome: "ANSWER".into(),
        status: "ANSWER".into(),
        retry: false,
        next_at_ms: 0,
        tags: "[]".into(),
        agent: Some("bruno".into()),
        confirmed: false,
        hangup_by: Some("callee".into()),
        queue_result: None,
        ivr_result: None,
    };
    store.end_attempt(attempt, contact.id, &end).await.unwrap();
    assert!(
        store
            .move_agent("bruno", "on_call", "wrap_up", None, dialer.now_ms())
            .await
            .unwrap()
    );
    let page = send(&app, get("/agent", Some(&session))).await;
    assert!(page.select("#screen-pop").is_empty());
    assert_eq!(page.select("#desk-state .wrap-up strong").len(), 1);
    let id = attempt.to_string();
    assert_eq!(
        page.attr("#disposition", "data-attempt").as_deref(),
        Some(id.as_str())
    );
    assert_eq!(
        page.attrs(&format!("#status-{id} option"), "value"),
        ["SALE", "NOT_INTERESTED"]
    );

    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("attempt_id", id.as_str()),
        ("status", "CALLBACK"),
        ("tags", "warm, <b>vip</b>"),
        ("note", "wants the <b>blue</b> one"),
        ("reschedule", "2999-01-02T10:30"),
        ("to", "me"),
    ];
    // Not one of the campaign's statuses: refused, nothing saved.
    let refused = send(&app, post("/agent/disposition", Some(&session), &form)).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(
        store
            .attempt(attempt)
            .await
            .unwrap()
            .unwrap()
            .status
            .as_deref(),
        Some("ANSWER")
    );
    form[2] = ("status", "SALE");
    let saved = send(&app, post("/agent/disposition", Some(&session), &form)).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let row = store.attempt(attempt).await.unwrap().unwrap();
    assert_eq!(row.status.as_deref(), Some("SALE"));
    assert_eq!(row.note.as_deref(), Some("wants the <b>blue</b> one"));
    assert_eq!(row.tags, r#"["warm","<b>vip</b>"]"#);
    let contact = store.contact(contact.id).await.unwrap().unwrap();
    assert_eq!(contact.schedule_extension.as_deref(), Some("200"));
    assert_eq!(contact.state, "ready");

    // Today's calls show it, as text.
    let page = send(&app, get("/agent", Some(&session))).await;
    assert_eq!(page.select("#desk-calls td.status"), ["SALE"]);
    assert_eq!(
        page.select("#desk-calls td.note"),
        ["wants the <b>blue</b> one"]
    );
    assert_eq!(page.select("#today .calls"), ["1"]);

    // Another agent's call is not bruno's to judge.
    form[1] = ("attempt_id", "999");
    let theirs = send(&app, post("/agent/disposition", Some(&session), &form)).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_agent_calls_from_the_desk_and_sees_a_refusal_beside_the_form() {
    let dir = tempfile::tempdir().unwrap();
    let (app, dialer) = panel_parts(&dir, None, None, WebSettings::default()).await;
    let csv = "numbers,name\n0611111111,<b>Anna</b>\n";
    dialer.import("leads", csv.as_bytes()).await.unwrap();
    let id = dialer
        .create_campaign(
            "sales",
            None,
            &["leads".to_owned()],
            json!({"kind": "agent", "queue": "sales", "pacing": {"strategy": "fixed"}}),
            None,
        )
        .await
        .unwrap();
    dialer
        .command(id, ringhost_dialer::lifecycle::Command::Start)
        .await
        .unwrap();
    dialer.add_queue_member("sales", "bruno").await.unwrap();
    dialer
        .set_agent_state("bruno", AgentState::Ready, None)
        .await
        .unwrap();
    let store = panel::store(&dir).await;
    store
        .add_do_not_call("+390655555555", 0, None, "asked", 0)
        .await
        .unwrap();

    // The form offers the agent's campaign, the preview its due contact, escaped.
    let (session, csrf) = sign_in(&app, "bruno", "bruno-password").await;
    let page = send(&app, get("/agent", Some(&session))).await;
    assert_eq!(
        page.attrs("#call-campaign option", "value"),
        [id.to_string()]
    );
    assert_eq!(page.select(".preview .number"), ["+390611111111"]);
    assert!(page.select(".preview b").is_empty());
    let anna = page.attr(".preview tr", "data-contact").unwrap();
    assert!(page.select(".preview td")[1].contains("<b>Anna</b>"));

    // A number on the do-not-call list: refused beside the form, the number kept, the
    // agent still ready.
    let id_text = id.to_string();
    let typed = |number: &'static str| {
        vec![
            ("csrf", csrf.as_str()),
            ("campaign_id", id_text.as_str()),
            ("number", number),
        ]
    };
    let refused = send(
        &app,
        post("/agent/call", Some(&session), &typed("06 5555 5555")),
    )
    .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(
        refused.select("#call-error"),
        ["the number is on a do-not-call list"]
    );
    assert_eq!(
        refused.attr("#call-number", "value").as_deref(),
        Some("06 5555 5555")
    );
    assert_eq!(
        refused.attr("#board-content", "data-state").as_deref(),
        Some("ready")
    );
    // What cannot be read is refused, escaped, and kept as typed.
    let hostile = "<script>alert(1)</script>";
    let unreadable = send(&app, post("/agent/call", Some(&session), &typed(hostile))).await;
    assert_eq!(unreadable.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unreadable.select("#call-error").len(), 1);
    assert!(unreadable.select("#desk-call script").is_empty());
    assert_eq!(
        unreadable.attr("#call-number", "value").as_deref(),
        Some(hostile)
    );

    // No anti-forgery token, or no desk: refused, nothing placed.
    let forged = send(
        &app,
        post(
            "/agent/call",
            Some(&session),
            &[("campaign_id", id_text.as_str()), ("number", "0622222222")],
        ),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let (admin, admin_csrf) = sign_in(&app, "ada", "ada-password").await;
    let no_desk = send(
        &app,
        post(
            "/agent/call",
            Some(&admin),
            &[
                ("csrf", admin_csrf.as_str()),
                ("campaign_id", id_text.as_str()),
                ("number", "0622222222"),
            ],
        ),
    )
    .await;
    assert_eq!(no_desk.status, StatusCode::FORBIDDEN);
    assert!(store.open_attempts("ringhost").await.unwrap().is_empty());

    // The previewed contact: the call is placed, the agent on it, the form gone.
    let picked = [
        ("csrf", csrf.as_str()),
        ("campaign_id", id_text.as_str()),
        ("contact_id", anna.as_str()),
    ];
    let done = send(&app, post("/agent/call", Some(&session), &picked)).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let attempts = store
        .attempts_of_contact(anna.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(attempts.len(), 1);
    let page = send(&app, get("/agent", Some(&session))).await;
    assert_eq!(
        page.attr("#board-content", "data-state").as_deref(),
        Some("on_call")
    );
    assert!(page.select("#desk-call").is_empty());
}

/// An agent on an inbound call sees who calls, on which line, and that the caller is
/// waiting for a callback; the page escapes what the trunk sent.
#[tokio::test]
async fn the_desk_shows_an_inbound_caller_and_their_missed_calls() {
    use ringhost_store::inbound::NewInboundCall;
    use ringhost_store::missed::{NewMissedCall, Source};
    let dir = tempfile::tempdir().unwrap();
    let (app, dialer) = panel_parts(&dir, None, None, WebSettings::default()).await;
    let store = panel::store(&dir).await;
    let caller = "+390287654321";
    store
        .intake_missed_call(&NewMissedCall {
            unique_id: None,
            caller: caller.into(),
            at_ms: 1_000,
            kind: "queue".into(),
            name: "support".into(),
            source: Source::Pbx,
            called: "0299".into(),
            accountcode: String::new(),
            detail: "{}".into(),
        })
        .await
        .unwrap();
    let new = NewInboundCall {
        host: "h",
        caller,
        number: "<b>0299000000</b>",
        queue: "support",
        arrived_ms: dialer.now_ms(),
    };
    let id = store.begin_inbound_call(&new).await.unwrap();
    // Put through to bruno, as the queue would.
    dialer
        .set_agent_state("bruno", AgentState::Ready, None)
        .await
        .unwrap();
    let call = AgentCall {
        host: "h",
        attempt_id: None,
        now_ms: dialer.now_ms(),
    };
    assert!(store.take_agent_at("200", &call).await.unwrap().is_some());
    store
        .inbound_call_connected(id, "bruno", dialer.now_ms())
        .await
        .unwrap();

    let (session, _) = sign_in(&app, "bruno", "bruno-password").await;
    let page = send(&app, get("/agent", Some(&session))).await;
    assert_eq!(page.select("#inbound-pop .number"), [caller]);
    assert_eq!(page.select("#inbound-pop .line"), ["<b>0299000000</b>"]);
    assert!(page.select("#inbound-pop b").is_empty());
    assert_eq!(page.select("#inbound-pop .missed-calls"), ["1"]);
    assert!(page.select("#screen-pop").is_empty());
}
