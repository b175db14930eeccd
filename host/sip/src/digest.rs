//! HTTP digest authentication as SIP uses it (RFC 3261 22.4, RFC 7616 for the
//! algorithms, RFC 8760 for SHA-256 in SIP): challenges, credentials and the response
//! hash, for both sides (the registrar checks phones, trunks answer carriers).
//!
//! Written here rather than on rsip's typed `Authorization`: rsip 0.4 refuses the
//! RFC 8760 spelling `SHA-256` (it knows only `SHA256`), reads `nc` as a decimal `u8`
//! (it is eight hex digits), and re-prints the `uri` parameter before hashing, which can
//! change the string the client hashed. No maintained crate covers SIP's digest; the
//! `digest_auth` crate is HTTP-only and has the same re-printing problem.

use std::fmt;

use md5::Md5;
use sha2::{Digest as _, Sha256};

/// A digest algorithm. RFC 8760 orders them by preference: SHA-256 before MD5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// MD5, what every phone speaks.
    Md5,
    /// SHA-256 (RFC 8760).
    Sha256,
}

impl Algorithm {
    /// Parses an `algorithm=` value. Accepts rsip's `SHA256` as well as the RFC's
    /// `SHA-256`, in any case.
    pub fn parse(value: &str) -> Option<Algorithm> {
        match value.to_ascii_uppercase().as_str() {
            "MD5" => Some(Algorithm::Md5),
            "SHA-256" | "SHA256" => Some(Algorithm::Sha256),
            _ => None,
        }
    }

    /// Lowercase hex of the hash of `data`.
    pub fn hash(self, data: &str) -> String {
        match self {
            Algorithm::Md5 => hex(&Md5::digest(data.as_bytes())),
            Algorithm::Sha256 => hex(&Sha256::digest(data.as_bytes())),
        }
    }
}

impl fmt::Display for Algorithm {
    /// The RFC spelling (`MD5`, `SHA-256`), never rsip's.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha256 => "SHA-256",
        })
    }
}

fn hex(bytes: &[u8]) -> String {
    use fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// A `WWW-Authenticate` or `Proxy-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Protection space; phones show it and hash it.
    pub realm: String,
    /// Server nonce.
    pub nonce: String,
    /// Returned unchanged by the client.
    pub opaque: Option<String>,
    /// The hash to use; RFC 3261 defaults it to MD5.
    pub algorithm: Algorithm,
    /// Whether `qop=auth` is offered (the only qop SIP uses).
    pub qop_auth: bool,
    /// The previous nonce expired but the credentials were right: retry without asking.
    pub stale: bool,
}

impl Challenge {
    /// Parses a challenge header's value (`Digest realm="..", nonce="..", ...`).
    /// `None` for another scheme or an algorithm we do not speak, which RFC 8760 says a
    /// client skips.
    pub fn parse(value: &str) -> Option<Challenge> {
        let params = params(strip_scheme(value)?);
        let algorithm = match get(&params, "algorithm") {
            Some(a) => Algorithm::parse(a)?,
            None => Algorithm::Md5,
        };
        Some(Challenge {
            realm: get(&params, "realm")?.to_owned(),
            nonce: get(&params, "nonce")?.to_owned(),
            opaque: get(&params, "opaque").map(str::to_owned),
            algorithm,
            qop_auth: get(&params, "qop")
                .is_some_and(|q| q.split(',').any(|q| q.trim().eq_ignore_ascii_case("auth"))),
            stale: get(&params, "stale").is_some_and(|s| s.eq_ignore_ascii_case("true")),
        })
    }

    /// The header value.
    pub fn to_header_value(&self) -> String {
        let mut out = format!(
            "Digest realm=\"{}\", nonce=\"{}\", algorithm={}",
            self.realm, self.nonce, self.algorithm
        );
        if self.qop_auth {
            out.push_str(", qop=\"auth\"");
        }
        if let Some(opaque) = &self.opaque {
            out.push_str(&format!(", opaque=\"{opaque}\""));
        }
        if self.stale {
            out.push_str(", stale=true");
        }
        out
    }

    /// The credentials answering this challenge for a request.
    pub fn answer(&self, username: &str, password: &str, method: &str, uri: &str) -> Credentials {
        let (cnonce, nc) = if self.qop_auth {
            (Some(format!("{:016x}", rand::random::<u64>())), Some(1))
        } else {
            (None, None)
        };
        let mut credentials = Credentials {
            username: username.to_owned(),
            realm: self.realm.clone(),
            nonce: self.nonce.clone(),
            uri: uri.to_owned(),
            response: String::new(),
            algorithm: self.algorithm,
            cnonce,
            nc,
            opaque: self.opaque.clone(),
        };
        credentials.response = credentials.expected_response(password, method);
        credentials
    }
}

/// An `Authorization` or `Proxy-Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Who claims to be asking.
    pub username: String,
    /// The realm of the challenge answered.
    pub realm: String,
    /// The server nonce answered.
    pub nonce: String,
    /// The Request-URI as the client wrote it, hashed as is.
    pub uri: String,
    /// The hash proving the password.
    pub response: String,
    /// The hash used.
    pub algorithm: Algorithm,
    /// Client nonce, with `qop=auth`.
    pub cnonce: Option<String>,
    /// Nonce count, with `qop=auth`.
    pub nc: Option<u32>,
    /// Echoed from the challenge.
    pub opaque: Option<String>,
}

impl Credentials {
    /// Parses a credentials header's value. `None` when it is not a complete digest
    /// answer in an algorithm we speak.
    pub fn parse(value: &str) -> Option<Credentials> {
        let params = params(strip_scheme(value)?);
        let algorithm = match get(&params, "algorithm") {
            Some(a) => Algorithm::parse(a)?,
            None => Algorithm::Md5,
        };
        let qop_auth = get(&params, "qop").is_some_and(|q| q.eq_ignore_ascii_case("auth"));
        let (cnonce, nc) = if qop_auth {
            (
                Some(get(&params, "cnonce")?.to_owned()),
                Some(u32::from_str_radix(get(&params, "nc")?, 16).ok()?),
            )
        } else {
            (None, None)
        };
        Some(Credentials {
            username: get(&params, "username")?.to_owned(),
            realm: get(&params, "realm")?.to_owned(),
            nonce: get(&params, "nonce")?.to_owned(),
            uri: get(&params, "uri")?.to_owned(),
            response: get(&params, "response")?.to_ascii_lowercase(),
            algorithm,
            cnonce,
            nc,
            opaque: get(&params, "opaque").map(str::to_owned),
        })
    }

    /// The response a client knowing `password` computes for `method` (RFC 7616 3.4.1).
    pub fn expected_response(&self, password: &str, method: &str) -> String {
        let ha1 = self
            .algorithm
            .hash(&format!("{}:{}:{password}", self.username, self.realm));
        self.expected_from_ha1(&ha1, method)
    }

    /// The response for `method` from HA1, `H(username:realm:password)`: what an
    /// account store keeps instead of the password.
    fn expected_from_ha1(&self, ha1: &str, method: &str) -> String {
        let h = |s: &str| self.algorithm.hash(s);
        let ha2 = h(&format!("{method}:{}", self.uri));
        match (&self.cnonce, self.nc) {
            (Some(cnonce), Some(nc)) => h(&format!(
                "{ha1}:{}:{nc:08x}:{cnonce}:auth:{ha2}",
                self.nonce
            )),
            _ => h(&format!("{ha1}:{}:{ha2}", self.nonce)),
        }
    }

    /// Whether the response proves `password`. Compared in constant time so that the
    /// timing of a refusal does not leak how much of the hash was right.
    pub fn verify(&self, password: &str, method: &str) -> bool {
        self.matches(&self.expected_response(password, method))
    }

    /// Whether the response proves the password whose HA1 for this credential's
    /// algorithm is `ha1`; in constant time like [`Credentials::verify`].
    pub fn verify_ha1(&self, ha1: &str, method: &str) -> bool {
        self.matches(&self.expected_from_ha1(ha1, method))
    }

    fn matches(&self, expected: &str) -> bool {
        expected.len() == self.response.len()
            && expected
                .bytes()
                .zip(self.response.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }

    /// The header value.
    pub fn to_header_value(&self) -> String {
        let mut out = format!(
            "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", response=\"{}\", algorithm={}",
            self.username, self.realm, self.nonce, self.uri, self.response, self.algorithm
        );
        if let (Some(cnonce), Some(nc)) = (&self.cnonce, self.nc) {
            out.push_str(&format!(", qop=auth, cnonce=\"{cnonce}\", nc={nc:08x}"));
        }
        if let Some(opaque) = &self.opaque {
            out.push_str(&format!(", opaque=\"{opaque}\""));
        }
        out
    }
}

fn strip_scheme(value: &str) -> Option<&str> {
    let value = value.trim_start();
    let (scheme, rest) = value.split_once(|c: char| c.is_ascii_whitespace())?;
    scheme.eq_ignore_ascii_case("digest").then_some(rest)
}

/// `name=value` pairs separated by commas, values optionally quoted (with `\`
/// escapes); names lowercased.
fn params(mut rest: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_ascii_whitespace());
        let Some(eq) = rest.find('=') else {
            return out;
        };
        let name = rest[..eq].trim().to_ascii_lowercase();
        rest = rest[eq + 1..].trim_start();
        let value;
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut v = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            v.push(escaped);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => v.push(c),
                }
            }
            value = v;
            rest = &quoted[end.min(quoted.len())..];
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            value = rest[..end].trim().to_owned();
            rest = &rest[end..];
        }
        out.push((name, value));
    }
}

fn get<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7616 section 3.9.1: the same request answered with MD5 and with SHA-256.
    fn rfc7616(algorithm: &str) -> Credentials {
        Credentials::parse(&format!(
            "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", uri=\"/dir/index.html\", \
             algorithm={algorithm}, nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", nc=00000001, \
             cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", qop=auth, \
             response=\"x\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""
        ))
        .unwrap()
    }

    #[test]
    fn rfc7616_vectors() {
        assert_eq!(
            rfc7616("MD5").expected_response("Circle of Life", "GET"),
            "8ca523f5e9506fed4657c9700eebdbec"
        );
        assert_eq!(
            rfc7616("SHA-256").expected_response("Circle of Life", "GET"),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
    }

    /// RFC 2617 3.5, the classic MD5 example, which has no algorithm parameter.
    #[test]
    fn rfc2617_vector_defaults_to_md5() {
        let c = Credentials::parse(
            "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", \
             nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", qop=auth, \
             nc=00000001, cnonce=\"0a4f113b\", response=\"6629fae49393a05397450978507c4ef1\"",
        )
        .unwrap();
        assert_eq!(c.algorithm, Algorithm::Md5);
        assert!(c.verify("Circle Of Life", "GET"));
        assert!(!c.verify("circle of life", "GET"));
        assert!(!c.verify("Circle Of Life", "POST"));
    }

    #[test]
    fn both_spellings_of_sha256_and_round_trip() {
        for spelling in ["SHA-256", "sha256", "SHA256"] {
            let ch = Challenge::parse(&format!(
                "Digest realm=\"r\",nonce=\"n\",algorithm={spelling},qop=\"auth,auth-int\""
            ))
            .unwrap();
            assert_eq!(ch.algorithm, Algorithm::Sha256);
            assert!(ch.qop_auth);
            assert!(ch.to_header_value().contains("algorithm=SHA-256"));
            let answer = ch.answer("1001", "pw", "REGISTER", "sip:ringhost");
            let parsed = Credentials::parse(&answer.to_header_value()).unwrap();
            assert_eq!(parsed, answer);
            assert!(parsed.verify("pw", "REGISTER"));
            assert!(!parsed.verify("pw2", "REGISTER"));
        }
    }

    #[test]
    fn unknown_algorithm_and_scheme_are_skipped() {
        assert!(
            Challenge::parse("Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512-256").is_none()
        );
        assert!(Challenge::parse("Basic realm=\"r\"").is_none());
        assert!(Credentials::parse("Digest username=\"u\"").is_none());
        assert!(Credentials::parse("").is_none());
        // An unterminated quote neither panics nor reads past the end.
        assert!(Credentials::parse("Digest username=\"u").is_none());
    }
}
