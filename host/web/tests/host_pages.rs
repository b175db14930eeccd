//! The host's own pages: trunks (the running ones with their state, the store's made
//! and edited from the form) and plugins (what serves, the history, an upload checked
//! before it is installed), admins only.

#[path = "../../../tests/support/guests.rs"]
mod guests;
mod panel;

use std::time::Duration;

use axum::http::StatusCode;
use panel::{get, panel_with, post, send, sign_in, upload_request};
use ringhost_plugins::{Limits, PluginEngine, PluginRegistry};
use ringhost_sip::{Endpoint, EndpointConfig, Protocol, TrunkSpec, Trunks};
use ringhost_web::TrunkBoard;

fn trunk(name: &str, port: u16, channels: u32) -> TrunkSpec {
    TrunkSpec {
        name: name.into(),
        // Loopback; with the keepalive off nothing is ever sent to it.
        address: format!("127.0.0.1:{port}"),
        protocol: Protocol::Udp,
        domain: String::new(),
        outbound_proxy: None,
        login: None,
        register: false,
        register_expires: Duration::from_secs(600),
        caller_id: "ringhost".into(),
        asserted_identity: None,
        channels,
        cps: 5.0,
        keepalive: Duration::ZERO,
        follow_redirect: false,
    }
}

/// Two running trunks, `file-a` from the configuration file and `stored-b` from the
/// store, and a route over both.
async fn board() -> TrunkBoard {
    let endpoint = Endpoint::bind(EndpointConfig {
        udp: vec!["127.0.0.1:0".parse().unwrap()],
        tcp: Vec::new(),
        timers: Default::default(),
        user_agent: "test".into(),
        trusted: Vec::new(),
        registrar: None,
    })
    .await
    .unwrap();
    let routes = vec![(
        "main".to_owned(),
        vec!["file-a".to_owned(), "stored-b".to_owned()],
    )];
    let trunks = Trunks::start(
        &endpoint,
        vec![trunk("file-a", 5999, 4), trunk("stored-b", 5998, 2)],
        routes,
    )
    .await
    .unwrap();
    TrunkBoard {
        trunks,
        from_file: vec!["file-a".into()],
    }
}

#[tokio::test]
async fn trunks_are_shown_with_their_state_and_made_from_the_form() {
    let dir = tempfile::tempdir().unwrap();
    let app = panel_with(&dir, None, Some(board().await)).await;
    let (agent, _) = sign_in(&app, "bruno", "bruno-password").await;
    assert_eq!(
        send(&app, get("/admin/trunks", Some(&agent))).await.status,
        StatusCode::FORBIDDEN
    );
    let (session, csrf) = sign_in(&app, "ada", "ada-password").await;

    let page = send(&app, get("/admin/trunks", Some(&session))).await;
    assert_eq!(page.status, StatusCode::OK);
    let rows = page.select("#trunks tbody tr");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows[0].contains("file-a") && rows[0].contains("configuration file"),
        "{}",
        rows[0]
    );
    assert!(
        rows[0].contains("up") && rows[0].contains("0 / 4"),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].contains("stored-b") && rows[1].contains("database"),
        "{}",
        rows[1]
    );
    assert_eq!(
        page.select("#routes tbody tr"),
        vec!["mainfile-a → stored-b"]
    );
    // Only the store's trunks can be edited here.
    assert_eq!(page.select("#trunks a").len(), 1);
    let file = send(&app, get("/admin/trunks/file-a", Some(&session))).await;
    assert_eq!(file.status, StatusCode::CONFLICT);
    // The supervisor's board shows them too, with the host's channels.
    let board = send(&app, get("/supervisor", Some(&session))).await;
    assert_eq!(
        board.select("#board-trunks tr[data-trunk=file-a] .in-use"),
        ["0 / 4"]
    );
    assert_eq!(
        board.select("#board-trunks tr[data-trunk=stored-b] .state"),
        ["up"]
    );
    assert_eq!(board.select("#board-channels .total"), ["0"]);

    // A bad form: each error by its field, nothing saved.
    let bad = [
        ("csrf", csrf.as_str()),
        ("name", "carrier-c"),
        ("address", "127.0.0.1:70000"),
        ("transport", "udp"),
        ("channels", "0"),
        ("cps", "3"),
        ("register", "on"),
        ("password", "s3cret"),
    ];
    let page = send(&app, post("/admin/trunks", Some(&session), &bad)).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(page.select("#address-error").len(), 1);
    assert_eq!(page.select("#channels-error").len(), 1);
    assert_eq!(page.select("#username-error").len(), 1);
    assert!(page.select("#cps-error").is_empty());
    assert_eq!(
        page.attr("#password", "value").as_deref(),
        Some(""),
        "a password is never sent back"
    );
    let listed = send(&app, get("/admin/trunks", Some(&session))).await;
    assert_eq!(listed.select("#trunks tbody tr").len(), 2);
    // A name the file holds is refused.
    let mut taken = bad;
    taken[1] = ("name", "file-a");
    let page = send(&app, post("/admin/trunks", Some(&session), &taken)).await;
    assert!(page.select("#name-error")[0].contains("configuration file"));

    // Fixed: saved, listed as used from the next start.
    let good = [
        ("csrf", csrf.as_str()),
        ("name", "carrier-c"),
        ("address", "127.0.0.1:5997"),
        ("transport", "tcp"),
        ("username", "acme"),
        ("password", "s3cret"),
        ("register", "on"),
        ("channels", "8"),
        ("cps", "2,5"),
    ];
    let saved = send(&app, post("/admin/trunks", Some(&session), &good)).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let page = send(&app, get("/admin/trunks", Some(&session))).await;
    let rows = page.select("#trunks tbody tr");
    assert_eq!(rows.len(), 3);
    assert!(
        rows[2].contains("carrier-c") && rows[2].contains("from the next start"),
        "{}",
        rows[2]
    );
    assert!(
        rows[2].contains("tcp:127.0.0.1:5997") && rows[2].contains("2.5"),
        "{}",
        rows[2]
    );
    // Again under the same name without editing: taken.
    let again = send(&app, post("/admin/trunks", Some(&session), &good)).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Edited with the password left empty: the stored one stays.
    let form = send(&app, get("/admin/trunks/carrier-c", Some(&session))).await;
    assert_eq!(form.attr("#channels", "value").as_deref(), Some("8"));
    assert_eq!(form.attr("#password", "value").as_deref(), Some(""));
    let edit = [
        ("csrf", csrf.as_str()),
        ("editing", "1"),
        ("name", "carrier-c"),
        ("address", "127.0.0.1:5996"),
        ("transport", "udp"),
        ("username", "acme"),
        ("register", "on"),
        ("channels", "9"),
        ("cps", "1"),
    ];
    let saved = send(&app, post("/admin/trunks", Some(&session), &edit)).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let stored =
        ringhost_store::Store::open(&format!("sqlite://{}", dir.path().join("w.db").display()))
            .await
            .unwrap()
            .trunks()
            .await
            .unwrap();
    let settings: serde_json::Value = serde_json::from_str(&stored[0].settings).unwrap();
    assert_eq!(settings["password"], "s3cret");
    assert_eq!(settings["address"], "127.0.0.1:5996");
    assert_eq!(settings["channels"], 9);

    // Without the anti-forgery token: refused.
    let forged = send(&app, post("/admin/trunks", Some(&session), &good[1..])).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        send(&app, get("/admin/trunks/nobody", Some(&session)))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// `files` as a `.tar.gz`, made by Debian's tar as an author would.
fn tar_gz(dir: &std::path::Path, files: &[(&str, &[u8])]) -> Vec<u8> {
    let folder = dir.join("package");
    std::fs::create_dir_all(&folder).unwrap();
    for (name, bytes) in files {
        std::fs::write(folder.join(name), bytes).unwrap();
    }
    let archive = dir.join("package.tar.gz");
    let status = std::process::Command::new("tar")
        .arg("czf")
        .arg(&archive)
        .arg("-C")
        .arg(dir)
        .arg("package")
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::remove_dir_all(&folder).unwrap();
    std::fs::read(&archive).unwrap()
}

#[tokio::test]
async fn a_plugin_upload_is_checked_then_serves_and_the_history_shows_it() {
    let Some(guests) = guests::build_if_possible("tests/plugins") else {
        return;
    };
    let wasm = std::fs::read(guests.join("misbehave.wasm")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("plugins");
    let engine = PluginEngine::new(None, Limits::default()).unwrap();
    let registry = PluginRegistry::open(engine, &folder).unwrap();
    let app = panel_with(&dir, Some(registry.clone()), None).await;
    let (agent, agent_csrf) = sign_in(&app, "bruno", "bruno-password").await;
    assert_eq!(
        send(&app, get("/admin/plugins", Some(&agent))).await.status,
        StatusCode::FORBIDDEN
    );
    let (session, csrf) = sign_in(&app, "ada", "ada-password").await;
    let page = send(&app, get("/admin/plugins", Some(&session))).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.select("#plugins tbody tr")[0].contains("No plugins"));

    let manifest = |version: &str| {
        format!(
            "name = \"answers\"\nversion = \"{version}\"\nkind = \"pacer\"\nwit = \"0.1.0\"\ncomponent = \"misbehave.wasm\"\n"
        )
    };
    let scratch = tempfile::tempdir().unwrap();
    let good = tar_gz(
        scratch.path(),
        &[
            ("plugin.toml", manifest("1.2.0").as_bytes()),
            ("misbehave.wasm", &wasm),
        ],
    );
    let field = ("package", "answers.tar.gz");

    // An agent, and a form without its token, install nothing.
    let refused = send(
        &app,
        upload_request("/admin/plugins", &agent, &agent_csrf, field, &good),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let forged = send(
        &app,
        upload_request("/admin/plugins", &session, "forged", field, &good),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(registry.loaded().is_empty());

    let page = send(
        &app,
        upload_request("/admin/plugins", &session, &csrf, field, &good),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.select("#installed"), vec!["answers@1.2.0"]);
    let row = &page.select("#plugins tbody tr")[0];
    assert!(
        row.contains("answers") && row.contains("1.2.0") && row.contains("pacer"),
        "{row}"
    );
    assert!(
        row.contains("ringhost:plugin@0.1.0") && row.contains("answers.tar.gz"),
        "{row}"
    );
    assert!(registry.pacer("answers").is_some());

    // A broken component: refused with the reason, version 1.2.0 serving.
    let broken = tar_gz(
        scratch.path(),
        &[
            ("plugin.toml", manifest("1.3.0").as_bytes()),
            ("misbehave.wasm", &wasm[..wasm.len() / 2]),
        ],
    );
    let page = send(
        &app,
        upload_request("/admin/plugins", &session, &csrf, field, &broken),
    )
    .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.select("#upload-error")[0].contains("answers"),
        "{:?}",
        page.select("#upload-error")
    );
    assert_eq!(registry.pacer("answers").unwrap().label(), "answers@1.2.0");
    // A manifest with a markup name is refused, and shown as text.
    let hostile = tar_gz(scratch.path(), &[("plugin.toml", b"name = \"<script>alert(1)</script>\"\nversion = \"1\"\nkind = \"pacer\"\nwit = \"0.1.0\"\n".as_slice())]);
    let page = send(
        &app,
        upload_request("/admin/plugins", &session, &csrf, field, &hostile),
    )
    .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.select("#upload-error")[0].contains("<script>alert(1)</script>"));
    assert!(page.select("script").iter().all(|s| !s.contains("alert")));

    // The history, newest first: the refusal, then the load.
    let page = send(&app, get("/admin/plugins", Some(&session))).await;
    let history = page.select("#history tbody tr");
    assert!(
        history[0].contains("refused") && history[0].contains("answers@1.3.0"),
        "{history:?}"
    );
    assert!(
        history[1].contains("loaded") && history[1].contains("answers@1.2.0"),
        "{history:?}"
    );
}
