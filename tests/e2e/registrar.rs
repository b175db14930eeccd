//! The registrar against SIPp as a phone (SIPp 3.6.1 speaks MD5 digest only; SHA-256 is
//! tested from Rust in the `ringhost-sip` crate): challenged, accepted, refused,
//! throttled, and the registered phone's INVITE no longer refused as a stranger's.

use crate::sip::{serve_sip, sipp_uac};
use crate::support::sqlite_rows;

/// SIPp reads only the first challenge, so MD5 is offered first here.
const PHONES: &str = "[registrar]\nalgorithms = [\"MD5\", \"SHA-256\"]\nmax_failures = 2\n\
                      [[phones]]\nusername = \"1001\"\npassword = \"s3cret\"\n";

#[test]
fn phone_is_challenged_then_registered_with_md5_and_may_call() {
    let (mut host, dir, sip_port) = serve_sip(PHONES);
    let (code, errors, uac_port) = sipp_uac(
        dir.path(),
        sip_port,
        "phone_register",
        &["-s", "1001", "-au", "1001", "-ap", "s3cret"],
    );
    assert_eq!(code, 0, "SIPp phone failed:\n{errors}\n{}", host.logs());
    assert!(host.stop("TERM").success());
    let rows = sqlite_rows(
        &dir.path().join("ringhost-data/ringhost.db"),
        "SELECT aor, source FROM sip_binding",
    );
    assert_eq!(
        rows,
        vec![("1001".to_owned(), Some(format!("127.0.0.1:{uac_port}")))]
    );
    let logs = host.logs();
    assert!(!logs.contains("SIP INVITE refused"), "{logs}");
    assert!(!logs.contains("authentication failed"), "{logs}");
}

#[test]
fn wrong_password_is_refused_logged_and_throttled() {
    let (mut host, dir, sip_port) = serve_sip(PHONES);
    let wrong = ["-s", "1001", "-au", "1001", "-ap", "wrong"];
    let mut ports = Vec::new();
    for _ in 0..2 {
        let (code, errors, port) = sipp_uac(
            dir.path(),
            sip_port,
            "phone_register_wrong_password",
            &wrong,
        );
        assert_eq!(
            code,
            0,
            "no 403 for a wrong password:\n{errors}\n{}",
            host.logs()
        );
        ports.push(port);
    }
    // Two failures block the address: even the right password is now refused, before
    // any challenge.
    let right = ["-s", "1001", "-au", "1001", "-ap", "s3cret"];
    let (code, _, _) = sipp_uac(dir.path(), sip_port, "phone_register", &right);
    assert_ne!(code, 0, "a blocked address registered:\n{}", host.logs());
    assert!(host.stop("TERM").success());

    let logs = host.logs();
    let failures: Vec<_> = logs
        .lines()
        .filter(|l| l.contains("SIP authentication failed for user \"1001\" from 127.0.0.1:"))
        .collect();
    assert_eq!(failures.len(), 2, "{logs}");
    for (line, port) in failures.iter().zip(&ports) {
        assert!(
            line.contains(&format!("127.0.0.1:{port}: wrong password")),
            "{line}"
        );
    }
    assert!(logs.contains("SIP source 127.0.0.1 blocked"), "{logs}");
    let rows = sqlite_rows(
        &dir.path().join("ringhost-data/ringhost.db"),
        "SELECT aor, source FROM sip_binding",
    );
    assert!(rows.is_empty(), "{rows:?}");
}
