//! A call from an agent's desk (click-to-call, ADS's `DialerNewCall` asked by the
//! agent): the agent's registered phone is rung first; once they answer, the callee
//! is dialled through the route as any call, its progress reported; on the callee's
//! answer the two legs are bridged (and listed for a supervisor to monitor). Either
//! hanging up ends the call.
//!
//! How the agent is let go of:
//! - their phone is not registered: [`Skip::Unreachable`]; rang out or refused:
//!   [`Skip::NoAnswer`]; either way the callee is never dialled and the report says
//!   [`Outcome::Cancelled`] with the tag [`AGENT_UNANSWERED`];
//! - they answered but the callee did not (busy, no answer, no route) or they hung up
//!   before the callee answered: [`Skip::CallGone`], and the report is the callee's
//!   leg's, recorded as any call's;
//! - they talked to the callee: [`Agents::release`], their wrap-up.
//!
//! **Security:** the callee's leg leaves through a trunk only for a request the
//! dialer built for a campaign's contact (every check of a campaign's call made),
//! and only after a phone registered with this host answered: the agent's phone is
//! found through [`CallContext::phone_of`], never dialled through a trunk.

use std::time::Duration;

use ringhost_sip::{CallOutcome, Dial};
use tokio::sync::mpsc;

use crate::agents::{Agents, Offer, Skip};
use crate::carrier::place_callee;
use crate::context::CallContext;
use crate::leg::{Leg, LegEvent};
use crate::report::{CallReport, Outcome, Progress, no_outcome};
use crate::request::CallRequest;

/// The tag of a desk call whose agent did not answer their phone: the callee was not
/// dialled.
pub const AGENT_UNANSWERED: &str = "agent_unanswered";

/// Rings `agent`'s phone for `call`, then the callee once they answer, and bridges
/// the two; the report once both legs are over and the agent is let go of.
pub(crate) async fn run(
    context: &CallContext,
    call: &CallRequest,
    agent: &Offer,
    agent_ring: Duration,
    progress: &mpsc::UnboundedSender<Progress>,
    agents: &dyn Agents,
) -> CallReport {
    let Some(mut agent_leg) = ring_agent(context, call, agent, agent_ring, agents).await else {
        let mut report = CallReport::failed(Outcome::Cancelled);
        report.tags.push(AGENT_UNANSWERED.to_owned());
        return report;
    };
    tracing::info!(attempt = call.attempt_id, agent = %agent.agent, "the agent answered: dialling the callee");
    let mut callee = match place_callee(context, call).await {
        Ok(leg) => leg,
        Err(report) => {
            hang_up(&mut agent_leg).await;
            agents.skip(agent, Skip::CallGone).await;
            return report;
        }
    };
    let Some(outcome) = until_answered(call, &mut callee, &mut agent_leg, progress).await else {
        // The callee answered, the agent waits: bridged.
        let _ = progress.send(Progress::Answered);
        let outcome = talk(context, call, &mut callee, &mut agent_leg, agent, progress).await;
        agents.release(agent).await;
        let mut report = CallReport::ended(outcome);
        report.agent = Some(agent.agent.clone());
        return report;
    };
    hang_up(&mut agent_leg).await;
    agents.skip(agent, Skip::CallGone).await;
    CallReport::ended(outcome)
}

/// Rings the agent's registered phone until they answer; `None` (the agent let go
/// of) when it is not registered, cannot be rung, or does not answer.
async fn ring_agent(
    context: &CallContext,
    call: &CallRequest,
    agent: &Offer,
    ring_for: Duration,
    agents: &dyn Agents,
) -> Option<Leg> {
    let Some(phone) = context.phone_of(&agent.extension) else {
        tracing::info!(attempt = call.attempt_id, extension = %agent.extension, "the agent's phone is not registered");
        agents.skip(agent, Skip::Unreachable).await;
        return None;
    };
    let dial = Dial {
        number: agent.extension.clone(),
        caller_id: Some(call.number.clone()),
        ring_timeout: ring_for,
        offer: None,
    };
    let mut leg = match context.ring_phone(&phone, dial).await {
        Ok(leg) => leg,
        Err(error) => {
            // No media ports: not the agent's fault.
            tracing::warn!(
                attempt = call.attempt_id,
                error = format!("{error:#}"),
                "cannot ring the agent's phone"
            );
            agents.skip(agent, Skip::CallGone).await;
            return None;
        }
    };
    loop {
        match leg.next().await {
            Some(LegEvent::Answered) => return Some(leg),
            Some(LegEvent::Ended(_)) | None => break,
            // The agent's own ringing is not the callee's progress; a refused answer
            // hangs itself up and ends.
            Some(_) => {}
        }
    }
    // The host stopping is not the agent's fault either.
    let why = if context.stop.is_cancelled() {
        Skip::CallGone
    } else {
        Skip::NoAnswer
    };
    tracing::info!(attempt = call.attempt_id, agent = %agent.agent, ?why, "the agent did not answer: the callee is not dialled");
    agents.skip(agent, why).await;
    None
}

/// Follows the callee's leg until it is answered (`None`) while the agent waits on
/// theirs; the callee's outcome when it ends first. The agent hanging up cancels the
/// callee's leg, and an answer that comes after that is hung up.
async fn until_answered(
    call: &CallRequest,
    callee: &mut Leg,
    agent_leg: &mut Leg,
    progress: &mpsc::UnboundedSender<Progress>,
) -> Option<CallOutcome> {
    let mut agent_there = true;
    loop {
        tokio::select! {
            event = callee.next() => match event {
                Some(LegEvent::Ringing) => {
                    let _ = progress.send(Progress::Ringing);
                }
                Some(LegEvent::Answered) if agent_there => return None,
                // The agent left meanwhile.
                Some(LegEvent::Answered) => callee.hangup(),
                Some(LegEvent::MediaRefused(reason)) => {
                    tracing::warn!(attempt = call.attempt_id, %reason, "answered call without usable media");
                }
                Some(LegEvent::Media(_)) => {}
                Some(LegEvent::Ended(outcome)) => return Some(outcome),
                None => return Some(no_outcome()),
            },
            event = agent_leg.next(), if agent_there => {
                if matches!(event, Some(LegEvent::Ended(_)) | None) {
                    tracing::info!(attempt = call.attempt_id, "the agent hung up before the callee answered");
                    agent_there = false;
                    callee.hangup();
                }
            }
        }
    }
}

/// The two answered legs bridged until either ends, then the other hung up; the
/// callee's outcome.
async fn talk(
    context: &CallContext,
    call: &CallRequest,
    callee: &mut Leg,
    agent_leg: &mut Leg,
    agent: &Offer,
    progress: &mpsc::UnboundedSender<Progress>,
) -> CallOutcome {
    let mut listed = match (callee.media(), agent_leg.media()) {
        (Some(ours), Some(theirs)) => {
            let bridge = ours.bridge(theirs);
            Some(
                context
                    .bridged
                    .list(Some(call.attempt_id), &call.number, bridge),
            )
        }
        _ => None,
    };
    tracing::info!(attempt = call.attempt_id, agent = %agent.agent, "desk call put through");
    let _ = progress.send(Progress::Agent(agent.agent.clone()));
    let mut agent_there = true;
    loop {
        tokio::select! {
            event = callee.next() => match event {
                Some(LegEvent::Ended(outcome)) => break hang_up_after(listed, agent_leg, agent_there, outcome).await,
                None => break hang_up_after(listed, agent_leg, agent_there, no_outcome()).await,
                Some(_) => {}
            },
            event = agent_leg.next(), if agent_there => {
                if matches!(event, Some(LegEvent::Ended(_)) | None) {
                    // They hung up: so does the callee's leg.
                    agent_there = false;
                    listed = None;
                    callee.hangup();
                }
            }
        }
    }
}

/// The callee's leg is over: the bridge is taken off the list (any monitor hangs up)
/// and the agent's leg hung up if it is still there; `outcome` back.
async fn hang_up_after(
    listed: Option<crate::monitor::Listed<'_>>,
    agent_leg: &mut Leg,
    agent_there: bool,
    outcome: CallOutcome,
) -> CallOutcome {
    drop(listed);
    if agent_there {
        hang_up(agent_leg).await;
    }
    outcome
}

/// Hangs `leg` up and waits for its end.
async fn hang_up(leg: &mut Leg) {
    leg.hangup();
    leg.ended().await;
}
