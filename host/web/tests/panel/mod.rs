#![allow(
    dead_code,
    reason = "each test file uses the part of the harness it needs"
)]
//! What the panel's tests share: the panel over a real SQLite store and dialer (no
//! socket: requests go through the router), requests, and the HTML parsed back.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt as _;
use ringhost_call::{Agents, CallReport, CallRequest, Carrier, Outcome, Placing, Progress};
use ringhost_dialer::clock::SystemClock;
use ringhost_dialer::ledger::{Ledger, Limits};
use ringhost_dialer::scheduler::{Dialer, SchedulerConfig};
use ringhost_store::Store;
use ringhost_store::user::NewUser;
use ringhost_web::{WebSettings, WebState, password, router};
use scraper::{Html, Selector};
use tokio::sync::mpsc;
use tower::ServiceExt as _;

/// No call is placed in these tests (the scheduler never runs); were one placed, it
/// would be busy.
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

/// The panel over a new SQLite database with an admin (`ada`), an agent (`bruno`,
/// whose agent is `bruno` at extension 200) and a supervisor (`sara`).
pub async fn panel(dir: &tempfile::TempDir) -> Router {
    panel_with(dir, None, None).await
}

/// The store [`panel`] made in `dir`, opened again to check what the pages wrote.
pub async fn store(dir: &tempfile::TempDir) -> Store {
    let url = format!("sqlite://{}", dir.path().join("w.db").display());
    Store::open(&url).await.unwrap()
}

/// [`panel`], with a plugins registry and the trunks a host runs with.
pub async fn panel_with(
    dir: &tempfile::TempDir,
    plugins: Option<ringhost_plugins::PluginRegistry>,
    trunks: Option<ringhost_web::TrunkBoard>,
) -> Router {
    panel_parts(dir, plugins, trunks, WebSettings::default())
        .await
        .0
}

/// [`panel_with`], and the dialer under it (for the changes a test makes as the
/// host's calls and agents would).
pub async fn panel_parts(
    dir: &tempfile::TempDir,
    plugins: Option<ringhost_plugins::PluginRegistry>,
    trunks: Option<ringhost_web::TrunkBoard>,
    settings: WebSettings,
) -> (Router, Dialer) {
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("w.db").display());
    let store = Store::open(&url).await.unwrap();
    for (name, role) in [("ada", "admin"), ("bruno", "agent"), ("sara", "supervisor")] {
        let hash = password::hash(&format!("{name}-password")).unwrap();
        let user = NewUser {
            name,
            display_name: name,
            role,
            language: "en",
            password_hash: &hash,
            agent: (role == "agent").then_some(name),
        };
        store.create_user(&user, 0).await.unwrap();
    }
    let dialer = Dialer::new(
        store.clone(),
        Ledger::new(Limits::default()),
        Arc::new(NoCalls),
        plugins,
        Arc::new(SystemClock),
        SchedulerConfig::default(),
    );
    // bruno's agent, with extension 200 and 5 s of wrap-up.
    dialer.create_agent("bruno", "200", 5).await.unwrap();
    let state = WebState {
        store,
        dialer: dialer.clone(),
        settings,
        throttle: Arc::default(),
        feeds: Arc::default(),
        exports: Arc::default(),
        trunks,
    };
    let app = router(state).layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
    (app, dialer)
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub cookies: Vec<String>,
    pub html: Html,
}

impl Page {
    pub fn select(&self, css: &str) -> Vec<String> {
        let selector = Selector::parse(css).unwrap();
        self.html
            .select(&selector)
            .map(|e| e.text().collect::<String>())
            .collect()
    }

    pub fn attr(&self, css: &str, name: &str) -> Option<String> {
        let selector = Selector::parse(css).unwrap();
        self.html
            .select(&selector)
            .next()
            .and_then(|e| e.value().attr(name).map(str::to_owned))
    }

    /// The attribute `name` of every element `css` selects that has it.
    pub fn attrs(&self, css: &str, name: &str) -> Vec<String> {
        let selector = Selector::parse(css).unwrap();
        self.html
            .select(&selector)
            .filter_map(|e| e.value().attr(name).map(str::to_owned))
            .collect()
    }

    /// The value a `Set-Cookie` of this response gives `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.iter().find_map(|c| {
            let (pair, _) = c.split_once(';').unwrap_or((c, ""));
            let (n, v) = pair.split_once('=')?;
            (n == name).then(|| v.to_owned())
        })
    }
}

pub async fn send(app: &Router, request: Request<Body>) -> Page {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned());
    let cookies = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let html = Html::parse_document(&String::from_utf8_lossy(&body));
    Page {
        status,
        location,
        cookies,
        html,
    }
}

pub fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut request = Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::empty()).unwrap()
}

pub fn post(path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Request<Body> {
    let body = form
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let mut request =
        Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::from(body)).unwrap()
}

/// Percent-encodes a form value (every byte that is not unreserved).
pub fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Signs `name` in; the session cookie and the session's anti-forgery token.
pub async fn sign_in(app: &Router, name: &str, password: &str) -> (String, String) {
    let form = send(app, get("/", None)).await;
    let csrf = form.attr("input[name=csrf]", "value").unwrap();
    let cookie = format!("rh_sign_in={}", form.cookie("rh_sign_in").unwrap());
    let signed = send(
        app,
        post(
            "/",
            Some(&cookie),
            &[("name", name), ("password", password), ("csrf", &csrf)],
        ),
    )
    .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
    assert_eq!(signed.location.as_deref(), Some("/home"));
    let session = format!("rh_session={}", signed.cookie("rh_session").unwrap());
    let home = send(app, get("/home", Some(&session))).await;
    assert_eq!(home.status, StatusCode::OK);
    let token = home.attr("header form input[name=csrf]", "value").unwrap();
    (session, token)
}

/// A multipart import of `csv` into the list at `path`.
pub fn import_request(path: &str, cookie: &str, csrf: &str, csv: &str) -> Request<Body> {
    upload_request(path, cookie, csrf, ("csv", "leads.csv"), csv.as_bytes())
}

/// A multipart form at `path`: `csrf`, then `file` (its field and file name) holding
/// `bytes`.
pub fn upload_request(
    path: &str,
    cookie: &str,
    csrf: &str,
    (field, file_name): (&str, &str),
    bytes: &[u8],
) -> Request<Body> {
    let boundary = "ringhost-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Request::post(path)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header(header::COOKIE, cookie)
        .body(Body::from(body))
        .unwrap()
}

/// The next server-sent event of `body` (its `event:` name and its data lines joined),
/// within `limit`.
pub async fn next_event(
    body: &mut Body,
    pending: &mut String,
    limit: Duration,
) -> (String, String) {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(end) = pending.find("\n\n") {
            let raw: String = pending.drain(..end + 2).collect();
            let name = raw
                .lines()
                .find_map(|l| l.strip_prefix("event: "))
                .unwrap_or_default()
                .to_owned();
            let data: Vec<&str> = raw
                .lines()
                .filter_map(|l| l.strip_prefix("data: "))
                .collect();
            if name.is_empty() {
                continue; // A keep-alive comment.
            }
            return (name, data.join("\n"));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let frame = tokio::time::timeout(left, body.frame())
            .await
            .expect("no event in time")
            .expect("the stream ended")
            .unwrap();
        if let Ok(data) = frame.into_data() {
            pending.push_str(&String::from_utf8_lossy(&data));
        }
    }
}

/// The texts of what `css` selects in an HTML fragment.
pub fn cells(html: &str, css: &str) -> Vec<String> {
    let html = Html::parse_fragment(html);
    let selector = Selector::parse(css).unwrap();
    html.select(&selector)
        .map(|e| e.text().collect::<String>())
        .collect()
}
