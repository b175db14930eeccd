//! An answered call put through to a person: to its queue's longest-idle free agent
//! (agent campaigns, an IVR's transfer to a queue) or to one extension (ADS's dial to
//! an extension after answer, an IVR's transfer to an extension). The callee hears
//! the music on hold (comfort noise without it, never silence) while the phone rings;
//! whoever answers is bridged to the callee. An agent whose phone does not answer in
//! time is skipped for the next one. With nobody talking within `abandon_after` the
//! callee hears the abandon message and the call ends as abandoned; past `max_wait` it
//! ends "closed by the system" (after the closing message, when there is one). The
//! call may be an attempt's (a campaign's) or an inbound call (module `inbound`).
//!
//! The [`Agents`] (the dialer) choose and free agents; this rings their phones and
//! carries the audio. A bridge is listed in the context's `BridgedCalls` while it
//! lasts, so that a supervisor can monitor it (module `monitor`).

use ringhost_media::MediaEvent;
use ringhost_sip::{CallOutcome, Dial, Registered};
use tokio::sync::mpsc;
use tokio::time::{Duration, Instant};

use crate::agents::{Agents, AtExtension, Offer, Skip};
use crate::context::CallContext;
use crate::leg::{Leg, LegEvent};
use crate::monitor::Listed;
use crate::report::{CallReport, HangupBy, Progress, QueueResult, no_outcome};
use crate::request::{CallRequest, OnAnswer};

/// How often a waiting call asks again for a free agent (agents become free by the
/// API and by wrap-ups running out, which no event announces).
const RETRY: Duration = Duration::from_millis(200);

/// How long an extension rings (ADS's dial to an extension, IVR transfers).
const EXTENSION_RING: Duration = Duration::from_secs(30);

/// How long a caller an IVR put in a queue may wait there.
const TRANSFER_MAX_WAIT: Duration = Duration::from_secs(120);

/// How long each agent's phone rings for a caller an IVR put in a queue.
const TRANSFER_AGENT_RING: Duration = Duration::from_secs(15);

/// The tag of a call whose extension did not answer.
const EXTENSION_UNANSWERED: &str = "extension_unanswered";

/// Why a call stopped waiting without anyone taking it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GaveUp {
    /// Nobody talked within `abandon_after`.
    Abandoned,
    /// The maximum wait passed: closed by the system.
    Closed,
    /// The extension's phone could not be rung, or did not answer.
    Unanswered,
}

/// Who the call is for.
#[derive(Clone, Copy)]
pub(crate) enum Target<'a> {
    /// The longest-idle free agent of a queue.
    Queue(&'a str),
    /// The phone registered as this extension (when it is an agent's, only while
    /// they are free).
    Extension(&'a str),
}

/// How a call waits for its person.
pub(crate) struct Wait<'a> {
    pub(crate) target: Target<'a>,
    /// Zero: never abandoned, only closed at `max_wait`.
    pub(crate) abandon_after: Duration,
    /// Zero: no limit (the callee may still hang up).
    pub(crate) max_wait: Duration,
    /// How long each phone rings.
    pub(crate) ring: Duration,
    /// What an abandoned callee hears.
    pub(crate) message: Option<&'a str>,
    /// What a waiting callee hears, looped.
    pub(crate) music: Option<&'a str>,
    /// What the callee hears when the maximum wait passes, before the hang-up.
    pub(crate) closing: Option<&'a str>,
}

impl<'a> Wait<'a> {
    /// The wait of a call whose campaign says `on_answer`: its queue or its extension.
    pub(crate) fn of(on_answer: &'a OnAnswer) -> Option<Wait<'a>> {
        match on_answer {
            OnAnswer::Queue {
                queue,
                abandon_after,
                max_wait,
                agent_ring,
                message,
                music,
            } => Some(Wait {
                target: Target::Queue(queue),
                abandon_after: *abandon_after,
                max_wait: *max_wait,
                ring: *agent_ring,
                message: message.as_deref(),
                music: music.as_deref(),
                closing: None,
            }),
            OnAnswer::Extension(extension) => Some(Wait::transfer(Target::Extension(extension))),
            OnAnswer::Notify { .. } | OnAnswer::Desk { .. } | OnAnswer::HangUp => None,
        }
    }

    /// A caller an IVR sends on: not a call the dialer placed ahead of an agent, so
    /// never counted as abandoned; it waits up to two minutes in a queue.
    pub(crate) fn transfer(target: Target<'a>) -> Wait<'a> {
        let (max_wait, ring) = match target {
            Target::Queue(_) => (TRANSFER_MAX_WAIT, TRANSFER_AGENT_RING),
            Target::Extension(_) => (EXTENSION_RING, EXTENSION_RING),
        };
        Wait {
            target,
            abandon_after: Duration::ZERO,
            max_wait,
            ring,
            message: None,
            music: None,
            closing: None,
        }
    }
}

/// The call that waits, as the queue needs it.
#[derive(Clone, Copy)]
pub(crate) struct Waiting<'a> {
    /// Its attempt; none for an inbound call, which is no attempt (and so cannot be
    /// monitored).
    pub(crate) attempt_id: Option<i64>,
    /// The customer's number, shown on the agent's phone.
    pub(crate) number: &'a str,
}

impl<'a> From<&'a CallRequest> for Waiting<'a> {
    fn from(call: &'a CallRequest) -> Waiting<'a> {
        Waiting {
            attempt_id: Some(call.attempt_id),
            number: &call.number,
        }
    }
}

/// The person's leg: their phone ringing, then talking.
struct PersonLeg<'c> {
    /// The agent taken from the queue; none for an extension.
    offer: Option<Offer>,
    /// The agent's name, or the extension.
    name: String,
    leg: Leg,
    /// Set once they answered; dropping it ends a monitor on the call, then separates
    /// the two legs' audio.
    bridge: Option<Listed<'c>>,
    talked: bool,
}

/// Puts `call`'s answered `callee` through as `wait` says; the report once both legs
/// are over and the agent is freed.
pub(crate) async fn run(
    context: &CallContext,
    call: Waiting<'_>,
    callee: &mut Leg,
    progress: &mpsc::UnboundedSender<Progress>,
    agents: &dyn Agents,
    wait: Wait<'_>,
) -> CallReport {
    let joined = Instant::now();
    if let Some(music) = wait.music {
        context.prompts.hold_music(music, callee).await;
    }
    let abandon_at = (!wait.abandon_after.is_zero()).then(|| joined + wait.abandon_after);
    let close_at = (!wait.max_wait.is_zero()).then(|| joined + wait.max_wait);
    let mut person: Option<PersonLeg<'_>> = None;
    // Why the call stopped waiting without anyone: abandoned, closed, unanswered.
    let mut gave_up: Option<GaveUp> = None;
    // Who took the call.
    let mut connected: Option<String> = None;
    let mut next_try = joined;
    let outcome: CallOutcome = loop {
        let waiting = connected.is_none() && gave_up.is_none();
        // Nobody is rung once the host stops.
        let ring_next = waiting && person.is_none() && !context.stop.is_cancelled();
        let person_event = async {
            match person.as_mut() {
                Some(person) => person.leg.next().await,
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
            event = person_event => {
                let Some(p) = person.as_mut() else { continue };
                match event {
                    Some(LegEvent::Answered) if gave_up.is_none() => {
                        if let (Some(theirs), Some(ours)) = (p.leg.media(), callee.media()) {
                            let bridge = ours.bridge(theirs);
                            p.bridge = Some(context.bridged.list(call.attempt_id, call.number, bridge));
                        }
                        p.talked = true;
                        connected = Some(p.name.clone());
                        // The contact center's speed of answer.
                        let target = match wait.target {
                            Target::Queue(_) => "queue",
                            Target::Extension(_) => "extension",
                        };
                        metrics::histogram!("ringhost_queue_wait_seconds", "target" => target)
                            .record(joined.elapsed().as_secs_f64());
                        tracing::info!(attempt = ?call.attempt_id, to = %p.name, "call put through");
                        let _ = progress.send(Progress::Agent(p.name.clone()));
                    }
                    // Too late: the call was given up while the phone rang.
                    Some(LegEvent::Answered) => p.leg.hangup(),
                    Some(LegEvent::Ended(_)) | None => {
                        let p = person.take().expect("the person is there");
                        let talked = p.talked;
                        free(agents, p, gave_up.is_some()).await;
                        if talked {
                            // They hung up: so does the callee's leg.
                            callee.hangup();
                        } else if matches!(wait.target, Target::Extension(_)) && gave_up.is_none() {
                            gave_up = Some(GaveUp::Unanswered);
                            callee.hangup();
                        }
                        next_try = Instant::now();
                    }
                    Some(_) => {}
                }
            }
            () = tokio::time::sleep_until(next_try), if ring_next => {
                next_try = Instant::now() + RETRY;
                person = match wait.target {
                    Target::Queue(queue) => ring_agent(context, call, queue, wait.ring, agents).await,
                    Target::Extension(extension) => {
                        match ring_extension(context, call, extension, wait.ring, agents).await {
                            // `None` while its agent is busy: wait for them.
                            Ok(person) => person,
                            Err(()) => {
                                gave_up = Some(GaveUp::Unanswered);
                                callee.hangup();
                                None
                            }
                        }
                    }
                };
            }
            () = sleep_until(abandon_at), if waiting => {
                tracing::info!(attempt = ?call.attempt_id, "no agent in time: the call is abandoned");
                gave_up = Some(GaveUp::Abandoned);
                stop_ringing(person.as_ref());
                if !context.prompts.play(wait.message, callee, "the abandon message").await {
                    callee.hangup();
                }
            }
            () = sleep_until(close_at), if waiting => {
                tracing::info!(attempt = ?call.attempt_id, "the maximum wait passed: closed by the system");
                gave_up = Some(GaveUp::Closed);
                stop_ringing(person.as_ref());
                if !context.prompts.play(wait.closing, callee, "the closing message").await {
                    callee.hangup();
                }
            }
        }
    };
    // The callee is gone: so is the person's leg, and the agent is freed.
    if let Some(mut p) = person.take() {
        p.bridge = None;
        p.leg.hangup();
        p.leg.ended().await;
        free(agents, p, true).await;
    }
    let mut report = CallReport::ended(outcome);
    match wait.target {
        Target::Queue(_) => {
            let result = match (gave_up, &connected) {
                (Some(GaveUp::Abandoned), _) => QueueResult::Abandoned,
                (Some(GaveUp::Closed | GaveUp::Unanswered), _) => QueueResult::Timeout,
                (None, Some(_)) => QueueResult::Answer,
                // Hung up while waiting.
                (None, None) if report.hangup_by == Some(HangupBy::Callee) => QueueResult::Hangup,
                // Cut off waiting (the host stopped): a campaign's call answered ahead
                // of an agent is abandoned; any other is closed by the system.
                (None, None) if abandon_at.is_some() => QueueResult::Abandoned,
                (None, None) => QueueResult::Timeout,
            };
            report.queue_result = Some(result);
            if result == QueueResult::Abandoned {
                report.tags.push("abandoned".to_owned());
            }
        }
        Target::Extension(_) if connected.is_none() => {
            report.tags.push(EXTENSION_UNANSWERED.to_owned());
        }
        Target::Extension(_) => {}
    }
    report.agent = connected;
    report
}

/// Takes the next free agent of `queue` and rings their phone; `None` when no agent
/// is free (agents whose phone is not registered are skipped on the way).
async fn ring_agent<'c>(
    context: &'c CallContext,
    call: Waiting<'_>,
    queue: &str,
    ring_for: Duration,
    agents: &dyn Agents,
) -> Option<PersonLeg<'c>> {
    loop {
        let offer = match agents.take(queue, call.attempt_id).await {
            Ok(Some(offer)) => offer,
            Ok(None) => return None,
            Err(error) => {
                tracing::warn!(%queue, error = format!("{error:#}"), "cannot take an agent");
                return None;
            }
        };
        let Some(phone) = phone_of(context, call, &offer.extension) else {
            agents.skip(&offer, Skip::Unreachable).await;
            continue;
        };
        let at = (offer.extension.as_str(), &phone);
        let person = ring(context, call, at, ring_for, Some(offer.clone())).await;
        if person.is_none() {
            // No media ports: not the agent's fault; the next try comes after the
            // retry pause.
            agents.skip(&offer, Skip::CallGone).await;
        }
        return person;
    }
}

/// Rings the phone at `extension`: taking its agent first when it is an agent's.
/// `Ok(None)` while that agent is not free; `Err` when the phone cannot be rung.
async fn ring_extension<'c>(
    context: &'c CallContext,
    call: Waiting<'_>,
    extension: &str,
    ring_for: Duration,
    agents: &dyn Agents,
) -> Result<Option<PersonLeg<'c>>, ()> {
    let offer = match agents.take_at(extension, call.attempt_id).await {
        Ok(AtExtension::Agent(offer)) => Some(offer),
        Ok(AtExtension::Busy) => return Ok(None),
        Ok(AtExtension::NoAgent) => None,
        Err(error) => {
            tracing::warn!(%extension, error = format!("{error:#}"), "cannot read the extension's agent");
            return Ok(None);
        }
    };
    let person = match phone_of(context, call, extension) {
        Some(phone) => ring(context, call, (extension, &phone), ring_for, offer.clone()).await,
        None => None,
    };
    match (person, &offer) {
        (Some(person), _) => Ok(Some(person)),
        (None, Some(offer)) => {
            agents.skip(offer, Skip::Unreachable).await;
            Err(())
        }
        (None, None) => Err(()),
    }
}

/// The phone registered as `extension`, if any.
fn phone_of(context: &CallContext, call: Waiting<'_>, extension: &str) -> Option<Registered> {
    let phone = context.phone_of(extension);
    if phone.is_none() {
        tracing::info!(attempt = ?call.attempt_id, %extension, "extension not registered");
    }
    phone
}

/// Rings `phone`, registered as `extension`, showing the callee's number; `None`
/// when it cannot be rung (no media ports).
async fn ring<'c>(
    context: &'c CallContext,
    call: Waiting<'_>,
    (extension, phone): (&str, &Registered),
    ring_for: Duration,
    offer: Option<Offer>,
) -> Option<PersonLeg<'c>> {
    let dial = Dial {
        number: extension.to_owned(),
        caller_id: Some(call.number.to_owned()),
        ring_timeout: ring_for,
        offer: None,
    };
    match context.ring_phone(phone, dial).await {
        Ok(leg) => Some(PersonLeg {
            leg,
            name: offer.as_ref().map_or(extension, |o| &o.agent).to_owned(),
            offer,
            bridge: None,
            talked: false,
        }),
        Err(error) => {
            tracing::warn!(%extension, error = format!("{error:#}"), "cannot ring the phone");
            None
        }
    }
}

/// Frees an agent whose leg ended: wrap-up after talking; else skipped, at fault
/// unless the call went away (`call_gone`) while their phone rang.
async fn free(agents: &dyn Agents, person: PersonLeg<'_>, call_gone: bool) {
    let Some(offer) = &person.offer else {
        return;
    };
    match (person.talked, call_gone) {
        (true, _) => agents.release(offer).await,
        (false, true) => agents.skip(offer, Skip::CallGone).await,
        (false, false) => agents.skip(offer, Skip::NoAnswer).await,
    }
}

/// Cancels a ringing phone.
fn stop_ringing(person: Option<&PersonLeg<'_>>) {
    if let Some(person) = person.filter(|p| !p.talked) {
        person.leg.hangup();
    }
}

/// Sleeps until `at`, or forever when there is no such time.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
