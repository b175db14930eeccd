//! SIP against a real peer: SIPp (Debian's `sip-tester`) plays the carrier with the
//! scenarios in tests/sip/scenarios, `ringhost dial` calls it, and each test asserts
//! both Ringhost's JSON line and SIPp's verdict (exit code 0: the call went as the
//! scenario demands, retransmissions and all).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Host, free_port, run, write_config};

pub(crate) fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/sip/scenarios")
        .join(format!("{name}.xml"))
}

/// A port free for both UDP and TCP on loopback.
pub(crate) fn free_sip_port() -> u16 {
    loop {
        let port = free_port();
        if std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// The first of four consecutive UDP ports free on loopback (SIPp's media port, and
/// the ones above it that it binds for RTCP and video).
pub(crate) fn free_media_port() -> u16 {
    loop {
        let port = free_port();
        if port < 65_000
            && (0..4).all(|i| std::net::UdpSocket::bind(("127.0.0.1", port + i)).is_ok())
        {
            return port;
        }
    }
}

/// A SIPp process playing one scenario once.
pub(crate) struct Sipp {
    child: Option<Child>,
    dir: tempfile::TempDir,
    pub(crate) port: u16,
}

impl Sipp {
    /// Starts SIPp as a UAS on a free loopback port and waits until it listens.
    pub(crate) fn uas(name: &str, transport: &str, extra: &[&str]) -> Sipp {
        Sipp::uas_on(free_sip_port(), name, transport, extra)
    }

    /// Starts SIPp as a UAS on `port` (where a phone registered from) and waits
    /// until it listens.
    pub(crate) fn uas_on(port: u16, name: &str, transport: &str, extra: &[&str]) -> Sipp {
        Sipp::start(
            name,
            port,
            &[
                &[
                    "-sf",
                    scenario(name).to_str().unwrap(),
                    "-p",
                    &port.to_string(),
                ],
                extra,
            ]
            .concat(),
            transport,
        )
    }

    fn start(name: &str, port: u16, args: &[&str], transport: &str) -> Sipp {
        let dir = tempfile::tempdir().unwrap();
        let mode = if transport == "tcp" { "t1" } else { "u1" };
        // Media on loopback too, on free ports unless the test chose them (SIPp binds
        // its media port and the next ones for RTCP and video).
        let media_port = if args.contains(&"-mp") {
            Vec::new()
        } else {
            vec!["-mp".to_owned(), free_media_port().to_string()]
        };
        let child = Command::new("sipp")
            .args(args)
            .args(&media_port)
            .args(["-mi", "127.0.0.1"])
            .args(["-i", "127.0.0.1", "-t", mode, "-nostdin", "-trace_err"])
            // One call within 30 s, unless the test asks for more.
            .args(if args.contains(&"-m") {
                &[][..]
            } else {
                &["-m", "1", "-timeout", "30s", "-timeout_error"][..]
            })
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run sipp (is sip-tester installed?): {e} ({name})"));
        let sipp = Sipp {
            child: Some(child),
            dir,
            port,
        };
        sipp.wait_listening(transport);
        sipp
    }

    fn wait_listening(&self, transport: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let taken = match transport {
                "tcp" => std::net::TcpListener::bind(("127.0.0.1", self.port)).is_err(),
                _ => std::net::UdpSocket::bind(("127.0.0.1", self.port)).is_err(),
            };
            if taken {
                return;
            }
            assert!(Instant::now() < deadline, "sipp did not start listening");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Every message SIPp sent and received so far (`-trace_msg`'s log).
    pub(crate) fn messages(&self) -> String {
        let mut log = String::new();
        for entry in std::fs::read_dir(self.dir.path()).unwrap().flatten() {
            if entry
                .file_name()
                .to_string_lossy()
                .ends_with("_messages.log")
            {
                log.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
            }
        }
        log
    }

    /// Waits for SIPp to finish and returns its exit code with its error log.
    pub(crate) fn finish(mut self) -> (i32, String) {
        let mut child = self.child.take().unwrap();
        let deadline = Instant::now() + Duration::from_secs(40);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                break child.wait().unwrap();
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        (
            status.code().unwrap_or(-1),
            take_sipp_errors(self.dir.path()),
        )
    }
}

/// SIPp's error logs (`-trace_err`) in `dir`, removed once read so that the next run
/// in the same folder starts clean.
fn take_sipp_errors(dir: &Path) -> String {
    let mut errors = String::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.file_name().to_string_lossy().ends_with("errors.log") {
            errors.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
            let _ = std::fs::remove_file(entry.path());
        }
    }
    errors
}

impl Drop for Sipp {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `ringhost dial` against a SIPp carrier: the parsed JSON line, after checking that
/// SIPp saw the call go exactly as its scenario says.
pub(crate) fn dial(
    name: &str,
    transport: &str,
    sipp_extra: &[&str],
    dial_extra: &[&str],
) -> serde_json::Value {
    let sipp = Sipp::uas(name, transport, sipp_extra);
    let dir = tempfile::tempdir().unwrap();
    let trunk = format!("sip:127.0.0.1:{}", sipp.port);
    let args = [
        &[
            "dial",
            "5551234",
            "--trunk",
            &trunk,
            "--transport",
            transport,
        ],
        dial_extra,
    ]
    .concat();
    let (code, stdout, stderr) = run(dir.path(), &args);
    assert_eq!(code, 0, "ringhost dial failed: {stderr}");
    let line: serde_json::Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("not one JSON line ({e}): {stdout:?}"));
    let (sipp_code, errors) = sipp.finish();
    assert_eq!(
        sipp_code, 0,
        "SIPp's scenario {name} failed: {errors}\nringhost said {line}"
    );
    line
}

fn assert_outcome(line: &serde_json::Value, outcome: &str, sip_code: u64) {
    assert_eq!(line["outcome"], outcome, "{line}");
    assert_eq!(line["sip_code"], sip_code, "{line}");
}

fn answered_and_hung_up_by_ringhost(transport: &str) {
    let line = dial("uas_answer_wait_bye", transport, &[], &["--hold", "0.3"]);
    assert_outcome(&line, "answered", 200);
    assert_eq!(line["hangup_by"], "ringhost", "{line}");
    let talk = line["talk_ms"].as_u64().unwrap();
    assert!((250..2000).contains(&talk), "talk_ms {talk}");
    let ring = line["ring_ms"].as_u64().unwrap();
    assert!(
        (150..2000).contains(&ring),
        "SIPp rings ~200 ms: ring_ms {ring}"
    );
}

fn answered_and_hung_up_by_callee(transport: &str) {
    let line = dial("uas_answer_then_bye", transport, &[], &["--hold", "10"]);
    assert_outcome(&line, "answered", 200);
    assert_eq!(line["hangup_by"], "callee", "{line}");
    let talk = line["talk_ms"].as_u64().unwrap();
    assert!(
        (400..3000).contains(&talk),
        "SIPp hangs up ~500 ms after ACK: {talk}"
    );
}

fn busy(transport: &str) {
    let line = dial("uas_busy", transport, &[], &[]);
    assert_outcome(&line, "busy", 486);
    assert_eq!(line["talk_ms"], 0);
    assert_eq!(line["hangup_by"], serde_json::Value::Null);
}

fn congestion(transport: &str) {
    let line = dial("uas_congestion", transport, &[], &[]);
    assert_outcome(&line, "congestion", 503);
    assert_eq!(line["q850_cause"], 34, "{line}");
}

fn ring_timeout_cancels(transport: &str) {
    let line = dial(
        "uas_ring_until_cancel",
        transport,
        &[],
        &["--ring-timeout", "1"],
    );
    assert_outcome(&line, "no_answer", 487);
    let ring = line["ring_ms"].as_u64().unwrap();
    assert!(
        (950..3000).contains(&ring),
        "cancelled at the 1 s ring timeout: {ring}"
    );
}

fn not_found(transport: &str) {
    let line = dial("uas_not_found", transport, &[], &[]);
    assert_outcome(&line, "no_route", 404);
}

#[test]
fn udp_answered_and_hung_up_by_ringhost() {
    answered_and_hung_up_by_ringhost("udp");
}

#[test]
fn tcp_answered_and_hung_up_by_ringhost() {
    answered_and_hung_up_by_ringhost("tcp");
}

#[test]
fn udp_answered_and_hung_up_by_callee() {
    answered_and_hung_up_by_callee("udp");
}

#[test]
fn tcp_answered_and_hung_up_by_callee() {
    answered_and_hung_up_by_callee("tcp");
}

#[test]
fn udp_busy() {
    busy("udp");
}

#[test]
fn tcp_busy() {
    busy("tcp");
}

#[test]
fn udp_congestion_with_q850_cause() {
    congestion("udp");
}

#[test]
fn tcp_congestion_with_q850_cause() {
    congestion("tcp");
}

#[test]
fn udp_ring_timeout_cancels() {
    ring_timeout_cancels("udp");
}

#[test]
fn tcp_ring_timeout_cancels() {
    ring_timeout_cancels("tcp");
}

#[test]
fn udp_not_found() {
    not_found("udp");
}

#[test]
fn tcp_not_found() {
    not_found("tcp");
}

/// The carrier ignores the first INVITE; timer A's retransmission (T1 = 500 ms) gets
/// the call through. SIPp's scenario fails unless the second INVITE is the same
/// transaction.
#[test]
fn udp_invite_is_retransmitted_when_ignored() {
    let line = dial(
        "uas_ignore_first_invite",
        "udp",
        &["-nr"],
        &["--hold", "0.2"],
    );
    assert_outcome(&line, "answered", 200);
    let ring = line["ring_ms"].as_u64().unwrap();
    assert!(
        ring >= 500,
        "answered only after the retransmission at T1: {ring}"
    );
}

/// `ringhost serve` with its SIP listener on a UDP port of the system's choice (no
/// TCP) and `extra` appended to the configuration; returns the host, its data folder's
/// parent and the SIP port.
pub(crate) fn serve_sip(extra: &str) -> (Host, tempfile::TempDir, u16) {
    let dir = tempfile::tempdir().unwrap();
    let (config, http) = write_config(dir.path(), "");
    let text = std::fs::read_to_string(&config).unwrap();
    let text = text.replace("tcp = [\"127.0.0.1:0\"]", "tcp = []") + extra;
    std::fs::write(&config, text).unwrap();
    let mut host = Host::start(
        dir.path(),
        &["serve", "--config", config.to_str().unwrap()],
        http,
        &[],
    );
    host.wait_healthy();
    let sip_port = host.sip_port();
    (host, dir, sip_port)
}

/// Runs SIPp as a UAC (a phone) once against Ringhost's SIP port; returns its exit
/// code, its error log and the port it used.
pub(crate) fn sipp_uac(
    dir: &Path,
    sip_port: u16,
    name: &str,
    extra: &[&str],
) -> (i32, String, u16) {
    sipp_uac_from(dir, sip_port, name, free_sip_port(), extra)
}

/// [`sipp_uac`] from the UDP port `uac_port`.
pub(crate) fn sipp_uac_from(
    dir: &Path,
    sip_port: u16,
    name: &str,
    uac_port: u16,
    extra: &[&str],
) -> (i32, String, u16) {
    let status = Command::new("sipp")
        .arg(format!("127.0.0.1:{sip_port}"))
        .args(["-sf", scenario(name).to_str().unwrap()])
        .args(["-i", "127.0.0.1", "-p", &uac_port.to_string()])
        .args(["-t", "u1", "-m", "1", "-nostdin", "-trace_err"])
        .args(["-timeout", "20s", "-timeout_error"])
        .args(extra)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("cannot run sipp (is sip-tester installed?): {e}"));
    (status.code().unwrap_or(-1), take_sipp_errors(dir), uac_port)
}

/// An INVITE from a source that is no trunk and no registered phone never reaches a
/// trunk: 403, and one log line naming the source.
#[test]
fn invite_from_unknown_source_is_refused() {
    let (mut host, dir, sip_port) = serve_sip("");
    let (code, errors, uac_port) =
        sipp_uac(dir.path(), sip_port, "uac_expect_403", &["-s", "5551234"]);
    assert_eq!(
        code,
        0,
        "SIPp did not get its 403:\n{errors}\n{}",
        host.logs()
    );
    assert!(host.stop("TERM").success());
    let refusals: Vec<_> = host
        .logs()
        .lines()
        .filter(|l| l.contains("SIP INVITE refused: unknown source 127.0.0.1:"))
        .map(str::to_owned)
        .collect();
    assert_eq!(refusals.len(), 1, "{}", host.logs());
    assert!(
        refusals[0].contains(&format!("127.0.0.1:{uac_port}")),
        "{refusals:?}"
    );
}
