//! Requests that open a transaction outside any dialog (INVITE, REGISTER, OPTIONS),
//! built one way (RFC 3261 8.1.1): Via with a fresh branch and `rport`, Max-Forwards,
//! From with our tag, To, Call-ID, CSeq, Contact, then what the caller adds.

use std::net::SocketAddr;
use std::time::Duration;

use rsip::headers::UntypedHeader as _;
use rsip::prelude::*;
use rsip::{Header, Method, Request, Response};

use crate::digest::Challenge;
use crate::ids;
use crate::transport::Protocol;

/// A request to build; `to` and `from` are full URIs.
pub(crate) struct NewRequest<'a> {
    pub method: Method,
    pub uri: &'a str,
    pub local: SocketAddr,
    pub protocol: Protocol,
    pub from: &'a str,
    pub from_tag: &'a str,
    pub to: &'a str,
    pub call_id: &'a str,
    pub seq: u32,
    pub user_agent: &'a str,
    pub extra: Vec<Header>,
    pub body: Vec<u8>,
}

impl NewRequest<'_> {
    pub(crate) fn build(self) -> Result<Request, rsip::Error> {
        let uri = rsip::Uri::try_from(self.uri)?;
        let mut headers = rsip::Headers::default();
        headers.push(Header::Via(rsip::headers::Via::new(format!(
            "SIP/2.0/{} {};branch={};rport",
            self.protocol.via_name(),
            self.local,
            ids::branch()
        ))));
        headers.push(Header::MaxForwards(rsip::headers::MaxForwards::default()));
        headers.push(Header::From(rsip::headers::From::new(format!(
            "<{}>;tag={}",
            self.from, self.from_tag
        ))));
        headers.push(Header::To(rsip::headers::To::new(format!("<{}>", self.to))));
        headers.push(Header::CallId(rsip::headers::CallId::new(self.call_id)));
        headers.push(
            rsip::typed::CSeq {
                seq: self.seq,
                method: self.method,
            }
            .into(),
        );
        let transport_param = match self.protocol {
            Protocol::Udp => "",
            Protocol::Tcp => ";transport=tcp",
        };
        headers.push(Header::Contact(rsip::headers::Contact::new(format!(
            "<sip:ringhost@{}{transport_param}>",
            self.local
        ))));
        for header in self.extra {
            headers.push(header);
        }
        headers.push(Header::UserAgent(rsip::headers::UserAgent::new(
            self.user_agent,
        )));
        headers.push(Header::ContentLength(rsip::headers::ContentLength::new(
            self.body.len().to_string(),
        )));
        Ok(Request {
            method: self.method,
            uri,
            version: rsip::Version::V2,
            headers,
            body: self.body,
        })
    }
}

/// A user name and password a trunk answers digest challenges with.
#[derive(Clone, PartialEq, Eq)]
pub struct DigestLogin {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
}

impl std::fmt::Debug for DigestLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DigestLogin")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// The Authorization (to a 401) or Proxy-Authorization (to a 407) header answering the
/// first challenge of `response` in an algorithm we speak (RFC 8760: challenges come
/// most preferred first, unknown algorithms are skipped). `None` when there is none.
pub(crate) fn authorization(
    response: &Response,
    login: &DigestLogin,
    method: &Method,
    uri: &str,
) -> Option<Header> {
    let proxy = response.status_code.code() == 407;
    let challenge = response.headers.iter().find_map(|h| match (h, proxy) {
        (Header::WwwAuthenticate(c), false) => Challenge::parse(c.value()),
        (Header::ProxyAuthenticate(c), true) => Challenge::parse(c.value()),
        _ => None,
    })?;
    let value = challenge
        .answer(&login.username, &login.password, &method.to_string(), uri)
        .to_header_value();
    Some(if proxy {
        Header::ProxyAuthorization(rsip::headers::ProxyAuthorization::new(value))
    } else {
        Header::Authorization(rsip::headers::Authorization::new(value))
    })
}

/// The lifetime a registrar granted the Contact registered from `local` (RFC 3261
/// 10.2.4): that Contact's `expires` parameter in the 2xx, else the Expires header. A
/// registrar lists every binding of the address of record; only ours counts.
pub fn granted(response: &Response, local: SocketAddr) -> Option<Duration> {
    let ours = format!("@{local}");
    let is_ours = |value: &str| {
        value.match_indices(&ours).any(|(at, _)| {
            // `@127.0.0.1:5060` is not `@127.0.0.1:50600`.
            !value[at + ours.len()..].starts_with(|c: char| c.is_ascii_digit())
        })
    };
    let from_contact = response.headers.iter().find_map(|h| match h {
        Header::Contact(c) if is_ours(c.value()) => c
            .value()
            .split(';')
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("expires"))
            .and_then(|(_, v)| v.trim().trim_end_matches('>').parse::<u64>().ok()),
        _ => None,
    });
    let seconds = from_contact.or_else(|| {
        response
            .expires_header()
            .and_then(|e| e.seconds().ok())
            .map(u64::from)
    })?;
    Some(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn challenged(code: u16, header: Header) -> Response {
        let mut headers = rsip::Headers::default();
        headers.push(header);
        Response {
            status_code: code.into(),
            version: rsip::Version::V2,
            headers,
            body: Vec::new(),
        }
    }

    fn login() -> DigestLogin {
        DigestLogin {
            username: "u".into(),
            password: "p".into(),
        }
    }

    /// A proxy's 407 is answered in Proxy-Authorization, a 401 in Authorization, and
    /// a challenge in an unknown algorithm is skipped for the next one (RFC 8760).
    #[test]
    fn answers_go_in_the_header_the_challenge_asks_for() {
        let value = "Digest realm=\"r\", nonce=\"n\", algorithm=MD5";
        let proxy = challenged(
            407,
            Header::ProxyAuthenticate(rsip::headers::ProxyAuthenticate::new(value)),
        );
        let answer = authorization(&proxy, &login(), &Method::Invite, "sip:1@h").unwrap();
        let Header::ProxyAuthorization(answer) = answer else {
            panic!("{answer:?}")
        };
        let credentials = crate::digest::Credentials::parse(answer.value()).unwrap();
        assert!(credentials.verify("p", "INVITE"));
        assert_eq!(credentials.uri, "sip:1@h");

        let mut www = challenged(
            401,
            Header::WwwAuthenticate(rsip::headers::WwwAuthenticate::new(
                "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512-256",
            )),
        );
        assert!(authorization(&www, &login(), &Method::Register, "sip:h").is_none());
        www.headers.push(Header::WwwAuthenticate(
            rsip::headers::WwwAuthenticate::new(
                "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-256, qop=\"auth\"",
            ),
        ));
        let answer = authorization(&www, &login(), &Method::Register, "sip:h").unwrap();
        let Header::Authorization(answer) = answer else {
            panic!("{answer:?}")
        };
        let credentials = crate::digest::Credentials::parse(answer.value()).unwrap();
        assert_eq!(credentials.algorithm, crate::digest::Algorithm::Sha256);
        assert!(credentials.verify("p", "REGISTER"));
    }

    #[test]
    fn granted_reads_our_contact_only() {
        let raw = "SIP/2.0 200 OK\r\n\
                   Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n\
                   From: <sip:a@x>;tag=1\r\nTo: <sip:a@x>;tag=2\r\nCall-ID: c\r\n\
                   CSeq: 2 REGISTER\r\n\
                   Contact: <sip:a@127.0.0.1:50600>;expires=900\r\n\
                   Contact: <sip:ringhost@127.0.0.1:5060>;expires=120\r\n\
                   Expires: 3600\r\nContent-Length: 0\r\n\r\n";
        let rsip::SipMessage::Response(response) = rsip::SipMessage::try_from(raw).unwrap() else {
            panic!("not a response");
        };
        let granted_to = |local: &str| granted(&response, local.parse().unwrap());
        assert_eq!(granted_to("127.0.0.1:5060"), Some(Duration::from_secs(120)));
        assert_eq!(
            granted_to("127.0.0.1:50600"),
            Some(Duration::from_secs(900))
        );
        // Not among the bindings: the Expires header.
        assert_eq!(
            granted_to("127.0.0.1:7000"),
            Some(Duration::from_secs(3600))
        );
    }
}
