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
use ringhost_config::Codec;
use ringhost_media::sdp::{self, LocalMedia};
use ringhost_media::{Bridge, Law, MediaEvent, MediaSession, Prompt, PromptCache, RtpPorts};
use ringhost_sip::{
    CallEvent, CallOutcome, Dial, DigestLogin, Endpoint, EndpointConfig, Outcome, Protocol,
    TrunkSpec, Trunks,
};

use crate::cli::{DialArgs, TransportArg, load_config};
use crate::leg::{Leg, LegEvent};
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
        let plan = MediaPlan::new(&args, laws).await?;
        answered_call(&trunks, &route, dial, hold, &plan, &ports)
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
        load_test(&trunks, &route, dial, hold, args.calls, args.cps).await?
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

/// What to do once the call is answered.
struct MediaPlan {
    /// `--play`, converted for either law before the call is placed, so that a bad
    /// file is refused before anyone's phone rings.
    prompt: Option<[Arc<Prompt>; 2]>,
    collect: usize,
    dtmf_timeout: Duration,
    bridge: bool,
    /// The laws offered, in order.
    laws: Vec<Law>,
}

impl MediaPlan {
    async fn new(args: &DialArgs, laws: Vec<Law>) -> anyhow::Result<MediaPlan> {
        let prompt = match args.play.clone() {
            Some(path) => Some(
                tokio::task::spawn_blocking(move || {
                    let cache = PromptCache::new();
                    anyhow::Ok([cache.load(&path, Law::Pcmu)?, cache.load(&path, Law::Pcma)?])
                })
                .await??,
            ),
            None => None,
        };
        Ok(MediaPlan {
            prompt,
            collect: args.collect_dtmf.unwrap_or(0),
            dtmf_timeout: seconds(args.dtmf_timeout, "--dtmf-timeout")?,
            bridge: args.bridge.is_some(),
            laws,
        })
    }
}

/// One call with media: the prompt, the digits, the bridge, then the hang-up; the
/// JSON of its outcome with `media`, `dtmf` and `bridge` added.
async fn answered_call(
    trunks: &Arc<Trunks>,
    route: &str,
    dial: Dial,
    hold: Duration,
    plan: &MediaPlan,
    ports: &RtpPorts,
) -> anyhow::Result<serde_json::Value> {
    let mut leg = Leg::place(trunks, route, dial.clone(), ports, &plan.laws).await?;
    let mut digits = String::new();
    let mut media_error = None;
    let mut hangup_at: Option<tokio::time::Instant> = None;
    let mut bridged: Option<Leg> = None;
    let mut bridge: Option<Bridge> = None;
    let mut bridge_error = None;
    let mut bridge_outcome: Option<CallOutcome> = None;
    let mut waiting_digits = false;
    let outcome = loop {
        let bridged_event = async {
            match bridged.as_mut() {
                Some(leg) => leg.next().await,
                None => std::future::pending().await,
            }
        };
        let wake = hangup_at.unwrap_or_else(tokio::time::Instant::now);
        // What comes after the prompt: digits, a bridge, or the hold.
        let mut next_step = false;
        tokio::select! {
            event = leg.next() => match event {
                Some(LegEvent::Answered) => match (&plan.prompt, leg.media()) {
                    (Some(prompts), Some(media)) => {
                        let law = media.negotiated().law;
                        media.play(vec![prompts[law as usize].clone()]);
                    }
                    _ => next_step = true,
                },
                Some(LegEvent::Ringing) => {}
                Some(LegEvent::MediaRefused(reason)) => media_error = Some(reason),
                Some(LegEvent::Media(MediaEvent::PlaybackDone(_))) => next_step = true,
                Some(LegEvent::Media(MediaEvent::Digit(digit))) => {
                    if digits.len() < plan.collect {
                        digits.push(digit.digit);
                        if waiting_digits && digits.len() == plan.collect {
                            leg.hangup();
                        }
                    }
                }
                Some(LegEvent::Ended(outcome)) => {
                    if let Some(other) = &bridged {
                        other.hangup();
                    }
                    break outcome;
                }
                None => anyhow::bail!("the call ended without an outcome"),
            },
            event = bridged_event => match event {
                Some(LegEvent::Answered) => {
                    if let (Some(a), Some(b)) = (leg.media(), bridged.as_mut().and_then(Leg::media)) {
                        bridge = Some(a.bridge(b));
                    }
                    hangup_at = Some(tokio::time::Instant::now() + hold);
                }
                Some(LegEvent::MediaRefused(reason)) => bridge_error = Some(reason),
                Some(LegEvent::Ringing | LegEvent::Media(_)) => {}
                Some(LegEvent::Ended(outcome)) => {
                    bridge_outcome = Some(outcome);
                    drop(bridge.take());
                    leg.hangup();
                }
                None => {}
            },
            () = tokio::time::sleep_until(wake), if hangup_at.is_some() => {
                hangup_at = None;
                leg.hangup();
            }
        }
        if next_step {
            if plan.collect > digits.len() {
                waiting_digits = true;
                hangup_at = Some(tokio::time::Instant::now() + plan.dtmf_timeout);
            } else if plan.collect > 0 {
                leg.hangup();
            } else if plan.bridge {
                bridged = Some(Leg::place(trunks, BRIDGE, dial.clone(), ports, &plan.laws).await?);
            } else {
                hangup_at = Some(tokio::time::Instant::now() + hold);
            }
        }
    };
    // The bridged leg's own end, after the hang-up above.
    if bridge_outcome.is_none()
        && let Some(other) = bridged.as_mut()
    {
        bridge_outcome = other.ended().await;
    }
    let mut line = serde_json::to_value(&outcome)?;
    if let Some(media) = leg.media() {
        line["media"] = media_json(media);
    }
    if let Some(reason) = media_error {
        line["media_error"] = reason.into();
    }
    if plan.collect > 0 {
        line["dtmf"] = digits.into();
    }
    if plan.bridge {
        let mut other = serde_json::to_value(&bridge_outcome)?;
        if let Some(media) = bridged.as_mut().and_then(Leg::media) {
            other["media"] = media_json(media);
            other["relayed_from_bridge"] = media.stats().relayed_out.into();
        }
        if let Some(media) = leg.media() {
            other["relayed_to_bridge"] = media.stats().relayed_out.into();
        }
        if let Some(reason) = bridge_error {
            other["media_error"] = reason.into();
        }
        line["bridge"] = other;
    }
    Ok(line)
}

fn media_json(media: &MediaSession) -> serde_json::Value {
    let negotiated = media.negotiated();
    let stats = media.stats();
    serde_json::json!({
        "law": negotiated.law.encoding_name(),
        "remote": negotiated.remote.to_string(),
        "telephone_event": negotiated.event_payload_type,
        "packets_sent": stats.packets_sent,
        "packets_received": stats.packets_received,
        "packets_lost": stats.packets_lost,
        "jitter_ms": stats.jitter_us as f64 / 1000.0,
    })
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
