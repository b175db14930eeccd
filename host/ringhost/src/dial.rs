//! `ringhost dial`: one call through a trunk (or a configured route), its outcome
//! printed as one JSON line. Operators use it to test a trunk; the end-to-end tests use
//! it against SIPp. With `--calls N` it is a load test that prints a summary instead.
//!
//! Both ways go through [`Trunks::place_call`], the path the dialer uses: a `--trunk`
//! is a one-trunk route named `cli`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use ringhost_sip::{
    CallEvent, CallOutcome, Dial, DigestLogin, Endpoint, EndpointConfig, Outcome, Protocol,
    TrunkSpec, Trunks,
};

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
    let (specs, routes, route) = match (&args.trunk, &args.route) {
        (Some(uri), _) => {
            let address = uri
                .strip_prefix("sip:")
                .with_context(|| format!("--trunk must look like sip:HOST:PORT, not {uri:?}"))?;
            let address = address.split(';').next().unwrap_or(address).to_owned();
            let login = args.username.clone().map(|username| DigestLogin {
                username,
                password: args.password.clone().unwrap_or_default(),
            });
            let spec = TrunkSpec {
                name: "cli".into(),
                domain: String::new(),
                address,
                protocol,
                outbound_proxy: None,
                login,
                register: false,
                register_expires: Duration::from_secs(600),
                caller_id: "ringhost".into(),
                asserted_identity: None,
                channels: args.calls,
                cps: args.cps,
                keepalive: Duration::ZERO,
                follow_redirect: true,
            };
            (vec![spec], Vec::new(), "cli".to_owned())
        }
        (None, Some(route)) => {
            let config = load_config(args.config.as_deref())?;
            let (mut specs, routes) = telephony::trunk_plan(&config, None).await?;
            for spec in &mut specs {
                spec.register = false;
                spec.keepalive = Duration::ZERO;
            }
            (specs, routes, route.clone())
        }
        (None, None) => anyhow::bail!("--trunk or --route is needed"),
    };
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

    // Media arrives with the media layer; until then the offer names a real, bound
    // port so that the far end's RTP has somewhere to go.
    let rtp = tokio::net::UdpSocket::bind((args.bind.ip(), 0))
        .await
        .context("cannot bind an RTP port")?;
    let dial = Dial {
        number: args.number.clone(),
        caller_id: args.from.clone(),
        ring_timeout,
        offer: Some(sdp_offer(rtp.local_addr()?).into_bytes()),
    };

    let line = if args.calls <= 1 {
        let outcome = one_call(&trunks, &route, dial, hold).await?;
        serde_json::to_string(&outcome)?
    } else {
        load_test(&trunks, &route, dial, hold, args.calls, args.cps).await?
    };
    drop(rtp);
    // A 200 to the far end's BYE must leave before the process does.
    let _ = tokio::time::timeout(Duration::from_secs(2), endpoint.flush()).await;
    Ok(line)
}

/// One call, hung up `hold` after answer.
async fn one_call(
    trunks: &Arc<Trunks>,
    route: &str,
    dial: Dial,
    hold: Duration,
) -> anyhow::Result<CallOutcome> {
    let mut call = trunks.place_call(route, dial)?;
    let mut hangup_at: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            event = call.next_event() => match event {
                Some(CallEvent::Answered { .. }) => {
                    hangup_at = Some(tokio::time::Instant::now() + hold);
                }
                Some(CallEvent::Ringing) => {}
                Some(CallEvent::Ended(outcome)) => return Ok(outcome),
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

/// `calls` calls started at `cps` per second; a summary of their outcomes.
async fn load_test(
    trunks: &Arc<Trunks>,
    route: &str,
    dial: Dial,
    hold: Duration,
    calls: u32,
    cps: f64,
) -> anyhow::Result<String> {
    let started = tokio::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..calls {
        tokio::time::sleep_until(started + Duration::from_secs_f64(f64::from(n) / cps)).await;
        let (trunks, route, dial) = (trunks.clone(), route.to_owned(), dial.clone());
        tasks.spawn(async move { one_call(&trunks, &route, dial, hold).await });
    }
    let sent_in = started.elapsed();
    let mut outcomes: BTreeMap<String, u32> = BTreeMap::new();
    let mut answered = 0;
    while let Some(result) = tasks.join_next().await {
        let outcome = result.context("a call task panicked")??;
        if outcome.outcome == Outcome::Answered {
            answered += 1;
        }
        let name = serde_json::to_value(outcome.outcome)?
            .as_str()
            .unwrap_or("unknown")
            .to_owned();
        *outcomes.entry(name).or_default() += 1;
    }
    let elapsed = started.elapsed();
    Ok(serde_json::json!({
        "calls": calls,
        "answered": answered,
        "failed": calls - answered,
        "outcomes": outcomes,
        "started_per_second": f64::from(calls) / sent_in.as_secs_f64().max(1e-9),
        "elapsed_ms": elapsed.as_millis() as u64,
    })
    .to_string())
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
