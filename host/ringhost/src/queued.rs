//! An answered agent-campaign call in its queue: the callee hears the music on hold
//! (comfort noise without it, never silence) while the longest-idle free agent's
//! phone rings; the agent who answers is bridged to the callee. An agent whose phone
//! does not answer in the campaign's `agent_ring` is skipped for the next one. With no
//! agent talking within `abandon_after` the callee hears the abandon message and the
//! call ends as abandoned; past `max_wait` it ends "closed by the system".
//!
//! The dialer's [`Queues`] chooses and frees agents; this rings their phones and
//! carries the audio.

use ringhost_dialer::carrier::{
    ABANDONED, CallReport, CallRequest, OnAnswer, Progress, QUEUE_ANSWER, QUEUE_HANGUP,
    QUEUE_TIMEOUT,
};
use ringhost_dialer::queue::{Offer, Queues, Skip};
use ringhost_media::{Bridge, MediaEvent};
use ringhost_sip::{CallOutcome, Dial};
use tokio::sync::mpsc;
use tokio::time::{Duration, Instant};

use crate::carrier::{TrunkCarrier, no_outcome, report};
use crate::leg::{Leg, LegEvent};

/// How often a waiting call asks again for a free agent (agents become free by the
/// API and by wrap-ups running out, which no event announces).
const RETRY: Duration = Duration::from_millis(200);

/// The agent of a queued call: taken, their phone ringing, then talking.
struct AgentLeg {
    offer: Offer,
    leg: Leg,
    /// Set once they answered; dropping it separates the two legs' audio.
    bridge: Option<Bridge>,
    talked: bool,
}

/// Runs `call`'s answered `callee` through its queue; the report once both legs are
/// over and the agent is freed.
pub(crate) async fn run(
    carrier: &TrunkCarrier,
    call: &CallRequest,
    callee: &mut Leg,
    progress: &mpsc::UnboundedSender<Progress>,
    queues: &Queues,
) -> CallReport {
    let OnAnswer::Queue {
        queue,
        abandon_after,
        max_wait,
        agent_ring,
        message,
        music,
    } = &call.on_answer
    else {
        unreachable!("only queued calls come here");
    };
    let joined = Instant::now();
    if let Some(music) = music {
        carrier.hold_music(music, callee).await;
    }
    let abandon_at = (!abandon_after.is_zero()).then(|| joined + *abandon_after);
    let close_at = joined + *max_wait;
    let mut agent: Option<AgentLeg> = None;
    // Why the call stopped waiting without an agent: abandoned or closed.
    let mut gave_up: Option<&'static str> = None;
    // The agent who took the call.
    let mut connected: Option<String> = None;
    let mut next_try = joined;
    let outcome: CallOutcome = loop {
        let waiting = connected.is_none() && gave_up.is_none();
        let no_agent = agent.is_none();
        let agent_event = async {
            match agent.as_mut() {
                Some(agent) => agent.leg.next().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            event = callee.next() => match event {
                Some(LegEvent::Media(MediaEvent::PlaybackDone(_))) if gave_up.is_some() => callee.hangup(),
                Some(LegEvent::Ended(outcome)) => break outcome,
                Some(_) => {}
                None => break no_outcome(),
            },
            event = agent_event => {
                let Some(a) = agent.as_mut() else { continue };
                match event {
                    Some(LegEvent::Answered) if gave_up.is_none() => {
                        if let (Some(theirs), Some(ours)) = (a.leg.media(), callee.media()) {
                            a.bridge = Some(ours.bridge(theirs));
                        }
                        a.talked = true;
                        connected = Some(a.offer.agent.clone());
                        tracing::info!(attempt = call.attempt_id, agent = %a.offer.agent, "agent connected");
                        let _ = progress.send(Progress::Agent(a.offer.agent.clone()));
                    }
                    // Too late: the call was given up while the phone rang.
                    Some(LegEvent::Answered) => a.leg.hangup(),
                    Some(LegEvent::Ended(_)) | None => {
                        let a = agent.take().expect("the agent is there");
                        let talked = a.talked;
                        free(queues, a, gave_up.is_some()).await;
                        if talked {
                            // The agent hung up: so does the callee's leg.
                            callee.hangup();
                        }
                        next_try = Instant::now();
                    }
                    Some(_) => {}
                }
            }
            () = tokio::time::sleep_until(next_try), if waiting && no_agent => {
                next_try = Instant::now() + RETRY;
                agent = ring_next(carrier, call, queue, *agent_ring, queues).await;
            }
            () = sleep_until(abandon_at), if waiting => {
                tracing::info!(attempt = call.attempt_id, "no agent in time: the call is abandoned");
                gave_up = Some(ABANDONED);
                stop_ringing(agent.as_ref());
                if !carrier.prompt(message.as_deref(), callee).await {
                    callee.hangup();
                }
            }
            () = tokio::time::sleep_until(close_at), if waiting => {
                tracing::info!(attempt = call.attempt_id, "the queue's maximum wait passed: closed by the system");
                gave_up = Some(QUEUE_TIMEOUT);
                stop_ringing(agent.as_ref());
                callee.hangup();
            }
        }
    };
    // The callee is gone: so is the agent's leg, and the agent is freed.
    if let Some(mut a) = agent.take() {
        a.bridge = None;
        a.leg.hangup();
        while let Some(event) = a.leg.next().await {
            if matches!(event, LegEvent::Ended(_)) {
                break;
            }
        }
        free(queues, a, true).await;
    }
    let mut report = report(outcome, false);
    report.queue_result = Some(
        match (gave_up, &connected) {
            (Some(why), _) => why,
            (None, Some(_)) => QUEUE_ANSWER,
            // Hung up while waiting.
            (None, None) => QUEUE_HANGUP,
        }
        .to_owned(),
    );
    if gave_up == Some(ABANDONED) {
        report.tags.push("abandoned".to_owned());
    }
    report.agent = connected;
    report
}

/// Takes the next free agent and rings their phone; `None` when no agent is free (or
/// none could be rung: those are skipped).
async fn ring_next(
    carrier: &TrunkCarrier,
    call: &CallRequest,
    queue: &str,
    ring: Duration,
    queues: &Queues,
) -> Option<AgentLeg> {
    loop {
        let offer = match queues.take(queue).await {
            Ok(Some(offer)) => offer,
            Ok(None) => return None,
            Err(error) => {
                tracing::warn!(%queue, error = format!("{error:#}"), "cannot take an agent");
                return None;
            }
        };
        let Some(phone) = carrier
            .registrar
            .contacts(&offer.extension)
            .into_iter()
            .next()
        else {
            queues.skip(&offer, Skip::Unreachable).await;
            continue;
        };
        let dial = Dial {
            number: offer.extension.clone(),
            caller_id: Some(call.number.clone()),
            ring_timeout: ring,
            offer: None,
        };
        match Leg::ring_phone(
            &carrier.endpoint,
            &phone,
            dial,
            &carrier.ports,
            &carrier.laws,
        )
        .await
        {
            Ok(leg) => {
                return Some(AgentLeg {
                    offer,
                    leg,
                    bridge: None,
                    talked: false,
                });
            }
            Err(error) => {
                tracing::warn!(agent = %offer.agent, error = format!("{error:#}"), "cannot ring the agent's phone");
                // No media ports: the agent is not at fault.
                queues.skip(&offer, Skip::CallGone).await;
                return None;
            }
        }
    }
}

/// Frees an agent whose leg ended: wrap-up after talking; else skipped, at fault
/// unless the call went away (`call_gone`) while their phone rang.
async fn free(queues: &Queues, agent: AgentLeg, call_gone: bool) {
    match (agent.talked, call_gone) {
        (true, _) => queues.release(&agent.offer).await,
        (false, true) => queues.skip(&agent.offer, Skip::CallGone).await,
        (false, false) => queues.skip(&agent.offer, Skip::NoAnswer).await,
    }
}

/// Cancels a ringing agent's phone.
fn stop_ringing(agent: Option<&AgentLeg>) {
    if let Some(agent) = agent.filter(|a| !a.talked) {
        agent.leg.hangup();
    }
}

/// Sleeps until `at`, or forever when there is no such time.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
