//! Server time of the web panel's heaviest pages over a SQLite store holding
//! 1,000,000 contacts in one list and 1,000,000 attempts of one campaign run, printed
//! as the tables in docs/benchmarks.md.
//!
//! The panel is the one its tests drive (tests/panel: the router called in-process, no
//! socket); an admin signs in and each page is asked for again and again with the
//! session cookie, each request timed from the router's call to the last byte of its
//! body. Beside them, in the same run: a `SELECT 1` through the store's pool (the
//! floor any page stands on) and the two counts the status page made before the
//! tallies of migration 0007 (a GROUP BY over the list's contacts and over the run's
//! attempts), the number search before the number index of migration 0009 (the list
//! read in order), and the cost of the triggers on an import of 100,000 contacts.
//!
//! The contacts go in through the store's import; the attempts and the contacts'
//! states through bulk SQL on a connection of their own (a million calls through the
//! store would take an hour), which the triggers count like any other write.
//!
//! ```sh
//! cargo run --release -p ringhost-web --example page_times
//! ```

#[path = "../tests/panel/mod.rs"]
mod panel;
#[path = "timing/mod.rs"]
mod timing;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::http::StatusCode;
use http_body_util::BodyExt as _;
use ringhost_dialer::settings::{CampaignSettings, ListSettings};
use ringhost_store::Store;
use ringhost_store::campaign::CampaignRow;
use ringhost_store::contact::NewContactRow;
use sqlx::{Connection as _, SqliteConnection};
use tower::ServiceExt as _;

use timing::row;

const CONTACTS: i64 = 1_000_000;
const ATTEMPTS: i64 = 1_000_000;
/// Contacts stored per import transaction while filling.
const FILL_CHUNK: i64 = 100_000;
/// Contacts of the import whose trigger cost is measured.
const IMPORT_ROWS: i64 = 100_000;
const WARM_UP: usize = 20;
const REQUESTS: usize = 300;
/// The GROUP BY counts take hundreds of milliseconds each: fewer of them.
const OLD_COUNTS: usize = 20;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn contacts(from: i64, to: i64) -> Vec<NewContactRow> {
    (from..to)
        .map(|i| NewContactRow {
            line: i + 1,
            numbers: vec![format!("+39061{i:07}"), format!("+39333{i:07}")],
            variables: format!(r#"{{"name":"Mario {i}","surname":"Rossi","city":"Roma"}}"#),
            time_zone: "Europe/Rome".into(),
            next_at_ms: i,
            schedule_extension: None,
            external_id: None,
        })
        .collect()
}

fn url(dir: &tempfile::TempDir, file: &str) -> String {
    format!("sqlite://{}?mode=rwc", dir.path().join(file).display())
}

/// The server time of `path`, `REQUESTS` times after `WARM_UP`.
async fn page(app: &Router, path: &str, session: &str) -> Vec<Duration> {
    let mut times = Vec::with_capacity(REQUESTS);
    for i in 0..WARM_UP + REQUESTS {
        let request = panel::get(path, Some(session));
        let started = Instant::now();
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let took = started.elapsed();
        assert_eq!(
            status,
            StatusCode::OK,
            "{path}: {}",
            String::from_utf8_lossy(&body)
        );
        if i >= WARM_UP {
            times.push(took);
        }
    }
    times
}

/// The trigger of migration 0009 that an import fires.
const NUMBER_TRIGGERS: [&str; 1] = ["DROP TRIGGER contact_number_insert"];

/// An import of `IMPORT_ROWS` contacts into a new store whose schema `undo` takes back
/// towards migration 0006; median of 3.
async fn import_cost(undo: &[&'static str]) -> anyhow::Result<Duration> {
    let rows = contacts(0, IMPORT_ROWS);
    let mut times = Vec::new();
    for _ in 0..3 {
        let dir = tempfile::tempdir()?;
        let store = Store::open(&url(&dir, "import.db")).await?;
        let mut raw = SqliteConnection::connect(&url(&dir, "import.db")).await?;
        for sql in undo {
            sqlx::query(*sql).execute(&mut raw).await?;
        }
        raw.close().await?;
        let list = store.create_list("import", "", "{}", 0).await?;
        let started = Instant::now();
        store.insert_contacts(list, &rows, 0).await?;
        times.push(started.elapsed());
        store.close().await;
    }
    times.sort_unstable();
    Ok(times[1])
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    println!("| import of {IMPORT_ROWS} contacts (median of 3) | time | rows per second |");
    println!("|---|---:|---:|");
    for (name, undo) in [
        (
            "0009: tally and number triggers, `contact_list_page` index",
            &[][..],
        ),
        ("0007: without the number trigger", &NUMBER_TRIGGERS[..]),
        (
            "0007 without the tally trigger either",
            &[NUMBER_TRIGGERS[0], "DROP TRIGGER contact_tally_insert"][..],
        ),
        (
            "0006: no trigger, no `contact_list_page`",
            &[
                NUMBER_TRIGGERS[0],
                "DROP TRIGGER contact_tally_insert",
                "DROP INDEX contact_list_page",
            ][..],
        ),
    ] {
        let took = import_cost(undo).await?;
        println!(
            "| {name} | {:.0} ms | {:.0} |",
            took.as_secs_f64() * 1000.0,
            IMPORT_ROWS as f64 / took.as_secs_f64()
        );
    }

    let dir = tempfile::tempdir()?;
    let app = panel::panel(&dir).await;
    let store = Store::open(&url(&dir, "w.db")).await?;
    let now = now_ms();
    let list_settings = serde_json::to_string(&ListSettings::default())?;
    let list = store.create_list("big", "", &list_settings, now).await?;
    let started = Instant::now();
    for from in (0..CONTACTS).step_by(FILL_CHUNK as usize) {
        let rows = contacts(from, (from + FILL_CHUNK).min(CONTACTS));
        store.insert_contacts(list, &rows, now).await?;
    }
    eprintln!("{CONTACTS} contacts imported in {:.1?}", started.elapsed());
    let campaign = store
        .create_campaign(
            &CampaignRow {
                id: 0,
                name: "big".into(),
                template_id: None,
                state: "created".into(),
                settings: serde_json::to_string(&CampaignSettings::default())?,
                priority: 5,
                run: 0,
                start_at_ms: None,
                started_at_ms: None,
                list_ids: vec![list],
            },
            now,
        )
        .await?;
    let run = store.start_run(campaign, "running", now).await?;

    // A run two calls a second for nearly six days: the last 15 minutes (the pacer's
    // window) hold 1,800 ended attempts, the last 10 are still dialling.
    let started = Instant::now();
    let mut raw = SqliteConnection::connect(&url(&dir, "w.db")).await?;
    sqlx::query(
        "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $1) \
         INSERT INTO attempt (host, campaign_id, run, list_id, contact_id, number, attempt, \
         state, trunk, started_at_ms, end_at_ms, ring_ms, talk_ms, sip_code, outcome, status, \
         retry, tags, confirmed) \
         SELECT 'bench', $2, $3, $4, i, '+39061' || printf('%07d', i - 1), 1, \
         CASE WHEN i > $1 - 10 THEN 'dialing' ELSE 'ended' END, 'carrier', \
         $5 - ($1 - i) * 500 - 30000, \
         CASE WHEN i > $1 - 10 THEN NULL ELSE $5 - ($1 - i) * 500 END, 8000, \
         CASE WHEN i % 10 < 4 THEN 20000 ELSE 0 END, \
         CASE WHEN i % 10 < 4 THEN 200 WHEN i % 10 < 6 THEN 486 WHEN i % 10 < 9 THEN 480 \
         ELSE 503 END, \
         CASE WHEN i > $1 - 10 THEN NULL WHEN i % 10 < 4 THEN 'answered' \
         WHEN i % 10 < 6 THEN 'busy' WHEN i % 10 < 9 THEN 'no_answer' ELSE 'failed' END, \
         CASE WHEN i > $1 - 10 THEN NULL WHEN i % 10 < 4 THEN 'ANSWER' \
         WHEN i % 10 < 6 THEN 'BUSY' WHEN i % 10 < 9 THEN 'NOANSWER' ELSE 'CONGESTION' END, \
         0, CASE WHEN i % 50 = 0 THEN '[\"abandoned\"]' ELSE '[]' END, \
         CASE WHEN i % 20 = 0 THEN 1 ELSE 0 END FROM s",
    )
    .bind(ATTEMPTS)
    .bind(campaign)
    .bind(run)
    .bind(list)
    .bind(now)
    .execute(&mut raw)
    .await?;
    // The contacts called for good are done, the 10 on the phone dialing.
    sqlx::query(
        "UPDATE contact SET state = CASE WHEN id > $1 - 10 THEN 'dialing' ELSE 'done' END, \
         attempts = 1 WHERE list_id = $2 AND (id % 10 < 4 OR id > $1 - 10)",
    )
    .bind(CONTACTS)
    .bind(list)
    .execute(&mut raw)
    .await?;
    eprintln!("{ATTEMPTS} attempts written in {:.1?}", started.elapsed());

    let (session, _) = panel::sign_in(&app, "ada", "ada-password").await;
    let deep = ATTEMPTS / 2;
    let pages = [
        (
            "campaign status `/admin/campaigns/{id}`",
            format!("/admin/campaigns/{campaign}"),
        ),
        (
            "counters `/admin/campaigns/{id}/counters`",
            format!("/admin/campaigns/{campaign}/counters"),
        ),
        (
            "attempts, first page `/admin/campaigns/{id}/attempts`",
            format!("/admin/campaigns/{campaign}/attempts"),
        ),
        (
            "attempts, deep page `?before=500000`",
            format!("/admin/campaigns/{campaign}/attempts?before={deep}"),
        ),
        ("list `/admin/lists/{name}`", "/admin/lists/big".to_owned()),
        (
            "contacts, first page `/admin/lists/{name}/contacts`",
            "/admin/lists/big/contacts".to_owned(),
        ),
        (
            "contacts, deep page `?after=500000`",
            "/admin/lists/big/contacts?after=500000".to_owned(),
        ),
        (
            "contacts, number search every contact matches `?q=+39061`",
            "/admin/lists/big/contacts?q=%2B39061".to_owned(),
        ),
        (
            "contacts, text search every contact matches `?q=rossi`",
            "/admin/lists/big/contacts?q=rossi".to_owned(),
        ),
        (
            "contacts, number search only the last contact matches `?q=+390610999999`",
            "/admin/lists/big/contacts?q=%2B390610999999".to_owned(),
        ),
        (
            "contacts, number search the last 10,000 contacts match `?q=+39061099`",
            "/admin/lists/big/contacts?q=%2B39061099".to_owned(),
        ),
        (
            "contacts, text search the last 11 contacts match `?q=Mario 99999`",
            "/admin/lists/big/contacts?q=Mario%2099999".to_owned(),
        ),
    ];
    println!();
    println!("| server time, 1,000,000 contacts and attempts | requests | p50 | p90 | p99 | max |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, path) in &pages {
        println!("{}", row(name, page(&app, path, &session).await));
    }
    let mut floor = Vec::new();
    for i in 0..WARM_UP + REQUESTS {
        let started = Instant::now();
        store.ping().await?;
        if i >= WARM_UP {
            floor.push(started.elapsed());
        }
    }
    println!("{}", row("reference: `SELECT 1` through the pool", floor));
    let mut old = Vec::new();
    for _ in 0..OLD_COUNTS {
        let started = Instant::now();
        sqlx::query("SELECT state, COUNT(*) FROM contact WHERE list_id = $1 GROUP BY state")
            .bind(list)
            .fetch_all(&mut raw)
            .await?;
        sqlx::query(
            "SELECT COALESCE(status, ''), COALESCE(outcome, ''), state, confirmed, COUNT(*) \
             FROM attempt WHERE campaign_id = $1 AND run = $2 \
             GROUP BY status, outcome, state, confirmed",
        )
        .bind(campaign)
        .bind(run)
        .fetch_all(&mut raw)
        .await?;
        old.push(started.elapsed());
    }
    println!(
        "{}",
        row("reference: the two GROUP BY counts of 0006, alone", old)
    );
    let mut scan = Vec::new();
    for _ in 0..OLD_COUNTS {
        let started = Instant::now();
        sqlx::query(
            "SELECT id, numbers, variables FROM contact WHERE list_id = $1 AND id > 0 \
             AND (numbers LIKE $2 OR numbers LIKE ('%|' || $2)) ORDER BY id LIMIT 50",
        )
        .bind(list)
        .bind("+390610999999%")
        .fetch_all(&mut raw)
        .await?;
        scan.push(started.elapsed());
    }
    println!(
        "{}",
        row(
            "reference: the rare number's search of 0007 (the list in order), alone",
            scan
        )
    );
    raw.close().await?;
    Ok(())
}
