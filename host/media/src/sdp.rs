//! SDP offer and answer (RFC 3264) for one audio stream: G.711 in either law and RFC
//! 4733 telephone events. Parsing and printing are the `sdp` crate's; this module holds
//! the negotiation rules Ringhost applies.
//!
//! Ringhost offers PCMU and PCMA (in the configured order), `telephone-event/8000` on
//! payload type 101 and `ptime:20`. From the far end's description it takes the first
//! G.711 format it lists, its telephone-event payload type (any number: RFC 4733
//! events are dynamic), where to send (the media `c=` line, else the session's) and
//! the direction.

use std::io::Cursor;
use std::net::{IpAddr, SocketAddr};

use sdp::description::common::{Address, Attribute, ConnectionInformation};
use sdp::description::media::{MediaDescription, MediaName, RangedPort};
use sdp::description::session::{Origin, SessionDescription, TimeDescription, Timing};

use crate::g711::{Law, SAMPLE_RATE};

/// The payload type Ringhost offers for RFC 4733 events.
pub const EVENT_PAYLOAD_TYPE: u8 = 101;

/// Why a session description cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SdpError {
    /// Not SDP at all, or broken SDP.
    #[error("malformed SDP: {0}")]
    Malformed(String),
    /// No `m=audio` line with a non-zero port.
    #[error("no audio stream in the SDP")]
    NoAudio,
    /// The audio stream offers neither PCMU nor PCMA.
    #[error("no common codec: the far end offers {0:?}")]
    NoCommonCodec(Vec<String>),
    /// No `c=` line, or an address that is not an IP address.
    #[error("no usable connection address in the SDP")]
    NoAddress,
}

/// Which way media flows, from the description's author's point of view (RFC 3264 5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Both ways: the default.
    SendRecv,
    /// The author only sends (it holds us: music on hold from its side).
    SendOnly,
    /// The author only receives.
    RecvOnly,
    /// Neither (on hold).
    Inactive,
}

impl Direction {
    fn attribute(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    fn from_attributes(attributes: &[Attribute]) -> Option<Direction> {
        attributes.iter().find_map(|a| match a.key.as_str() {
            "sendrecv" => Some(Direction::SendRecv),
            "sendonly" => Some(Direction::SendOnly),
            "recvonly" => Some(Direction::RecvOnly),
            "inactive" => Some(Direction::Inactive),
            _ => None,
        })
    }

    /// The direction that answers this one (RFC 3264 6.1).
    pub fn answer(self) -> Direction {
        match self {
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            other => other,
        }
    }
}

/// What Ringhost's side of a stream offers.
#[derive(Debug, Clone)]
pub struct LocalMedia {
    /// Where our RTP socket listens (and sends from: symmetric RTP).
    pub addr: SocketAddr,
    /// G.711 laws in order of preference.
    pub laws: Vec<Law>,
}

/// The stream both sides agreed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    /// Where to send RTP (until symmetric RTP latches onto the far end's source).
    pub remote: SocketAddr,
    /// The law both ends speak.
    pub law: Law,
    /// The payload type of the law on this stream (the static one, or the far end's
    /// dynamic number for it).
    pub payload_type: u8,
    /// The far end's RFC 4733 payload type; `None` means DTMF must be heard in-band.
    pub event_payload_type: Option<u8>,
    /// The far end's packet time, if it said (20 or 30 ms are common).
    pub ptime_ms: Option<u32>,
    /// The far end's direction.
    pub direction: Direction,
}

/// Our offer (RFC 3264 section 5).
pub fn offer(local: &LocalMedia, session_id: u64) -> String {
    describe(
        local,
        session_id,
        &local
            .laws
            .iter()
            .map(|law| (law.payload_type(), *law))
            .collect::<Vec<_>>(),
        Some(EVENT_PAYLOAD_TYPE),
        Direction::SendRecv,
    )
}

/// Reads the far end's answer to our offer.
///
/// # Errors
/// When it is not SDP, has no audio stream, no G.711 or no address.
pub fn read_answer(answer: &[u8]) -> Result<Negotiated, SdpError> {
    let description = parse(answer)?;
    negotiate(&description, &[Law::Pcmu, Law::Pcma])
}

/// Answers a far end's offer (an inbound call, or a re-INVITE): the first of its G.711
/// formats that `local` accepts, its telephone-event payload type, the mirrored
/// direction.
///
/// # Errors
/// As [`read_answer`], and when none of the offered laws is in `local.laws`.
pub fn answer(
    local: &LocalMedia,
    offer: &[u8],
    session_id: u64,
) -> Result<(String, Negotiated), SdpError> {
    let description = parse(offer)?;
    let negotiated = negotiate(&description, &local.laws)?;
    let text = describe(
        local,
        session_id,
        &[(negotiated.payload_type, negotiated.law)],
        negotiated.event_payload_type,
        negotiated.direction.answer(),
    );
    Ok((text, negotiated))
}

fn parse(text: &[u8]) -> Result<SessionDescription, SdpError> {
    SessionDescription::unmarshal(&mut Cursor::new(text))
        .map_err(|e| SdpError::Malformed(e.to_string()))
}

fn negotiate(description: &SessionDescription, accepted: &[Law]) -> Result<Negotiated, SdpError> {
    let media = description
        .media_descriptions
        .iter()
        .find(|m| m.media_name.media == "audio" && m.media_name.port.value > 0)
        .ok_or(SdpError::NoAudio)?;
    let rtpmaps: Vec<(u8, String, u32)> = media
        .attributes
        .iter()
        .filter(|a| a.key == "rtpmap")
        .filter_map(|a| parse_rtpmap(a.value.as_deref()?))
        .collect();
    let law_of = |pt: u8| {
        match rtpmaps.iter().find(|(p, ..)| *p == pt) {
            Some((_, name, rate)) if *rate == SAMPLE_RATE => {
                match name.to_ascii_uppercase().as_str() {
                    "PCMU" => Some(Law::Pcmu),
                    "PCMA" => Some(Law::Pcma),
                    _ => None,
                }
            }
            Some(_) => None,
            // RFC 3551's static types need no rtpmap.
            None => Law::from_payload_type(pt),
        }
    };
    let (payload_type, law) = media
        .media_name
        .formats
        .iter()
        .filter_map(|f| f.parse::<u8>().ok())
        .find_map(|pt| {
            law_of(pt)
                .filter(|law| accepted.contains(law))
                .map(|law| (pt, law))
        })
        .ok_or_else(|| SdpError::NoCommonCodec(media.media_name.formats.clone()))?;
    let event_payload_type = rtpmaps
        .iter()
        .find(|(pt, name, rate)| {
            name.eq_ignore_ascii_case("telephone-event")
                && *rate == SAMPLE_RATE
                && media
                    .media_name
                    .formats
                    .iter()
                    .any(|f| f.parse() == Ok(*pt))
        })
        .map(|(pt, ..)| *pt);
    let connection = media
        .connection_information
        .as_ref()
        .or(description.connection_information.as_ref())
        .and_then(|c| c.address.as_ref())
        .and_then(|a| a.address.split('/').next()?.parse::<IpAddr>().ok())
        .ok_or(SdpError::NoAddress)?;
    let port = u16::try_from(media.media_name.port.value).map_err(|_| SdpError::NoAudio)?;
    let ptime_ms = media
        .attribute("ptime")
        .flatten()
        .and_then(|p| p.trim().parse().ok());
    let direction = Direction::from_attributes(&media.attributes)
        .or_else(|| Direction::from_attributes(&description.attributes))
        .unwrap_or(Direction::SendRecv);
    Ok(Negotiated {
        remote: SocketAddr::new(connection, port),
        law,
        payload_type,
        event_payload_type,
        ptime_ms,
        direction,
    })
}

/// `101 telephone-event/8000` -> (101, "telephone-event", 8000).
fn parse_rtpmap(value: &str) -> Option<(u8, String, u32)> {
    let (pt, encoding) = value.trim().split_once(' ')?;
    let mut parts = encoding.trim().split('/');
    let name = parts.next()?.to_owned();
    let rate = parts.next()?.parse().ok()?;
    Some((pt.parse().ok()?, name, rate))
}

fn describe(
    local: &LocalMedia,
    session_id: u64,
    formats: &[(u8, Law)],
    event_payload_type: Option<u8>,
    direction: Direction,
) -> String {
    let address_type = if local.addr.is_ipv4() { "IP4" } else { "IP6" };
    let address = local.addr.ip().to_string();
    let mut attributes: Vec<Attribute> = formats
        .iter()
        .map(|(pt, law)| rtpmap(*pt, law.encoding_name()))
        .collect();
    if let Some(pt) = event_payload_type {
        attributes.push(rtpmap(pt, "telephone-event"));
        attributes.push(Attribute::new("fmtp".into(), Some(format!("{pt} 0-15"))));
    }
    attributes.push(Attribute::new("ptime".into(), Some("20".into())));
    attributes.push(Attribute::new(direction.attribute().into(), None));
    let description = SessionDescription {
        version: 0,
        origin: Origin {
            username: "ringhost".into(),
            session_id,
            session_version: session_id,
            network_type: "IN".into(),
            address_type: address_type.into(),
            unicast_address: address.clone(),
        },
        session_name: "ringhost".into(),
        connection_information: Some(ConnectionInformation {
            network_type: "IN".into(),
            address_type: address_type.into(),
            address: Some(Address {
                address,
                ttl: None,
                range: None,
            }),
        }),
        time_descriptions: vec![TimeDescription {
            timing: Timing {
                start_time: 0,
                stop_time: 0,
            },
            repeat_times: Vec::new(),
        }],
        media_descriptions: vec![MediaDescription {
            media_name: MediaName {
                media: "audio".into(),
                port: RangedPort {
                    value: local.addr.port() as isize,
                    range: None,
                },
                protos: vec!["RTP".into(), "AVP".into()],
                formats: formats
                    .iter()
                    .map(|(pt, _)| *pt)
                    .chain(event_payload_type)
                    .map(|pt| pt.to_string())
                    .collect(),
            },
            media_title: None,
            connection_information: None,
            bandwidth: Vec::new(),
            encryption_key: None,
            attributes,
        }],
        session_information: None,
        uri: None,
        email_address: None,
        phone_number: None,
        bandwidth: Vec::new(),
        time_zones: Vec::new(),
        encryption_key: None,
        attributes: Vec::new(),
    };
    description.marshal()
}

fn rtpmap(pt: u8, name: &str) -> Attribute {
    Attribute::new("rtpmap".into(), Some(format!("{pt} {name}/{SAMPLE_RATE}")))
}

#[cfg(test)]
mod tests;
