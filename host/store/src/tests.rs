//! Store tests on real engines: SQLite in a temporary folder, and PostgreSQL when the test
//! command has started one (`RINGHOST_TEST_POSTGRES_URL`, a server URL without a database
//! name). With `RINGHOST_REQUIRE_POSTGRES=1`, as CI sets, a missing server is a failure.

use super::*;
use crate::testing::postgres_store;

/// Every (table, column) of the applied schema, sqlx's own bookkeeping left out.
async fn columns(store: &Store) -> Vec<(String, String)> {
    let sql = match store.backend {
        Backend::Sqlite => {
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
             AND m.name <> '_sqlx_migrations' ORDER BY 1, 2"
        }
        Backend::Postgres => {
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations' \
             ORDER BY 1, 2"
        }
    };
    sqlx::query_as(sql).fetch_all(&store.pool).await.unwrap()
}

async fn sqlite_store(dir: &tempfile::TempDir) -> Store {
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    Store::open(&url).await.unwrap()
}

#[tokio::test]
async fn sqlite_is_created_in_wal_mode_and_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(&dir).await;
    store.ping().await.unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    assert!(store.schema_version().await.unwrap() >= 1);
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    assert!(
        columns(&store)
            .await
            .contains(&("host_start".into(), "stopped_at_ms".into()))
    );
}

#[tokio::test]
async fn reopening_keeps_data_and_reports_the_previous_run() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(&dir).await;
    let first = store.record_start(1_000, "0.1.0").await.unwrap();
    assert_eq!(first.previous, None);
    store.close().await;

    // Killed: no clean stop recorded.
    let store = sqlite_store(&dir).await;
    let second = store.record_start(2_000, "0.1.1").await.unwrap();
    let previous = second.previous.unwrap();
    assert_eq!(
        (previous.started_at_ms, previous.clean_stop),
        (1_000, false)
    );
    assert_eq!(previous.version, "0.1.0");
    store.record_clean_stop(second.id, 3_000).await.unwrap();
    store.close().await;

    let store = sqlite_store(&dir).await;
    let third = store.record_start(4_000, "0.1.1").await.unwrap();
    assert!(third.previous.unwrap().clean_stop);
    assert!(third.id > second.id && second.id > first.id);
}

#[tokio::test]
async fn postgres_migrates_to_the_same_schema_as_sqlite() {
    let Some((pg, _name)) = postgres_store().await else {
        return;
    };
    assert_eq!(pg.backend(), Backend::Postgres);
    pg.ping().await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let sqlite = sqlite_store(&dir).await;
    assert_eq!(columns(&pg).await, columns(&sqlite).await);
    assert_eq!(
        pg.schema_version().await.unwrap(),
        sqlite.schema_version().await.unwrap()
    );

    // The same queries work on PostgreSQL.
    let first = pg.record_start(1_000, "0.1.0").await.unwrap();
    pg.record_clean_stop(first.id, 2_000).await.unwrap();
    let second = pg.record_start(3_000, "0.1.0").await.unwrap();
    assert!(second.previous.unwrap().clean_stop);
    pg.close().await;
}

#[tokio::test]
async fn postgres_migrations_are_idempotent() {
    let Some((pg, name)) = postgres_store().await else {
        return;
    };
    pg.record_start(1, "0.1.0").await.unwrap();
    pg.close().await;
    let server = std::env::var("RINGHOST_TEST_POSTGRES_URL").unwrap();
    let again = Store::open(&format!("{}/{name}", server.trim_end_matches('/')))
        .await
        .unwrap();
    assert!(
        again
            .record_start(2, "0.1.0")
            .await
            .unwrap()
            .previous
            .is_some()
    );
}

#[test]
fn redact_hides_passwords() {
    assert_eq!(
        redact("postgres://u:secret@127.0.0.1/db"),
        "postgres://u:***@127.0.0.1/db"
    );
    assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
}

#[test]
fn unknown_url_scheme_is_refused() {
    let err = Backend::of_url("mysql://u:pw@h/db")
        .unwrap_err()
        .to_string();
    assert!(err.contains("mysql://u:***@h/db"), "{err}");
}

fn sample_binding(aor: &str, contact: &str, expires_at_ms: i64) -> sip_binding::Binding {
    sip_binding::Binding {
        aor: aor.into(),
        contact: contact.into(),
        source: "127.0.0.1:5070".into(),
        transport: "udp".into(),
        call_id: "c1".into(),
        cseq: 1,
        user_agent: "phone".into(),
        expires_at_ms,
    }
}

/// Bindings, trunks and phone accounts behave the same on both engines: upsert,
/// expiry, removal.
async fn bindings_and_trunks(store: &Store) {
    store
        .put_binding(&sample_binding("1001", "sip:a@x", 2_000), 0)
        .await
        .unwrap();
    store
        .put_binding(&sample_binding("1001", "sip:b@x", 500), 0)
        .await
        .unwrap();
    store
        .put_binding(&sample_binding("1002", "sip:c@x", 2_000), 0)
        .await
        .unwrap();
    // A refresh replaces, never duplicates.
    let mut refreshed = sample_binding("1001", "sip:a@x", 3_000);
    refreshed.cseq = 2;
    store.put_binding(&refreshed, 1).await.unwrap();
    let live = store.live_bindings(Some("1001"), 1_000).await.unwrap();
    assert_eq!(live, vec![refreshed]);
    assert_eq!(store.live_bindings(None, 1_000).await.unwrap().len(), 2);
    assert_eq!(store.purge_bindings(1_000).await.unwrap(), 1);
    store
        .remove_bindings("1001", Some("sip:a@x"))
        .await
        .unwrap();
    assert!(
        store
            .live_bindings(Some("1001"), 0)
            .await
            .unwrap()
            .is_empty()
    );
    store.remove_bindings("1002", None).await.unwrap();
    assert!(store.live_bindings(None, 0).await.unwrap().is_empty());

    let trunk = trunk::StoredTrunk {
        name: "carrier".into(),
        settings: r#"{"address":"127.0.0.1:5070"}"#.into(),
    };
    store.put_trunk(&trunk, 0).await.unwrap();
    let mut changed = trunk.clone();
    changed.settings = r#"{"address":"127.0.0.1:5071"}"#.into();
    store.put_trunk(&changed, 1).await.unwrap();
    assert_eq!(store.trunks().await.unwrap(), vec![changed]);

    // A phone account: added, its hashes replaced by a new password, read back.
    let account = |ha1: &str| phone_account::PhoneAccountRow {
        username: "1001".into(),
        realm: "ringhost".into(),
        ha1_md5: format!("{ha1}-md5"),
        ha1_sha256: format!("{ha1}-sha256"),
    };
    assert!(store.phone_account("1001").await.unwrap().is_none());
    store.put_phone_account(&account("a"), 0).await.unwrap();
    store.put_phone_account(&account("b"), 1).await.unwrap();
    let read = store.phone_account("1001").await.unwrap().unwrap();
    assert!(read == account("b"));
    assert_eq!(store.phone_account_names().await.unwrap(), vec!["1001"]);
}

#[tokio::test]
async fn sqlite_bindings_and_trunks() {
    let dir = tempfile::tempdir().unwrap();
    bindings_and_trunks(&sqlite_store(&dir).await).await;
}

#[tokio::test]
async fn postgres_bindings_and_trunks() {
    if let Some((store, _)) = postgres_store().await {
        bindings_and_trunks(&store).await;
    }
}

fn contact_row(line: i64, numbers: &[&str], next_at_ms: i64) -> contact::NewContactRow {
    contact::NewContactRow {
        line,
        numbers: numbers.iter().map(|n| (*n).to_owned()).collect(),
        variables: format!(r#"{{"name":"c{line}"}}"#),
        time_zone: "Europe/Rome".into(),
        next_at_ms,
        schedule_extension: None,
        external_id: None,
    }
}

/// The dialer's path through the store: import, claim, attempt, end, crash recovery.
/// A call of `host` at `now_ms` taking an agent (attempt 7).
fn on_call(host: &str, now_ms: i64) -> agent::AgentCall<'_> {
    agent::AgentCall {
        host,
        attempt_id: Some(7),
        now_ms,
    }
}

async fn dialer_tables(store: &Store) {
    let list = store.create_list("leads", "acc1", "{}", 1).await.unwrap();
    assert!(store.create_list("leads", "", "{}", 1).await.is_err());
    let other = store.create_list("other", "", "{}", 1).await.unwrap();
    let rows: Vec<_> = (1..=1200)
        .map(|i| contact_row(i, &["+390611111111", "+393331111111"], 1000 + i))
        .collect();
    assert_eq!(store.insert_contacts(list, &rows, 1).await.unwrap(), 1200);
    store
        .insert_contacts(other, &[contact_row(1, &["+390622222222"], 500)], 1)
        .await
        .unwrap();
    // Due contacts, oldest first across lists; none before its time.
    assert!(
        store
            .claim_due("h1", &[list], 1000, 5)
            .await
            .unwrap()
            .is_empty()
    );
    let claimed = store
        .claim_due("h1", &[list, other], 1003, 5)
        .await
        .unwrap();
    let lines: Vec<i64> = claimed.iter().map(|c| c.line).collect();
    assert_eq!(lines, [1, 1, 2, 3]);
    assert_eq!(claimed[1].numbers, ["+390611111111", "+393331111111"]);
    // Claimed contacts are not claimed twice.
    assert_eq!(
        store.claim_due("h1", &[list], 1003, 5).await.unwrap().len(),
        0
    );
    let first = &claimed[1];
    let start = attempt::AttemptStart {
        host: "h1".into(),
        campaign_id: 9,
        run: 1,
        list_id: list,
        contact_id: first.id,
        number: first.numbers[0].clone(),
        attempt: 1,
        started_at_ms: 2000,
    };
    let id = store.begin_attempt(&start).await.unwrap();
    store.attempt_ringing(id, 2100).await.unwrap();
    store
        .end_attempt(
            id,
            first.id,
            &attempt::AttemptEnd {
                end_at_ms: 3000,
                trunk: Some("carrier".into()),
                ring_ms: 900,
                talk_ms: 0,
                sip_code: Some(486),
                cause: Some(17),
                outcome: "busy".into(),
                status: "BUSY".into(),
                retry: true,
                next_at_ms: 9000,
                tags: "[]".into(),
                agent: None,
                confirmed: false,
                hangup_by: None,
                queue_result: None,
                ivr_result: None,
            },
        )
        .await
        .unwrap();
    let after = store.contact(first.id).await.unwrap().unwrap();
    assert_eq!(
        (after.state.as_str(), after.attempts, after.next_at_ms),
        ("ready", 1, 9000)
    );
    let counts = store.attempt_counts(9, 1).await.unwrap();
    assert_eq!(counts.by_status, [("BUSY".to_owned(), 1)]);
    assert_eq!(store.attempt_rates(9, 2500).await.unwrap(), (1, 0, 0, 0));
    assert_eq!(store.attempt_rates(9, 3001).await.unwrap(), (0, 0, 0, 0));
    // A crash with one attempt in flight and one contact only claimed.
    let second = &claimed[2];
    let open = store
        .begin_attempt(&attempt::AttemptStart {
            contact_id: second.id,
            attempt: 1,
            ..start.clone()
        })
        .await
        .unwrap();
    // Another host's view of the same database: none of this is its to close.
    assert!(store.open_attempts("h2").await.unwrap().is_empty());
    assert_eq!(store.release_claims("h2", 5000).await.unwrap(), 0);
    let in_flight = store.open_attempts("h1").await.unwrap();
    assert_eq!(in_flight.len(), 1);
    assert_eq!(in_flight[0].id, open);
    store
        .interrupt_attempt(&in_flight[0], true, 7000, 5000)
        .await
        .unwrap();
    assert!(store.open_attempts("h1").await.unwrap().is_empty());
    // claimed[0] (the other list) and claimed[3] were claimed and never dialled.
    assert_eq!(store.release_claims("h1", 5000).await.unwrap(), 2);
    let counts = store.contact_counts(&[list, other]).await.unwrap();
    assert_eq!((counts.ready, counts.dialing, counts.done), (1201, 0, 0));
    let second = store.contact(second.id).await.unwrap().unwrap();
    assert_eq!((second.attempts, second.next_at_ms), (1, 7000));
    // Do-not-call: global, per list, with an expiry.
    store
        .add_do_not_call("+390633333333", 0, None, "asked", 1)
        .await
        .unwrap();
    store
        .add_do_not_call("+390644444444", list, Some(100), "complaint", 1)
        .await
        .unwrap();
    assert!(
        store
            .is_do_not_call("+390633333333", other, 50)
            .await
            .unwrap()
    );
    assert!(
        store
            .is_do_not_call("+390644444444", list, 50)
            .await
            .unwrap()
    );
    assert!(
        !store
            .is_do_not_call("+390644444444", other, 50)
            .await
            .unwrap()
    );
    assert!(
        !store
            .is_do_not_call("+390644444444", list, 100)
            .await
            .unwrap()
    );
    // A campaign's run keeps its settings after an edit.
    let campaign = campaign::CampaignRow {
        id: 0,
        name: "spring".into(),
        template_id: None,
        state: "created".into(),
        settings: r#"{"v":1}"#.into(),
        priority: 5,
        run: 0,
        start_at_ms: None,
        started_at_ms: None,
        list_ids: vec![list, other],
    };
    let cid = store.create_campaign(&campaign, 10).await.unwrap();
    assert_eq!(store.start_run(cid, "running", 20).await.unwrap(), 1);
    let mut edited = store.campaign(cid).await.unwrap().unwrap();
    assert_eq!(edited.list_ids, vec![list, other]);
    edited.settings = r#"{"v":2}"#.into();
    store.update_campaign(&edited, 30).await.unwrap();
    store
        .end_run(cid, "finished", "finished", 40)
        .await
        .unwrap();
    let runs = store.campaign_runs(cid).await.unwrap();
    assert_eq!(runs[0].settings, r#"{"v":1}"#);
    assert_eq!(runs[0].result.as_deref(), Some("finished"));
    let events: Vec<String> = store
        .campaign_events(cid)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(events, ["created", "started", "edited", "finished"]);
    // Agents and their queues.
    let anna = agent::AgentRow {
        name: "anna".into(),
        extension: "201".into(),
        state: "logged_out".into(),
        reason: None,
        since_ms: 1,
        wrap_up_s: 10,
        attempt_id: None,
    };
    store.create_agent(&anna).await.unwrap();
    assert!(store.create_agent(&anna).await.is_err());
    store.add_queue_member("sales", "anna").await.unwrap();
    store.add_queue_member("sales", "anna").await.unwrap();
    assert!(store.add_queue_member("sales", "nobody").await.is_err());
    assert!(
        store
            .move_agent("anna", "logged_out", "paused", Some("lunch"), 5)
            .await
            .unwrap()
    );
    // A move from a state the agent is no longer in writes nothing.
    assert!(
        !store
            .move_agent("anna", "logged_out", "ready", None, 6)
            .await
            .unwrap()
    );
    let members = store.queue_members("sales").await.unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(
        (members[0].state.as_str(), members[0].reason.as_deref()),
        ("paused", Some("lunch"))
    );
    // The longest-idle free agent is taken, once; a wrap-up is free when it is over.
    for (name, state, since_ms, wrap_up_s) in [
        ("bob", "wrap_up", 0, 5),
        ("carl", "ready", 20, 0),
        ("dora", "ready", 1, 0),
    ] {
        store
            .create_agent(&agent::AgentRow {
                name: name.into(),
                extension: format!("ext-{name}"),
                state: state.into(),
                reason: None,
                since_ms,
                wrap_up_s,
                attempt_id: None,
            })
            .await
            .unwrap();
        if name != "dora" {
            store.add_queue_member("sales", name).await.unwrap();
        }
    }
    assert!(
        store
            .move_agent("anna", "paused", "ready", None, 10)
            .await
            .unwrap()
    );
    let mut taken = Vec::new();
    while let Some(agent) = store
        .take_agent("sales", &on_call("h1", 100))
        .await
        .unwrap()
    {
        taken.push((agent.name, agent.free_since_ms));
    }
    assert_eq!(
        taken,
        [("anna".to_owned(), 10), ("carl".to_owned(), 20)],
        "dora is in no queue, bob wraps up"
    );
    let bob = store
        .take_agent("sales", &on_call("h2", 6_000))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (bob.name.as_str(), bob.extension.as_str(), bob.free_since_ms),
        ("bob", "ext-bob", 5_000),
        "free since the end of the wrap-up"
    );
    let bob_now = store.agent("bob").await.unwrap().unwrap();
    assert_eq!(
        (bob_now.state.as_str(), bob_now.since_ms, bob_now.attempt_id),
        ("on_call", 6_000, Some(7))
    );
    // By extension: only a free agent is taken.
    assert!(
        store
            .take_agent_at("ext-carl", &on_call("h1", 6_000))
            .await
            .unwrap()
            .is_none()
    );
    let dora = store
        .take_agent_at("ext-dora", &on_call("h1", 6_000))
        .await
        .unwrap();
    assert_eq!(dora.map(|d| d.name).as_deref(), Some("dora"));
    // A restarted host frees only the agents its own calls held.
    assert_eq!(store.release_agents_on_call("h1", 7_000).await.unwrap(), 3);
    let carl = store.agent("carl").await.unwrap().unwrap();
    assert_eq!((carl.state.as_str(), carl.attempt_id), ("wrap_up", None));
    assert_eq!(store.agent("bob").await.unwrap().unwrap().state, "on_call");
    // A wrap-up that ended earlier goes before a ready agent who came later.
    for (name, from, to, since) in [
        ("bob", "on_call", "wrap_up", 1_000),
        ("anna", "wrap_up", "ready", 7_000),
        ("carl", "wrap_up", "ready", 7_100),
    ] {
        assert!(store.move_agent(name, from, to, None, since).await.unwrap());
    }
    let mut order = Vec::new();
    while let Some(agent) = store
        .take_agent("sales", &on_call("h1", 8_000))
        .await
        .unwrap()
    {
        order.push(agent.name);
    }
    assert_eq!(order, ["bob", "anna", "carl"]);
    assert!(store.remove_queue_member("sales", "anna").await.unwrap());
    let left: Vec<_> = store
        .queue_members("sales")
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(left, ["bob", "carl"]);
    // API keys are found by hash only.
    let secret = api_key::new_secret();
    store
        .create_api_key("crm", &api_key::hash(&secret), r#"["listCampaigns"]"#, 1)
        .await
        .unwrap();
    assert!(store.api_key(&secret, 2).await.unwrap().is_none());
    let key = store
        .api_key(&api_key::hash(&secret), 2)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(key.name, "crm");
}

#[tokio::test]
async fn sqlite_dialer_tables() {
    let dir = tempfile::tempdir().unwrap();
    dialer_tables(&sqlite_store(&dir).await).await;
}

#[tokio::test]
async fn postgres_dialer_tables() {
    if let Some((store, _)) = postgres_store().await {
        dialer_tables(&store).await;
    }
}

/// Twelve calls racing for three agents at once (on PostgreSQL, twelve connections):
/// each agent is taken exactly once.
async fn racing_calls_never_share_an_agent(store: &Store) {
    for name in ["ada", "ben", "cyd"] {
        store
            .create_agent(&agent::AgentRow {
                name: name.into(),
                extension: format!("x-{name}"),
                state: "ready".into(),
                reason: None,
                since_ms: 1,
                wrap_up_s: 0,
                attempt_id: None,
            })
            .await
            .unwrap();
        store.add_queue_member("race", name).await.unwrap();
    }
    let calls: Vec<_> = (0..12)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let host = format!("h{i}");
                store.take_agent("race", &on_call(&host, 10)).await
            })
        })
        .collect();
    let mut taken = Vec::new();
    for call in calls {
        if let Some(agent) = call.await.unwrap().unwrap() {
            taken.push(agent.name);
        }
    }
    taken.sort();
    assert_eq!(taken, ["ada", "ben", "cyd"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_racing_calls_never_share_an_agent() {
    let dir = tempfile::tempdir().unwrap();
    racing_calls_never_share_an_agent(&sqlite_store(&dir).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_racing_calls_never_share_an_agent() {
    if let Some((store, _)) = postgres_store().await {
        racing_calls_never_share_an_agent(&store).await;
    }
}

async fn users_and_sessions(store: &Store) {
    let anna = user::NewUser {
        name: "anna",
        display_name: "Anna <Rossi>",
        role: "agent",
        language: "it",
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
        agent: Some("anna"),
    };
    let id = store.create_user(&anna, 1_000).await.unwrap();
    assert!(
        store.create_user(&anna, 1_000).await.is_err(),
        "names are unique"
    );
    let row = store.user_by_name("anna").await.unwrap().unwrap();
    assert_eq!(
        (row.id, row.role.as_str(), row.disabled),
        (id, "agent", false)
    );
    assert_eq!(row.agent.as_deref(), Some("anna"));
    assert_eq!(store.users().await.unwrap(), vec![row.clone()]);

    store
        .create_session("tok-1", id, "csrf-1", "127.0.0.1", 2_000)
        .await
        .unwrap();
    // Seen within the idle time: found, and marked seen.
    let session = store.session("tok-1", 1_500, 3_000).await.unwrap().unwrap();
    assert_eq!((session.user, session.csrf.as_str()), (row, "csrf-1"));
    assert_eq!(session.last_seen_at_ms, 2_000);
    // Idle since before 3_000: gone.
    assert!(
        store
            .session("tok-1", 3_000, 4_000)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .session("tok-1", 2_500, 4_000)
            .await
            .unwrap()
            .is_some()
    );
    assert!(store.session("nope", 0, 4_000).await.unwrap().is_none());

    // A new password ends the user's sessions.
    assert!(
        store
            .set_password("anna", "$argon2id$new", 5_000)
            .await
            .unwrap()
    );
    assert!(store.session("tok-1", 0, 5_000).await.unwrap().is_none());
    let changed = store.user_by_name("anna").await.unwrap().unwrap();
    assert_eq!(changed.password_hash, "$argon2id$new");
    assert!(!store.set_password("nobody", "x", 5_000).await.unwrap());

    // So does disabling; a disabled user's session is not found either.
    store
        .create_session("tok-2", id, "csrf-2", "127.0.0.1", 6_000)
        .await
        .unwrap();
    assert!(store.set_user_disabled("anna", true, 7_000).await.unwrap());
    assert!(store.session("tok-2", 0, 7_000).await.unwrap().is_none());
    assert!(store.user_by_name("anna").await.unwrap().unwrap().disabled);
    store.set_user_disabled("anna", false, 8_000).await.unwrap();

    // Sign-out and the purge of idle sessions.
    for (token, seen) in [("tok-3", 9_000), ("tok-4", 20_000)] {
        store
            .create_session(token, id, "c", "127.0.0.1", seen)
            .await
            .unwrap();
    }
    store.delete_session("tok-4").await.unwrap();
    assert!(store.session("tok-4", 0, 21_000).await.unwrap().is_none());
    assert_eq!(store.purge_sessions(10_000).await.unwrap(), 1);
    assert!(store.session("tok-3", 0, 21_000).await.unwrap().is_none());
}

#[tokio::test]
async fn sqlite_users_and_sessions() {
    let dir = tempfile::tempdir().unwrap();
    users_and_sessions(&sqlite_store(&dir).await).await;
}

#[tokio::test]
async fn postgres_users_and_sessions() {
    if let Some((store, _)) = postgres_store().await {
        users_and_sessions(&store).await;
    }
}

/// Contacts per state of `list_ids`, counted afresh: what `contact_tally` must say.
async fn counted_contacts(store: &Store, list_ids: &[i64]) -> contact::ContactCounts {
    let mut counts = contact::ContactCounts::default();
    for &list_id in list_ids {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT state, COUNT(*) FROM contact WHERE list_id = $1 GROUP BY state")
                .bind(list_id)
                .fetch_all(&store.pool)
                .await
                .unwrap();
        for (state, n) in rows {
            match state.as_str() {
                "ready" => counts.ready += n,
                "dialing" => counts.dialing += n,
                _ => counts.done += n,
            }
        }
    }
    counts
}

/// A run's attempts by (state, status, outcome, confirmed), counted afresh and read
/// from `attempt_tally`, both without the counts that fell to 0.
async fn attempt_groups(
    store: &Store,
    campaign_id: i64,
    run: i64,
) -> [Vec<(String, String, String, i64, i64)>; 2] {
    let counted = sqlx::query_as(
        "SELECT state, COALESCE(status, ''), COALESCE(outcome, ''), confirmed, COUNT(*) \
         FROM attempt WHERE campaign_id = $1 AND run = $2 \
         GROUP BY state, COALESCE(status, ''), COALESCE(outcome, ''), confirmed ORDER BY 1, 2, 3, 4",
    )
    .bind(campaign_id)
    .bind(run)
    .fetch_all(&store.pool)
    .await
    .unwrap();
    let tallied = sqlx::query_as(
        "SELECT state, status, outcome, confirmed, n FROM attempt_tally \
         WHERE campaign_id = $1 AND run = $2 AND n <> 0 ORDER BY 1, 2, 3, 4",
    )
    .bind(campaign_id)
    .bind(run)
    .fetch_all(&store.pool)
    .await
    .unwrap();
    [counted, tallied]
}

fn ended(status: &str, retry: bool, confirmed: bool) -> attempt::AttemptEnd {
    attempt::AttemptEnd {
        end_at_ms: 3_000,
        trunk: None,
        ring_ms: 100,
        talk_ms: 0,
        sip_code: Some(200),
        cause: Some(16),
        outcome: status.to_lowercase(),
        status: status.into(),
        retry,
        next_at_ms: 9_000,
        tags: "[]".into(),
        agent: None,
        confirmed,
        hangup_by: None,
        queue_result: None,
        ivr_result: None,
    }
}

/// The tallies the status pages read agree with a fresh count after each of the
/// store's operations that moves a contact or an attempt.
async fn tallies_follow_every_change(store: &Store) {
    let a = store.create_list("a", "", "{}", 1).await.unwrap();
    let b = store.create_list("b", "", "{}", 1).await.unwrap();
    let lists = [a, b];
    let (campaign, run) = (4, 2);
    let check = |step: &'static str| async move {
        assert_eq!(
            store.contact_counts(&lists).await.unwrap(),
            counted_contacts(store, &lists).await,
            "contacts after {step}"
        );
        let [counted, tallied] = attempt_groups(store, campaign, run).await;
        assert_eq!(tallied, counted, "attempts after {step}");
    };
    let rows: Vec<_> = (1..=30)
        .map(|i| contact_row(i, &["+390611111111"], i))
        .collect();
    store.insert_contacts(a, &rows, 1).await.unwrap();
    let (send, chunks) = tokio::sync::mpsc::channel(2);
    send.send(rows[..10].to_vec()).await.unwrap();
    drop(send);
    store.import_contacts(b, 1, chunks).await.unwrap();
    store
        .insert_contact(b, &contact_row(99, &["+390622222222"], 1), 1)
        .await
        .unwrap();
    check("import").await;
    assert_eq!(store.contact_counts(&lists).await.unwrap().ready, 41);

    let claimed = store.claim_due("h1", &lists, 100, 12).await.unwrap();
    check("claim").await;
    let mut attempts = Vec::new();
    for c in &claimed[..8] {
        let start = attempt::AttemptStart {
            host: "h1".into(),
            campaign_id: campaign,
            run,
            list_id: c.list_id,
            contact_id: c.id,
            number: c.numbers[0].clone(),
            attempt: 1,
            started_at_ms: 2_000,
        };
        attempts.push((store.begin_attempt(&start).await.unwrap(), c.id));
    }
    check("begin_attempt").await;
    store.attempt_ringing(attempts[0].0, 2_100).await.unwrap();
    store.attempt_answered(attempts[1].0, 2_200).await.unwrap();
    check("ringing, answered").await;
    let answered = store.answered_attempts().await.unwrap();
    assert_eq!(
        answered
            .iter()
            .map(|a| (a.id, a.answer_at_ms))
            .collect::<Vec<_>>(),
        [(attempts[1].0, 2_200)]
    );
    for (i, &(id, contact)) in attempts[..5].iter().enumerate() {
        let status = if i % 2 == 0 { "BUSY" } else { "ANSWER" };
        let end = ended(status, i == 0, i == 1);
        store.end_attempt(id, contact, &end).await.unwrap();
    }
    check("end_attempt").await;
    store
        .set_disposition(attempts[1].0, "SALE", "[]", None)
        .await
        .unwrap();
    store
        .set_disposition(attempts[3].0, "SALE", "[]", Some("call back in May"))
        .await
        .unwrap();
    check("set_disposition").await;
    stats_agree_with_the_attempts(store, campaign).await;
    let open = store.open_attempts("h1").await.unwrap();
    store
        .interrupt_attempt(&open[0], true, 7_000, 5_000)
        .await
        .unwrap();
    store
        .interrupt_attempt(&open[1], false, 7_000, 5_000)
        .await
        .unwrap();
    check("interrupt_attempt").await;
    assert_eq!(store.release_claims("h1", 5_000).await.unwrap(), 5);
    check("release_claims").await;
    store
        .defer_contact(claimed[9].id, 8_000, 5_000)
        .await
        .unwrap();
    store
        .close_contact(claimed[10].id, "DNC", 5_000)
        .await
        .unwrap();
    store
        .close_contact(claimed[11].id, "DNC", 5_000)
        .await
        .unwrap();
    check("defer, close").await;
    let reopen: Vec<i64> = claimed[10..].iter().map(|c| c.id).collect();
    assert_eq!(store.reopen_contacts(&reopen, 6_000).await.unwrap(), 2);
    assert!(
        store
            .reschedule_contact(claimed[2].id, 9_000, None, 6_000)
            .await
            .unwrap()
    );
    check("reopen, reschedule").await;
    let counts = store.contact_counts(&lists).await.unwrap();
    assert_eq!((counts.ready, counts.dialing, counts.done), (37, 0, 4));

    // Contacts made from the exchange table, removed by its reset.
    let before = store.contact_counts(&[b]).await.unwrap();
    let exchange: Vec<_> = (1..=3)
        .map(|i| exchange::ExchangeRow {
            id: format!("x{i}"),
            phone_number: "+390633333333".into(),
            campaign: "c".into(),
            list: "b".into(),
            data: "{}".into(),
            picked_at_ms: None,
            contact_id: None,
            error: None,
        })
        .collect();
    store.insert_exchange_rows(&exchange).await.unwrap();
    for row in &exchange {
        let c = contact::NewContactRow {
            external_id: Some(row.id.clone()),
            ..contact_row(0, &["+390633333333"], 1)
        };
        let id = store.insert_contact(b, &c, 1).await.unwrap();
        store
            .mark_exchange_row(&row.id, Some(id), None, 1)
            .await
            .unwrap();
    }
    check("exchange pick-up").await;
    assert_eq!(
        store.contact_counts(&[b]).await.unwrap().ready,
        before.ready + 3
    );
    assert_eq!(store.reset_exchange().await.unwrap(), 3);
    check("exchange reset").await;
    assert_eq!(store.contact_counts(&[b]).await.unwrap(), before);

    // A deleted list takes its counts with it.
    sqlx::query("DELETE FROM contact_list WHERE id = $1")
        .bind(b)
        .execute(&store.pool)
        .await
        .unwrap();
    check("list deleted").await;
    assert_eq!(
        store.contact_counts(&[b]).await.unwrap(),
        contact::ContactCounts::default()
    );
}

#[tokio::test]
async fn sqlite_tallies_follow_every_change() {
    let dir = tempfile::tempdir().unwrap();
    tallies_follow_every_change(&sqlite_store(&dir).await).await;
}

#[tokio::test]
async fn postgres_tallies_follow_every_change() {
    if let Some((store, _)) = postgres_store().await {
        tallies_follow_every_change(&store).await;
    }
}

/// A number search reads the number index when few contacts match and the list in
/// order when many do; either way a page is the matches in id order. Numbers changed
/// by any statement are found as they are now, and go with their contact.
async fn number_search(store: &Store) {
    use contact::{ContactSearch, NUMBER_INDEX_READ, SEARCH_SCAN};
    let list = store.create_list("many", "", "{}", 0).await.unwrap();
    let other = store.create_list("other", "", "{}", 0).await.unwrap();
    // Past the first SEARCH_SCAN contacts, more than NUMBER_INDEX_READ of them share a
    // beginning that none before have.
    let count = SEARCH_SCAN + NUMBER_INDEX_READ + 500;
    let rows: Vec<_> = (0..count)
        .map(|i| {
            let first = if i < SEARCH_SCAN {
                format!("+3906{i:08}")
            } else {
                format!("+39347{i:07}")
            };
            let numbers: Vec<&str> = if i == 1_500 {
                vec![
                    first.as_str(),
                    "+393331234567",
                    "+393389999999",
                    "+393390000000",
                ]
            } else {
                vec![first.as_str()]
            };
            contact_row(i + 2, &numbers, 0)
        })
        .collect();
    store.insert_contacts(list, &rows, 0).await.unwrap();
    store
        .insert_contacts(other, &[contact_row(2, &["+393331234567"], 0)], 0)
        .await
        .unwrap();
    let search = |start: &str| ContactSearch::Number(start.to_owned());
    let lines = |page: Vec<contact::ContactRow>| page.iter().map(|c| c.line).collect::<Vec<_>>();

    // A contact added alone (not by the bulk import) is indexed by the trigger.
    store
        .insert_contact(other, &contact_row(3, &["+393771112223"], 0), 0)
        .await
        .unwrap();
    let page = store
        .search_contacts(other, &search("+39377"), 0, 50)
        .await
        .unwrap();
    assert_eq!(lines(page), vec![3]);
    // One contact of this list has it, as its second, third or fourth number.
    for start in ["+39338", "+39339"] {
        let page = store
            .search_contacts(list, &search(start), 0, 50)
            .await
            .unwrap();
        assert_eq!(lines(page), vec![1_502], "{start}");
    }
    let page = store
        .search_contacts(list, &search("+39333"), 0, 50)
        .await
        .unwrap();
    assert_eq!(lines(page), vec![1_502]);
    // Ten match (150 to 159); pages of four, in id order.
    let first = store
        .search_contacts(list, &search("+39060000015"), 0, 4)
        .await
        .unwrap();
    assert_eq!(lines(first.clone()), vec![152, 153, 154, 155]);
    let next = store
        .search_contacts(list, &search("+39060000015"), first[3].id, 4)
        .await
        .unwrap();
    assert_eq!(lines(next), vec![156, 157, 158, 159]);
    // All of them match: the list's order, the same pages.
    let common = store
        .search_contacts(list, &search("+3906"), 0, 3)
        .await
        .unwrap();
    assert_eq!(lines(common.clone()), vec![2, 3, 4]);
    let next = store
        .search_contacts(list, &search("+3906"), common[2].id, 3)
        .await
        .unwrap();
    assert_eq!(lines(next), vec![5, 6, 7]);
    // Many match, all past the contacts checked in order: sorted from the index.
    let late = store
        .search_contacts(list, &search("+39347"), 0, 3)
        .await
        .unwrap();
    let first_late = SEARCH_SCAN + 2;
    assert_eq!(
        lines(late.clone()),
        vec![first_late, first_late + 1, first_late + 2]
    );
    let next = store
        .search_contacts(list, &search("+39347"), late[2].id, 2)
        .await
        .unwrap();
    assert_eq!(lines(next), vec![first_late + 3, first_late + 4]);

    // A number changed by hand: the new one is found, the old one no longer.
    sqlx::query("UPDATE contact SET numbers = '+393480000000' WHERE list_id = $1 AND line = 2")
        .bind(list)
        .execute(&store.pool)
        .await
        .unwrap();
    let page = store
        .search_contacts(list, &search("+39348"), 0, 50)
        .await
        .unwrap();
    assert_eq!(lines(page), vec![2]);
    let page = store
        .search_contacts(list, &search("+390600000000"), 0, 50)
        .await
        .unwrap();
    assert!(page.is_empty());
    // A claim or a result leaves the numbers alone, and them found.
    sqlx::query("UPDATE contact SET state = 'dialing' WHERE list_id = $1")
        .bind(list)
        .execute(&store.pool)
        .await
        .unwrap();
    let page = store
        .search_contacts(list, &search("+39333"), 0, 50)
        .await
        .unwrap();
    assert_eq!(lines(page), vec![1_502]);

    // Contacts deleted: their numbers go with them.
    sqlx::query("DELETE FROM contact WHERE list_id = $1")
        .bind(list)
        .execute(&store.pool)
        .await
        .unwrap();
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contact_number")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(left, 2, "only the other list's numbers are left");
}

#[tokio::test]
async fn sqlite_number_search() {
    let dir = tempfile::tempdir().unwrap();
    number_search(&sqlite_store(&dir).await).await;
}

#[tokio::test]
async fn postgres_number_search() {
    if let Some((store, _)) = postgres_store().await {
        number_search(&store).await;
    }
}

/// The log the `agent` table's triggers write: each state's time within a span, a
/// wrap-up counted up to the agent's wrap-up time.
async fn agents_days(store: &Store) {
    store
        .create_agent(&agent::AgentRow {
            name: "eve".into(),
            extension: "301".into(),
            state: "logged_out".into(),
            reason: None,
            since_ms: 0,
            wrap_up_s: 10,
            attempt_id: None,
        })
        .await
        .unwrap();
    for (from, to, reason, at) in [
        ("logged_out", "ready", None, 1_000),
        ("ready", "on_call", None, 5_000),
        ("on_call", "wrap_up", None, 65_000),
        ("wrap_up", "paused", Some("lunch"), 100_000),
        ("paused", "ready", None, 160_000),
    ] {
        assert!(store.move_agent("eve", from, to, reason, at).await.unwrap());
    }
    let all = agent::Closed::SinceOrOpen(2_001);
    let day = store.agent_state_times(2_000, 200_000, all).await.unwrap();
    let lines: Vec<_> = day
        .iter()
        .map(|t| (t.state.as_str(), t.reason.as_deref(), t.entered, t.ms))
        .collect();
    assert_eq!(
        lines,
        [
            ("on_call", None, 1, 60_000),
            ("paused", Some("lunch"), 1, 60_000),
            // The wrap-up's 10 s, then ready until the pause, with no row of its own.
            ("ready", None, 1, 3_000 + 40_000 + 25_000),
            ("wrap_up", None, 1, 10_000),
        ]
    );
    assert!(day.iter().all(|t| t.agent == "eve"));
    // The states over before 65 s, and the rest: the same day in two reads.
    let (over, rest) = (
        agent::Closed::Between(2_001, 65_000),
        agent::Closed::SinceOrOpen(65_000),
    );
    let early = store.agent_state_times(2_000, 200_000, over).await.unwrap();
    let late = store.agent_state_times(2_000, 200_000, rest).await.unwrap();
    let lines = |times: &[agent::StateTime]| -> Vec<(String, i64)> {
        times.iter().map(|t| (t.state.clone(), t.ms)).collect()
    };
    // The call ended at 65 s: it is of the rest.
    assert_eq!(lines(&early), [("ready".into(), 3_000)]);
    assert_eq!(
        lines(&late),
        [
            ("on_call".into(), 60_000),
            ("paused".into(), 60_000),
            ("ready".into(), 40_000 + 25_000),
            ("wrap_up".into(), 10_000)
        ]
    );
    // Before the agent's first state, nothing.
    let none = agent::Closed::SinceOrOpen(1);
    assert!(
        store
            .agent_state_times(-500, 0, none)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn sqlite_agents_days() {
    let dir = tempfile::tempdir().unwrap();
    agents_days(&sqlite_store(&dir).await).await;
}

#[tokio::test]
async fn postgres_agents_days() {
    if let Some((store, _)) = postgres_store().await {
        agents_days(&store).await;
    }
}

/// The campaign statistics' one pass agrees with the same counts made here from the
/// campaign's attempts read one by one: each contact by its last finished attempt.
async fn stats_agree_with_the_attempts(store: &Store, campaign: i64) {
    let filter = report::AttemptFilter {
        campaigns: report::Campaigns::These(vec![campaign]),
        ..Default::default()
    };
    let stats = store.campaign_stats(&filter).await.unwrap();
    let rows = store
        .attempts_of_campaign(campaign, i64::MAX, 10_000)
        .await
        .unwrap();
    let mut last: std::collections::BTreeMap<i64, &attempt::AttemptRow> = Default::default();
    for row in rows
        .iter()
        .filter(|r| matches!(r.state.as_str(), "ended" | "interrupted"))
    {
        let kept = last.entry(row.start.contact_id).or_insert(row);
        if row.id > kept.id {
            *kept = row;
        }
    }
    let mut by_status: Vec<(String, i64)> = Vec::new();
    for row in last.values() {
        let status = row
            .status
            .clone()
            .or_else(|| row.outcome.clone())
            .unwrap_or_else(|| row.state.clone());
        match by_status.iter_mut().find(|(s, _)| *s == status) {
            Some((_, n)) => *n += 1,
            None => by_status.push((status, 1)),
        }
    }
    by_status.sort();
    assert!(stats.records > 0);
    assert_eq!(stats.records, last.len() as i64);
    assert_eq!(stats.by_status, by_status);
}

#[tokio::test]
async fn contacts_with_last_reads_every_text_back_page_by_page() {
    let dir = tempfile::tempdir().unwrap();
    let mut stores = vec![sqlite_store(&dir).await];
    if let Some((pg, _)) = postgres_store().await {
        stores.push(pg);
    }
    for store in stores {
        contacts_with_last_reads_every_text_back_on(&store).await;
    }
}

/// More contacts than a page of `contacts_with_last` holds, with texts that hold its
/// separators, quotes, line breaks and letters of several bytes, some called once,
/// some with a call still in progress: each read back as stored, in order.
async fn contacts_with_last_reads_every_text_back_on(store: &Store) {
    use report::{AttemptFilter, Campaigns};
    let list = store.create_list("pages", "", "{}", 0).await.unwrap();
    let contacts: Vec<contact::NewContactRow> = (0..4_200_i64)
        .map(|i| contact::NewContactRow {
            line: i + 2,
            numbers: if i % 7 == 0 {
                vec![format!("+3906{i:07}"), format!("+39347{i:07}")]
            } else {
                vec![format!("+3906{i:07}")]
            },
            variables: serde_json::json!({
                "name": format!("Forlì, \"{i}\": +{i}:\n{}", "é".repeat((i % 5) as usize)),
                "empty": "",
            })
            .to_string(),
            time_zone: "Europe/Rome".into(),
            next_at_ms: 0,
            schedule_extension: None,
            external_id: None,
        })
        .collect();
    store.insert_contacts(list, &contacts, 0).await.unwrap();
    let campaign = store
        .create_campaign(
            &campaign::CampaignRow {
                id: 0,
                name: "pages".into(),
                template_id: None,
                state: "running".into(),
                settings: "{}".into(),
                priority: 0,
                run: 1,
                start_at_ms: None,
                started_at_ms: Some(0),
                list_ids: vec![list],
            },
            0,
        )
        .await
        .unwrap();
    let stored = store.contacts(list, 0, 10_000).await.unwrap();
    assert_eq!(stored.len(), 4_200);
    for (n, c) in stored.iter().enumerate().filter(|(n, _)| n % 97 == 0) {
        let start = attempt::AttemptStart {
            host: "h".into(),
            campaign_id: campaign,
            run: 1,
            list_id: list,
            contact_id: c.id,
            number: c.numbers[0].clone(),
            attempt: 1,
            started_at_ms: n as i64,
        };
        let id = store.begin_attempt(&start).await.unwrap();
        let end = attempt::AttemptEnd {
            end_at_ms: 5_000 + n as i64,
            trunk: None,
            ring_ms: 500,
            talk_ms: n as i64 * 10,
            sip_code: Some(200),
            cause: None,
            outcome: "answered".into(),
            status: format!("SALE: +{n}, «ok»"),
            retry: false,
            next_at_ms: 0,
            tags: r#"["vip","a:b,+c"]"#.into(),
            agent: None,
            confirmed: false,
            hangup_by: None,
            queue_result: None,
            ivr_result: None,
        };
        store.end_attempt(id, c.id, &end).await.unwrap();
        // Every other one is called again, the call still ringing: its last attempt.
        if n % 2 == 0 {
            store
                .begin_attempt(&attempt::AttemptStart {
                    attempt: 2,
                    started_at_ms: 10_000 + n as i64,
                    ..start
                })
                .await
                .unwrap();
        }
    }
    let filter = AttemptFilter {
        campaigns: Campaigns::These(vec![campaign]),
        ..AttemptFilter::default()
    };
    let mut read = Vec::new();
    let pages = store.contacts_with_last(&[list], &filter);
    futures_util::pin_mut!(pages);
    let mut sizes = Vec::new();
    while let Some(page) = futures_util::StreamExt::next(&mut pages).await {
        let page = page.unwrap();
        let contacts = page.contacts().unwrap();
        sizes.push(contacts.len());
        for c in contacts {
            let last = c.last.map(|a| {
                (
                    a.started_at_ms,
                    a.status.map(str::to_owned),
                    a.outcome.map(str::to_owned),
                    a.talk_ms,
                    a.tags.to_owned(),
                )
            });
            read.push((
                c.list_id,
                c.line,
                c.numbers.to_owned(),
                c.variables.to_owned(),
                c.attempts,
                c.status.map(str::to_owned),
                last,
            ));
        }
    }
    assert_eq!(sizes, [4_096, 104]);
    let mut expected = Vec::new();
    for c in &stored {
        let c = store.contact(c.id).await.unwrap().unwrap();
        let last = store
            .attempts_of_contact(c.id)
            .await
            .unwrap()
            .pop()
            .map(|a| {
                (
                    a.start.started_at_ms,
                    a.status,
                    a.outcome,
                    a.talk_ms,
                    a.tags,
                )
            });
        expected.push((
            c.list_id,
            c.line,
            c.numbers.join("|"),
            c.variables,
            c.attempts,
            c.status,
            last,
        ));
    }
    assert_eq!(read, expected);
    assert!(
        read.iter()
            .any(|r| matches!(&r.6, Some((_, None, None, None, _))))
    );
    assert!(
        read.iter()
            .any(|r| matches!(&r.6, Some((_, Some(_), Some(_), Some(_), _))))
    );
    // With a span of time, only the contacts called within it.
    let span = AttemptFilter {
        from_ms: Some(10_000),
        ..filter
    };
    let pages = store.contacts_with_last(&[list], &span);
    futures_util::pin_mut!(pages);
    let mut called = 0;
    while let Some(page) = futures_util::StreamExt::next(&mut pages).await {
        let page = page.unwrap();
        for c in page.contacts().unwrap() {
            assert_eq!(c.last.unwrap().status, None);
            called += 1;
        }
    }
    assert_eq!(called, stored.iter().step_by(97).step_by(2).count());
}

mod missed;
mod pacing;
