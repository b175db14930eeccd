//! The report pages: who may open them, the filter's errors, and the downloads.

mod panel;

use axum::http::{StatusCode, header};
use http_body_util::BodyExt as _;
use panel::{get, panel, send, sign_in};
use tower::ServiceExt as _;

#[tokio::test]
async fn a_supervisor_reads_a_report_and_downloads_it() {
    let dir = tempfile::tempdir().unwrap();
    let app = panel(&dir).await;
    let (agent, _) = sign_in(&app, "bruno", "bruno-password").await;
    let path = "/reports/campaign-stats";
    assert_eq!(
        send(&app, get(path, Some(&agent))).await.status,
        StatusCode::FORBIDDEN
    );
    let (session, _) = sign_in(&app, "sara", "sara-password").await;
    let page = send(&app, get(path, Some(&session))).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.select("#report thead th"),
        ["Grouped by", "Value", "Records", "Share"]
    );
    assert_eq!(
        page.attrs(".downloads a", "href"),
        [
            "/reports/campaign-stats/download?format=csv",
            "/reports/campaign-stats/download?format=xlsx",
            "/reports/campaign-stats/download?format=json",
        ]
    );
    // The filter is kept in the links, encoded; a date that is not one is refused.
    let filtered = send(
        &app,
        get(
            "/reports/campaign-stats?campaigns=a%26b&from=2026-12-01",
            Some(&session),
        ),
    )
    .await;
    assert_eq!(
        filtered.attr(".download-csv", "href").as_deref(),
        Some("/reports/campaign-stats/download?format=csv&campaigns=a%26b&from=2026%2D12%2D01")
    );
    let bad = send(&app, get(&format!("{path}?from=yesterday"), Some(&session))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.select("#filter-error").len(), 1);
    assert_eq!(
        send(&app, get("/reports/nope", Some(&session)))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let csv = app
        .clone()
        .oneshot(get(&format!("{path}/download?format=csv"), Some(&session)))
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    assert_eq!(
        csv.headers()[header::CONTENT_TYPE],
        "text/csv; charset=utf-8"
    );
    let body = csv.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"group,value,records,share\n");
}
