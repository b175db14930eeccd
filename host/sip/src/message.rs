//! SIP messages on the wire (RFC 3261 section 7): bytes to [`rsip::SipMessage`] and back,
//! with what rsip 0.4 leaves to us.
//!
//! - Compact header forms (7.3.3: `i f t v m l c k s e`) are expanded, since rsip keeps
//!   them as unknown headers and its accessors would not find them.
//! - Content-Length framing (18.3): rsip takes everything after the blank line as the
//!   body; here a body longer than Content-Length is cut and a shorter one refused.
//! - The headers the transaction layer needs (Via with a branch, From, To, Call-ID,
//!   CSeq matching the method) are checked once, so later layers can rely on them.
//!
//! Malformed input never panics: it yields a [`ParseError`], and [`bad_request`] builds a
//! 400 from the raw bytes when enough of the request is readable to answer it.

use rsip::headers::{self as h, UntypedHeader as _};
use rsip::prelude::*;
use rsip::{Header, SipMessage};

/// Why bytes were not accepted as a SIP message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The start line or a header is not SIP syntax.
    #[error("not a SIP message: {0}")]
    Syntax(String),
    /// A header every request and response must carry is absent or unreadable.
    #[error("missing or malformed {0} header")]
    MissingHeader(&'static str),
    /// Content-Length says more bytes than arrived.
    #[error("body is {got} bytes but Content-Length says {declared}")]
    TruncatedBody {
        /// What the Content-Length header declared.
        declared: usize,
        /// What arrived.
        got: usize,
    },
    /// CSeq names another method than the request line.
    #[error("CSeq method {cseq} does not match request method {method}")]
    MethodMismatch {
        /// The request line's method.
        method: String,
        /// The CSeq header's method.
        cseq: String,
    },
}

/// Parses one whole message (a UDP datagram, or one framed TCP message).
///
/// # Errors
/// A [`ParseError`] saying what is wrong.
pub fn parse(bytes: &[u8]) -> Result<SipMessage, ParseError> {
    let head_len = head_length(bytes)
        .ok_or_else(|| ParseError::Syntax("no blank line after the headers".to_owned()))?;
    let normalised = normalise_head(bytes, head_len);
    let bytes: &[u8] = &normalised;
    // rsip is third-party nom code fed bytes from the network; a panic inside it must
    // cost one message, never the transport task that reads every message.
    let parsed = std::panic::catch_unwind(|| SipMessage::try_from(bytes))
        .map_err(|_| ParseError::Syntax("parser panicked".to_owned()))?;
    let mut message = parsed.map_err(|e| ParseError::Syntax(e.to_string()))?;
    expand_compact_forms(message.headers_mut());
    let head_len = head_length(bytes).unwrap_or(bytes.len());
    check_body_length(&mut message, bytes.len() - head_len)?;
    check_mandatory_headers(&message)?;
    Ok(message)
}

/// Rewrites what RFC 3261 allows but rsip 0.4 refuses, in the head only: folded header
/// lines (7.3.1: a line starting with space or tab continues the previous one) are
/// joined, and whitespace between a header name and its colon is removed. Borrowed
/// unchanged, with no copy, when there is nothing to rewrite (the usual case).
fn normalise_head(bytes: &[u8], head_len: usize) -> std::borrow::Cow<'_, [u8]> {
    let head = &bytes[..head_len];
    let folded = head
        .windows(3)
        .any(|w| w[0] == b'\r' && w[1] == b'\n' && (w[2] == b' ' || w[2] == b'\t'))
        && head.len() > 4;
    let spaced_colon = head.split(|b| *b == b'\n').skip(1).any(|line| {
        let name_end = line.iter().position(|b| *b == b':').unwrap_or(0);
        name_end > 0 && matches!(line[name_end - 1], b' ' | b'\t')
    });
    if !folded && !spaced_colon {
        return std::borrow::Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len());
    // The head without its final blank line, so folding never eats the separator.
    let lines = &head[..head_len - 2];
    let mut first = true;
    for line in lines.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        if !first && matches!(line[0], b' ' | b'\t') {
            // A continuation: one space instead of the line break and its indent.
            while out.last() == Some(&b' ') {
                out.pop();
            }
            out.extend_from_slice(b" ");
            let rest = line
                .iter()
                .position(|b| !matches!(b, b' ' | b'\t'))
                .unwrap_or(line.len());
            out.extend_from_slice(&line[rest..]);
            continue;
        }
        if !first {
            out.extend_from_slice(b"\r\n");
        }
        match (first, line.iter().position(|b| *b == b':')) {
            (false, Some(colon)) => {
                let name = &line[..colon];
                let trimmed = name
                    .iter()
                    .rposition(|b| !matches!(b, b' ' | b'\t'))
                    .map_or(0, |i| i + 1);
                out.extend_from_slice(&name[..trimmed]);
                out.extend_from_slice(&line[colon..]);
            }
            _ => out.extend_from_slice(line),
        }
        first = false;
    }
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(&bytes[head_len..]);
    std::borrow::Cow::Owned(out)
}

/// Length of the start line and headers including the blank line, if complete.
pub fn head_length(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
}

/// The Content-Length declared in a message head (full or compact name), for TCP
/// framing before the message is parsed.
pub fn declared_content_length(head: &[u8]) -> Result<Option<usize>, ParseError> {
    let head = std::str::from_utf8(head)
        .map_err(|_| ParseError::Syntax("header bytes are not UTF-8".to_owned()))?;
    for line in head.split("\r\n").skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("l") {
            return value
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| ParseError::Syntax(format!("bad Content-Length {value:?}")));
        }
    }
    Ok(None)
}

fn expand_compact_forms(headers: &mut rsip::Headers) {
    for header in headers.iter_mut() {
        let Header::Other(name, value) = header else {
            continue;
        };
        if name.len() != 1 {
            continue;
        }
        let value = value.clone();
        *header = match name.as_bytes()[0].to_ascii_lowercase() {
            b'i' => Header::CallId(h::CallId::new(value)),
            b'f' => Header::From(h::From::new(value)),
            b't' => Header::To(h::To::new(value)),
            b'v' => Header::Via(h::Via::new(value)),
            b'm' => Header::Contact(h::Contact::new(value)),
            b'l' => Header::ContentLength(h::ContentLength::new(value)),
            b'c' => Header::ContentType(h::ContentType::new(value)),
            b'k' => Header::Supported(h::Supported::new(value)),
            b's' => Header::Subject(h::Subject::new(value)),
            b'e' => Header::ContentEncoding(h::ContentEncoding::new(value)),
            _ => continue,
        };
    }
}

fn check_body_length(message: &mut SipMessage, got: usize) -> Result<(), ParseError> {
    let declared = message.headers().iter().find_map(|h| match h {
        Header::ContentLength(len) => Some(len.value().trim().parse::<usize>()),
        _ => None,
    });
    match declared {
        None => Ok(()),
        Some(Err(_)) => Err(ParseError::MissingHeader("Content-Length")),
        Some(Ok(declared)) if declared > got => Err(ParseError::TruncatedBody { declared, got }),
        Some(Ok(declared)) => {
            message.body_mut().truncate(declared);
            Ok(())
        }
    }
}

fn check_mandatory_headers(message: &SipMessage) -> Result<(), ParseError> {
    let via = message
        .via_header()
        .map_err(|_| ParseError::MissingHeader("Via"))?;
    via.typed().map_err(|_| ParseError::MissingHeader("Via"))?;
    message
        .from_header()
        .map_err(|_| ParseError::MissingHeader("From"))?;
    message
        .to_header()
        .map_err(|_| ParseError::MissingHeader("To"))?;
    message
        .call_id_header()
        .map_err(|_| ParseError::MissingHeader("Call-ID"))?;
    let cseq = message
        .cseq_header()
        .map_err(|_| ParseError::MissingHeader("CSeq"))?
        .typed()
        .map_err(|_| ParseError::MissingHeader("CSeq"))?;
    if let SipMessage::Request(request) = message
        && request.method != cseq.method
    {
        return Err(ParseError::MethodMismatch {
            method: request.method.to_string(),
            cseq: cseq.method.to_string(),
        });
    }
    Ok(())
}

/// A 400 for a request that could not be parsed, built from its raw header lines, when
/// it is a request (not an ACK) with the five headers a response must echo. `None` means
/// the message can only be dropped.
pub fn bad_request(raw: &[u8], reason: &str) -> Option<Vec<u8>> {
    let head = &raw[..head_length(raw).unwrap_or(raw.len())];
    let head = String::from_utf8_lossy(head);
    let mut lines = head.split("\r\n");
    let request_line = lines.next()?;
    let method = request_line.split(' ').next()?;
    if !request_line.ends_with("SIP/2.0") || method.eq_ignore_ascii_case("ACK") {
        return None;
    }
    let wanted = |name: &str| -> Option<&'static str> {
        let name = name.trim();
        [
            ("via", "v", "Via"),
            ("from", "f", "From"),
            ("to", "t", "To"),
            ("call-id", "i", "Call-ID"),
            ("cseq", "", "CSeq"),
        ]
        .into_iter()
        .find(|(full, compact, _)| {
            name.eq_ignore_ascii_case(full) || (!compact.is_empty() && name == *compact)
        })
        .map(|(_, _, canonical)| canonical)
    };
    let mut echoed = Vec::new();
    for line in lines {
        if let Some((name, value)) = line.split_once(':')
            && let Some(canonical) = wanted(name)
        {
            echoed.push((canonical, value.trim()));
        }
    }
    for needed in ["Via", "From", "To", "Call-ID", "CSeq"] {
        if !echoed.iter().any(|(name, _)| *name == needed) {
            return None;
        }
    }
    let reason: String = reason
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect();
    let mut out = format!(
        "SIP/2.0 400 Bad Request\r\nWarning: 399 ringhost \"{}\"\r\n",
        reason.replace('"', "'")
    );
    for (name, value) in echoed {
        out.push_str(name);
        out.push_str(": ");
        out.push_str(value);
        out.push_str("\r\n");
    }
    out.push_str("Content-Length: 0\r\n\r\n");
    Some(out.into_bytes())
}

/// The Q.850 cause in a message's `Reason` header (RFC 3326), if any.
pub fn q850_cause(headers: &rsip::Headers) -> Option<u16> {
    headers.iter().find_map(|header| {
        let Header::Other(name, value) = header else {
            return None;
        };
        if !name.eq_ignore_ascii_case("reason") {
            return None;
        }
        value.split(',').find_map(|reason| {
            let mut parts = reason.split(';');
            if !parts.next()?.trim().eq_ignore_ascii_case("q.850") {
                return None;
            }
            parts.find_map(|param| {
                let (key, value) = param.split_once('=')?;
                key.trim()
                    .eq_ignore_ascii_case("cause")
                    .then(|| value.trim().parse().ok())?
            })
        })
    })
}

#[cfg(test)]
mod tests;

/// A response to `request` (RFC 3261 8.2.6): every Via in order, From, To (with
/// `to_tag` added when the request's To has none and the response is not a 100),
/// Call-ID and CSeq, and a Content-Length for `body`.
pub fn response_to(
    request: &rsip::Request,
    code: u16,
    reason: &str,
    to_tag: &str,
    extra: Vec<Header>,
    body: Vec<u8>,
) -> rsip::Response {
    let mut headers = rsip::Headers::default();
    for header in request.headers.iter() {
        match header {
            Header::Via(_) | Header::From(_) | Header::CallId(_) | Header::CSeq(_) => {
                headers.push(header.clone());
            }
            Header::To(to) => {
                let has_tag = to.tag().ok().flatten().is_some();
                if has_tag || code == 100 {
                    headers.push(header.clone());
                } else {
                    headers.push(Header::To(h::To::new(format!(
                        "{};tag={to_tag}",
                        to.value()
                    ))));
                }
            }
            _ => {}
        }
    }
    for header in extra {
        headers.push(header);
    }
    headers.push(Header::ContentLength(h::ContentLength::new(
        body.len().to_string(),
    )));
    rsip::Response {
        status_code: rsip::StatusCode::Other(code, reason.to_owned()),
        version: rsip::Version::V2,
        headers,
        body,
    }
}

/// A request that shares the INVITE's transaction identity: the CANCEL (9.1) and the
/// ACK for a non-2xx final response (17.1.1.3). Both take the INVITE's Request-URI,
/// top Via (so its branch), From, Call-ID, Route and CSeq number; `to` is the INVITE's
/// To for a CANCEL, the response's To (with its tag) for an ACK.
pub fn same_transaction_request(
    invite: &rsip::Request,
    method: rsip::Method,
    to: Option<&h::To>,
) -> rsip::Request {
    let mut headers = rsip::Headers::default();
    if let Some(via) = invite.headers.iter().find(|h| matches!(h, Header::Via(_))) {
        headers.push(via.clone());
    }
    headers.push(Header::MaxForwards(h::MaxForwards::default()));
    for header in invite.headers.iter() {
        if matches!(
            header,
            Header::From(_) | Header::CallId(_) | Header::Route(_)
        ) {
            headers.push(header.clone());
        }
    }
    if let Some(to) = to {
        headers.push(Header::To(to.clone()));
    }
    let seq = invite
        .cseq_header()
        .ok()
        .and_then(|c| c.seq().ok())
        .unwrap_or(1);
    headers.push(rsip::typed::CSeq { seq, method }.into());
    headers.push(Header::ContentLength(h::ContentLength::default()));
    rsip::Request {
        method,
        uri: invite.uri.clone(),
        version: rsip::Version::V2,
        headers,
        body: Vec::new(),
    }
}
