//! Campaigns end to end: `ringhost serve` dials an imported list through a SIPp
//! carrier (`uas_by_number`: numbers ending in 1 are busy, in 2 ring unanswered, the
//! rest answer), driven through the REST API as an integrator would.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use ringhost_media::Law;

use crate::sip::Sipp;
use crate::support::{Host, http_call, run, sqlite_rows, write_config};

fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// An `Etc/GMT` zone whose local time is now about `hour` o'clock.
fn zone_at(hour: i64) -> String {
    let utc_hour = (now_s() / 3600) % 24;
    let mut offset = hour - utc_hour;
    if offset > 14 {
        offset -= 24;
    }
    if offset < -12 {
        offset += 24;
    }
    // POSIX-style names: Etc/GMT-5 is five hours *ahead* of UTC.
    match offset {
        0 => "Etc/UTC".to_owned(),
        o if o > 0 => format!("Etc/GMT-{o}"),
        o => format!("Etc/GMT+{}", -o),
    }
}

/// A host with an admin key, dialling through `carrier`.
fn host(dir: &Path, carrier: u16) -> (Host, String) {
    host_with(dir, carrier, "")
}

/// [`host`] with `extra` configuration.
pub(crate) fn host_with(dir: &Path, carrier: u16, extra: &str) -> (Host, String) {
    let (config, http) = write_config(
        dir,
        &format!(
            "[[trunks]]\nname = \"carrier\"\naddress = \"127.0.0.1:{carrier}\"\n\
             keepalive = \"0s\"\n[dialer]\ntick = \"100ms\"\n{extra}"
        ),
    );
    let config = config.to_str().unwrap().to_owned();
    let (code, key, stderr) = run(
        dir,
        &["api-key", "create", "admin", "--allow", "*", "-c", &config],
    );
    assert_eq!(code, 0, "{stderr}");
    let mut host = Host::start(dir, &["serve", "-c", &config], http, &[]);
    host.wait_healthy();
    (host, key.trim().to_owned())
}

pub(crate) fn api(
    http: SocketAddr,
    key: &str,
    method: &str,
    path: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let (status, text) = http_call(http, method, &format!("/api/v1{path}"), key, &body).unwrap();
    assert!(
        (200..300).contains(&status),
        "{method} {path}: {status} {text}"
    );
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

/// Imports `csv` into `list` through the API; the summary.
pub(crate) fn import(http: SocketAddr, key: &str, list: &str, csv: &str) -> serde_json::Value {
    let path = format!("/api/v1/lists/{list}/import");
    let (status, text) = http_call(http, "POST", &path, key, csv).unwrap();
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap()
}

/// Creates the campaign `body` describes and starts it; its id.
pub(crate) fn start_campaign(http: SocketAddr, key: &str, body: serde_json::Value) -> i64 {
    let created = api(http, key, "POST", "/campaigns", body);
    let id = created["id"].as_i64().unwrap();
    api(
        http,
        key,
        "POST",
        &format!("/campaigns/{id}/start"),
        serde_json::Value::Null,
    );
    id
}

/// The attempts of campaign `id`, as the API lists them.
pub(crate) fn attempts(host: &Host, key: &str, id: i64) -> serde_json::Value {
    api(
        host.http,
        key,
        "GET",
        &format!("/campaigns/{id}/attempts"),
        serde_json::Value::Null,
    )
}

pub(crate) fn wait_for_state(host: &Host, key: &str, id: i64, state: &str, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let status = api(
            host.http,
            key,
            "GET",
            &format!("/campaigns/{id}/status"),
            serde_json::Value::Null,
        );
        if status["state"] == state {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "campaign not {state} after {within:?}: {status}\n{}",
            host.logs()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_campaign_over_an_imported_list_dials_as_its_rules_say_and_finishes() {
    let carrier = Sipp::uas("uas_by_number", "udp", &["-m", "100"]);
    let dir = tempfile::tempdir().unwrap();
    let (host, key) = host(dir.path(), carrier.port);
    let http = host.http;
    api(
        http,
        &key,
        "POST",
        "/lists",
        serde_json::json!({"name": "leads", "settings": {
            "retry": {"max_attempts": 3, "wait_busy_s": 2, "wait_no_answer_s": 2, "wait_other_s": 2},
            "default_region": "IT", "time_zone": "Europe/Rome"}}),
    );
    let (open, closed) = (zone_at(12), zone_at(3));
    let scheduled = now_s() + 5;
    let csv = format!(
        "numbers,name,timezone,*Schedule*\n\
         0611111111|0611111113,Busy then answers,{open},\n\
         0622222222,Never answers,{open},\n\
         0633333333,Answers,{open},\n\
         0644444444,Do not call,{open},\n\
         0655555555,Asleep,{closed},\n\
         0666666666,Promised a call,{open},{scheduled}:201\n\
         not-a-number,Broken,{open},\n"
    );
    let summary = import(http, &key, "leads", &csv);
    assert_eq!(summary["imported"], 6, "{summary}");
    assert_eq!(summary["rejected"][0]["line"], 8, "{summary}");
    api(
        http,
        &key,
        "POST",
        "/do-not-call",
        serde_json::json!({"number": "06 4444 4444", "list": "leads"}),
    );
    let started = now_s();
    let id = start_campaign(
        http,
        &key,
        serde_json::json!({"name": "spring", "lists": ["leads"], "settings": {
            "kind": "agent", "pacing": {"strategy": "fixed"}, "max_calls": 4, "ring_timeout_s": 1,
            "calling_hours": [{"days": [0, 1, 2, 3, 4, 5, 6], "from": "09:00", "to": "20:00"}],
            "valid_until_ms": (started + 16) * 1000}}),
    );
    // The sleeper stays due outside her hours until the campaign's validity ends.
    wait_for_state(&host, &key, id, "finished", Duration::from_secs(40));

    let attempts = api(
        http,
        &key,
        "GET",
        &format!("/campaigns/{id}/attempts?limit=100"),
        serde_json::Value::Null,
    );
    let attempts = attempts.as_array().expect("a list of attempts");
    let of = |number: &str| -> Vec<&serde_json::Value> {
        let mut mine: Vec<&serde_json::Value> = attempts
            .iter()
            .filter(|a| a["number"].as_str().unwrap().starts_with(number))
            .collect();
        mine.sort_by_key(|a| a["attempt"].as_i64());
        mine
    };
    // Numbers rotate per attempt: busy on the first, answered on the second.
    let rotated = of("+3906111111");
    let numbers: Vec<&str> = rotated
        .iter()
        .map(|a| a["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["+390611111111", "+390611111113"], "{attempts:?}");
    assert_eq!(rotated[0]["outcome"], "busy");
    assert_eq!(rotated[1]["outcome"], "answered");
    // Never answers: three attempts, the maximum, each after the 2 s wait.
    let unanswered = of("+390622222222");
    assert_eq!(unanswered.len(), 3, "{attempts:?}");
    for pair in unanswered.windows(2) {
        let gap =
            pair[1]["started_at_ms"].as_i64().unwrap() - pair[0]["end_at_ms"].as_i64().unwrap();
        assert!(gap >= 2000, "retried after {gap} ms: {pair:?}");
        assert_eq!(pair[0]["outcome"], "no_answer");
    }
    assert_eq!(of("+390633333333").len(), 1);
    // Never dialled: the do-not-call number, the contact outside her calling hours.
    assert!(of("+390644444444").is_empty(), "{attempts:?}");
    assert!(of("+390655555555").is_empty(), "{attempts:?}");
    // The *Schedule* column: not before its time.
    let promised = of("+390666666666");
    assert_eq!(promised.len(), 1, "{attempts:?}");
    assert!(promised[0]["started_at_ms"].as_i64().unwrap() >= scheduled * 1000);
    // Every attempt was recorded from start to end.
    for a in attempts {
        assert_eq!(a["state"], "ended", "{a}");
        assert!(a["trunk"] == "carrier" || a["outcome"] != "answered", "{a}");
    }
    let metrics = crate::support::http_get(http, "/metrics").unwrap().1;
    assert!(
        metrics.contains("ringhost_attempts_total{outcome=\"no_answer\"} 3"),
        "{metrics}"
    );
}

#[test]
fn kill_9_mid_campaign_then_restart_counts_every_attempt_and_passes_no_maximum() {
    let carrier = Sipp::uas("uas_by_number", "udp", &["-m", "100"]);
    let dir = tempfile::tempdir().unwrap();
    let (mut host, key) = host(dir.path(), carrier.port);
    let http = host.http;
    api(
        http,
        &key,
        "POST",
        "/lists",
        serde_json::json!({"name": "crash", "settings": {
            "retry": {"max_attempts": 2, "wait_no_answer_s": 1, "wait_other_s": 1}}}),
    );
    let csv: String = std::iter::once("numbers,name\n".to_owned())
        .chain((0..6).map(|i| format!("06123{i}0002,Contact {i}\n")))
        .collect();
    import(http, &key, "crash", &csv);
    let id = start_campaign(
        http,
        &key,
        serde_json::json!({"name": "crashing", "lists": ["crash"], "settings": {
            "kind": "agent", "pacing": {"strategy": "fixed"}, "max_calls": 6, "ring_timeout_s": 3}}),
    );
    // Killed while the six first calls ring.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = api(
            http,
            &key,
            "GET",
            &format!("/campaigns/{id}/status"),
            serde_json::Value::Null,
        );
        if status["calls_ringing"].as_i64().unwrap_or(0)
            + status["calls_dialing"].as_i64().unwrap_or(0)
            >= 6
        {
            break;
        }
        assert!(Instant::now() < deadline, "calls never started: {status}");
        std::thread::sleep(Duration::from_millis(50));
    }
    host.stop("KILL");
    let mut host = Host::start(
        dir.path(),
        &[
            "serve",
            "-c",
            dir.path().join("ringhost.toml").to_str().unwrap(),
        ],
        http,
        &[],
    );
    host.wait_healthy();
    wait_for_state(&host, &key, id, "finished", Duration::from_secs(40));
    assert!(
        host.logs().contains("closed as interrupted"),
        "{}",
        host.logs()
    );
    let db = dir.path().join("ringhost-data/ringhost.db");
    let per_contact = sqlite_rows(
        &db,
        "SELECT c.attempts || ' ' || COUNT(a.id), c.state FROM contact c \
         LEFT JOIN attempt a ON a.contact_id = c.id GROUP BY c.id",
    );
    assert_eq!(per_contact.len(), 6);
    for (counts, state) in &per_contact {
        // Counted as made: the attempt rows, the interrupted one included; no more
        // than the maximum of 2.
        assert_eq!(counts, "2 2", "{per_contact:?}");
        assert_eq!(state.as_deref(), Some("done"));
    }
    let interrupted = sqlite_rows(
        &db,
        "SELECT CAST(COUNT(*) AS TEXT), MAX(state) FROM attempt WHERE state = 'interrupted'",
    );
    assert_eq!(interrupted[0].0, "6", "{interrupted:?}");
}

#[test]
fn a_notification_run_is_completed_when_the_callee_presses_1() {
    // SIPp answers, plays 7 s of audio, then sends the digit 1 (RFC 4733) and waits
    // for Ringhost's BYE, which must not come before the digit.
    let carrier = Sipp::uas("uas_answer_play_dtmf", "udp", &[]);
    let dir = tempfile::tempdir().unwrap();
    let (host, key) = host(dir.path(), carrier.port);
    let http = host.http;
    import(
        http,
        &key,
        "recall",
        "numbers,message\n0633333333,recall-1234\n",
    );
    let id = start_campaign(
        http,
        &key,
        serde_json::json!({"name": "recall", "lists": ["recall"], "settings": {
            "kind": "notification", "confirm": true, "confirm_wait_s": 15, "min_successes": 1}}),
    );
    wait_for_state(&host, &key, id, "completed", Duration::from_secs(40));
    let attempts = attempts(&host, &key, id);
    assert_eq!(attempts[0]["confirmed"], true, "{attempts}");
    assert_eq!(attempts[0]["outcome"], "answered", "{attempts}");
    assert!(
        attempts[0]["talk_ms"].as_i64().unwrap() >= 7000,
        "{attempts}"
    );
    let (code, errors) = carrier.finish();
    assert_eq!(code, 0, "SIPp: {errors}");
}

#[test]
fn a_notification_run_drives_its_ivr_plugin_and_records_the_confirmation() {
    // The first-party notify-confirm script, built from source: the message, "press 1
    // to confirm" (no recordings in the prompts folder: skipped with a log line), then
    // it waits 10 s for the digit SIPp sends after 7 s of audio.
    let wasm = crate::guests::build("plugins");
    let carrier = Sipp::uas("uas_answer_play_dtmf", "udp", &[]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("ringhost-plugins")).unwrap();
    crate::guests::package(
        &dir.path().join("ringhost-plugins"),
        "notify-confirm",
        "ivr",
        &wasm.join("notify_confirm.wasm"),
        &[("timeout-ms", "10000"), ("repeats", "1")],
    );
    let (host, key) = host(dir.path(), carrier.port);
    let http = host.http;
    import(
        http,
        &key,
        "ivr",
        "numbers,message\n0633333333,recall-1234\n",
    );
    let id = start_campaign(
        http,
        &key,
        serde_json::json!({"name": "ivr", "lists": ["ivr"], "settings": {
            "kind": "notification", "ivr": "notify-confirm", "min_successes": 1}}),
    );
    wait_for_state(&host, &key, id, "completed", Duration::from_secs(40));
    let attempts = attempts(&host, &key, id);
    let attempt = &attempts[0];
    assert_eq!(attempt["confirmed"], true, "{attempts}");
    assert_eq!(attempt["status"], "ANSWER", "{attempts}");
    assert!(
        attempt["tags"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("confirmed")),
        "{attempts}"
    );
    assert!(
        host.logs().contains("IVR prompt not played"),
        "the missing recordings are logged"
    );
    let (code, errors) = carrier.finish();
    assert_eq!(code, 0, "SIPp: {errors}");
}

#[test]
fn each_attempts_result_reaches_the_campaigns_crm_connector() {
    // The first-party webhook connector, built from source, allowed only the loopback
    // CRM's address; each ended attempt is POSTed to it.
    let (crm_port, requests) = crate::crm::crm_server("127.0.0.1", 200, "{}");
    let wasm = crate::guests::build("plugins");
    let carrier = Sipp::uas("uas_by_number", "udp", &["-m", "10"]);
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("ringhost-plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    let base = format!("http://127.0.0.1:{crm_port}");
    let folder = crate::guests::package(
        &plugins,
        "webhook",
        "crm-connector",
        &wasm.join("webhook.wasm"),
        &[
            ("results-url", &format!("{base}/results")),
            ("lookup-url", &format!("{base}/contacts")),
        ],
    );
    let manifest = std::fs::read_to_string(folder.join("plugin.toml")).unwrap();
    std::fs::write(
        folder.join("plugin.toml"),
        format!("{manifest}[capabilities]\nallowed-hosts = [\"127.0.0.1:{crm_port}\"]\n"),
    )
    .unwrap();
    let (host, key) = host(dir.path(), carrier.port);
    let http = host.http;
    api(
        http,
        &key,
        "POST",
        "/lists",
        serde_json::json!({"name": "crm", "settings": {"retry": {"max_attempts": 1}}}),
    );
    import(
        http,
        &key,
        "crm",
        "numbers,name\n0633333333,Answers\n0611111111,Busy\n",
    );
    let id = start_campaign(
        http,
        &key,
        serde_json::json!({"name": "pushed", "lists": ["crm"], "settings": {
            "kind": "agent", "pacing": {"strategy": "fixed"}, "connector": "webhook"}}),
    );
    wait_for_state(&host, &key, id, "finished", Duration::from_secs(30));
    let deadline = Instant::now() + Duration::from_secs(10);
    while requests.lock().unwrap().len() < 2 {
        assert!(
            Instant::now() < deadline,
            "the CRM got {:?}\n{}",
            requests.lock().unwrap(),
            host.logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let seen = requests.lock().unwrap().join("\n");
    assert!(seen.contains("POST /results"), "{seen}");
    assert!(seen.contains("\"campaign\":\"pushed\""), "{seen}");
    assert!(
        seen.contains("\"phone_number\":\"+390633333333\""),
        "{seen}"
    );
    assert!(
        seen.contains("\"status\":\"ANSWER\"") && seen.contains("\"status\":\"BUSY\""),
        "{seen}"
    );
}

#[test]
fn an_answered_call_with_no_agent_hears_audio_throughout_and_ends_abandoned() {
    use crate::media::{rms, rtp_carrier, write_tone, write_tone_at};
    let dir = tempfile::tempdir().unwrap();
    let prompts = dir.path().join("ringhost-prompts");
    std::fs::create_dir_all(&prompts).unwrap();
    write_tone(&prompts.join("sorry.wav"));
    // Music on hold: the same tone, quieter, looped while the callee waits.
    write_tone_at(&prompts.join("music.wav"), 1_500.0);
    // SIPp answers and points Ringhost's RTP at a socket of the test's.
    let (carrier, catcher) = rtp_carrier();
    let (host, key) = host(dir.path(), carrier.port);
    let http = host.http;
    import(http, &key, "queued", "numbers,name\n0633333333,Waits\n");
    let id = start_campaign(
        http,
        &key,
        serde_json::json!({"name": "sales", "lists": ["queued"], "settings": {
            "kind": "agent", "pacing": {"strategy": "fixed"}, "queue": "sales",
            "abandon_after_ms": 1500, "abandon_message": "sorry.wav",
            "music_on_hold": "music.wav"}}),
    );
    wait_for_state(&host, &key, id, "finished", Duration::from_secs(30));
    let attempts = attempts(&host, &key, id);
    let attempt = &attempts[0];
    assert_eq!(attempt["outcome"], "answered", "{attempts}");
    assert_eq!(attempt["queue_result"], "ABANDONED", "{attempts}");
    assert_eq!(attempt["hangup_by"], "ringhost", "{attempts}");
    assert!(
        attempt["tags"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("abandoned")),
        "{attempts}"
    );
    let talk = attempt["talk_ms"].as_i64().unwrap();
    assert!(
        (2400..5000).contains(&talk),
        "1.5 s waiting and 1 s of message, not {talk} ms"
    );
    let (code, errors) = carrier.finish();
    assert_eq!(code, 0, "SIPp: {errors}");

    // Audio the whole time: a frame every 20 ms from the answer to the hang-up, comfort
    // noise while waiting, then the message; never digital silence.
    let packets = catcher.join().unwrap();
    assert!(
        packets.len() as i64 >= talk / 20 * 9 / 10,
        "{} packets in {talk} ms",
        packets.len()
    );
    for pair in packets.windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(
            gap < Duration::from_millis(120),
            "a {gap:?} hole in the audio"
        );
    }
    let law = if packets[0].payload_type == 0 {
        Law::Pcmu
    } else {
        Law::Pcma
    };
    let silence = law.encode(0);
    assert!(
        packets
            .iter()
            .all(|p| p.payload.iter().any(|&c| c != silence)),
        "digital silence"
    );
    let waiting = packets
        .iter()
        .take_while(|p| rms(law, &p.payload) < 3000.0)
        .count();
    // The music loops while waiting (after the first frame or two of noise).
    let music = packets
        .iter()
        .take(waiting)
        .filter(|p| (500.0..3000.0).contains(&rms(law, &p.payload)))
        .count();
    assert!(
        music + 3 >= waiting,
        "{music} of {waiting} waiting frames are music"
    );
    let message = packets
        .iter()
        .filter(|p| rms(law, &p.payload) >= 3000.0)
        .count();
    assert!(
        waiting >= 60,
        "{waiting} frames of noise before the message"
    );
    assert_eq!(message, 50, "the whole 1 s message");

    let status = api(
        http,
        &key,
        "GET",
        &format!("/campaigns/{id}/status"),
        serde_json::Value::Null,
    );
    assert_eq!(status["abandon_rate"], 1.0, "{status}");
    assert_eq!(status["answer_rate"], 1.0, "{status}");

    // The person is held back from every campaign for the configured days.
    let db = dir.path().join("ringhost-data/ringhost.db");
    let held = sqlite_rows(&db, "SELECT number, reason FROM do_not_call");
    assert_eq!(
        held,
        [(
            "+390633333333".to_owned(),
            Some("abandoned call".to_owned())
        )]
    );
}
