//! The missed-calls pages: operators book, unbook and see a number booked by another
//! gone; supervisors assign, close and flush with a filter; each role only its page.

mod panel;

use axum::http::StatusCode;
use panel::{get, panel_parts, post, send, sign_in, store};
use ringhost_dialer::missed::MissedCallForm;
use ringhost_store::user::NewUser;
use ringhost_web::{WebSettings, password};

/// A missed call from `caller` to the queue `queue`, as a PBX posts it.
fn missed(caller: &str, queue: &str) -> MissedCallForm {
    MissedCallForm {
        caller: caller.into(),
        param1: queue.into(),
        param2: "queue".into(),
        ..MissedCallForm::default()
    }
}

/// The ids of the rows of table `css`.
fn ids(page: &panel::Page, css: &str) -> Vec<String> {
    page.attrs(&format!("{css} tbody tr[data-id]"), "data-id")
}

#[tokio::test]
async fn operators_book_and_supervisors_assign_close_and_flush() {
    let dir = tempfile::tempdir().unwrap();
    let (app, dialer) = panel_parts(&dir, None, None, WebSettings::default()).await;
    // A second operator, carla, at extension 201.
    let hash = password::hash("carla-password").unwrap();
    let carla = NewUser {
        name: "carla",
        display_name: "carla",
        role: "agent",
        language: "en",
        password_hash: &hash,
        agent: Some("carla"),
    };
    store(&dir).await.create_user(&carla, 0).await.unwrap();
    dialer.create_agent("carla", "201", 5).await.unwrap();
    for (caller, queue) in [
        ("0287654321", "sales"),
        ("0611111111", "sales"),
        ("0622222222", "support"),
    ] {
        dialer
            .intake_missed_call(missed(caller, queue))
            .await
            .unwrap();
    }

    let (bruno, bruno_csrf) = sign_in(&app, "bruno", "bruno-password").await;
    let (carla, carla_csrf) = sign_in(&app, "carla", "carla-password").await;
    let (sara, sara_csrf) = sign_in(&app, "sara", "sara-password").await;

    // Each role its page.
    assert_eq!(
        send(&app, get("/missed/manage", Some(&bruno))).await.status,
        StatusCode::FORBIDDEN
    );
    let page = send(&app, get("/missed", Some(&bruno))).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(ids(&page, "#requests").len(), 3);
    let sales = send(
        &app,
        get("/missed?name=sales&sort=caller&order=asc", Some(&bruno)),
    )
    .await;
    let callers = sales.attrs("#requests tbody tr[data-id]", "data-caller");
    assert_eq!(callers, ["+390287654321", "+390611111111"]);
    let target = sales.attrs("#requests tbody tr[data-id]", "data-id")[0].clone();

    // bruno books it: his, gone from the list; carla cannot have it.
    let back = "name=sales&sort=caller&order=asc";
    let booked = send(
        &app,
        post(
            &format!("/missed/{target}/book"),
            Some(&bruno),
            &[("csrf", &bruno_csrf), ("back", back)],
        ),
    )
    .await;
    assert_eq!(booked.status, StatusCode::SEE_OTHER);
    assert_eq!(
        booked.location.as_deref(),
        Some(format!("/missed?{back}").as_str())
    );
    let page = send(&app, get("/missed", Some(&bruno))).await;
    assert_eq!(ids(&page, "#mine"), [target.as_str()]);
    assert!(!ids(&page, "#requests").contains(&target));
    let page = send(&app, get("/missed", Some(&carla))).await;
    assert!(ids(&page, "#mine").is_empty());
    assert!(!ids(&page, "#requests").contains(&target));
    let refused = send(
        &app,
        post(
            &format!("/missed/{target}/book"),
            Some(&carla),
            &[("csrf", &carla_csrf), ("back", "")],
        ),
    )
    .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.select("#missed-error").len(), 1);
    // Nor can she give it back, nor call it; bruno's forged form is refused.
    let refused = send(
        &app,
        post(
            &format!("/missed/{target}/unbook"),
            Some(&carla),
            &[("csrf", &carla_csrf)],
        ),
    )
    .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    let refused = send(
        &app,
        post(
            &format!("/missed/{target}/call"),
            Some(&carla),
            &[("csrf", &carla_csrf)],
        ),
    )
    .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    let forged = send(
        &app,
        post(
            &format!("/missed/{target}/unbook"),
            Some(&bruno),
            &[("csrf", "x")],
        ),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // No callback campaign is configured: bruno's click is refused, the request kept.
    let refused = send(
        &app,
        post(
            &format!("/missed/{target}/call"),
            Some(&bruno),
            &[("csrf", &bruno_csrf)],
        ),
    )
    .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.select("#missed-error")[0].contains("campaign"));
    assert_eq!(ids(&refused, "#mine"), [target.as_str()]);

    // sara sees every pending request with its booker; assigns one to carla.
    let manage = send(&app, get("/missed/manage", Some(&sara))).await;
    assert_eq!(manage.status, StatusCode::OK);
    assert_eq!(ids(&manage, "#requests").len(), 3);
    let operators = manage.attrs(
        "#requests tbody tr:first-child select[name=operator] option",
        "value",
    );
    assert_eq!(operators, ["bruno", "carla"]);
    let assigned = send(
        &app,
        post(
            &format!("/missed/{target}/assign"),
            Some(&sara),
            &[("csrf", &sara_csrf), ("operator", "carla")],
        ),
    )
    .await;
    assert_eq!(assigned.status, StatusCode::SEE_OTHER);
    let page = send(&app, get("/missed", Some(&carla))).await;
    assert_eq!(ids(&page, "#mine"), [target.as_str()]);
    let refused = send(
        &app,
        post(
            &format!("/missed/{target}/assign"),
            Some(&sara),
            &[("csrf", &sara_csrf), ("operator", "ada")],
        ),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Closed by hand: gone from every list.
    let closed = send(
        &app,
        post(
            &format!("/missed/{target}/close"),
            Some(&sara),
            &[("csrf", &sara_csrf)],
        ),
    )
    .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER);
    let page = send(&app, get("/missed", Some(&carla))).await;
    assert!(ids(&page, "#mine").is_empty());
    // Flush all of one queue, by the filter.
    let flushed = send(
        &app,
        post(
            "/missed/flush",
            Some(&sara),
            &[
                ("csrf", &sara_csrf),
                ("back", "name=support"),
                ("scope", "all"),
            ],
        ),
    )
    .await;
    assert_eq!(flushed.status, StatusCode::SEE_OTHER);
    let manage = send(&app, get("/missed/manage", Some(&sara))).await;
    let left = manage.attrs("#requests tbody tr[data-id]", "data-caller");
    assert_eq!(left, ["+390611111111"]);
    // Nothing ticked: refused, nothing flushed.
    let refused = send(
        &app,
        post(
            "/missed/flush",
            Some(&sara),
            &[("csrf", &sara_csrf), ("back", ""), ("scope", "ticked")],
        ),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(ids(&refused, "#requests").len(), 1);
    // The closed request's history, for a supervisor and an operator alike.
    for who in [&sara, &bruno] {
        let history = send(&app, get(&format!("/missed/{target}"), Some(who))).await;
        assert_eq!(history.status, StatusCode::OK);
        assert_eq!(
            history.attrs("#history tr[data-kind]", "data-kind"),
            ["call", "booked", "assigned", "closed"]
        );
        assert_eq!(history.select("#caller"), ["+390287654321"]);
    }
    assert_eq!(
        send(&app, get("/missed/999", Some(&sara))).await.status,
        StatusCode::NOT_FOUND
    );
    // A filter that cannot be read is said, not guessed.
    let bad = send(
        &app,
        get("/missed/manage?first_from=yesterday", Some(&sara)),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.select("#missed-error")[0].contains("first_call"));
}
