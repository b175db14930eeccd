//! Missed calls on SQLite (issue 18): the intake's throughput through HTTP, and the
//! server time of the lists' filtered pages over 100,000 open requests, printed as the
//! tables in docs/benchmarks.md (targets: 2,000 intakes per second; a filtered page in
//! under 50 ms).
//!
//! Intake: the real router (`ringhost_http::app`) is served by `axum::serve` on a
//! loopback socket (127.0.0.1, a port the system picks) over a fresh store, and N
//! client tasks, each with one keep-alive HTTP/1.1 connection of hyper's client, post
//! Kalliope's dynamic-routing XML to `POST /api/v1/missed-calls/intake?key=...` as a
//! PBX does: every call a `unique_id` of its own, its caller drawn from 50,000 Italian
//! numbers (`02` and 8 digits), so that both new requests and repeated callers happen.
//! Beside it, in the same round and at the same concurrency: the store alone
//! (`Store::intake_missed_call` from as many tasks, no HTTP: the floor of the database
//! work), the store doing what one HTTP intake asks of it (the API key's look-up, an
//! `UPDATE` of its last use, then the intake), and the HTTP stack with a trivial
//! operation (`GET /metrics`, no database). Each round opens fresh stores; three
//! rounds, the medians printed.
//!
//! Pages: another fresh store holds 100,000 open requests (and 50,000 closed ones),
//! written by bulk SQL on a connection of its own: callers distinct, 12 queues, 30
//! accountcodes, calls spread over 30 days, one in ten booked by one of 20 operators,
//! some recalled. Each page is `GET /api/v1/missed-calls?...` over the same socket and
//! client, with an API key in the header, timed from the request sent to the last byte
//! of its body, one request at a time. Beside them: `SELECT COUNT(*) FROM
//! missed_request` through a pool of its own, the store's `SELECT 1`, and `GET
//! /metrics` (the floor of a request over the socket). The pages are measured twice,
//! on two stores: as migrated, and with migration 0016's indexes dropped; the intake
//! has a row of the store alone without them too.
//!
//! With `intake` or `pages` as its argument, only that half runs.
//!
//! The server and its clients share the one process and its 2 cores: the client's
//! own cost is counted in every row, references included.
//!
//! ```sh
//! cargo run --release -p ringhost-http --example missed_times [-- intake|pages]
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, ensure};
use axum::body::Bytes;
use axum::http::{Request, StatusCode, header};
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use metrics_exporter_prometheus::PrometheusBuilder;
use ringhost_call::{Agents, CallReport, CallRequest, Carrier, Outcome, Placing, Progress};
use ringhost_dialer::clock::SystemClock;
use ringhost_dialer::ledger::{Ledger, Limits};
use ringhost_dialer::scheduler::{Dialer, SchedulerConfig};
use ringhost_http::AppState;
use ringhost_store::Store;
use ringhost_store::missed::{MissedFilter, MissedOrder, NewMissedCall, Source};
use sqlx::{Connection as _, SqliteConnection, SqlitePool};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// The API key every request carries.
const SECRET: &str = "missed-times-secret";
/// Distinct callers the intake draws from.
const CALLERS: u64 = 50_000;
/// Intakes per row and round.
const INTAKES: usize = 20_000;
const ROUNDS: usize = 3;
const CONCURRENCY: [usize; 2] = [16, 64];
/// Open and closed requests of the pages' store.
const OPEN: i64 = 100_000;
const CLOSED: i64 = 50_000;
const WARM_UP: usize = 20;
const REQUESTS: usize = 200;
const DAY_MS: i64 = 86_400_000;

/// A carrier for a dialer whose scheduler never runs: no call is placed here.
struct NoCalls;

impl Carrier for NoCalls {
    fn place(
        &self,
        _call: CallRequest,
        _progress: mpsc::UnboundedSender<Progress>,
        _agents: Arc<dyn Agents>,
    ) -> Placing {
        Box::pin(async { CallReport::failed(Outcome::Busy) })
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// What takes the schema back to before migration 0016 (the pending lists' indexes).
const UNDO_0016: [&str; 4] = [
    "DROP INDEX missed_request_pending_last",
    "DROP INDEX missed_request_pending_name",
    "DROP INDEX missed_request_pending_accountcode",
    "DROP INDEX missed_request_pending_recalled",
];

/// A fresh store in `dir`, with the key `SECRET` allowed everything; with `undo`,
/// migration 0016's indexes dropped.
async fn store(dir: &tempfile::TempDir, undo: bool) -> anyhow::Result<Store> {
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("m.db").display());
    let store = Store::open(&url).await?;
    if undo {
        let mut raw = SqliteConnection::connect(&url).await?;
        for sql in UNDO_0016 {
            sqlx::query(sql).execute(&mut raw).await?;
        }
        raw.close().await?;
    }
    store
        .create_api_key(
            "bench",
            &ringhost_store::api_key::hash(SECRET),
            r#"["*"]"#,
            0,
        )
        .await?;
    Ok(store)
}

/// The application over `store`, as the host builds it, with a dialer that places no
/// call.
fn state(store: Store) -> AppState {
    let dialer = Dialer::new(
        store.clone(),
        Ledger::new(Limits::default()),
        Arc::new(NoCalls),
        None,
        Arc::new(SystemClock),
        SchedulerConfig::default(),
    );
    AppState {
        store,
        metrics: PrometheusBuilder::new().build_recorder().handle(),
        draining: CancellationToken::new(),
        dialer,
    }
}

/// The router served on a loopback port; cancel the token to stop it.
struct Server {
    addr: SocketAddr,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

async fn serve(state: AppState) -> anyhow::Result<Server> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let stop = CancellationToken::new();
    let app = ringhost_http::app(state);
    let task = tokio::spawn({
        let stop = stop.clone();
        async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
                .unwrap();
        }
    });
    Ok(Server { addr, stop, task })
}

impl Server {
    async fn stop(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}

type Client = SendRequest<Full<Bytes>>;

/// A keep-alive HTTP/1.1 connection to `addr`.
async fn connect(addr: SocketAddr) -> anyhow::Result<Client> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (client, connection) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// Sends `request` and reads the whole answer.
async fn send(
    client: &mut Client,
    request: Request<Full<Bytes>>,
) -> anyhow::Result<(StatusCode, Bytes)> {
    client.ready().await?;
    let response = client.send_request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, body))
}

fn get(path: &str) -> Request<Full<Bytes>> {
    Request::get(path)
        .header(header::HOST, "127.0.0.1")
        .header(header::AUTHORIZATION, format!("Bearer {SECRET}"))
        .body(Full::new(Bytes::new()))
        .unwrap()
}

/// A well-mixed number of `i` (splitmix64).
fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The national digits of intake `i`'s caller, one of `CALLERS`: `02` and 8 digits.
fn caller(round: usize, i: usize) -> String {
    let n = mix((round * INTAKES + i) as u64) % CALLERS;
    format!("02{:08}", n * 1999)
}

fn queue(i: usize) -> String {
    format!("coda-{:02}", mix(i as u64 ^ 0x5555) % 12)
}

/// Intake `i` as Kalliope's dynamic routing posts it.
fn kalliope_xml(round: usize, i: usize) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<parameters>\n<unique_id>{}.{round}.{i}</unique_id>\n\
         <caller>{}</caller>\n<called>0299999999</called>\n\
         <servicecode>%PARAM1%</servicecode>\n<param1>{}</param1>\n\
         <param2>queue</param2>\n<param3>%PARAM3%</param3>\n<param4>%PARAM4%</param4>\n\
         <param5>%PARAM5%</param5>\n</parameters>\n",
        1_700_000_000 + i,
        caller(round, i),
        queue(i),
    )
}

/// The same call as the dialer hands it to the store.
fn new_call(round: usize, i: usize) -> NewMissedCall {
    NewMissedCall {
        unique_id: Some(format!("{}.{round}.{i}", 1_700_000_000 + i)),
        caller: format!("+39{}", caller(round, i)),
        at_ms: now_ms(),
        kind: "queue".into(),
        name: queue(i),
        source: Source::Pbx,
        called: "0299999999".into(),
        accountcode: String::new(),
        detail: r#"{"param3":"","param4":"","param5":"","servicecode":""}"#.into(),
    }
}

/// What one row of the intake's table measured.
struct Run {
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

/// `INTAKES` operations from `tasks` tasks, each taking the next index until all are
/// done; `one` does operation `i` on the task's own `T` (a connection, a store).
async fn drive<T, F, Fut>(tasks: Vec<T>, one: F) -> anyhow::Result<Run>
where
    T: Send + 'static,
    F: Fn(T, usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = anyhow::Result<T>> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut handles = Vec::new();
    for mut own in tasks {
        let next = next.clone();
        let one = one.clone();
        handles.push(tokio::spawn(async move {
            let mut times = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= INTAKES {
                    break;
                }
                let t = Instant::now();
                own = one(own, i).await?;
                times.push(t.elapsed());
            }
            anyhow::Ok(times)
        }));
    }
    let mut times = Vec::with_capacity(INTAKES);
    for handle in handles {
        times.extend(handle.await??);
    }
    let took = started.elapsed();
    times.sort_unstable();
    let at = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
    Ok(Run {
        per_second: INTAKES as f64 / took.as_secs_f64(),
        p50: at(0.5),
        p99: at(0.99),
    })
}

/// The intake through HTTP, `clients` connections, on a fresh store; also how many
/// requests the calls made (the rest were repeated callers).
async fn http_intake(round: usize, clients: usize) -> anyhow::Result<(Run, i64)> {
    let dir = tempfile::tempdir()?;
    let store = store(&dir, false).await?;
    let server = serve(state(store.clone())).await?;
    let mut connections = Vec::new();
    for _ in 0..clients {
        connections.push(connect(server.addr).await?);
    }
    let run = drive(connections, move |mut client: Client, i| async move {
        let request = Request::post(format!("/api/v1/missed-calls/intake?key={SECRET}"))
            .header(header::HOST, "127.0.0.1")
            .header(header::CONTENT_TYPE, "application/xml")
            .body(Full::new(Bytes::from(kalliope_xml(round, i))))
            .unwrap();
        let (status, body) = send(&mut client, request).await?;
        ensure!(
            status == StatusCode::CREATED,
            "intake {i}: {status} {}",
            String::from_utf8_lossy(&body)
        );
        Ok(client)
    })
    .await?;
    let requests = store
        .missed_requests(&MissedFilter::default(), MissedOrder::default(), 0, 1)
        .await?
        .total;
    server.stop().await;
    store.close().await;
    Ok((run, requests))
}

/// The intake through the store alone, from `tasks` tasks, on a fresh store; with
/// `key`, each preceded by the API key's look-up as the HTTP path does it; with `undo`,
/// without migration 0016's indexes.
async fn store_intake(round: usize, tasks: usize, key: bool, undo: bool) -> anyhow::Result<Run> {
    let dir = tempfile::tempdir()?;
    let store = store(&dir, undo).await?;
    let hash = Arc::new(ringhost_store::api_key::hash(SECRET));
    let run = drive(vec![store.clone(); tasks], move |store: Store, i| {
        let hash = hash.clone();
        async move {
            if key {
                store
                    .api_key(&hash, now_ms())
                    .await?
                    .context("no API key")?;
            }
            store.intake_missed_call(&new_call(round, i)).await?;
            Ok(store)
        }
    })
    .await?;
    store.close().await;
    Ok(run)
}

/// `GET /metrics` through HTTP, `clients` connections: the stack without a database.
async fn http_floor(clients: usize) -> anyhow::Result<Run> {
    let dir = tempfile::tempdir()?;
    let store = store(&dir, false).await?;
    let server = serve(state(store.clone())).await?;
    let mut connections = Vec::new();
    for _ in 0..clients {
        connections.push(connect(server.addr).await?);
    }
    let run = drive(connections, |mut client: Client, _| async move {
        let (status, _) = send(&mut client, get("/metrics")).await?;
        ensure!(status == StatusCode::OK, "/metrics: {status}");
        Ok(client)
    })
    .await?;
    server.stop().await;
    store.close().await;
    Ok(run)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_unstable_by(f64::total_cmp);
    values[values.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// 100,000 open and 50,000 closed requests (one in three), by bulk SQL, written in the
/// order of their first call as an intake writes them: first calls over the 30 days
/// before `now`, callers distinct and scattered (`+3902` and 8 digits), 12 queues, 30
/// accountcodes.
async fn fill(url: &str, now: i64) -> anyhow::Result<()> {
    let mut raw = SqliteConnection::connect(url).await?;
    sqlx::query(
        "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < $1 - 1), \
         r AS (SELECT i, i % 3 = 0 AS closed, \
           $2 - 30 * 86400000 + i * (2592000000 / $1) - (i * 48271) % 600000 AS first_ms, \
           1 + (i % 13) / 4 AS calls, (i % 10) / 4 AS recalled FROM s) \
         INSERT INTO missed_request (caller, state, first_call_ms, last_call_ms, calls, \
           recalled, last_recalled_ms, kind, name, source, called, accountcode, booked_by, \
           assigned_by, closure, closed_by, closed_at_ms) \
         SELECT '+3902' || printf('%08d', (i * 48271973) % 100000000), \
           CASE WHEN closed THEN 'closed' ELSE 'open' END, \
           first_ms, min(first_ms + (calls - 1) * ((i * 17) % 7200) * 1000, $2), \
           calls, recalled, \
           CASE WHEN recalled > 0 THEN first_ms + (calls - 1) * ((i * 17) % 7200) * 1000 \
             + 600000 END, \
           'queue', printf('coda-%02d', (i / 3) % 12), \
           CASE WHEN i % 10 = 9 THEN 'inbound' ELSE 'pbx' END, \
           '0299' || printf('%06d', i % 20), printf('cc%03d', (i / 7) % 30), \
           CASE WHEN NOT closed AND i % 10 = 3 THEN printf('op%02d', (i / 10) % 20) END, \
           CASE WHEN NOT closed AND i % 40 = 3 THEN 'supervisor' END, \
           CASE WHEN closed THEN 'callback' END, CASE WHEN closed THEN 'op01' END, \
           CASE WHEN closed THEN first_ms + 3600000 END \
         FROM r",
    )
    .bind(OPEN + CLOSED)
    .bind(now)
    .execute(&mut raw)
    .await?;
    raw.close().await?;
    Ok(())
}

/// `path`'s time, one request at a time: `REQUESTS` after `WARM_UP`.
async fn page(client: &mut Client, path: &str) -> anyhow::Result<(Vec<Duration>, i64)> {
    let mut times = Vec::with_capacity(REQUESTS);
    let mut total = 0;
    for i in 0..WARM_UP + REQUESTS {
        let started = Instant::now();
        let (status, body) = send(client, get(path)).await?;
        let took = started.elapsed();
        ensure!(
            status == StatusCode::OK,
            "{path}: {status} {}",
            String::from_utf8_lossy(&body)
        );
        if i == 0 && path.starts_with("/api/") {
            let json: serde_json::Value = serde_json::from_slice(&body)?;
            total = json["total"].as_i64().unwrap_or(0);
        }
        if i >= WARM_UP {
            times.push(took);
        }
    }
    Ok((times, total))
}

fn row(name: &str, matched: &str, mut times: Vec<Duration>) -> String {
    times.sort_unstable();
    let at = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
    format!(
        "| {name} | {matched} | {} | {} | {} | {} |",
        times.len(),
        ms(at(0.5)),
        ms(at(0.9)),
        ms(at(1.0))
    )
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let only = std::env::args().nth(1);
    if only.as_deref() != Some("pages") {
        intake().await?;
    }
    if only.as_deref() != Some("intake") {
        for undo in [false, true] {
            pages(undo).await?;
        }
    }
    Ok(())
}

/// The intake's table: every row of a round at one concurrency, the rounds alternating.
async fn intake() -> anyhow::Result<()> {
    let names = [
        "HTTP: `POST /api/v1/missed-calls/intake` (Kalliope XML)",
        "reference: store alone, `Store::intake_missed_call`",
        "reference: store alone, without 0016's indexes",
        "reference: store, the key's look-up then the intake",
        "reference: HTTP, `GET /metrics` (no database)",
    ];
    let mut runs: Vec<Vec<Vec<Run>>> = CONCURRENCY
        .iter()
        .map(|_| names.iter().map(|_| Vec::new()).collect())
        .collect();
    let mut made = Vec::new();
    for round in 0..ROUNDS {
        for (c, &clients) in CONCURRENCY.iter().enumerate() {
            let (http, requests) = http_intake(round, clients).await?;
            made.push(requests);
            eprintln!(
                "round {round}, {clients} clients: {:.0}/s through HTTP, {requests} requests",
                http.per_second
            );
            runs[c][0].push(http);
            runs[c][1].push(store_intake(round, clients, false, false).await?);
            runs[c][2].push(store_intake(round, clients, false, true).await?);
            runs[c][3].push(store_intake(round, clients, true, false).await?);
            runs[c][4].push(http_floor(clients).await?);
        }
    }
    println!(
        "| {INTAKES} operations per run, median of {ROUNDS} | clients | per second (runs) | \
         median's p50 | median's p99 |"
    );
    println!("|---|---:|---:|---:|---:|");
    for (c, clients) in CONCURRENCY.iter().enumerate() {
        for (n, name) in names.iter().enumerate() {
            let rates: Vec<f64> = runs[c][n].iter().map(|r| r.per_second).collect();
            let middle = median(rates.clone());
            let run = runs[c][n].iter().find(|r| r.per_second == middle).unwrap();
            let all: Vec<String> = rates.iter().map(|r| format!("{r:.0}")).collect();
            println!(
                "| {name} | {clients} | {middle:.0} ({}) | {} | {} |",
                all.join(", "),
                ms(run.p50),
                ms(run.p99)
            );
        }
    }
    println!(
        "\n{INTAKES} intakes made {} to {} requests (the rest were repeated callers)",
        made.iter().min().unwrap_or(&0),
        made.iter().max().unwrap_or(&0)
    );
    Ok(())
}

/// The pages' table over 100,000 open requests; with `undo`, without migration 0016's
/// indexes.
async fn pages(undo: bool) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let store = store(&dir, undo).await?;
    let url = format!("sqlite://{}", dir.path().join("m.db").display());
    let now = now_ms();
    let started = Instant::now();
    fill(&url, now).await?;
    eprintln!(
        "{OPEN} open and {CLOSED} closed requests written in {:.1?}",
        started.elapsed()
    );
    let server = serve(state(store.clone())).await?;
    let mut client = connect(server.addr).await?;
    let week = now - 7 * DAY_MS;
    let pages = [
        (
            "default: pending, last call first",
            "/api/v1/missed-calls?limit=50".to_owned(),
        ),
        (
            "`view=to_call`, first call first",
            "/api/v1/missed-calls?view=to_call&sort=first_call&order=asc&limit=50".to_owned(),
        ),
        (
            "`view=booked&operator=op03`",
            "/api/v1/missed-calls?view=booked&operator=op03&limit=50".to_owned(),
        ),
        (
            "caller search `caller=0287`",
            "/api/v1/missed-calls?caller=0287&limit=50".to_owned(),
        ),
        (
            "`name=coda-05`, last call in the last 7 days",
            format!(
                "/api/v1/missed-calls?name=coda-05&last_call_from={week}&last_call_until={now}&limit=50"
            ),
        ),
        (
            "`accountcode=cc007`",
            "/api/v1/missed-calls?accountcode=cc007&limit=50".to_owned(),
        ),
        (
            "`recalled=0`, most calls first",
            "/api/v1/missed-calls?recalled=0&sort=calls&limit=50".to_owned(),
        ),
        (
            "deep page `offset=5000`",
            "/api/v1/missed-calls?offset=5000&limit=50".to_owned(),
        ),
    ];
    println!();
    let schema = if undo {
        "without 0016's indexes"
    } else {
        "with migration 0016"
    };
    println!(
        "| server time, {OPEN} open requests (+{CLOSED} closed), 50 a page, {schema} | \
         matched | requests | p50 | p90 | max |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, path) in &pages {
        let (times, total) = page(&mut client, path).await?;
        println!("{}", row(name, &total.to_string(), times));
    }
    let (times, _) = page(&mut client, "/metrics").await?;
    println!(
        "{}",
        row("reference: `GET /metrics` (no database)", "", times)
    );
    let pool = SqlitePool::connect(&url).await?;
    let mut counts = Vec::new();
    let mut pings = Vec::new();
    for i in 0..WARM_UP + REQUESTS {
        let started = Instant::now();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM missed_request")
            .fetch_one(&pool)
            .await?;
        let took = started.elapsed();
        ensure!(n == OPEN + CLOSED, "{n} requests");
        let started = Instant::now();
        store.ping().await?;
        if i >= WARM_UP {
            counts.push(took);
            pings.push(started.elapsed());
        }
    }
    println!(
        "{}",
        row(
            "reference: `SELECT COUNT(*) FROM missed_request`, a pool",
            &(OPEN + CLOSED).to_string(),
            counts
        )
    );
    println!(
        "{}",
        row("reference: `SELECT 1` through the store's pool", "", pings)
    );
    pool.close().await;
    drop(client);
    server.stop().await;
    store.close().await;
    Ok(())
}
