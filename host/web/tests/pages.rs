//! The panel at the HTML level: requests through the router (no socket), a real SQLite
//! store and dialer behind it, the HTML parsed back.

mod panel;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use panel::{get, import_request, panel, post, send, sign_in};
use ringhost_store::Store;
use ringhost_store::user::NewUser;
use ringhost_web::password;
use scraper::Selector;
use tower::ServiceExt as _;

#[tokio::test]
async fn signed_out_requests_go_to_the_sign_in_page() {
    let dir = tempfile::tempdir().unwrap();
    let app = panel(&dir).await;
    for path in ["/home", "/admin/lists"] {
        let page = send(&app, get(path, None)).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(page.location.as_deref(), Some("/"), "{path}");
    }
    let page = send(&app, get("/home", Some("rh_session=rh_forged"))).await;
    assert_eq!(page.location.as_deref(), Some("/"));
    let form = send(&app, get("/", None)).await;
    assert_eq!(form.status, StatusCode::OK);
    assert_eq!(form.select("h1"), ["Sign in"]);
    let cookie = form
        .cookies
        .iter()
        .find(|c| c.starts_with("rh_sign_in="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
}

#[tokio::test]
async fn the_sign_in_page_speaks_the_browser_s_language() {
    let dir = tempfile::tempdir().unwrap();
    let app = panel(&dir).await;
    let request = Request::get("/")
        .header(header::ACCEPT_LANGUAGE, "it-IT,it;q=0.9,en;q=0.5")
        .body(Body::empty())
        .unwrap();
    let page = send(&app, request).await;
    assert_eq!(page.select("h1"), ["Accedi"]);
    assert_eq!(page.attr("html", "lang").as_deref(), Some("it"));
}

#[tokio::test]
async fn signing_in_needs_the_password_the_form_token_and_no_throttle() {
    let dir = tempfile::tempdir().unwrap();
    let app = panel(&dir).await;
    let form = send(&app, get("/", None)).await;
    let csrf = form.attr("input[name=csrf]", "value").unwrap();
    let cookie = format!("rh_sign_in={}", form.cookie("rh_sign_in").unwrap());
    // No anti-forgery token: refused before the password is looked at.
    let forged = send(
        &app,
        post(
            "/",
            None,
            &[
                ("name", "ada"),
                ("password", "ada-password"),
                ("csrf", &csrf),
            ],
        ),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.cookie("rh_session").is_none());
    // A wrong password: the same message as an unknown user.
    let wrong = send(
        &app,
        post(
            "/",
            Some(&cookie),
            &[("name", "ada"), ("password", "nope-nope"), ("csrf", &csrf)],
        ),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong.select("[role=alert]"),
        ["Wrong user name or password."]
    );
    let unknown = send(
        &app,
        post(
            "/",
            Some(&cookie),
            &[("name", "zed"), ("password", "nope-nope"), ("csrf", &csrf)],
        ),
    )
    .await;
    assert_eq!(unknown.select("[role=alert]"), wrong.select("[role=alert]"));
    // Five failures for ada in all: the sixth try is throttled, right password or not.
    for _ in 0..4 {
        send(
            &app,
            post(
                "/",
                Some(&cookie),
                &[("name", "ada"), ("password", "nope-nope"), ("csrf", &csrf)],
            ),
        )
        .await;
    }
    let throttled = send(
        &app,
        post(
            "/",
            Some(&cookie),
            &[
                ("name", "ada"),
                ("password", "ada-password"),
                ("csrf", &csrf),
            ],
        ),
    )
    .await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.cookie("rh_session").is_none());
}

#[tokio::test]
async fn a_session_lasts_until_sign_out() {
    let dir = tempfile::tempdir().unwrap();
    let app = panel(&dir).await;
    let (session, token) = sign_in(&app, "ada", "ada-password").await;
    // Signing out needs the session's token too.
    let forged = send(&app, post("/signout", Some(&session), &[("csrf", "rh_0")])).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        send(&app, get("/home", Some(&session))).await.status,
        StatusCode::OK
    );
    let out = send(&app, post("/signout", Some(&session), &[("csrf", &token)])).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location.as_deref(), Some("/"));
    let after = send(&app, get("/home", Some(&session))).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER, "the session ended");
}

#[tokio::test]
async fn every_link_of_each_role_s_header_leads_to_a_page() {
    let dir = tempfile::tempdir().unwrap();
    let app = panel(&dir).await;
    for (name, links) in [("ada", 12), ("sara", 7), ("bruno", 3)] {
        let (session, _) = sign_in(&app, name, &format!("{name}-password")).await;
        let home = send(&app, get("/home", Some(&session))).await;
        let hrefs = home.attrs("header nav a", "href");
        assert_eq!(hrefs.len(), links, "{name}: {hrefs:?}");
        for href in hrefs {
            let page = send(&app, get(&href, Some(&session))).await;
            assert_eq!(page.status, StatusCode::OK, "{name}: {href}");
        }
    }
}

#[tokio::test]
async fn an_agent_may_not_see_admin_pages() {
    let dir = tempfile::tempdir().unwrap();
    let app = panel(&dir).await;
    let (session, token) = sign_in(&app, "bruno", "bruno-password").await;
    let page = send(&app, get("/admin/lists", Some(&session))).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let create = send(
        &app,
        post(
            "/admin/lists",
            Some(&session),
            &[("name", "x"), ("csrf", &token)],
        ),
    )
    .await;
    assert_eq!(create.status, StatusCode::FORBIDDEN);
    // The agent's header has no admin links.
    let home = send(&app, get("/home", Some(&session))).await;
    assert!(
        home.select("header nav a")
            .iter()
            .all(|a| a != "Contact lists")
    );
}

#[tokio::test]
async fn an_admin_creates_lists_and_what_they_type_is_shown_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let app = panel(&dir).await;
    let (session, token) = sign_in(&app, "ada", "ada-password").await;
    // Without the form's token: refused, nothing created.
    let forged = send(
        &app,
        post("/admin/lists", Some(&session), &[("name", "leads")]),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // An empty name: the error beside the field, nothing created.
    let empty = send(
        &app,
        post(
            "/admin/lists",
            Some(&session),
            &[("name", " "), ("csrf", &token)],
        ),
    )
    .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(empty.select("#name-error"), ["Required."]);
    assert_eq!(empty.select("tbody tr").len(), 0);

    let script = "<script>alert(1)</script>";
    let created = send(
        &app,
        post(
            "/admin/lists",
            Some(&session),
            &[("name", script), ("accountcode", "acme"), ("csrf", &token)],
        ),
    )
    .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let page = send(&app, get("/admin/lists", Some(&session))).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.select("tbody td:first-child"), [script]);
    // The only script element is the vendored htmx.
    let scripts = Selector::parse("script").unwrap();
    let sources: Vec<_> = page
        .html
        .select(&scripts)
        .map(|s| s.value().attr("src").unwrap_or("inline").to_owned())
        .collect();
    assert_eq!(sources, [ringhost_web::assets::HTMX]);
    // A second list of that name: refused beside the field, the first kept.
    let again = send(
        &app,
        post(
            "/admin/lists",
            Some(&session),
            &[("name", script), ("csrf", &token)],
        ),
    )
    .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again.select("#name-error").len(), 1);
    assert_eq!(again.select("tbody tr").len(), 1);
}

#[tokio::test]
async fn unknown_pages_are_404_pages_and_assets_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let app = panel(&dir).await;
    let page = send(&app, get("/no/such/page", None)).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert_eq!(page.select("p"), ["Page not found."]);
    let htmx = app
        .clone()
        .oneshot(get(ringhost_web::assets::HTMX, None))
        .await
        .unwrap();
    assert_eq!(htmx.status(), StatusCode::OK);
    assert_eq!(
        htmx.headers()[header::CONTENT_TYPE],
        "text/javascript; charset=utf-8"
    );
    let missing = app
        .clone()
        .oneshot(get("/assets/nope.js", None))
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

/// A multipart form of `csrf` and the file `csv`.
#[tokio::test]
async fn an_admin_imports_a_csv_and_sees_the_bad_rows_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let app = panel(&dir).await;
    let (session, token) = sign_in(&app, "ada", "ada-password").await;
    let created = send(
        &app,
        post(
            "/admin/lists",
            Some(&session),
            &[("name", "spring leads"), ("csrf", &token)],
        ),
    )
    .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    // The lists page links to the list's own page.
    let lists = send(&app, get("/admin/lists", Some(&session))).await;
    assert_eq!(
        lists.attr("tbody a", "href").as_deref(),
        Some("/admin/lists/spring%20leads")
    );
    let page = send(&app, get("/admin/lists/spring%20leads", Some(&session))).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.select("#ready"), ["0"]);

    let csv = "Phone,Name\n+390612345678,Anna\nnot a number,Bad\n+390298765432,<b>Bruno</b>\n";
    let path = "/admin/lists/spring%20leads/import";
    // Without the form's token: refused, nothing imported.
    let forged = send(&app, import_request(path, &session, "rh_0", csv)).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let before = send(&app, get("/admin/lists/spring%20leads", Some(&session))).await;
    assert_eq!(before.select("#ready"), ["0"]);

    let done = send(&app, import_request(path, &session, &token, csv)).await;
    assert_eq!(done.status, StatusCode::OK);
    assert_eq!(done.select("#imported"), ["2"]);
    assert_eq!(done.select("#ready"), ["2"]);
    let rejected = done.select("#rejected tbody td:first-child");
    assert_eq!(rejected, ["3"], "the bad row by its line");
    assert_eq!(done.select("#rejected tbody tr").len(), 1);

    // No file: the error beside the field.
    let empty = send(&app, import_request(path, &session, &token, "")).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(empty.select("#csv-error").len(), 1);

    // A list that does not exist is a 404 page; an agent gets 403.
    let missing = send(&app, get("/admin/lists/nope", Some(&session))).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let (agent, agent_token) = sign_in(&app, "bruno", "bruno-password").await;
    let page = send(&app, get("/admin/lists/spring%20leads", Some(&agent))).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let import = send(&app, import_request(path, &agent, &agent_token, csv)).await;
    assert_eq!(import.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_admin_manages_users_with_errors_beside_their_fields() {
    let dir = tempfile::tempdir().unwrap();
    let app = panel(&dir).await;
    let (session, token) = sign_in(&app, "ada", "ada-password").await;
    let page = send(&app, get("/admin/users", Some(&session))).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.select("#users tbody td:first-child"),
        ["ada", "bruno", "sara"]
    );

    // Every bad field at once: each error beside its field, nothing saved, and the
    // password not sent back.
    let bad = send(
        &app,
        post(
            "/admin/users",
            Some(&session),
            &[
                ("name", "no spaces"),
                ("role", "boss"),
                ("language", "en"),
                ("password", "short"),
                ("csrf", &token),
            ],
        ),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.select("#name-error").len(), 1);
    assert_eq!(bad.select("#role-error").len(), 1);
    assert_eq!(bad.select("#password-error"), ["At least 8 characters."]);
    assert_eq!(bad.attr("#password", "value"), None);
    assert_eq!(bad.select("#users tbody tr").len(), 3);
    let taken = send(
        &app,
        post(
            "/admin/users",
            Some(&session),
            &[
                ("name", "bruno"),
                ("role", "agent"),
                ("language", "it"),
                ("password", "long-enough"),
                ("csrf", &token),
            ],
        ),
    )
    .await;
    assert_eq!(taken.select("#name-error"), ["That name is taken."]);

    let made = send(
        &app,
        post(
            "/admin/users",
            Some(&session),
            &[
                ("name", "carla"),
                ("display_name", "Carla <Verdi>"),
                ("role", "supervisor"),
                ("language", "it"),
                ("password", "carla-password"),
                ("csrf", &token),
            ],
        ),
    )
    .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER);
    let page = send(&app, get("/admin/users", Some(&session))).await;
    assert_eq!(
        page.select("#users tbody td:nth-child(2)")[2],
        "Carla <Verdi>"
    );
    // The new user signs in, in Italian.
    let (carla, _) = sign_in(&app, "carla", "carla-password").await;
    let home = send(&app, get("/home", Some(&carla))).await;
    assert_eq!(home.attr("html", "lang").as_deref(), Some("it"));
    // A supervisor is no admin.
    let refused = send(&app, get("/admin/users", Some(&carla))).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // Disabled: signed out at once. An admin cannot disable themself.
    let forged = send(
        &app,
        post("/admin/users/carla/disable", Some(&session), &[]),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let off = send(
        &app,
        post(
            "/admin/users/carla/disable",
            Some(&session),
            &[("csrf", &token)],
        ),
    )
    .await;
    assert_eq!(off.status, StatusCode::SEE_OTHER);
    assert_eq!(
        send(&app, get("/home", Some(&carla))).await.status,
        StatusCode::SEE_OTHER
    );
    let me = send(
        &app,
        post(
            "/admin/users/ada/disable",
            Some(&session),
            &[("csrf", &token)],
        ),
    )
    .await;
    assert_eq!(me.status, StatusCode::CONFLICT);
    let nobody = send(
        &app,
        post(
            "/admin/users/nobody/disable",
            Some(&session),
            &[("csrf", &token)],
        ),
    )
    .await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn idle_sessions_are_purged() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("p.db").display());
    let store = Store::open(&url).await.unwrap();
    let hash = password::hash("old-password").unwrap();
    let user = NewUser {
        name: "old",
        display_name: "old",
        role: "agent",
        language: "en",
        password_hash: &hash,
        agent: None,
    };
    let id = store.create_user(&user, 0).await.unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    store
        .create_session("stale", id, "c", "127.0.0.1", now - 3_600_000)
        .await
        .unwrap();
    store
        .create_session("fresh", id, "c", "127.0.0.1", now)
        .await
        .unwrap();
    let idle = std::time::Duration::from_secs(30 * 60);
    assert_eq!(
        ringhost_web::session::purge_idle(&store, idle)
            .await
            .unwrap(),
        1
    );
    assert!(store.session("fresh", 0, now).await.unwrap().is_some());
    assert!(store.session("stale", 0, now).await.unwrap().is_none());
}
