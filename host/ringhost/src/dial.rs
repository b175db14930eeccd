//! `ringhost dial`: one call through a trunk (or a configured route), its outcome
//! printed as one JSON line. Operators use it to test a trunk; the end-to-end tests use
//! it against SIPp. With `--calls N` it is a load test that prints a summary instead.
//!
//! Both ways go through [`Trunks::place_call`], the path the dialer uses: a `--trunk`
//! is a one-trunk route named `cli`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use ringhost_call::probe::{self, MediaPlan};
use ringhost_config::Codec;
use ringhost_media::sdp::{self, LocalMedia};
use ringhost_media::{Law, RtpPorts};
use ringhost_sip::{Dial, DigestLogin, Endpoint, EndpointConfig, Protocol, TrunkSpec, Trunks};

use crate::cli::load_config;
use crate::telephony;

#[derive(Debug, clap::Args)]
pub(crate) struct DialArgs {
    /// The number to call (the user part of the Request-URI).
    pub(crate) number: String,
    /// The trunk, as `sip:HOST:PORT` (HOST a name or an address).
    #[arg(
        long,
        value_name = "URI",
        required_unless_present = "route",
        conflicts_with = "route"
    )]
    pub(crate) trunk: Option<String>,
    /// A route or trunk of the configuration file (`--config`) instead of `--trunk`;
    /// failover included, registration and keepalives left out.
    #[arg(long, value_name = "NAME")]
    pub(crate) route: Option<String>,
    /// The configuration file that `--route` is read from.
    #[arg(long, value_name = "FILE", requires = "route")]
    pub(crate) config: Option<PathBuf>,
    /// How to reach the trunk.
    #[arg(long, value_enum, default_value_t = TransportArg::Udp)]
    pub(crate) transport: TransportArg,
    /// Caller ID (the user part of From).
    #[arg(long, value_name = "CALLERID")]
    pub(crate) from: Option<String>,
    /// Digest user name for a trunk that challenges the INVITE.
    #[arg(long, value_name = "USER", requires = "password")]
    pub(crate) username: Option<String>,
    /// Digest password (better in the environment than on the command line).
    #[arg(
        long,
        env = "RINGHOST_DIAL_PASSWORD",
        hide_env_values = true,
        requires = "username"
    )]
    pub(crate) password: Option<String>,
    /// Seconds to let it ring before cancelling.
    #[arg(long, default_value_t = 30.0, value_name = "SECS")]
    pub(crate) ring_timeout: f64,
    /// Seconds to stay on the call after answer before hanging up.
    #[arg(long, default_value_t = 0.0, value_name = "SECS")]
    pub(crate) hold: f64,
    /// Local address to send from.
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    pub(crate) bind: std::net::SocketAddr,
    /// Places this many calls (a trunk load test) and prints one summary line instead
    /// of one outcome.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub(crate) calls: u32,
    /// Calls started per second with `--calls`.
    #[arg(long, default_value_t = 10.0, value_name = "RATE")]
    pub(crate) cps: f64,
    /// A WAV file played to the callee after answer (any rate, mono or stereo).
    #[arg(long, value_name = "FILE.wav", conflicts_with = "calls")]
    pub(crate) play: Option<PathBuf>,
    /// Waits after the prompt for this many DTMF digits (RFC 4733 or in-band), then
    /// hangs up; the JSON line gains `dtmf`.
    #[arg(long, value_name = "N", conflicts_with = "calls")]
    pub(crate) collect_dtmf: Option<usize>,
    /// Seconds to wait for the digits of `--collect-dtmf`.
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    pub(crate) dtmf_timeout: f64,
    /// After answer (and the prompt and digits, if any), calls this party too, as
    /// `sip:HOST:PORT`, and bridges the two calls' audio for `--hold` seconds.
    #[arg(long, value_name = "URI", conflicts_with = "calls")]
    pub(crate) bridge: Option<String>,
    /// The local RTP port range, `MIN-MAX` (default: the configuration's, 10000-20000).
    #[arg(long, value_name = "MIN-MAX")]
    pub(crate) rtp_ports: Option<ringhost_config::PortRange>,
}

/// The transports `ringhost dial` can use.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum TransportArg {
    /// UDP, with retransmissions.
    Udp,
    /// TCP.
    Tcp,
}

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
