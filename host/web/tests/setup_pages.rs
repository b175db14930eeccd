//! The setup pages that are not lists or campaigns: API keys and templates.

mod panel;

use axum::http::StatusCode;
use panel::{get, panel, post, send, sign_in};

#[tokio::test]
async fn an_admin_makes_a_key_with_a_role_sees_its_secret_once_and_revokes_it() {
    let dir = tempfile::tempdir().unwrap();
    let app = panel(&dir).await;
    let (session, token) = sign_in(&app, "ada", "ada-password").await;

    let neither = [("name", "crm"), ("csrf", token.as_str())];
    let refused = send(&app, post("/admin/keys", Some(&session), &neither)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.select("#grant-error").len(), 1);
    let both = [
        ("name", "crm"),
        ("role", "admin"),
        ("operation", "listLists"),
        ("csrf", token.as_str()),
    ];
    let refused = send(&app, post("/admin/keys", Some(&session), &both)).await;
    assert_eq!(refused.select("#grant-error").len(), 1);
    let unknown = [
        ("name", "crm"),
        ("operation", "dropDatabase"),
        ("csrf", token.as_str()),
    ];
    let refused = send(&app, post("/admin/keys", Some(&session), &unknown)).await;
    assert_eq!(refused.select("#grant-error").len(), 1);
    assert!(refused.select("#keys tbody tr").is_empty(), "nothing made");

    let role = [
        ("name", "wallboard <1>"),
        ("role", "supervisor"),
        ("csrf", token.as_str()),
    ];
    let made = send(&app, post("/admin/keys", Some(&session), &role)).await;
    assert_eq!(made.status, StatusCode::OK);
    let secret = made.select("#secret").pop().unwrap();
    assert!(secret.starts_with("rh_") && secret.len() == 43, "{secret}");
    assert_eq!(made.select("#keys tbody td:first-child"), ["wallboard <1>"]);
    assert_eq!(
        made.select("#keys tbody td:nth-child(2)"),
        [r#"{"role":"supervisor"}"#]
    );
    let ops = [
        ("name", "exchange"),
        ("operation", "listLists"),
        ("operation", "importContacts"),
        ("csrf", token.as_str()),
    ];
    send(&app, post("/admin/keys", Some(&session), &ops)).await;
    // Shown once: the list never shows a secret again.
    let page = send(&app, get("/admin/keys", Some(&session))).await;
    assert!(page.select("#secret").is_empty());
    assert!(!page.html.html().contains(&secret));
    assert_eq!(
        page.select("#keys tbody td:nth-child(2)"),
        [
            r#"["listLists","importContacts"]"#,
            r#"{"role":"supervisor"}"#
        ]
    );
    let taken = send(&app, post("/admin/keys", Some(&session), &ops)).await;
    assert_eq!(taken.select("#name-error"), ["That name is taken."]);

    let revoke = send(
        &app,
        post(
            "/admin/keys/exchange/revoke",
            Some(&session),
            &[("csrf", &token)],
        ),
    )
    .await;
    assert_eq!(revoke.status, StatusCode::SEE_OTHER);
    let page = send(&app, get("/admin/keys", Some(&session))).await;
    assert_eq!(page.select("#keys tbody tr").len(), 1);
    let again = send(
        &app,
        post(
            "/admin/keys/exchange/revoke",
            Some(&session),
            &[("csrf", &token)],
        ),
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);

    let (supervisor, supervisor_token) = sign_in(&app, "sara", "sara-password").await;
    assert_eq!(
        send(&app, get("/admin/keys", Some(&supervisor)))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let grab = [
        ("name", "mine"),
        ("role", "admin"),
        ("csrf", supervisor_token.as_str()),
    ];
    let refused = send(&app, post("/admin/keys", Some(&supervisor), &grab)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_template_is_saved_with_checked_fields_and_fills_a_new_campaign() {
    let dir = tempfile::tempdir().unwrap();
    let app = panel(&dir).await;
    let (session, token) = sign_in(&app, "ada", "ada-password").await;
    let new = send(&app, get("/admin/templates/new", Some(&session))).await;
    assert_eq!(new.status, StatusCode::OK);
    assert_eq!(new.attr("#ring_timeout_s", "value").as_deref(), Some("30"));

    let mut form = vec![
        ("csrf", token.as_str()),
        ("name", "reminder"),
        ("kind", "notification"),
        ("accountcode", "clinic"),
        ("priority", "0"),
        ("ring_timeout_s", "20"),
        ("max_calls", "0"),
        ("reserved_percent", "0"),
        ("pacing.strategy", "progressive"),
        ("pacing.ratio_percent", "0"),
        ("pacing.multiplier", "1"),
        ("pacing.target_abandon_rate", "3"),
        ("rate_window_s", "900"),
        ("abandon_after_ms", "2000"),
        ("abandoned_no_call_days", "7"),
        ("queue_max_wait_s", "60"),
        ("agent_ring_s", "15"),
        ("confirm", "on"),
        ("confirm_wait_s", "500"),
        ("min_successes", "0"),
    ];
    let refused = send(&app, post("/admin/templates", Some(&session), &form)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.select("#confirm_wait_s-error"),
        ["A whole number from 1 to 120."]
    );
    // A template need not name its message: the campaign made from it will.
    assert!(refused.select("#audio-error").is_empty());
    let listed = send(&app, get("/admin/templates", Some(&session))).await;
    assert!(listed.select("#templates tbody tr").is_empty());

    form.retain(|(k, _)| *k != "confirm_wait_s");
    form.push(("confirm_wait_s", "9"));
    let saved = send(&app, post("/admin/templates", Some(&session), &form)).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let listed = send(&app, get("/admin/templates", Some(&session))).await;
    assert_eq!(
        listed.select("#templates tbody td:first-child"),
        ["reminder"]
    );

    let campaign = send(
        &app,
        get("/admin/campaigns/new?template=reminder", Some(&session)),
    )
    .await;
    assert_eq!(
        campaign.attr("#confirm_wait_s", "value").as_deref(),
        Some("9")
    );
    assert_eq!(
        campaign.attr("#accountcode", "value").as_deref(),
        Some("clinic")
    );
    assert_eq!(
        campaign.attr("input[name=template]", "value").as_deref(),
        Some("reminder")
    );
    let missing = send(
        &app,
        get("/admin/campaigns/new?template=nope", Some(&session)),
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let (agent, _) = sign_in(&app, "bruno", "bruno-password").await;
    let refused = send(&app, get("/admin/templates", Some(&agent))).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn agents_are_added_and_put_in_queues() {
    let dir = tempfile::tempdir().unwrap();
    let app = panel(&dir).await;
    let (session, token) = sign_in(&app, "ada", "ada-password").await;
    let bad = [
        ("name", "anna"),
        ("extension", "201"),
        ("wrap_up_s", "-1"),
        ("csrf", token.as_str()),
    ];
    let refused = send(&app, post("/admin/agents", Some(&session), &bad)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.select("#wrap_up_s-error").len(), 1);
    // bruno's agent only: anna was not added.
    assert_eq!(refused.select("#agents tbody tr").len(), 1);
    let good = [
        ("name", "anna"),
        ("extension", "201"),
        ("wrap_up_s", "15"),
        ("csrf", token.as_str()),
    ];
    let made = send(&app, post("/admin/agents", Some(&session), &good)).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER);
    let again = send(&app, post("/admin/agents", Some(&session), &good)).await;
    assert_eq!(again.select("#name-error").len(), 1, "the name is taken");

    // A phone account with the agent: a short password or no extension refused, and
    // nothing saved; then made, as digest hashes for the registrar's realm.
    for (extension, password) in [("203", "short"), ("", "long-enough-password")] {
        let with_phone = [
            ("name", "carla"),
            ("extension", extension),
            ("wrap_up_s", "5"),
            ("phone_password", password),
            ("csrf", token.as_str()),
        ];
        let refused = send(&app, post("/admin/agents", Some(&session), &with_phone)).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(refused.select("#phone_password-error").len(), 1);
        assert_eq!(
            refused.select("#agents tbody tr").len(),
            2,
            "bruno and anna, carla was not added"
        );
    }
    let with_phone = [
        ("name", "carla"),
        ("extension", "203"),
        ("wrap_up_s", "5"),
        ("phone_password", "long-enough-password"),
        ("csrf", token.as_str()),
    ];
    let made = send(&app, post("/admin/agents", Some(&session), &with_phone)).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER);
    let store = panel::store(&dir).await;
    let account = store
        .phone_account("203")
        .await
        .unwrap()
        .expect("an account");
    let secret = ringhost_sip::PhoneSecret::new("203", "ringhost", "long-enough-password");
    assert_eq!(
        (account.realm, account.ha1_md5, account.ha1_sha256),
        (secret.realm, secret.ha1_md5, secret.ha1_sha256)
    );
    // Anna's phone gets an account from her row's form.
    let short = [("password", "short"), ("csrf", token.as_str())];
    let refused = send(
        &app,
        post("/admin/agents/anna/phone", Some(&session), &short),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(store.phone_account("201").await.unwrap().is_none());
    let set = [
        ("password", "annas-phone-password"),
        ("csrf", token.as_str()),
    ];
    let done = send(&app, post("/admin/agents/anna/phone", Some(&session), &set)).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert!(store.phone_account("201").await.unwrap().is_some());
    let page = send(&app, get("/admin/agents", Some(&session))).await;
    assert_eq!(
        page.select("#agents tbody td.phone .muted").len(),
        1,
        "anna and carla have accounts, bruno has none"
    );
    let nobody = send(
        &app,
        post("/admin/agents/nobody/phone", Some(&session), &set),
    )
    .await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);
    let forged = send(
        &app,
        post("/admin/agents/anna/phone", Some(&session), &set[..1]),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let member = [
        ("queue", "sales"),
        ("agent", "anna"),
        ("csrf", token.as_str()),
    ];
    let added = send(&app, post("/admin/queues", Some(&session), &member)).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let page = send(&app, get("/admin/agents", Some(&session))).await;
    assert_eq!(
        page.select("#agents tbody td:nth-child(3)"),
        ["logged_out", "logged_out", "logged_out"]
    );
    // anna, bruno, carla: by name.
    assert_eq!(
        page.select("#agents tbody td:nth-child(7)"),
        ["sales", "", ""]
    );
    assert_eq!(page.select("#queue-sales li").len(), 1);

    // A supervisor moves members but adds no agents.
    let (supervisor, supervisor_token) = sign_in(&app, "sara", "sara-password").await;
    let read = send(&app, get("/admin/agents", Some(&supervisor))).await;
    assert!(read.select("#extension").is_empty());
    let removed = send(
        &app,
        post(
            "/admin/queues/sales/anna/remove",
            Some(&supervisor),
            &[("csrf", &supervisor_token)],
        ),
    )
    .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let page = send(&app, get("/admin/agents", Some(&session))).await;
    assert!(page.select("#queue-sales").is_empty());
    let add = [
        ("name", "bob"),
        ("extension", "202"),
        ("wrap_up_s", "5"),
        ("csrf", supervisor_token.as_str()),
    ];
    let refused = send(&app, post("/admin/agents", Some(&supervisor), &add)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
