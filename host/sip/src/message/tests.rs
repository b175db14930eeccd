use super::*;

const INVITE: &str = "INVITE sip:bob@127.0.0.1 SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK776asdhds\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@127.0.0.1>\r\n\
From: Alice <sip:alice@127.0.0.1>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33\r\n\
CSeq: 314159 INVITE\r\n\
Content-Length: 4\r\n\r\nv=0\n";

#[test]
fn parses_a_plain_invite() {
    let message = parse(INVITE.as_bytes()).unwrap();
    assert!(message.is_request());
    assert_eq!(message.body(), b"v=0\n");
}

#[test]
fn expands_compact_forms() {
    let compact = "INVITE sip:bob@127.0.0.1 SIP/2.0\r\n\
v: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK776asdhds\r\n\
t: <sip:bob@127.0.0.1>\r\n\
f: <sip:alice@127.0.0.1>;tag=1928301774\r\n\
i: a84b4c76e66710@pc33\r\n\
CSeq: 1 INVITE\r\n\
m: <sip:alice@127.0.0.1:5070>\r\n\
c: application/sdp\r\n\
k: timer\r\n\
s: hello\r\n\
e: gzip\r\n\
l: 0\r\n\r\n";
    let message = parse(compact.as_bytes()).unwrap();
    assert_eq!(
        message.call_id_header().unwrap().value(),
        "a84b4c76e66710@pc33"
    );
    assert!(message.contact_header().is_ok());
    let other: Vec<_> = message
        .headers()
        .iter()
        .filter(|h| matches!(h, Header::Other(..)))
        .collect();
    assert!(other.is_empty(), "left unexpanded: {other:?}");
}

#[test]
fn body_is_cut_to_content_length_and_a_short_body_refused() {
    let long = INVITE.replace("Content-Length: 4", "Content-Length: 2");
    assert_eq!(parse(long.as_bytes()).unwrap().body(), b"v=");
    let short = INVITE.replace("Content-Length: 4", "Content-Length: 40");
    assert_eq!(
        parse(short.as_bytes()).unwrap_err(),
        ParseError::TruncatedBody {
            declared: 40,
            got: 4
        }
    );
}

#[test]
fn missing_headers_and_method_mismatch_are_refused() {
    let no_call_id = INVITE.replace("Call-ID: a84b4c76e66710@pc33\r\n", "");
    assert_eq!(
        parse(no_call_id.as_bytes()).unwrap_err(),
        ParseError::MissingHeader("Call-ID")
    );
    let mismatch = INVITE.replace("CSeq: 314159 INVITE", "CSeq: 314159 BYE");
    assert!(matches!(
        parse(mismatch.as_bytes()),
        Err(ParseError::MethodMismatch { .. })
    ));
    assert!(matches!(
        parse(b"hello\r\n\r\n"),
        Err(ParseError::Syntax(_))
    ));
    assert!(matches!(parse(b""), Err(ParseError::Syntax(_))));
}

#[test]
fn bad_request_echoes_the_request_headers() {
    let broken = INVITE.replace("CSeq: 314159 INVITE", "CSeq: 314159 BYE");
    let response =
        String::from_utf8(bad_request(broken.as_bytes(), "CSeq \"mismatch\"").unwrap()).unwrap();
    assert!(
        response.starts_with("SIP/2.0 400 Bad Request\r\n"),
        "{response}"
    );
    assert!(response.contains("Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK776asdhds\r\n"));
    assert!(response.contains("Call-ID: a84b4c76e66710@pc33\r\n"));
    assert!(response.contains("CSeq: 314159 BYE\r\n"));
    assert!(response.contains("Warning: 399 ringhost \"CSeq 'mismatch'\""));
    assert!(
        parse(response.as_bytes()).is_ok(),
        "the 400 itself must parse"
    );

    let ack = INVITE.replace("INVITE sip", "ACK sip");
    assert_eq!(
        bad_request(ack.as_bytes(), "x"),
        None,
        "never answer an ACK"
    );
    let no_via = INVITE.replace(
        "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK776asdhds\r\n",
        "",
    );
    assert_eq!(bad_request(no_via.as_bytes(), "x"), None);
}

#[test]
fn declared_content_length_reads_both_names() {
    assert_eq!(declared_content_length(INVITE.as_bytes()).unwrap(), Some(4));
    assert_eq!(
        declared_content_length(b"BYE sip:x SIP/2.0\r\nl: 12\r\n\r\n").unwrap(),
        Some(12)
    );
    assert_eq!(
        declared_content_length(b"BYE sip:x SIP/2.0\r\n\r\n").unwrap(),
        None
    );
    assert!(declared_content_length(b"BYE sip:x SIP/2.0\r\nContent-Length: x\r\n\r\n").is_err());
}

#[test]
fn q850_cause_from_reason_header() {
    let response = "SIP/2.0 503 Service Unavailable\r\n\
Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK776asdhds\r\n\
To: <sip:bob@127.0.0.1>;tag=x\r\n\
From: <sip:alice@127.0.0.1>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33\r\n\
CSeq: 1 INVITE\r\n\
Reason: SIP;cause=503, Q.850;cause=34;text=\"No circuit/channel available\"\r\n\
Content-Length: 0\r\n\r\n";
    let message = parse(response.as_bytes()).unwrap();
    assert_eq!(q850_cause(message.headers()), Some(34));
    assert_eq!(
        q850_cause(parse(INVITE.as_bytes()).unwrap().headers()),
        None
    );
}
