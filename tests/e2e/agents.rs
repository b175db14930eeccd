//! Agents end to end: SIPp plays the carrier's callees and two agents' phones, which
//! register with digest auth and then take the calls Ringhost bridges to them.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::campaign::{api, attempts, host_with, import, start_campaign, wait_for_state};
use crate::sip::{Sipp, free_sip_port, sipp_uac_from};
use crate::support::{Host, sqlite_rows};

/// Two agents' phone accounts; MD5 first, the one SIPp answers.
const PHONES: &str = "[registrar]\nalgorithms = [\"MD5\", \"SHA-256\"]\n\
                      [[phones]]\nusername = \"agent1\"\npassword = \"pw-one\"\n\
                      [[phones]]\nusername = \"agent2\"\npassword = \"pw-two\"\n";

/// Registers `user`'s phone from a free port, then starts `scenario` listening there
/// (with its message log): the agent's phone.
fn agent_phone(dir: &Path, host: &Host, user: &str, password: &str, scenario: &str) -> Sipp {
    agent_phone_with(
        dir,
        host,
        (user, password),
        scenario,
        &["-m", "100", "-trace_msg"],
    )
}

/// [`agent_phone`] with SIPp's own arguments (`-m CALLS`, ...).
pub(crate) fn agent_phone_with(
    dir: &Path,
    host: &Host,
    (user, password): (&str, &str),
    scenario: &str,
    sipp_args: &[&str],
) -> Sipp {
    let port = free_sip_port();
    let (code, errors, _) = sipp_uac_from(
        dir,
        host.sip_port(),
        "agent_register",
        port,
        &["-s", user, "-au", user, "-ap", password],
    );
    assert_eq!(
        code,
        0,
        "{user} did not register: {errors}\n{}",
        host.logs()
    );
    Sipp::uas_on(port, scenario, "udp", sipp_args)
}

/// Creates `name` (wrap-up 0 s, their extension their name) in `queue`.
pub(crate) fn agent_in_queue(host: &Host, key: &str, name: &str, queue: &str) {
    api(
        host.http,
        key,
        "POST",
        "/agents",
        json!({"name": name, "extension": name, "wrap_up_s": 0}),
    );
    api(
        host.http,
        key,
        "PUT",
        &format!("/queues/{queue}/members/{name}"),
        Value::Null,
    );
}

/// Creates `name` (wrap-up 0 s) in queue `sales` and makes them ready.
fn ready_agent(host: &Host, key: &str, name: &str) {
    agent_in_queue(host, key, name, "sales");
    api(
        host.http,
        key,
        "POST",
        &format!("/agents/{name}/state"),
        json!({"state": "ready"}),
    );
}

/// The phone's calls from its message log: per Call-ID, when the INVITE came and when
/// the call's BYE was answered (SIPp's `-trace_msg` timestamps, in seconds).
fn calls_seen(log: &str) -> Vec<(f64, f64)> {
    let mut calls: HashMap<String, (Option<f64>, Option<f64>)> = HashMap::new();
    for block in log.split("----------------------------------------------- ") {
        let mut lines = block.lines();
        let Some(stamp) = lines.next() else { continue };
        // "2026-11-30\t15:04:05.123456" (the date, a tab, the time).
        let Some(time) = stamp.split_whitespace().nth(1) else {
            continue;
        };
        let seconds = time.split(':').fold(0.0, |acc, part| {
            acc * 60.0 + part.parse::<f64>().unwrap_or(0.0)
        });
        let text: Vec<&str> = lines.collect();
        let Some(first) = text.iter().find(|l| {
            l.starts_with("INVITE ") || l.starts_with("SIP/2.0 ") || l.starts_with("BYE ")
        }) else {
            continue;
        };
        let Some(call_id) = text.iter().find_map(|l| {
            l.strip_prefix("Call-ID: ")
                .or_else(|| l.strip_prefix("i: "))
        }) else {
            continue;
        };
        let cseq_bye = text
            .iter()
            .any(|l| l.starts_with("CSeq:") && l.ends_with("BYE"));
        let entry = calls.entry(call_id.trim().to_owned()).or_default();
        if first.starts_with("INVITE ") && entry.0.is_none() {
            entry.0 = Some(seconds);
        } else if first.starts_with("SIP/2.0 200") && cseq_bye {
            entry.1 = Some(seconds);
        }
    }
    calls
        .into_values()
        .filter_map(|(start, end)| Some((start?, end?)))
        .collect()
}

/// Imports one contact and starts campaign `name` over it with `settings`; its id.
fn call_one(host: &Host, key: &str, name: &str, settings: Value) -> i64 {
    import(host.http, key, "one", "numbers,name\n0630000003,A\n");
    start_campaign(
        host.http,
        key,
        json!({"name": name, "lists": ["one"], "settings": settings}),
    )
}

/// The attempt of a one-call campaign, once the campaign has finished.
fn only_attempt(host: &Host, key: &str, id: i64) -> Value {
    wait_for_state(host, key, id, "finished", Duration::from_secs(30));
    attempts(host, key, id)[0].clone()
}

/// SIPp's verdict: the carrier's calls went as its scenario says.
fn carrier_went_as_scripted(carrier: Sipp) {
    let (code, errors) = carrier.finish();
    assert_eq!(code, 0, "SIPp carrier: {errors}");
}

#[test]
fn answered_calls_reach_the_agents_one_call_at_a_time() {
    // Callees answer and wait for Ringhost's BYE; agents talk ~1 s and hang up. Four
    // calls at a time for two agents: answered calls wait and compete for them.
    let carrier = Sipp::uas("uas_by_number", "udp", &["-m", "6"]);
    let dir = tempfile::tempdir().unwrap();
    let (host, key) = host_with(dir.path(), carrier.port, PHONES);
    let phones = [
        agent_phone(dir.path(), &host, "agent1", "pw-one", "uas_agent_talks"),
        agent_phone(dir.path(), &host, "agent2", "pw-two", "uas_agent_talks"),
    ];
    ready_agent(&host, &key, "agent1");
    ready_agent(&host, &key, "agent2");
    import(
        host.http,
        &key,
        "leads",
        "numbers,name\n0630000003,A\n0630000004,B\n0630000005,C\n\
         0630000006,D\n0630000007,E\n0630000008,F\n",
    );
    let id = start_campaign(
        host.http,
        &key,
        json!({"name": "sales", "lists": ["leads"], "settings": {
            "kind": "agent", "queue": "sales", "pacing": {"strategy": "fixed"},
            "max_calls": 4, "abandon_after_ms": 15000}}),
    );
    wait_for_state(&host, &key, id, "finished", Duration::from_secs(60));
    let attempts = attempts(&host, &key, id);
    let attempts = attempts.as_array().unwrap();
    assert_eq!(attempts.len(), 6, "{attempts:?}");
    let mut by_agent: HashMap<String, usize> = HashMap::new();
    for attempt in attempts {
        assert_eq!(attempt["outcome"], "answered", "{attempt}");
        let agent = attempt["agent"].as_str().unwrap_or_else(|| {
            panic!("no agent took {attempt}\n{}", host.logs());
        });
        *by_agent.entry(agent.to_owned()).or_default() += 1;
    }
    assert_eq!(by_agent.len(), 2, "both agents took calls: {by_agent:?}");
    // The phones' own view: each took its calls one after the other.
    let mut seen = 0;
    for (phone, name) in phones.iter().zip(["agent1", "agent2"]) {
        let mut calls = calls_seen(&phone.messages());
        calls.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert_eq!(calls.len(), by_agent[name], "{name}: {calls:?}");
        for pair in calls.windows(2) {
            assert!(
                pair[1].0 >= pair[0].1,
                "{name} got a call at {} while on the one until {}",
                pair[1].0,
                pair[0].1
            );
        }
        seen += calls.len();
    }
    assert_eq!(seen, 6);
    carrier_went_as_scripted(carrier);
    // Each agent is free again (wrap-up 0 s).
    let queue = api(host.http, &key, "GET", "/queues/sales", Value::Null);
    assert_eq!(queue["ready"], 2, "{queue}");
}

#[test]
fn agents_whose_phone_does_not_answer_or_is_not_registered_are_skipped() {
    let carrier = Sipp::uas("uas_by_number", "udp", &["-m", "1"]);
    let dir = tempfile::tempdir().unwrap();
    let (host, key) = host_with(dir.path(), carrier.port, PHONES);
    // agent3 is the longest idle, but has no phone registered; agent1 is next, but
    // their phone only rings; agent2 takes the call.
    let _silent = agent_phone(
        dir.path(),
        &host,
        "agent1",
        "pw-one",
        "uas_ring_until_cancel",
    );
    let _talks = agent_phone(dir.path(), &host, "agent2", "pw-two", "uas_agent_talks");
    for agent in ["agent3", "agent1", "agent2"] {
        ready_agent(&host, &key, agent);
        std::thread::sleep(Duration::from_millis(20));
    }
    let id = call_one(
        &host,
        &key,
        "sales",
        json!({"kind": "agent", "queue": "sales", "pacing": {"strategy": "fixed"},
            "agent_ring_s": 1, "abandon_after_ms": 6000}),
    );
    let attempt = &only_attempt(&host, &key, id);
    assert_eq!(attempt["agent"], "agent2", "{attempt}\n{}", host.logs());
    assert_eq!(attempt["queue_result"], "QUEUE_ANSWER", "{attempt}");
    let agents = api(host.http, &key, "GET", "/agents", Value::Null);
    let reason = |name: &str| {
        let agent = agents
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .unwrap();
        (agent["state"].clone(), agent["reason"].clone())
    };
    assert_eq!(
        reason("agent1"),
        (json!("paused"), json!("did not answer")),
        "{agents}"
    );
    assert_eq!(
        reason("agent3"),
        (json!("paused"), json!("phone not registered")),
        "{agents}"
    );
    carrier_went_as_scripted(carrier);
}

#[test]
fn a_callee_who_hangs_up_while_queued_is_recorded_as_hung_up_by_the_callee() {
    // The callee hangs up ~500 ms after answering; no agent is ready.
    let carrier = Sipp::uas("uas_answer_then_bye", "udp", &[]);
    let dir = tempfile::tempdir().unwrap();
    let (host, key) = host_with(dir.path(), carrier.port, "");
    let id = call_one(
        &host,
        &key,
        "sales",
        json!({"kind": "agent", "queue": "sales", "pacing": {"strategy": "fixed"},
            "abandon_after_ms": 5000}),
    );
    let attempt = &only_attempt(&host, &key, id);
    assert_eq!(attempt["outcome"], "answered", "{attempt}");
    assert_eq!(attempt["hangup_by"], "callee", "{attempt}");
    assert_eq!(attempt["queue_result"], "QUEUE_HANGUP", "{attempt}");
    assert_eq!(attempt["agent"], Value::Null, "{attempt}");
    assert!(
        !attempt["tags"].to_string().contains("abandoned"),
        "{attempt}"
    );
    carrier_went_as_scripted(carrier);
}

#[test]
fn an_answered_call_is_put_through_to_the_campaigns_extension() {
    let carrier = Sipp::uas("uas_by_number", "udp", &[]);
    let dir = tempfile::tempdir().unwrap();
    let (host, key) = host_with(dir.path(), carrier.port, PHONES);
    let phone = agent_phone(dir.path(), &host, "agent2", "pw-two", "uas_agent_talks");
    let id = call_one(
        &host,
        &key,
        "desk",
        json!({"kind": "agent", "extension": "agent2", "pacing": {"strategy": "fixed"}}),
    );
    let attempt = &only_attempt(&host, &key, id);
    assert_eq!(attempt["outcome"], "answered", "{attempt}");
    assert_eq!(attempt["agent"], "agent2", "{attempt}\n{}", host.logs());
    // The phone hung up after ~1 s of talk; Ringhost then hung up the callee.
    assert_eq!(attempt["hangup_by"], "ringhost", "{attempt}");
    assert_eq!(calls_seen(&phone.messages()).len(), 1);
    carrier_went_as_scripted(carrier);
}

#[test]
fn an_ivr_script_transfers_its_caller_to_an_extension() {
    // A test guest built from source: on answer, it sends the caller to agent2.
    let wasm = crate::guests::build("tests/plugins");
    let carrier = Sipp::uas("uas_by_number", "udp", &[]);
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("ringhost-plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    crate::guests::package(
        &plugins,
        "to-desk",
        "ivr",
        &wasm.join("misbehave_ivr.wasm"),
        &[("mode", "transfer-extension"), ("target", "agent2")],
    );
    let (host, key) = host_with(dir.path(), carrier.port, PHONES);
    let phone = agent_phone(dir.path(), &host, "agent2", "pw-two", "uas_agent_talks");
    let id = call_one(
        &host,
        &key,
        "ivr",
        json!({"kind": "notification", "ivr": "to-desk", "confirm": false}),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let attempt = loop {
        let attempts = attempts(&host, &key, id);
        if attempts[0]["end_at_ms"].is_i64() {
            break attempts[0].clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{attempts}\n{}",
            host.logs()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(attempt["agent"], "agent2", "{attempt}\n{}", host.logs());
    assert_eq!(attempt["ivr_result"], "IVR_TRANSFER", "{attempt}");
    assert_eq!(calls_seen(&phone.messages()).len(), 1);
    carrier_went_as_scripted(carrier);
}

#[test]
fn past_the_queues_maximum_wait_the_call_is_closed_by_the_system() {
    let carrier = Sipp::uas("uas_by_number", "udp", &[]);
    let dir = tempfile::tempdir().unwrap();
    let (host, key) = host_with(dir.path(), carrier.port, "");
    // No abandoning (0): the call waits for an agent, up to the maximum.
    let id = call_one(
        &host,
        &key,
        "sales",
        json!({"kind": "agent", "queue": "sales", "pacing": {"strategy": "fixed"},
            "abandon_after_ms": 0, "queue_max_wait_s": 1}),
    );
    let attempt = &only_attempt(&host, &key, id);
    assert_eq!(attempt["queue_result"], "QUEUE_TIMEOUT", "{attempt}");
    assert_eq!(attempt["hangup_by"], "ringhost", "{attempt}");
    let talk = attempt["talk_ms"].as_i64().unwrap();
    assert!((900..2500).contains(&talk), "waited 1 s, talked {talk} ms");
    carrier_went_as_scripted(carrier);
}

#[test]
fn a_call_waiting_in_its_queue_when_the_host_stops_gets_its_bye_and_its_record() {
    let carrier = Sipp::uas("uas_by_number", "udp", &[]);
    let dir = tempfile::tempdir().unwrap();
    let (mut host, key) = host_with(
        dir.path(),
        carrier.port,
        "[shutdown]\ndrain_timeout = \"1s\"\n",
    );
    let id = call_one(
        &host,
        &key,
        "sales",
        json!({"kind": "agent", "queue": "sales", "pacing": {"strategy": "fixed"},
            "abandon_after_ms": 60000, "queue_max_wait_s": 60}),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while attempts(&host, &key, id)[0]["answer_at_ms"].is_null() {
        assert!(std::time::Instant::now() < deadline, "{}", host.logs());
        std::thread::sleep(Duration::from_millis(100));
    }
    // The drain (1 s) runs out; the host hangs the waiting call up and records it.
    assert!(host.stop("TERM").success(), "{}", host.logs());
    let logs = host.logs();
    assert!(!logs.contains("calls did not end"), "{logs}");
    let (code, errors) = carrier.finish();
    assert_eq!(code, 0, "the callee got no BYE: {errors}");
    let rows = sqlite_rows(
        &dir.path().join("ringhost-data/ringhost.db"),
        "SELECT state, queue_result FROM attempt",
    );
    assert_eq!(rows, [("ended".to_owned(), Some("ABANDONED".to_owned()))]);
}
