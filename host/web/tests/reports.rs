//! The report pages: who may open them, the filter's errors, and the exports that
//! run in the background (started with the anti-forgery token, seen only by their
//! owner, handed over when complete).

mod panel;

use std::time::Duration;

use axum::http::{StatusCode, header};
use http_body_util::BodyExt as _;
use panel::{get, panel, post, send, sign_in};
use tower::ServiceExt as _;

#[tokio::test]
async fn a_supervisor_reads_each_report_and_exports_it() {
    let dir = tempfile::tempdir().unwrap();
    let app = panel(&dir).await;
    let (agent, _) = sign_in(&app, "bruno", "bruno-password").await;
    let path = "/reports/campaign-stats";
    assert_eq!(
        send(&app, get(path, Some(&agent))).await.status,
        StatusCode::FORBIDDEN
    );
    let (session, csrf) = sign_in(&app, "sara", "sara-password").await;
    let index = send(&app, get("/reports", Some(&session))).await;
    assert_eq!(index.location.as_deref(), Some(path));
    let page = send(&app, get(path, Some(&session))).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.select("#report thead th"),
        ["Grouped by", "Value", "Records", "Share"]
    );
    assert_eq!(
        page.attrs(".report-tabs a", "href"),
        [
            "/reports/campaign-stats",
            "/reports/detailed",
            "/reports/attempts",
            "/reports/agents",
            "/reports/compliance",
            "/reports/missed-calls"
        ]
    );
    assert_eq!(
        page.attrs(".downloads input[name=format]", "value"),
        ["xlsx", "csv", "json"]
    );
    // Every report's page opens, its first table's header shown.
    for (name, first) in [
        ("detailed", "List"),
        ("attempts", "Id"),
        ("agents", "Day"),
        ("compliance", "Day"),
        ("missed-calls", "Period"),
    ] {
        let page = send(&app, get(&format!("/reports/{name}"), Some(&session))).await;
        assert_eq!(page.status, StatusCode::OK, "{name}");
        assert_eq!(page.select("#report thead th")[0], first, "{name}");
    }
    // The compliance page has its three tables, and a chart by day.
    let compliance = send(&app, get("/reports/compliance", Some(&session))).await;
    assert_eq!(compliance.select(".report-table").len(), 3);
    assert_eq!(compliance.attrs("[data-bars]", "data-title").len(), 1);

    // The filter is kept in the export forms; a date that is not one is refused.
    let filtered = send(
        &app,
        get(
            "/reports/campaign-stats?campaigns=a%26b&month=2026-12",
            Some(&session),
        ),
    )
    .await;
    assert_eq!(
        filtered.attrs("form.export input[name=campaigns]", "value")[0],
        "a&b"
    );
    assert_eq!(
        filtered.attrs("form.export input[name=month]", "value")[0],
        "2026-12"
    );
    for bad in ["from=yesterday", "month=2026-13"] {
        let page = send(&app, get(&format!("{path}?{bad}"), Some(&session))).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(page.select("#filter-error").len(), 1);
    }
    assert_eq!(
        send(&app, get("/reports/nope", Some(&session)))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // An export needs the form's token.
    let forged = send(
        &app,
        post(
            "/reports/campaign-stats/exports",
            Some(&session),
            &[("format", "csv"), ("csrf", "forged")],
        ),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let started = send(
        &app,
        post(
            "/reports/campaign-stats/exports",
            Some(&session),
            &[("format", "csv"), ("csrf", &csrf)],
        ),
    )
    .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER);
    let job = started.location.unwrap();
    assert!(job.starts_with("/reports/exports/"), "{job}");
    // Its status, until it is complete.
    let mut state = String::new();
    for _ in 0..100 {
        let status = app
            .clone()
            .oneshot(get(&format!("{job}/status"), Some(&session)))
            .await
            .unwrap();
        let body = status.into_body().collect().await.unwrap().to_bytes();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        state = json["state"].as_str().unwrap().to_owned();
        if state != "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(state, "done");
    let progress = send(&app, get(&job, Some(&session))).await;
    assert_eq!(
        progress.attr("#export-progress", "value").as_deref(),
        Some("100")
    );
    let file = app
        .clone()
        .oneshot(get(&format!("{job}/file"), Some(&session)))
        .await
        .unwrap();
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(
        file.headers()[header::CONTENT_TYPE],
        "text/csv; charset=utf-8"
    );
    assert_eq!(
        file.headers()[header::CONTENT_DISPOSITION],
        "attachment; filename=\"campaign-stats.csv\""
    );
    let body = file.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"group,value,records,share\n");
    // Another user does not see it.
    let (admin, _) = sign_in(&app, "ada", "ada-password").await;
    for address in [job.clone(), format!("{job}/status"), format!("{job}/file")] {
        assert_eq!(
            send(&app, get(&address, Some(&admin))).await.status,
            StatusCode::NOT_FOUND,
            "{address}"
        );
    }
}
