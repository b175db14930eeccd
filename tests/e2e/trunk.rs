//! Trunks against SIPp carriers: a carrier that challenges the INVITE, one that wants a
//! registration, and a route that fails over from a congested carrier to the next.

use crate::sip::{Sipp, dial, serve_sip};
use crate::support::run;

#[test]
fn challenged_invite_is_answered_with_digest() {
    let line = dial(
        "uas_challenge_invite",
        "udp",
        &[],
        &[
            "--username",
            "trunkuser",
            "--password",
            "trunkpass",
            "--hold",
            "0.2",
        ],
    );
    assert_eq!(line["outcome"], "answered", "{line}");
    assert_eq!(line["hangup_by"], "ringhost", "{line}");
}

#[test]
fn route_fails_over_from_a_congested_trunk() {
    let congested = Sipp::uas("uas_congestion", "udp", &[]);
    let answering = Sipp::uas("uas_answer_then_bye", "udp", &[]);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ringhost.toml");
    std::fs::write(
        &config,
        format!(
            "[[trunks]]\nname = \"first\"\naddress = \"127.0.0.1:{}\"\n\
             [[trunks]]\nname = \"second\"\naddress = \"127.0.0.1:{}\"\n\
             [[routes]]\nname = \"out\"\ntrunks = [\"first\", \"second\"]\n",
            congested.port, answering.port
        ),
    )
    .unwrap();
    let (code, stdout, stderr) = run(
        dir.path(),
        &[
            "dial",
            "5551234",
            "--route",
            "out",
            "--config",
            config.to_str().unwrap(),
            "--hold",
            "10",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let line: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(line["outcome"], "answered", "{line}");
    assert_eq!(line["trunk"], "second", "{line}");
    assert_eq!(line["hangup_by"], "callee", "{line}");
    let (first, errors) = congested.finish();
    assert_eq!(
        first, 0,
        "the congested carrier did not see the call: {errors}"
    );
    let (second, errors) = answering.finish();
    assert_eq!(second, 0, "{errors}");
}

#[test]
fn trunk_registers_with_digest() {
    let carrier = Sipp::uas("uas_registrar", "udp", &[]);
    let (mut host, _dir, _) = serve_sip(&format!(
        "[[trunks]]\nname = \"carrier\"\naddress = \"127.0.0.1:{}\"\nusername = \"trunkuser\"\n\
         password = \"trunkpass\"\nregister = true\nregister_expires = \"120s\"\nkeepalive = \"0s\"\n",
        carrier.port
    ));
    let (code, errors) = carrier.finish();
    assert_eq!(
        code,
        0,
        "the carrier's registrar refused: {errors}\n{}",
        host.logs()
    );
    // The 200 reaches the host right after SIPp exits.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !host.logs().contains("registered with the carrier") {
        assert!(std::time::Instant::now() < deadline, "{}", host.logs());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(host.logs().contains("granted=60s"), "{}", host.logs());
    assert!(host.stop("TERM").success());
}
