//! Inbound calls to the host's own numbers (`[[inbound]]` lines), the other way in:
//! the caller is answered, greeted, and put through to their line's queue the way a
//! campaign's answered call is (`queued`: music on hold, the queue's longest-idle free
//! agent, the maximum wait, then the closing message). A line that is closed, or whose
//! queue has nobody logged in, is answered with its message and hung up.
//!
//! The dialer decides which of the two, from the line's hours and agents, and makes a
//! missed-call request of a call that reached nobody; this carries the audio. An
//! inbound call rings agents' phones only: it never leaves by a trunk.

use std::sync::Arc;
use std::time::Duration;

use ringhost_media::MediaEvent;
use ringhost_sip::IncomingCall;
use tokio::sync::mpsc;

use crate::agents::Agents;
use crate::carrier::TrunkCarrier;
use crate::context::CallContext;
use crate::leg::{Leg, LegEvent};
use crate::queued::{self, Target, Wait, Waiting};
use crate::report::{CallReport, HangupBy, Outcome, Progress, QueueResult, no_outcome};

/// How a line's call waits for an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundQueue {
    /// The agents' queue.
    pub queue: String,
    /// The longest wait; then the closing message and the hang-up.
    pub max_wait: Duration,
    /// How long each agent's phone rings before the next agent's.
    pub agent_ring: Duration,
    /// Played once on answer, before the queue.
    pub greeting: Option<String>,
    /// Looped while waiting; comfort noise when unset.
    pub music: Option<String>,
    /// Played when the maximum wait passes.
    pub closing: Option<String>,
}

/// The calls to the host's numbers, as they arrive.
pub struct InboundCalls {
    calls: mpsc::UnboundedReceiver<IncomingCall>,
    context: Arc<CallContext>,
}

impl InboundCalls {
    /// The next call; `None` once the endpoint stops handing them over.
    pub async fn next(&mut self) -> Option<InboundCall> {
        let incoming = self.calls.recv().await?;
        Some(InboundCall {
            incoming,
            context: self.context.clone(),
        })
    }
}

impl TrunkCarrier {
    /// Takes trunks' calls from now on; they arrive on the returned [`InboundCalls`],
    /// for the dialer to answer those to the `[[inbound]]` numbers and refuse others.
    pub fn take_calls(&self) -> InboundCalls {
        InboundCalls {
            calls: self.context.endpoint.take_calls(),
            context: self.context.clone(),
        }
    }
}

/// A call to one of the host's numbers, not answered yet. Dropping it refuses it.
pub struct InboundCall {
    incoming: IncomingCall,
    context: Arc<CallContext>,
}

impl InboundCall {
    /// The number called.
    pub fn number(&self) -> &str {
        &self.incoming.number
    }

    /// Who calls, as the trunk wrote it.
    pub fn caller(&self) -> &str {
        &self.incoming.caller
    }

    /// Refuses the call unanswered, with 480 (nobody to take it, nothing to say).
    pub fn refuse(self) {
        self.incoming.refuse(480, "Temporarily Unavailable");
    }

    /// Answers, plays `greeting`, then puts the caller through as `line` says; the
    /// report (its queue result, the agent) once the call is over and the agent freed.
    /// `progress` hears when an agent takes it.
    pub async fn queue(
        self,
        line: &InboundQueue,
        progress: &mpsc::UnboundedSender<Progress>,
        agents: &dyn Agents,
    ) -> CallReport {
        let context = self.context.clone();
        let number = self.incoming.caller.clone();
        let mut leg = match context.answer(self.incoming).await {
            Ok(leg) => leg,
            Err(error) => return refused(&error),
        };
        if let Some(report) = play_through(&context, &mut leg, line.greeting.as_deref()).await {
            return report;
        }
        let wait = Wait {
            target: Target::Queue(&line.queue),
            abandon_after: Duration::ZERO,
            max_wait: line.max_wait,
            ring: line.agent_ring,
            message: None,
            music: line.music.as_deref(),
            closing: line.closing.as_deref(),
        };
        let caller = Waiting {
            attempt_id: None,
            number: &number,
        };
        queued::run(&context, caller, &mut leg, progress, agents, wait).await
    }

    /// Answers, plays `message` and hangs up (a closed line, nobody logged in); without
    /// a message the call is refused unanswered (480).
    pub async fn decline(self, message: Option<&str>) {
        let Some(message) = message else {
            self.refuse();
            return;
        };
        let context = self.context.clone();
        let mut leg = match context.answer(self.incoming).await {
            Ok(leg) => leg,
            Err(error) => {
                refused(&error);
                return;
            }
        };
        if play_through(&context, &mut leg, Some(message))
            .await
            .is_none()
        {
            leg.hangup();
            leg.ended().await;
        }
    }
}

/// Plays `audio` on the answered leg to its end; the report when the caller hangs up
/// meanwhile (counted as a hang-up in the queue).
async fn play_through(
    context: &CallContext,
    leg: &mut Leg,
    audio: Option<&str>,
) -> Option<CallReport> {
    if !context.prompts.play(audio, leg, "the line's message").await {
        return None;
    }
    loop {
        match leg.next().await {
            Some(LegEvent::Media(MediaEvent::PlaybackDone(_))) => return None,
            Some(LegEvent::Ended(outcome)) => {
                let mut report = CallReport::ended(outcome);
                if report.hangup_by == Some(HangupBy::Callee) {
                    report.queue_result = Some(QueueResult::Hangup);
                }
                return Some(report);
            }
            None => return Some(CallReport::ended(no_outcome())),
            Some(_) => {}
        }
    }
}

/// The report of an inbound call that could not be answered.
fn refused(error: &anyhow::Error) -> CallReport {
    tracing::warn!(error = format!("{error:#}"), "inbound call refused");
    CallReport::failed(Outcome::Failed)
}
