//! `ringhost dial`: one call through a trunk (or a configured route), its outcome
//! printed as one JSON line. Operators use it to test a trunk; the end-to-end tests use
//! it against SIPp. With `--calls N` it is a load test that prints a summary instead.
//!
//! Both ways go through [`Trunks::place_call`], the path the dialer uses: a `--trunk`
//! is a one-trunk route named `cli`.

use std::time::Duration;

use anyhow::Context as _;
use ringhost_call::probe::{self, MediaPlan};
use ringhost_config::Codec;
use ringhost_media::sdp::{self, LocalMedia};
use ringhost_media::{Law, RtpPorts};
use ringhost_sip::{Dial, DigestLogin, Endpoint, EndpointConfig, Protocol, TrunkSpec, Trunks};

use crate::cli::{DialArgs, TransportArg, load_config};
use crate::telephony;

/// Places the call (or calls) and returns the JSON line to print.
pub(crate) async fn dial(args: DialArgs) -> anyhow::Result<String> {
    let protocol = match args.transport {
        TransportArg::Udp => Protocol::Udp,
        TransportArg::Tcp => Protocol::Tcp,
    };
    let ring_timeout = seconds(args.ring_timeout, "--ring-timeout")?;
    let hold = seconds(args.hold, "--hold")?;
    anyhow::ensure!(
        args.cps.is_finite() && args.cps > 0.0,
        "--cps must be above 0"
    );
    // Media settings come from the file with --config, and --rtp-ports wins.
    let config = load_config(args.config.as_deref())?;
    let mut media = config.media.clone();
    if args.config.is_none() {
        media.ip = args.bind.ip();
    }
    if let Some(range) = args.rtp_ports {
        media.rtp_ports = range;
    }
    let laws: Vec<Law> = media.codecs.iter().map(|&codec| law(codec)).collect();
    let (mut specs, routes, route) = match (&args.trunk, &args.route) {
        (Some(uri), _) => {
            let login = args.username.clone().map(|username| DigestLogin {
                username,
                password: args.password.clone().unwrap_or_default(),
            });
            let spec = uri_trunk("cli", uri, protocol, login, args.calls, args.cps)?;
            (vec![spec], Vec::new(), "cli".to_owned())
        }
        (None, Some(route)) => {
            let (mut specs, routes) = telephony::trunk_plan(&config, None).await?;
            for spec in &mut specs {
                spec.register = false;
                spec.keepalive = Duration::ZERO;
            }
            (specs, routes, route.clone())
        }
        (None, None) => anyhow::bail!("--trunk or --route is needed"),
    };
    if let Some(uri) = &args.bridge {
        specs.push(uri_trunk(BRIDGE, uri, protocol, None, 1, 1.0)?);
    }
    let tcp = specs.iter().any(|s| s.protocol == Protocol::Tcp);
    let endpoint = Endpoint::bind(EndpointConfig {
        udp: vec![args.bind],
        tcp: if tcp { vec![args.bind] } else { Vec::new() },
        timers: Default::default(),
        user_agent: concat!("Ringhost/", env!("CARGO_PKG_VERSION")).to_owned(),
        trusted: Vec::new(),
        registrar: None,
    })
    .await
    .with_context(|| format!("cannot bind {}", args.bind))?;
    let trunks = Trunks::start(&endpoint, specs, routes).await?;
    anyhow::ensure!(
        trunks.has_route(&route),
        "no route or trunk named `{route}`"
    );

    let dial = Dial {
        number: args.number.clone(),
        caller_id: args.from.clone(),
        ring_timeout,
        offer: None,
    };
    let line = if args.calls <= 1 {
        let ports = RtpPorts::new(media.ip, media.rtp_ports.min, media.rtp_ports.max)
            .map_err(anyhow::Error::msg)?;
        let plan = MediaPlan::new(
            args.play.clone(),
            args.collect_dtmf.unwrap_or(0),
            seconds(args.dtmf_timeout, "--dtmf-timeout")?,
            args.bridge.is_some().then(|| BRIDGE.to_owned()),
            laws,
        )
        .await?;
        probe::answered_call(&trunks, &route, dial, hold, &plan, &ports)
            .await?
            .to_string()
    } else {
        // A signalling load test: one bound port named in every offer, no media.
        let rtp = tokio::net::UdpSocket::bind((args.bind.ip(), 0))
            .await
            .context("cannot bind an RTP port")?;
        let local = LocalMedia {
            addr: rtp.local_addr()?,
            laws,
        };
        let dial = Dial {
            offer: Some(sdp::offer(&local, 1).into_bytes()),
            ..dial
        };
        probe::load_test(&trunks, &route, dial, hold, args.calls, args.cps).await?
    };
    // A 200 to the far end's BYE must leave before the process does.
    let _ = tokio::time::timeout(Duration::from_secs(2), endpoint.flush()).await;
    Ok(line)
}

/// The route name of `--bridge`'s one-trunk route.
const BRIDGE: &str = "bridge";

pub(crate) fn law(codec: Codec) -> Law {
    match codec {
        Codec::Pcmu => Law::Pcmu,
        Codec::Pcma => Law::Pcma,
    }
}

fn seconds(value: f64, flag: &str) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value)
        .with_context(|| format!("{flag} must be a number of seconds, not {value}"))
}

/// A one-trunk route to a `sip:HOST:PORT` URI given on the command line.
fn uri_trunk(
    name: &str,
    uri: &str,
    protocol: Protocol,
    login: Option<DigestLogin>,
    channels: u32,
    cps: f64,
) -> anyhow::Result<TrunkSpec> {
    let address = uri
        .strip_prefix("sip:")
        .with_context(|| format!("a trunk must look like sip:HOST:PORT, not {uri:?}"))?;
    let address = address.split(';').next().unwrap_or(address).to_owned();
    Ok(TrunkSpec {
        name: name.into(),
        domain: String::new(),
        address,
        protocol,
        outbound_proxy: None,
        login,
        register: false,
        register_expires: Duration::from_secs(600),
        caller_id: "ringhost".into(),
        asserted_identity: None,
        channels,
        cps,
        keepalive: Duration::ZERO,
        follow_redirect: true,
    })
}
