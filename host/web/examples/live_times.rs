//! The live pages under load, printed as the tables in docs/benchmarks.md:
//!
//! 1. The supervisor's page with 200 agents in 10 queues and 20 running campaigns, each
//!    agent with a working day behind them (300 states each in the log the agents'
//!    day is read from): server time of `GET /supervisor`, the router called
//!    in-process as the panel's tests do. Beside it in the same run: the same page
//!    with no history (what the agents' day costs) and a `SELECT 1` through the pool.
//! 2. 500 pages following the supervisor's board over server-sent events, each on its
//!    own TCP connection to the panel served on loopback: an agent's state changes 20
//!    times, 400 ms apart; for each change and each page, the time from the change to
//!    the page receiving the board that shows it. Beside it in the same run: one page
//!    alone, the same way.
//!
//! ```sh
//! cargo run --release -p ringhost-web --example live_times
//! ```

#[path = "../tests/panel/mod.rs"]
mod panel;
#[path = "timing/mod.rs"]
mod timing;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use http_body_util::BodyExt as _;
use ringhost_dialer::agents::AgentState;
use ringhost_dialer::scheduler::Dialer;
use ringhost_dialer::settings::ListSettings;
use ringhost_web::WebSettings;
use serde_json::json;
use sqlx::{AssertSqlSafe, Connection as _, SqliteConnection};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tower::ServiceExt as _;

use timing::row;

const AGENTS: usize = 200;
const QUEUES: usize = 10;
const CAMPAIGNS: usize = 20;
/// States each agent went through today.
const HISTORY: i64 = 300;
const WARM_UP: usize = 20;
const REQUESTS: usize = 300;
const SUBSCRIBERS: usize = 500;
const CHANGES: usize = 20;
const CHANGE_EVERY: Duration = Duration::from_millis(400);

/// A floor of `agents` agents in `queues` queues and `campaigns` running campaigns;
/// with `history`, each agent's day so far in the log.
async fn floor(
    dir: &tempfile::TempDir,
    agents: usize,
    queues: usize,
    campaigns: usize,
    history: bool,
) -> (Router, Dialer, String) {
    let (app, dialer) = panel::panel_parts(dir, None, None, WebSettings::default()).await;
    let settings = ListSettings {
        default_region: "IT".into(),
        ..ListSettings::default()
    };
    for c in 0..campaigns {
        let list = format!("list{c}");
        dialer.create_list(&list, "", &settings).await.unwrap();
        let csv: String = std::iter::once("PHONE_NUMBER;NAME\n".to_owned())
            .chain((0..50).map(|i| format!("06{c:03}{i:05};Name {i}\n")))
            .collect();
        dialer.import(&list, csv.as_bytes()).await.unwrap();
        let id = dialer
            .create_campaign(
                &format!("campaign{c}"),
                None,
                &[list],
                json!({"queue": format!("queue{}", c % queues), "max_calls": 10}),
                None,
            )
            .await
            .unwrap();
        dialer
            .command(id, ringhost_dialer::lifecycle::Command::Start)
            .await
            .unwrap();
    }
    for a in 0..agents {
        let name = format!("agent{a:03}");
        dialer
            .create_agent(&name, &format!("3{a:03}"), 10)
            .await
            .unwrap();
        dialer
            .add_queue_member(&format!("queue{}", a % queues), &name)
            .await
            .unwrap();
        let state = [AgentState::Ready, AgentState::Present][a % 2];
        dialer.set_agent_state(&name, state, None).await.unwrap();
    }
    if history {
        // The day so far, as the triggers would have logged it: each agent through
        // on_call, wrap_up, ready (and a pause every tenth) since midnight.
        let url = format!("sqlite://{}", dir.path().join("w.db").display());
        let mut raw = SqliteConnection::connect(&url).await.unwrap();
        let start = dialer.now_ms() - HISTORY * 20_000;
        let mut sql = String::from("BEGIN;");
        for a in 0..agents {
            for i in 0..HISTORY {
                let state = match i % 10 {
                    9 => "paused",
                    k => ["on_call", "wrap_up", "ready"][(k % 3) as usize],
                };
                let since = start + i * 20_000;
                sql.push_str(&format!(
                    "INSERT INTO agent_state_log (agent, state, reason, since_ms, until_ms) \
                     VALUES ('agent{a:03}', '{state}', {}, {since}, {});",
                    if state == "paused" { "'lunch'" } else { "NULL" },
                    since + 20_000,
                ));
            }
        }
        sql.push_str("COMMIT;");
        sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(&mut raw)
            .await
            .unwrap();
    }
    let (cookie, _) = panel::sign_in(&app, "sara", "sara-password").await;
    (app, dialer, cookie)
}

/// Server times of `GET path`.
async fn page_times(app: &Router, cookie: &str, path: &str) -> Vec<Duration> {
    let mut times = Vec::with_capacity(REQUESTS);
    for i in 0..WARM_UP + REQUESTS {
        let started = Instant::now();
        let response = app
            .clone()
            .oneshot(panel::get(path, Some(cookie)))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let elapsed = started.elapsed();
        assert!(body.len() > 1000);
        if i >= WARM_UP {
            times.push(elapsed);
        }
    }
    times
}

/// A page following `/supervisor/events` over its own TCP connection: the times at
/// which boards holding each marker arrive.
async fn subscriber(
    address: std::net::SocketAddr,
    cookie: String,
    markers: Arc<Vec<String>>,
    ready: tokio::sync::mpsc::Sender<()>,
) -> Vec<Option<Instant>> {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let request = format!(
        "GET /supervisor/events HTTP/1.1\r\nHost: bench\r\nCookie: {cookie}\r\nAccept: text/event-stream\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut seen: Vec<Option<Instant>> = vec![None; markers.len()];
    let mut buffer = Vec::with_capacity(1 << 20);
    let mut chunk = vec![0u8; 1 << 16];
    let mut first = true;
    // The markers come in order; only the next one unseen is looked for.
    let mut next = 0;
    while next < markers.len() {
        let n = match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let now = Instant::now();
        buffer.extend_from_slice(&chunk[..n]);
        // One board per event; look at whole events only.
        while let Some(end) = find(&buffer, b"\n\n") {
            let event = buffer.drain(..end + 2).collect::<Vec<u8>>();
            if first && find(&event, b"event: board").is_some() {
                first = false;
                let _ = ready.send(()).await;
            }
            while next < markers.len() && find(&event, markers[next].as_bytes()).is_some() {
                seen[next] = Some(now);
                next += 1;
            }
        }
    }
    seen
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The time from each change to each page's board showing it, with `pages` pages.
async fn fan_out(app: Router, dialer: Dialer, cookie: String, pages: usize) -> Vec<Duration> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let markers: Arc<Vec<String>> =
        Arc::new((0..CHANGES).map(|k| format!("mark-{k:03}-")).collect());
    let (ready, mut all_ready) = tokio::sync::mpsc::channel(pages);
    let mut pages_ = Vec::new();
    for _ in 0..pages {
        pages_.push(tokio::spawn(subscriber(
            address,
            cookie.clone(),
            markers.clone(),
            ready.clone(),
        )));
    }
    for _ in 0..pages {
        all_ready.recv().await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    // agent000 is ready (even agents) or present; the change is a pause with the
    // marker as its reason, then back to ready unmarked.
    let mut changed_at = Vec::new();
    for marker in markers.iter() {
        dialer
            .set_agent_state("agent000", AgentState::Ready, None)
            .await
            .ok();
        tokio::time::sleep(CHANGE_EVERY).await;
        changed_at.push(Instant::now());
        dialer
            .set_agent_state("agent000", AgentState::Paused, Some(marker))
            .await
            .unwrap();
        tokio::time::sleep(CHANGE_EVERY).await;
    }
    let mut latencies = Vec::new();
    for page in pages_ {
        let seen = tokio::time::timeout(Duration::from_secs(10), page)
            .await
            .expect("a page never saw every change")
            .unwrap();
        for (at, changed) in seen.iter().zip(&changed_at) {
            latencies.push(at.expect("a change never reached a page") - *changed);
        }
    }
    server.abort();
    latencies
}

#[tokio::main]
async fn main() {
    println!(
        "## 1. The supervisor's page: {AGENTS} agents, {QUEUES} queues, {CAMPAIGNS} campaigns\n"
    );
    println!("| server time | requests | p50 | p90 | p99 | max |");
    println!("|---|---:|---:|---:|---:|---:|");
    let dir = tempfile::tempdir().unwrap();
    let (app, _dialer, cookie) = floor(&dir, AGENTS, QUEUES, CAMPAIGNS, true).await;
    let times = page_times(&app, &cookie, "/supervisor").await;
    println!(
        "{}",
        row(
            &format!("`/supervisor`, {HISTORY} states per agent today"),
            times
        )
    );
    let bare = tempfile::tempdir().unwrap();
    let (bare_app, _bare_dialer, bare_cookie) =
        floor(&bare, AGENTS, QUEUES, CAMPAIGNS, false).await;
    let times = page_times(&bare_app, &bare_cookie, "/supervisor").await;
    println!("{}", row("reference: the same, no history", times));
    let store = panel::store(&dir).await;
    let mut times = Vec::new();
    for _ in 0..REQUESTS {
        let started = Instant::now();
        store.ping().await.unwrap();
        times.push(started.elapsed());
    }
    println!("{}", row("reference: `SELECT 1` through the pool", times));

    println!("\n## 2. A change reaching every page following the board ({CHANGES} changes)\n");
    println!("| pages | deliveries | p50 | p90 | p99 | max |");
    println!("|---|---:|---:|---:|---:|---:|");
    for pages in [SUBSCRIBERS, 1] {
        let dir = tempfile::tempdir().unwrap();
        // The demo's floor size: a few agents and campaigns.
        let (app, dialer, cookie) = floor(&dir, 20, 2, 2, false).await;
        let latencies = fan_out(app, dialer, cookie, pages).await;
        let name = if pages == 1 {
            "reference: 1 page alone".to_owned()
        } else {
            format!("{pages} pages, each on its own connection")
        };
        println!("{}", row(&name, latencies));
    }
}
