//! `ringhost dial`: one call through a trunk, its outcome printed as one JSON line.
//! Operators use it to test a trunk; the end-to-end tests use it against SIPp.

use std::time::Duration;

use anyhow::Context as _;
use ringhost_sip::{CallEvent, CallRequest, Endpoint, EndpointConfig, Peer, Protocol};

use crate::cli::{DialArgs, TransportArg};

/// Places the call and returns the JSON line to print.
pub(crate) async fn dial(args: DialArgs) -> anyhow::Result<String> {
    let protocol = match args.transport {
        TransportArg::Udp => Protocol::Udp,
        TransportArg::Tcp => Protocol::Tcp,
    };
    let (domain, trunk) = resolve_trunk(&args.trunk).await?;
    let ring_timeout = seconds(args.ring_timeout, "--ring-timeout")?;
    let hold = seconds(args.hold, "--hold")?;

    let endpoint = Endpoint::bind(EndpointConfig {
        udp: vec![args.bind],
        tcp: if protocol == Protocol::Tcp {
            vec![args.bind]
        } else {
            Vec::new()
        },
        timers: Default::default(),
        user_agent: concat!("Ringhost/", env!("CARGO_PKG_VERSION")).to_owned(),
        trusted: vec![trunk.ip()],
        registrar: None,
    })
    .await
    .with_context(|| format!("cannot bind {}", args.bind))?;

    // Media arrives with the media layer; until then the offer names a real, bound
    // port so that the far end's RTP has somewhere to go.
    let rtp = tokio::net::UdpSocket::bind((args.bind.ip(), 0))
        .await
        .context("cannot bind an RTP port")?;
    let offer = sdp_offer(rtp.local_addr()?);

    let mut call = endpoint.place_call(CallRequest {
        number: args.number,
        trunk: Peer {
            addr: trunk,
            protocol,
        },
        domain,
        caller_id: args.from,
        asserted_identity: None,
        ring_timeout,
        offer: Some(offer.into_bytes()),
        follow_redirect: true,
    });
    let mut hangup_at: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            event = call.next_event() => match event {
                Some(CallEvent::Answered { .. }) => {
                    hangup_at = Some(tokio::time::Instant::now() + hold);
                }
                Some(CallEvent::Ringing) => {}
                Some(CallEvent::Ended(outcome)) => {
                    drop(rtp);
                    // A 200 to the far end's BYE must leave before the process does.
                    let _ = tokio::time::timeout(Duration::from_secs(2), endpoint.flush()).await;
                    return Ok(serde_json::to_string(&outcome)?);
                }
                None => anyhow::bail!("the call ended without an outcome"),
            },
            () = async { tokio::time::sleep_until(hangup_at.unwrap_or_else(tokio::time::Instant::now)).await },
                if hangup_at.is_some() => {
                hangup_at = None;
                call.hangup();
            }
        }
    }
}

/// `sip:HOST:PORT` to the domain for the Request-URI and the address to send to.
async fn resolve_trunk(uri: &str) -> anyhow::Result<(String, std::net::SocketAddr)> {
    let host_port = uri
        .strip_prefix("sip:")
        .with_context(|| format!("--trunk must look like sip:HOST:PORT, not {uri:?}"))?;
    let host_port = host_port.split(';').next().unwrap_or(host_port);
    let with_port = if host_port
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        host_port.to_owned()
    } else {
        format!("{host_port}:5060")
    };
    let addr = tokio::net::lookup_host(&with_port)
        .await
        .with_context(|| format!("cannot resolve the trunk {with_port}"))?
        .next()
        .with_context(|| format!("the trunk {with_port} has no address"))?;
    Ok((with_port, addr))
}

fn seconds(value: f64, flag: &str) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value)
        .with_context(|| format!("{flag} must be a number of seconds, not {value}"))
}

/// An SDP offer (RFC 4566) for G.711 and RFC 4733 events on `rtp`.
fn sdp_offer(rtp: std::net::SocketAddr) -> String {
    let ip = rtp.ip();
    let family = if ip.is_ipv4() { "IP4" } else { "IP6" };
    let session = rand_session_id();
    format!(
        "v=0\r\no=ringhost {session} {session} IN {family} {ip}\r\ns=ringhost\r\n\
         c=IN {family} {ip}\r\nt=0 0\r\nm=audio {} RTP/AVP 0 8 101\r\n\
         a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n\
         a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n",
        rtp.port()
    )
}

fn rand_session_id() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_secs())
}
