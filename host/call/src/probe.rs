//! `ringhost dial`'s calls: a trunk tested with one call (a prompt played, digits
//! collected, a second party bridged) whose outcome and media figures come back as
//! JSON, or a signalling load of many calls. They go through [`Trunks::place_call`],
//! the path the dialer's calls take.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use ringhost_media::{Bridge, Law, MediaEvent, MediaSession, Prompt, PromptCache, RtpPorts};
use ringhost_sip::{CallEvent, CallOutcome, Dial, Outcome, Trunks};

use crate::leg::{Leg, LegEvent};

/// What to do once the call is answered.
pub struct MediaPlan {
    /// `--play`, converted for either law before the call is placed, so that a bad
    /// file is refused before anyone's phone rings.
    prompt: Option<[Arc<Prompt>; 2]>,
    collect: usize,
    dtmf_timeout: Duration,
    /// The route of the second party, called once the message and digits are over.
    bridge: Option<String>,
    /// The laws offered, in order.
    laws: Vec<Law>,
}

impl MediaPlan {
    /// Plays `play` after answer, then collects `collect` digits within
    /// `dtmf_timeout`, then bridges a second party through route `bridge`; offers
    /// `laws`.
    ///
    /// # Errors
    /// When the prompt cannot be read or converted: refused before anyone's phone
    /// rings.
    pub async fn new(
        play: Option<PathBuf>,
        collect: usize,
        dtmf_timeout: Duration,
        bridge: Option<String>,
        laws: Vec<Law>,
    ) -> anyhow::Result<MediaPlan> {
        let prompt = match play {
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
            collect,
            dtmf_timeout,
            bridge,
            laws,
        })
    }
}

/// One call with media: the prompt, the digits, the bridge, then the hang-up; the
/// JSON of its outcome with `media`, `dtmf` and `bridge` added.
///
/// # Errors
/// When the call cannot be placed or ends without an outcome.
pub async fn answered_call(
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
            } else if let Some(route) = &plan.bridge {
                bridged = Some(Leg::place(trunks, route, dial.clone(), ports, &plan.laws).await?);
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
    if plan.bridge.is_some() {
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

/// `calls` calls started at `cps` per second, each hung up `hold` after answer; a
/// summary of their outcomes as JSON.
///
/// # Errors
/// When a call task fails.
pub async fn load_test(
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
    let mut outcomes: BTreeMap<&str, u32> = BTreeMap::new();
    let mut answered = 0;
    while let Some(result) = tasks.join_next().await {
        let outcome = result.context("a call task panicked")??;
        if outcome.outcome == Outcome::Answered {
            answered += 1;
        }
        *outcomes.entry(outcome.outcome.as_str()).or_default() += 1;
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
