//! RFC 4475 torture messages (tests/sip/torture, bytes from the RFC's own archive):
//! every one is parsed or refused cleanly, never a panic, and the verdict for each is
//! pinned here so that a parser change that flips one shows up.
//!
//! Where Ringhost departs from the RFC's wish (see MANIFEST.tsv for its class):
//! - valid but refused, all rsip 0.4 limits: `wsinv` (its Via has whitespace inside
//!   the sent-protocol), `intmeth` and `esc02` (methods rsip does not know), `semiuri`
//!   (a `;` in the user part), `unkscm` (a non-SIP URI scheme). Each is answered 400,
//!   so the sender learns of it.
//! - invalid but accepted: messages whose defect lies in a header Ringhost never reads
//!   (`badinv01`, `quotbal`, `ltgtruri`, `baddate`, `regbadct`, `badaspec`) or that the
//!   RFC lets a receiver accept (`mcl01`: the first Content-Length is used).

use std::path::Path;

use ringhost_sip::message;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Accept,
    Refuse,
}
use Verdict::{Accept, Refuse};

/// (file, verdict, reply): reply is "ok" when accepted, "400" when refused with an
/// answer, "drop" when refused without one (no request line or not enough headers).
const PINNED: &[(&str, Verdict, &str)] = &[
    ("wsinv.dat", Refuse, "400"),
    ("intmeth.dat", Refuse, "400"),
    ("esc01.dat", Accept, "ok"),
    ("escnull.dat", Accept, "ok"),
    ("esc02.dat", Refuse, "400"),
    ("lwsdisp.dat", Accept, "ok"),
    ("longreq.dat", Accept, "ok"),
    ("dblreq.dat", Accept, "ok"),
    ("semiuri.dat", Refuse, "400"),
    ("transports.dat", Accept, "ok"),
    ("mpart01.dat", Accept, "ok"),
    ("unreason.dat", Accept, "ok"),
    ("noreason.dat", Accept, "ok"),
    ("badinv01.dat", Accept, "ok"),
    ("clerr.dat", Refuse, "400"),
    ("ncl.dat", Refuse, "400"),
    ("scalar02.dat", Refuse, "400"),
    ("scalarlg.dat", Refuse, "drop"),
    ("quotbal.dat", Accept, "ok"),
    ("ltgtruri.dat", Accept, "ok"),
    ("lwsruri.dat", Refuse, "400"),
    ("lwsstart.dat", Refuse, "400"),
    ("trws.dat", Refuse, "drop"),
    ("escruri.dat", Refuse, "400"),
    ("baddate.dat", Accept, "ok"),
    ("regbadct.dat", Accept, "ok"),
    ("badaspec.dat", Accept, "ok"),
    ("baddn.dat", Refuse, "400"),
    ("badvers.dat", Refuse, "drop"),
    ("mismatch01.dat", Refuse, "400"),
    ("mismatch02.dat", Refuse, "400"),
    ("bigcode.dat", Refuse, "drop"),
    ("badbranch.dat", Accept, "ok"),
    ("insuf.dat", Refuse, "drop"),
    ("unkscm.dat", Refuse, "400"),
    ("novelsc.dat", Accept, "ok"),
    ("unksm2.dat", Accept, "ok"),
    ("bext01.dat", Accept, "ok"),
    ("invut.dat", Accept, "ok"),
    ("regaut01.dat", Accept, "ok"),
    ("multi01.dat", Accept, "ok"),
    ("mcl01.dat", Accept, "ok"),
    ("bcast.dat", Accept, "ok"),
    ("zeromf.dat", Accept, "ok"),
    ("cparam01.dat", Accept, "ok"),
    ("cparam02.dat", Accept, "ok"),
    ("regescrt.dat", Accept, "ok"),
    ("sdp01.dat", Accept, "ok"),
    ("inv2543.dat", Accept, "ok"),
];

#[test]
fn every_torture_message_is_parsed_or_refused_cleanly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/sip/torture");
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap();
    let files: Vec<&str> = manifest
        .lines()
        .filter_map(|l| l.split('\t').next())
        .filter(|f| !f.is_empty())
        .collect();
    assert_eq!(
        files.len(),
        PINNED.len(),
        "every message has a pinned verdict"
    );
    let mut wrong = Vec::new();
    for &(file, verdict, reply) in PINNED {
        assert!(files.contains(&file), "{file} is not in the manifest");
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let result = message::parse(&bytes);
        let got = if result.is_ok() { Accept } else { Refuse };
        let got_reply = match &result {
            Ok(_) => "ok",
            Err(error) => match message::bad_request(&bytes, &error.to_string()) {
                Some(answer) => {
                    assert!(answer.starts_with(b"SIP/2.0 400 Bad Request\r\n"), "{file}");
                    "400"
                }
                None => "drop",
            },
        };
        if (got, got_reply) != (verdict, reply) {
            wrong.push(format!(
                "{file}: expected {verdict:?}/{reply}, got {got:?}/{got_reply} ({:?})",
                result.err()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Every prefix of every torture message, as a stream reader or a truncated datagram
/// would see it: no panic, whatever the cut.
#[test]
fn truncated_torture_messages_never_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/sip/torture");
    for &(file, _, _) in PINNED {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        for cut in (0..bytes.len()).step_by(7) {
            let _ = message::parse(&bytes[..cut]);
            let _ = message::bad_request(&bytes[..cut], "truncated");
        }
    }
}
