//! The supervisor's live board: who may open it, what it shows, and its event stream,
//! which sends the board at once and again when the host changes.

mod panel;

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use panel::{cells, get, next_event, panel_parts, post, send, sign_in};
use ringhost_dialer::agents::AgentState;
use ringhost_web::WebSettings;
use tower::ServiceExt as _;

#[tokio::test]
async fn the_board_follows_the_host_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let (app, dialer) = panel_parts(&dir, None, None, WebSettings::default()).await;
    dialer.create_agent("anna", "201", 5).await.unwrap();
    dialer.add_queue_member("sales", "anna").await.unwrap();

    let (agent, _) = sign_in(&app, "bruno", "bruno-password").await;
    assert_eq!(
        send(&app, get("/supervisor", Some(&agent))).await.status,
        StatusCode::FORBIDDEN
    );
    let refused = app
        .clone()
        .oneshot(get("/supervisor/events", Some(&agent)))
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let (session, _) = sign_in(&app, "sara", "sara-password").await;
    let page = send(&app, get("/supervisor", Some(&session))).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.select("#board-agents tr[data-agent=anna] td.state"),
        ["logged_out"]
    );
    assert_eq!(
        page.select("#board-queues tr[data-queue=sales] td:nth-child(2)"),
        ["0"]
    );
    assert_eq!(
        page.attr("#board", "data-stream").as_deref(),
        Some("/supervisor/events")
    );

    let request = Request::get("/supervisor/events")
        .header(header::COOKIE, &session)
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/event-stream"
    );
    let mut body = response.into_body();
    let mut pending = String::new();
    let (name, board) = next_event(&mut body, &mut pending, Duration::from_secs(2)).await;
    assert_eq!(name, "board");
    assert_eq!(
        cells(&board, "tr[data-agent=anna] td.state"),
        ["logged_out"]
    );

    // The agent logs in and is ready, then pauses: each reaches the board within 1 s.
    let changed = Instant::now();
    dialer
        .set_agent_state("anna", AgentState::Ready, None)
        .await
        .unwrap();
    let (_, board) = next_event(&mut body, &mut pending, Duration::from_secs(1)).await;
    assert_eq!(cells(&board, "tr[data-agent=anna] td.state"), ["ready"]);
    assert_eq!(cells(&board, "tr[data-queue=sales] td:nth-child(4)"), ["1"]);
    assert!(
        changed.elapsed() < Duration::from_secs(1),
        "{:?}",
        changed.elapsed()
    );
    dialer
        .set_agent_state("anna", AgentState::Paused, Some("<b>coffee</b>"))
        .await
        .unwrap();
    let (_, board) = next_event(&mut body, &mut pending, Duration::from_secs(1)).await;
    assert_eq!(
        cells(&board, "tr[data-agent=anna] td.state"),
        ["paused <b>coffee</b>"]
    );
    // The reason is text, never markup.
    assert_eq!(
        cells(&board, "tr[data-agent=anna] .reason"),
        ["<b>coffee</b>"]
    );
    assert!(cells(&board, "tr[data-agent=anna] b").is_empty());
    assert_eq!(cells(&board, "tr[data-queue=sales] td:nth-child(6)"), ["1"]);
}

#[tokio::test]
async fn a_supervisor_sets_an_agent_s_state_and_it_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let (app, dialer) = panel_parts(&dir, None, None, WebSettings::default()).await;
    dialer.create_agent("anna", "201", 5).await.unwrap();
    dialer
        .set_agent_state("anna", AgentState::Ready, None)
        .await
        .unwrap();
    let path = "/supervisor/agents/anna/state";

    // An agent may not; a form without its token may not.
    let (agent, agent_csrf) = sign_in(&app, "bruno", "bruno-password").await;
    let form = [("state", "logged_out"), ("csrf", agent_csrf.as_str())];
    assert_eq!(
        send(&app, post(path, Some(&agent), &form)).await.status,
        StatusCode::FORBIDDEN
    );
    let (session, csrf) = sign_in(&app, "sara", "sara-password").await;
    let forged = send(&app, post(path, Some(&session), &[("state", "logged_out")])).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // The board offers what anna may become: pause and log out, not ready again.
    let page = send(&app, get("/supervisor", Some(&session))).await;
    assert!(page.select("tr[data-agent=anna] .set-ready").is_empty());
    assert_eq!(page.select("tr[data-agent=anna] .set-paused").len(), 1);

    // A pause needs a reason: refused, shown, nothing changed.
    let no_reason = [
        ("state", "paused"),
        ("reason", " "),
        ("csrf", csrf.as_str()),
    ];
    let refused = send(&app, post(path, Some(&session), &no_reason)).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.select("#action-error").len(), 1);
    assert_eq!(refused.select("tr[data-agent=anna] td.state"), ["ready"]);

    let pause = [
        ("state", "paused"),
        ("reason", "training"),
        ("csrf", csrf.as_str()),
    ];
    let done = send(&app, post(path, Some(&session), &pause)).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let out = [("state", "logged_out"), ("csrf", csrf.as_str())];
    let done = send(&app, post(path, Some(&session), &out)).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let page = send(&app, get("/supervisor", Some(&session))).await;
    assert_eq!(page.select("tr[data-agent=anna] td.state"), ["logged_out"]);

    // Who, from, to, why: newest first.
    let store = panel::store(&dir).await;
    let changes = store.agent_changes("anna", 10).await.unwrap();
    let seen: Vec<_> = changes
        .iter()
        .map(|c| {
            (
                c.changed_by.as_str(),
                c.from_state.as_str(),
                c.to_state.as_str(),
                c.reason.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("sara", "paused", "logged_out", None),
            ("sara", "ready", "paused", Some("training")),
        ]
    );
    let nobody = send(
        &app,
        post("/supervisor/agents/nobody/state", Some(&session), &out),
    )
    .await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_wallboard_opens_with_its_token_only_and_follows_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let settings = WebSettings {
        wallboard_token: Some("kiosk-7f3a9".into()),
        ..WebSettings::default()
    };
    let (app, dialer) = panel_parts(&dir, None, None, settings).await;
    dialer.create_agent("anna", "201", 5).await.unwrap();
    dialer.add_queue_member("sales", "anna").await.unwrap();
    dialer
        .set_agent_state("anna", AgentState::Ready, None)
        .await
        .unwrap();

    for path in [
        "/wallboard",
        "/wallboard?token=kiosk",
        "/wallboard/events?token=x",
    ] {
        let refused = app.clone().oneshot(get(path, None)).await.unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let page = send(&app, get("/wallboard?token=kiosk-7f3a9", None)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.select("#wall-queues [data-queue=sales] .ready"), ["1"]);
    assert!(page.select("#wall-queues .alarm").is_empty());
    assert_eq!(
        page.attr("#board", "data-stream").as_deref(),
        Some("/wallboard/events?token=kiosk%2D7f3a9")
    );
    // No sign-in, so no header links or forms.
    assert!(page.select("header nav a").is_empty());

    let response = app
        .clone()
        .oneshot(get("/wallboard/events?token=kiosk%2D7f3a9", None))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();
    let mut pending = String::new();
    let (name, wall) = next_event(&mut body, &mut pending, Duration::from_secs(2)).await;
    assert_eq!(name, "board");
    assert_eq!(cells(&wall, "[data-queue=sales] .ready"), ["1"]);
    dialer
        .set_agent_state("anna", AgentState::Paused, Some("lunch"))
        .await
        .unwrap();
    let (_, wall) = next_event(&mut body, &mut pending, Duration::from_secs(1)).await;
    assert_eq!(cells(&wall, "[data-queue=sales] .ready"), ["0"]);

    // Without a token configured there is no wallboard at all.
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = panel_parts(&dir, None, None, WebSettings::default()).await;
    let refused = app.oneshot(get("/wallboard?token=", None)).await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn listening_in_is_a_supervisor_s_and_only_on_a_call() {
    let dir = tempfile::tempdir().unwrap();
    let (app, dialer) = panel_parts(&dir, None, None, WebSettings::default()).await;
    dialer.create_agent("anna", "201", 5).await.unwrap();
    let path = "/supervisor/agents/anna/monitor";

    let (agent, agent_csrf) = sign_in(&app, "bruno", "bruno-password").await;
    let form = [
        ("mode", "listen"),
        ("extension", "300"),
        ("csrf", agent_csrf.as_str()),
    ];
    assert_eq!(
        send(&app, post(path, Some(&agent), &form)).await.status,
        StatusCode::FORBIDDEN
    );
    let (session, csrf) = sign_in(&app, "sara", "sara-password").await;
    // No listen-in buttons for an agent who is not on a call.
    let page = send(&app, get("/supervisor", Some(&session))).await;
    assert!(
        page.select("tr[data-agent=anna] .monitor-listen")
            .is_empty()
    );
    let bad = [
        ("mode", "record"),
        ("extension", "300"),
        ("csrf", csrf.as_str()),
    ];
    let refused = send(&app, post(path, Some(&session), &bad)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let listen = [
        ("mode", "listen"),
        ("extension", "300"),
        ("csrf", csrf.as_str()),
    ];
    let refused = send(&app, post(path, Some(&session), &listen)).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.select("#action-error").len(), 1);
    let stop = send(
        &app,
        post(
            "/supervisor/agents/anna/monitor/stop",
            Some(&session),
            &[("csrf", csrf.as_str())],
        ),
    )
    .await;
    assert_eq!(stop.status, StatusCode::CONFLICT);
    let store = panel::store(&dir).await;
    assert!(store.monitor_changes("anna", 10).await.unwrap().is_empty());
}
