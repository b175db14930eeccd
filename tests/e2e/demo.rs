//! `ringhost demo`, the README's run command, as a newcomer runs it: within 30 s of
//! starting, `/metrics` shows attempts answered and calls handed to the simulated
//! agents, the printed admin signs in to the web panel, and at the end each simulated
//! phone reports never having had two calls.

use std::time::{Duration, Instant};

use crate::support::{Host, http_get};

/// The value of the Prometheus sample `name` (with its labels), 0 when absent.
fn sample(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[test]
fn the_demo_hands_answered_calls_to_its_simulated_agents_within_30_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let http = "127.0.0.1:0";
    let data = dir.path().join("demo");
    let started = Instant::now();
    let mut host = Host::start(
        dir.path(),
        &[
            "demo",
            "--http",
            http,
            "--talk-min",
            "1s",
            "--talk-max",
            "3s",
            "--dir",
            data.to_str().unwrap(),
        ],
        http.parse().unwrap(),
        &[],
    );
    host.wait_healthy();
    loop {
        let (_, metrics) = http_get(host.http, "/metrics").unwrap();
        if sample(&metrics, "ringhost_attempts_total{outcome=\"answered\"}") >= 1.0
            && sample(
                &metrics,
                "ringhost_queue_results_total{result=\"QUEUE_ANSWER\"}",
            ) >= 1.0
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no answered call handed to an agent within 30 s:\n{metrics}\n{}",
            host.logs()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let banner = host.output();
    assert!(
        banner.contains(&format!("http://{}/metrics", host.http)),
        "{banner}"
    );
    // The printed admin signs in to the web panel and sees the admin's pages.
    let sign_ins = banner
        .lines()
        .find_map(|l| l.split_once("sign in as "))
        .map(|(_, people)| people.to_owned())
        .unwrap_or_else(|| panic!("no sign-in line:\n{banner}"));
    let admin = sign_ins
        .split(", ")
        .find_map(|p| p.strip_prefix("admin / "))
        .unwrap_or_else(|| panic!("no admin in {sign_ins:?}"));
    assert!(
        sign_ins.contains("supervisor / ") && sign_ins.contains("agent1 / "),
        "{sign_ins}"
    );
    let (status, session) = crate::web::sign_in(host.http, "admin", admin);
    assert_eq!(status, 303);
    assert!(session.is_some());
    assert!(host.stop("TERM").success(), "{}", host.logs());
    let output = host.output();
    for agent in ["agent1", "agent2", "agent3"] {
        let line = output
            .lines()
            .find(|l| l.starts_with(&format!("{agent}: ")))
            .unwrap_or_else(|| panic!("no line for {agent}:\n{output}"));
        assert!(
            line.ends_with("at most 1 at once") || line.ends_with("at most 0 at once"),
            "{line}"
        );
    }
}
