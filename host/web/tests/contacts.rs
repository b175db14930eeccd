//! A list's contacts page (paging, search, escaping) and the do-not-call pages.

mod panel;

use axum::http::StatusCode;
use panel::{get, import_request, panel, post, send, sign_in};

#[tokio::test]
async fn contacts_are_paged_searched_and_shown_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let app = panel(&dir).await;
    let (session, token) = sign_in(&app, "ada", "ada-password").await;
    let list = [("name", "leads"), ("csrf", token.as_str())];
    send(&app, post("/admin/lists", Some(&session), &list)).await;
    let mut csv = String::from("Phone,Name\n");
    for i in 0..119 {
        csv.push_str(&format!("+3906{:08},Contact {i}\n", 10_000_000 + i));
    }
    csv.push_str("+390299999999,<script>alert(1)</script>\n");
    let path = "/admin/lists/leads/import";
    let imported = send(&app, import_request(path, &session, &token, &csv)).await;
    assert_eq!(imported.select("#imported"), ["120"]);

    let first = send(&app, get("/admin/lists/leads/contacts", Some(&session))).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.select("#contacts tbody tr").len(), 50);
    let next = first.attr("#next", "href").unwrap();
    let second = send(&app, get(&next, Some(&session))).await;
    assert_eq!(second.select("#contacts tbody tr").len(), 50);
    let lines = second.select("#contacts tbody td:nth-child(2)");
    assert_eq!(
        lines.first().map(String::as_str),
        Some("52"),
        "line 1 is the header"
    );
    let third = send(
        &app,
        get(&second.attr("#next", "href").unwrap(), Some(&session)),
    )
    .await;
    assert_eq!(third.select("#contacts tbody tr").len(), 20);
    assert!(third.select("#next").is_empty());
    // A column holding a script is text.
    let last = third.select("#contacts tbody tr:last-child td.columns");
    assert!(last[0].contains("<script>alert(1)</script>"), "{last:?}");
    assert!(third.select("script").iter().all(|s| !s.contains("alert")));

    // By a whole number as people write it, by an E.164 beginning, by text.
    let by_number = send(
        &app,
        get(
            "/admin/lists/leads/contacts?q=06%2010000005",
            Some(&session),
        ),
    )
    .await;
    assert_eq!(
        by_number.select("#contacts tbody td:nth-child(3)"),
        ["+390610000005"]
    );
    let by_start = send(
        &app,
        get("/admin/lists/leads/contacts?q=%2B3902", Some(&session)),
    )
    .await;
    assert_eq!(by_start.select("#contacts tbody tr").len(), 1);
    let by_text = send(
        &app,
        get("/admin/lists/leads/contacts?q=contact%2011", Some(&session)),
    )
    .await;
    // "Contact 11" and "Contact 110" ... "Contact 118".
    assert_eq!(by_text.select("#contacts tbody tr").len(), 10);
    let none = send(
        &app,
        get("/admin/lists/leads/contacts?q=nobody%25", Some(&session)),
    )
    .await;
    assert_eq!(none.select("#no-contacts").len(), 1);

    let missing = send(&app, get("/admin/lists/nope/contacts", Some(&session))).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let (agent, _) = sign_in(&app, "bruno", "bruno-password").await;
    let refused = send(&app, get("/admin/lists/leads/contacts", Some(&agent))).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn do_not_call_numbers_are_added_read_in_the_list_s_terms() {
    let dir = tempfile::tempdir().unwrap();
    let app = panel(&dir).await;
    let (session, token) = sign_in(&app, "ada", "ada-password").await;
    let list = [("name", "leads"), ("csrf", token.as_str())];
    send(&app, post("/admin/lists", Some(&session), &list)).await;

    let bad = [("number", "call me"), ("csrf", token.as_str())];
    let refused = send(&app, post("/admin/do-not-call", Some(&session), &bad)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.select("#number-error").len(), 1);
    assert_eq!(refused.attr("#number", "value").as_deref(), Some("call me"));
    assert!(refused.select("#numbers tbody tr").is_empty());

    let good = [
        ("number", "02 8765 4321"),
        ("until", "2030-01-01T00:00"),
        ("reason", "asked <not> to be called"),
        ("csrf", token.as_str()),
    ];
    let added = send(
        &app,
        post("/admin/lists/leads/do-not-call", Some(&session), &good),
    )
    .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let page = send(&app, get("/admin/lists/leads/do-not-call", Some(&session))).await;
    assert_eq!(
        page.select("#numbers tbody td:first-child"),
        ["+390287654321"]
    );
    assert_eq!(
        page.select("#numbers tbody td:nth-child(2)"),
        ["2030-01-01 00:00"]
    );
    assert_eq!(
        page.select("#numbers tbody td:nth-child(3)"),
        ["asked <not> to be called"]
    );
    // The list's number is not a global one.
    let global = send(&app, get("/admin/do-not-call", Some(&session))).await;
    assert!(global.select("#numbers tbody tr").is_empty());
    // Without the token: nothing added.
    let forged = send(&app, post("/admin/do-not-call", Some(&session), &good[..3])).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let global = send(&app, get("/admin/do-not-call", Some(&session))).await;
    assert!(global.select("#numbers tbody tr").is_empty());

    // A supervisor reads, and cannot add.
    let (supervisor, supervisor_token) = sign_in(&app, "sara", "sara-password").await;
    let read = send(
        &app,
        get("/admin/lists/leads/do-not-call", Some(&supervisor)),
    )
    .await;
    assert_eq!(read.status, StatusCode::OK);
    assert!(read.select("#number").is_empty(), "no form to add");
    let add = [
        ("number", "0612345678"),
        ("csrf", supervisor_token.as_str()),
    ];
    let refused = send(&app, post("/admin/do-not-call", Some(&supervisor), &add)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
