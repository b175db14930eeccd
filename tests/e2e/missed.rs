//! Missed calls end to end: a PBX posts Kalliope's XML to the running host; an
//! operator books the request and calls it back from the desk. SIPp plays the
//! operator's phone (it registers with digest auth and answers) and the customer
//! (the carrier), who talks ~6 s on one call and ~3 s on the other.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::agents::{agent_in_queue, agent_phone_with};
use crate::campaign::{api, host_with, start_campaign};
use crate::sip::{Sipp, free_sip_port, sipp_uac};
use crate::support::{Host, http_call, sqlite_rows};

/// The operator's phone account (MD5 first, the one SIPp answers) and the callback
/// campaign.
const PHONE: &str = "[registrar]\nalgorithms = [\"MD5\", \"SHA-256\"]\n\
                     [[phones]]\nusername = \"op1\"\npassword = \"pw-op\"\n\
                     [missed_calls]\ncampaign = \"callbacks\"\n";

/// Posts a missed call from `caller` as Kalliope does: its XML, the key in the
/// address. The request's id.
fn intake(host: &Host, key: &str, unique_id: &str, caller: &str) -> i64 {
    let xml = format!(
        "<?xml version=\"1.0\"?>\n<parameters>\n<unique_id>{unique_id}</unique_id>\n\
         <caller>{caller}</caller>\n<called>0299999999</called>\n\
         <servicecode>%PARAM1%</servicecode>\n<param1>assistenza</param1>\n\
         <param2>queue</param2>\n<param3>%PARAM3%</param3>\n<param4>%PARAM4%</param4>\n\
         <param5>%PARAM5%</param5>\n</parameters>\n"
    );
    let (status, text) = http_call(
        host.http,
        "POST",
        &format!("/api/v1/missed-calls/intake?key={key}"),
        "",
        &xml,
    )
    .unwrap();
    assert_eq!(status, 201, "{text}");
    serde_json::from_str::<Value>(&text).unwrap()["request_id"]
        .as_i64()
        .unwrap()
}

/// The request `id` once its callback is settled (not `calling`), and that callback's
/// line of its history.
fn settled(host: &Host, key: &str, id: i64) -> (Value, Value) {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let detail = api(
            host.http,
            key,
            "GET",
            &format!("/missed-calls/{id}"),
            Value::Null,
        );
        let callback = detail["history"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "callback")
            .cloned();
        if let Some(callback) = callback
            && detail["missed_call"]["state"] != "calling"
        {
            return (detail, callback);
        }
        assert!(Instant::now() < deadline, "{detail}\n{}", host.logs());
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Makes the operator ready, once their last call has let them go.
fn ready(host: &Host, key: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, text) = http_call(
            host.http,
            "POST",
            "/api/v1/agents/op1/state",
            key,
            &json!({"state": "ready"}).to_string(),
        )
        .unwrap();
        // Ready now, or already (a wrap-up of 0 s ends at once).
        if (200..300).contains(&status) || text.contains("is ready") {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "op1 never ready again: {status} {text}\n{}",
            host.logs()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_callback_closes_its_request_only_when_the_customer_talks_long_enough() {
    let carrier = Sipp::uas("uas_answer_talk_by_number", "udp", &["-m", "2"]);
    let dir = tempfile::tempdir().unwrap();
    let (host, key) = host_with(dir.path(), carrier.port, PHONE);
    // The operator's phone registers, then answers what Ringhost rings it with.
    let phone = agent_phone_with(
        dir.path(),
        &host,
        ("op1", "pw-op"),
        "uas_answer_wait_bye",
        &["-m", "2"],
    );
    // The callback campaign: an agents' campaign over an empty list, paused (it
    // dials nothing by itself; operators call through it).
    api(
        host.http,
        &key,
        "POST",
        "/lists",
        json!({"name": "callbacks"}),
    );
    let campaign = start_campaign(
        host.http,
        &key,
        json!({"name": "callbacks", "lists": ["callbacks"], "settings":
            {"kind": "agent", "queue": "support", "pacing": {"strategy": "fixed"}, "keep_running": true}}),
    );
    api(
        host.http,
        &key,
        "POST",
        &format!("/campaigns/{campaign}/pause"),
        Value::Null,
    );
    agent_in_queue(&host, &key, "op1", "support");
    ready(&host, &key);

    // Two customers missed; the PBX reports them. ...6 talks 6 s, ...3 talks 3 s.
    let long = intake(&host, &key, "1765.10", "0287654326");
    let short = intake(&host, &key, "1765.11", "0287654323");
    let operator = json!({"operator": "op1"});
    for id in [long, short] {
        api(
            host.http,
            &key,
            "POST",
            &format!("/missed-calls/{id}/booking"),
            operator.clone(),
        );
    }

    // 6 s of talk: done.
    let placed = api(
        host.http,
        &key,
        "POST",
        &format!("/missed-calls/{long}/calls"),
        operator.clone(),
    );
    assert!(placed["attempt_id"].as_i64().is_some(), "{placed}");
    // Hidden while it runs.
    let booked = api(
        host.http,
        &key,
        "GET",
        "/missed-calls?view=booked&operator=op1",
        Value::Null,
    );
    assert_eq!(booked["total"], 1, "{booked}");
    let (detail, callback) = settled(&host, &key, long);
    let request = &detail["missed_call"];
    assert_eq!(request["state"], "closed", "{detail}\n{}", host.logs());
    assert_eq!(request["closure"], "callback", "{detail}");
    assert_eq!(callback["outcome"], "answered", "{detail}");
    assert!(callback["talk_ms"].as_i64().unwrap() > 5_000, "{detail}");

    // 3 s of talk: back in the operator's bookings, recalled once.
    ready(&host, &key);
    api(
        host.http,
        &key,
        "POST",
        &format!("/missed-calls/{short}/calls"),
        operator.clone(),
    );
    let (detail, callback) = settled(&host, &key, short);
    let request = &detail["missed_call"];
    assert_eq!(request["state"], "open", "{detail}\n{}", host.logs());
    assert_eq!(request["recalled"], 1, "{detail}");
    assert!(request["last_recalled"].as_i64().is_some(), "{detail}");
    assert_eq!(request["booked_by"], "op1", "{detail}");
    let talk = callback["talk_ms"].as_i64().unwrap();
    assert!((2_000..5_000).contains(&talk), "{detail}");
    let booked = api(
        host.http,
        &key,
        "GET",
        "/missed-calls?view=booked&operator=op1",
        Value::Null,
    );
    assert_eq!(booked["total"], 1, "{booked}");

    let (code, errors) = carrier.finish();
    assert_eq!(code, 0, "SIPp customer: {errors}");
    let (code, errors) = phone.finish();
    assert_eq!(code, 0, "SIPp operator's phone: {errors}");
}

/// One of the host's own numbers, queued to `support`; no prompts (comfort noise).
const LINE: &str =
    "[[inbound]]\nnumber = \"+390299000000\"\nqueue = \"support\"\nmax_wait = \"30s\"\n";

/// SIPp as a customer calling the host's own number through the trunk: queued (the
/// one agent is logged in, not ready), they hang up after 3 s, and that call becomes
/// a missed-call request from them, source inbound. A call to a number that is no
/// line is refused (480) and counts nothing.
#[test]
fn an_inbound_caller_who_hangs_up_while_queued_leaves_a_request() {
    let dir = tempfile::tempdir().unwrap();
    // The trunk is the customer's way in: its address is what makes their INVITE a
    // trunk's. Nothing is dialled out.
    let (host, key) = host_with(dir.path(), free_sip_port(), LINE);
    agent_in_queue(&host, &key, "op1", "support");
    api(
        host.http,
        &key,
        "POST",
        "/agents/op1/state",
        json!({"state": "present"}),
    );

    let started = Instant::now();
    let (code, errors, _) = sipp_uac(
        dir.path(),
        host.sip_port(),
        "uac_inbound_hang_up_queued",
        &["-s", "0299000000", "-key", "caller", "0287654399"],
    );
    assert_eq!(code, 0, "SIPp customer: {errors}\n{}", host.logs());
    assert!(started.elapsed() >= Duration::from_secs(3));

    let deadline = Instant::now() + Duration::from_secs(10);
    let list = loop {
        let list = api(host.http, &key, "GET", "/missed-calls", Value::Null);
        // The page's rows and its total are two reads: the call's end may fall
        // between them, so both must show it.
        if list["total"] == 1
            && list["missed_calls"]
                .as_array()
                .is_some_and(|r| r.len() == 1)
        {
            break list;
        }
        assert!(Instant::now() < deadline, "{list}\n{}", host.logs());
        std::thread::sleep(Duration::from_millis(200));
    };
    let request = &list["missed_calls"][0];
    assert_eq!(request["caller"], "+390287654399", "{list}");
    assert_eq!(request["calls"], 1, "{list}");
    assert_eq!(request["source"], "inbound", "{list}");
    assert_eq!(request["queue"], "support", "{list}");
    assert_eq!(request["state"], "open", "{list}");
    // The call's own record: ended, hung up while waiting, no agent.
    let rows = sqlite_rows(
        &dir.path().join("ringhost-data/ringhost.db"),
        "SELECT result, agent FROM inbound_call",
    );
    assert_eq!(rows, [("hangup".to_owned(), None)]);

    // Not a line: refused, nothing counted.
    let (code, errors, _) = sipp_uac(
        dir.path(),
        host.sip_port(),
        "uac_expect_480",
        &["-s", "0299000001"],
    );
    assert_eq!(code, 0, "SIPp customer: {errors}\n{}", host.logs());
    let list = api(host.http, &key, "GET", "/missed-calls", Value::Null);
    assert_eq!(list["total"], 1, "{list}");
    // The agent was never taken: still logged in, not ready.
    let agents = api(host.http, &key, "GET", "/agents", Value::Null);
    assert_eq!(agents[0]["state"], "present", "{agents}");
}

/// A customer with an open request calls the host's own number and reaches the agent:
/// the agent's phone (SIPp) rings with their number, they talk ~1 s, the agent hangs
/// up, Ringhost hangs the customer up; the request is closed as served inbound.
#[test]
fn a_caller_who_reaches_an_agent_closes_their_request() {
    let dir = tempfile::tempdir().unwrap();
    let (host, key) = host_with(dir.path(), free_sip_port(), &format!("{PHONE}{LINE}"));
    let phone = agent_phone_with(
        dir.path(),
        &host,
        ("op1", "pw-op"),
        "uas_agent_talks",
        &["-m", "1"],
    );
    agent_in_queue(&host, &key, "op1", "support");
    ready(&host, &key);
    let id = intake(&host, &key, "1765.20", "0287654398");

    let (code, errors, _) = sipp_uac(
        dir.path(),
        host.sip_port(),
        "uac_inbound_until_bye",
        &["-s", "0299000000", "-key", "caller", "0287654398"],
    );
    assert_eq!(code, 0, "SIPp customer: {errors}\n{}", host.logs());
    let (code, errors) = phone.finish();
    assert_eq!(code, 0, "SIPp agent's phone: {errors}\n{}", host.logs());

    let deadline = Instant::now() + Duration::from_secs(10);
    let detail = loop {
        let detail = api(
            host.http,
            &key,
            "GET",
            &format!("/missed-calls/{id}"),
            Value::Null,
        );
        if detail["missed_call"]["state"] == "closed" {
            break detail;
        }
        assert!(Instant::now() < deadline, "{detail}\n{}", host.logs());
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(detail["missed_call"]["closure"], "inbound", "{detail}");
    assert_eq!(detail["missed_call"]["calls"], 1, "{detail}");
    let rows = sqlite_rows(
        &dir.path().join("ringhost-data/ringhost.db"),
        "SELECT result, agent FROM inbound_call",
    );
    assert_eq!(rows, [("served".to_owned(), Some("op1".to_owned()))]);
}
