//! The campaign pages at the HTML level: created with errors beside their fields,
//! started and paused, their status and attempts, and who may do what.

mod panel;

use axum::http::StatusCode;
use panel::{Page, get, import_request, panel, post, send, sign_in};

/// The form of a new agent campaign as the page fills it, with `changes` over it.
async fn new_campaign_form(
    app: &axum::Router,
    session: &str,
    changes: &[(&str, &str)],
) -> Vec<(String, String)> {
    let page = send(app, get("/admin/campaigns/new", Some(session))).await;
    assert_eq!(page.status, StatusCode::OK);
    let mut form = form_values(&page);
    for (key, value) in changes {
        form.retain(|(k, _)| k != key || *key == "lists");
        form.push(((*key).to_owned(), (*value).to_owned()));
    }
    form
}

/// What a browser would send of the page's campaign form (checked boxes only).
fn form_values(page: &Page) -> Vec<(String, String)> {
    let mut values = Vec::new();
    let selector =
        scraper::Selector::parse("form.wide input, form.wide select, form.wide textarea").unwrap();
    for element in page.html.select(&selector) {
        let e = element.value();
        let Some(name) = e.attr("name") else { continue };
        let value = match e.name() {
            "select" => {
                let option = scraper::Selector::parse("option[selected]").unwrap();
                element
                    .select(&option)
                    .next()
                    .and_then(|o| o.value().attr("value"))
                    .unwrap_or("")
                    .to_owned()
            }
            "textarea" => element.text().collect(),
            _ if e.attr("type") == Some("checkbox") => {
                if e.attr("checked").is_none() {
                    continue;
                }
                e.attr("value").unwrap_or("on").to_owned()
            }
            _ => e.attr("value").unwrap_or("").to_owned(),
        };
        values.push((name.to_owned(), value));
    }
    values
}

fn as_pairs(form: &[(String, String)]) -> Vec<(&str, &str)> {
    form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

#[tokio::test]
async fn an_admin_creates_a_campaign_fixing_the_fields_the_form_marks() {
    let dir = tempfile::tempdir().unwrap();
    let app = panel(&dir).await;
    let (session, token) = sign_in(&app, "ada", "ada-password").await;
    let list = [("name", "leads"), ("csrf", token.as_str())];
    assert_eq!(
        send(&app, post("/admin/lists", Some(&session), &list))
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let csv = "Phone,Name\n+390612345678,Anna\n+390298765432,Bruno\n";
    let path = "/admin/lists/leads/import";
    let imported = send(&app, import_request(path, &session, &token, csv)).await;
    assert_eq!(imported.select("#imported"), ["2"]);

    // No list, a ring time out of bounds, calling hours that are not, no queue.
    let bad = new_campaign_form(
        &app,
        &session,
        &[
            ("name", "<script>alert(1)</script>"),
            ("ring_timeout_s", "2"),
            ("calling_hours", "mon-fri 09:00-13:00\nwhenever"),
        ],
    )
    .await;
    let refused = send(
        &app,
        post("/admin/campaigns", Some(&session), &as_pairs(&bad)),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.select("#ring_timeout_s-error"),
        ["A whole number from 5 to 300."]
    );
    assert_eq!(refused.select("#calling_hours-error").len(), 1);
    assert!(refused.select("#calling_hours-error")[0].contains("Line 2"));
    assert_eq!(refused.select("#lists-error").len(), 1);
    assert_eq!(refused.select("#queue-error").len(), 1);
    // What was typed comes back, as text.
    assert_eq!(
        refused.attr("#name", "value").as_deref(),
        Some("<script>alert(1)</script>")
    );
    assert_eq!(
        refused.attr("#ring_timeout_s", "value").as_deref(),
        Some("2")
    );
    let listed = send(&app, get("/admin/campaigns", Some(&session))).await;
    assert!(listed.select("#campaigns").is_empty(), "nothing was saved");

    // Fixed: created, and its page shows its state and counters.
    let good = new_campaign_form(
        &app,
        &session,
        &[
            ("name", "<script>alert(1)</script>"),
            ("lists", "leads"),
            ("queue", "sales"),
            ("calling_hours", "lun-ven 09:00-20:00"),
            ("pacing.target_abandon_rate", "2.5"),
        ],
    )
    .await;
    let created = send(
        &app,
        post("/admin/campaigns", Some(&session), &as_pairs(&good)),
    )
    .await;
    assert_eq!(
        created.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        created.select(".error")
    );
    let at = created.location.unwrap();
    let page = send(&app, get(&at, Some(&session))).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.select("h1"), ["<script>alert(1)</script>"]);
    assert!(page.select("script").iter().all(|s| !s.contains("alert")));
    assert_eq!(page.select("#state"), ["created"]);
    assert_eq!(page.select("#contacts-ready"), ["2"]);
    assert_eq!(
        page.attr("#counters", "hx-get"),
        Some(format!("{at}/counters"))
    );

    // The form it is edited with holds what was saved.
    let edit = send(&app, get(&format!("{at}/edit"), Some(&session))).await;
    assert_eq!(edit.attr("#queue", "value").as_deref(), Some("sales"));
    assert_eq!(
        edit.attr("#pacing\\.target_abandon_rate", "value")
            .as_deref(),
        Some("2.5")
    );
    assert_eq!(edit.select("#calling_hours"), ["mon-fri 09:00-20:00"]);

    // Started, it cannot be edited; paused and resumed from its buttons.
    let start = send(
        &app,
        post(&format!("{at}/start"), Some(&session), &[("csrf", &token)]),
    )
    .await;
    assert_eq!(start.status, StatusCode::SEE_OTHER);
    let running = send(&app, get(&at, Some(&session))).await;
    assert_eq!(running.select("#state"), ["running"]);
    assert!(running.select("#edit").is_empty());
    assert_eq!(running.select("#pause").len(), 1);
    assert!(running.select("#start").is_empty());
    let edit = send(&app, get(&format!("{at}/edit"), Some(&session))).await;
    assert_eq!(edit.status, StatusCode::CONFLICT);
    // A command without the form's token changes nothing.
    let forged = send(&app, post(&format!("{at}/pause"), Some(&session), &[])).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let counters = send(&app, get(&format!("{at}/counters"), Some(&session))).await;
    assert_eq!(counters.select("#state"), ["running"]);
    send(
        &app,
        post(&format!("{at}/pause"), Some(&session), &[("csrf", &token)]),
    )
    .await;
    let paused = send(&app, get(&at, Some(&session))).await;
    assert_eq!(paused.select("#state"), ["paused"]);
    let events = paused.select("#events tbody td:nth-child(3)");
    assert_eq!(events[..2], ["paused".to_owned(), "started".to_owned()]);
    // A command that does not apply is refused with the reason.
    let again = send(
        &app,
        post(&format!("{at}/pause"), Some(&session), &[("csrf", &token)]),
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    let attempts = send(&app, get(&format!("{at}/attempts"), Some(&session))).await;
    assert_eq!(attempts.status, StatusCode::OK);
    assert!(attempts.select("#attempts tbody tr").is_empty());
    let missing = send(&app, get("/admin/campaigns/999", Some(&session))).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_supervisor_steers_campaigns_and_an_agent_sees_none() {
    let dir = tempfile::tempdir().unwrap();
    let app = panel(&dir).await;
    let (admin, admin_token) = sign_in(&app, "ada", "ada-password").await;
    let list = [("name", "leads"), ("csrf", admin_token.as_str())];
    send(&app, post("/admin/lists", Some(&admin), &list)).await;
    let form = new_campaign_form(
        &app,
        &admin,
        &[("name", "spring"), ("lists", "leads"), ("queue", "sales")],
    )
    .await;
    let created = send(
        &app,
        post("/admin/campaigns", Some(&admin), &as_pairs(&form)),
    )
    .await;
    let at = created.location.unwrap();
    send(
        &app,
        post(
            &format!("{at}/start"),
            Some(&admin),
            &[("csrf", &admin_token)],
        ),
    )
    .await;

    let (supervisor, token) = sign_in(&app, "sara", "sara-password").await;
    let page = send(&app, get(&at, Some(&supervisor))).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.select("#pause").len(), 1);
    assert!(
        page.select("#cancel").is_empty(),
        "cancelling is the admin's"
    );
    let list = send(&app, get("/admin/campaigns", Some(&supervisor))).await;
    assert!(list.select("#new-campaign").is_empty());
    let new = send(&app, get("/admin/campaigns/new", Some(&supervisor))).await;
    assert_eq!(new.status, StatusCode::FORBIDDEN);
    let cancel = send(
        &app,
        post(
            &format!("{at}/cancel"),
            Some(&supervisor),
            &[("csrf", &token)],
        ),
    )
    .await;
    assert_eq!(cancel.status, StatusCode::FORBIDDEN);
    let pause = send(
        &app,
        post(
            &format!("{at}/pause"),
            Some(&supervisor),
            &[("csrf", &token)],
        ),
    )
    .await;
    assert_eq!(pause.status, StatusCode::SEE_OTHER);
    // Lists are read, not made.
    let lists = send(&app, get("/admin/lists", Some(&supervisor))).await;
    assert_eq!(lists.status, StatusCode::OK);
    let list = [("name", "more"), ("csrf", token.as_str())];
    let made = send(&app, post("/admin/lists", Some(&supervisor), &list)).await;
    assert_eq!(made.status, StatusCode::FORBIDDEN);

    let (agent, agent_token) = sign_in(&app, "bruno", "bruno-password").await;
    for path in [
        "/admin/campaigns".to_owned(),
        at.clone(),
        format!("{at}/attempts"),
    ] {
        let page = send(&app, get(&path, Some(&agent))).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
    }
    let resume = send(
        &app,
        post(
            &format!("{at}/resume"),
            Some(&agent),
            &[("csrf", &agent_token)],
        ),
    )
    .await;
    assert_eq!(resume.status, StatusCode::FORBIDDEN);
    let still = send(&app, get(&at, Some(&admin))).await;
    assert_eq!(still.select("#state"), ["paused"]);
}
