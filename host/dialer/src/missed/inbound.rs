//! Calls to the host's own numbers (`[[inbound]]` lines): whether the line is open and
//! someone can take the call, the call's record from its arrival to its end, and what
//! its end means for missed calls. A call that reaches nobody (the caller hangs up,
//! the maximum wait, outside the hours, nobody logged in) is counted on its caller's
//! request like a PBX's missed call; a caller with an open request who reaches an
//! agent closes it as served inbound.
//!
//! The call layer (`ringhost_call::inbound`) answers, plays and queues; an inbound
//! call goes to agents' phones only, never to a trunk. Each call is written when it
//! arrives and at each step, so a crash loses none: the restart (`recover`) counts a
//! call it finds waiting as missed.

use std::sync::Arc;

use chrono_tz::Tz;
use ringhost_call::{InboundCall, InboundCalls, InboundQueue, Progress, QueueResult};
use ringhost_store::inbound::{InboundEnd, InboundResult, LiveInboundCall, NewInboundCall};
use ringhost_store::missed::{NewMissedCall, Source};
use tokio::sync::mpsc;

use crate::agents::AgentState;
use crate::events::DialerEvent;
use crate::hours::{CallingHours, Verdict};
use crate::number::{Region, normalise};
use crate::queue::Queues;
use crate::scheduler::Dialer;

/// One of the host's numbers and how its calls are handled.
#[derive(Debug, Clone)]
pub struct InboundLine {
    /// The number trunks call.
    pub number: String,
    /// When it is open, in `zone`.
    pub hours: CallingHours,
    /// The zone of the hours.
    pub zone: Tz,
    /// The queue, the waits and the prompts.
    pub queue: InboundQueue,
    /// Played outside the hours and with nobody logged in; `None`: refused unanswered.
    pub closed_message: Option<String>,
}

impl Dialer {
    /// Takes the calls to `lines`' numbers until `calls` ends, each on a task of its
    /// own; a call to any other number is refused (480). Numbers match as E.164 in
    /// the missed calls' region, so a trunk may send `0299000000` for `+390299000000`.
    pub async fn serve_inbound(&self, lines: Vec<InboundLine>, mut calls: InboundCalls) {
        let region = self.missed_settings().region;
        let e164 = |number: &str| {
            normalise(number, region)
                .map(|n| n.e164)
                .unwrap_or_else(|_| number.trim().to_owned())
        };
        let numbers: Vec<String> = lines.iter().map(|l| e164(&l.number)).collect();
        let lines = Arc::new(lines);
        while let Some(call) = calls.next().await {
            let called = e164(call.number());
            let Some(index) = numbers.iter().position(|n| *n == called) else {
                tracing::info!(called = %call.number().escape_debug(), "inbound call refused: no line has this number (480)");
                call.refuse();
                continue;
            };
            let (dialer, lines) = (self.clone(), lines.clone());
            tokio::spawn(async move { dialer.inbound_call(&lines[index], call).await });
        }
    }

    async fn inbound_call(&self, line: &InboundLine, call: InboundCall) {
        let store = &self.inner.store;
        let region = self.missed_settings().region;
        // Kept in E.164 when it reads as a number, as the trunk wrote it otherwise.
        let caller = normalise(call.caller(), region)
            .map(|n| n.e164)
            .unwrap_or_else(|_| call.caller().to_owned());
        let arrived_ms = self.now_ms();
        let new = NewInboundCall {
            host: &self.inner.config.host,
            caller: &caller,
            number: &line.number,
            queue: &line.queue.queue,
            arrived_ms,
        };
        let id = match store.begin_inbound_call(&new).await {
            Ok(id) => id,
            Err(error) => {
                // Not written, so not taken: the trunk tries elsewhere or the caller again.
                tracing::error!(
                    error = format!("{error:#}"),
                    "inbound call refused: cannot be written"
                );
                call.refuse();
                return;
            }
        };
        tracing::info!(inbound = id, caller = %caller, line = %line.number, "inbound call");
        let result = match self.line_state(line, arrived_ms).await {
            Some(closed) => {
                call.decline(line.closed_message.as_deref()).await;
                closed
            }
            None => {
                let (progress, mut heard) = mpsc::unbounded_channel();
                let queues = Queues::new(self.clone());
                let dialer = self.clone();
                let (caller, number) = (caller.clone(), line.number.clone());
                // The agent who takes it is written and told as it happens.
                let connected = tokio::spawn(async move {
                    while let Some(step) = heard.recv().await {
                        if let Progress::Agent(agent) = step {
                            let now = dialer.now_ms();
                            if let Err(error) = dialer
                                .inner
                                .store
                                .inbound_call_connected(id, &agent, now)
                                .await
                            {
                                tracing::warn!(
                                    inbound = id,
                                    error = format!("{error:#}"),
                                    "cannot write an inbound call's agent"
                                );
                            }
                            dialer.publish(DialerEvent::InboundConnected {
                                inbound_id: id,
                                agent,
                                caller: caller.clone(),
                                line: number.clone(),
                            });
                        }
                    }
                });
                let report = call.queue(&line.queue, &progress, &queues).await;
                drop(progress);
                let _ = connected.await;
                match (&report.agent, report.queue_result) {
                    (Some(agent), _) => {
                        self.end_inbound(id, InboundResult::Served, None, Some(agent))
                            .await;
                        return;
                    }
                    (None, Some(QueueResult::Timeout)) => InboundResult::MaxWait,
                    (None, Some(QueueResult::Hangup)) => InboundResult::Hangup,
                    (None, _) if report.talk.is_zero() => InboundResult::Failed,
                    (None, _) => InboundResult::Interrupted,
                }
            }
        };
        let call = LiveInboundCall {
            id,
            caller,
            number: line.number.clone(),
            queue: line.queue.queue.clone(),
            arrived_ms,
            agent: None,
        };
        let missed = missed_call(&call, region, result);
        self.end_inbound(id, result, missed.as_ref(), None).await;
    }

    /// Why `line` cannot take a call now (closed, nobody logged in), or `None`.
    async fn line_state(&self, line: &InboundLine, now_ms: i64) -> Option<InboundResult> {
        if line.hours.check(line.zone, now_ms) != Verdict::Open {
            return Some(InboundResult::Closed);
        }
        match self.inner.store.queue_members(&line.queue.queue).await {
            Ok(members)
                if members
                    .iter()
                    .all(|m| m.state == AgentState::LoggedOut.as_str()) =>
            {
                Some(InboundResult::NoAgents)
            }
            Ok(_) => None,
            Err(error) => {
                // The queue decides again for each agent it takes.
                tracing::warn!(
                    error = format!("{error:#}"),
                    "cannot read the line's agents"
                );
                None
            }
        }
    }

    async fn end_inbound(
        &self,
        id: i64,
        result: InboundResult,
        missed: Option<&NewMissedCall>,
        served_by: Option<&str>,
    ) {
        let end = InboundEnd {
            id,
            result,
            ended_ms: self.now_ms(),
            missed,
            served_by,
        };
        match self.inner.store.end_inbound_call(&end).await {
            Ok(intake) => tracing::info!(
                inbound = id,
                result = result.as_str(),
                ?intake,
                "inbound call ended"
            ),
            Err(error) => tracing::error!(
                inbound = id,
                error = format!("{error:#}"),
                "cannot write an inbound call's end"
            ),
        }
    }

    /// Ends the inbound calls a crash left unfinished: one still waiting reached
    /// nobody and is counted as missed; one an agent had taken was served. How many.
    ///
    /// # Errors
    /// When the database cannot be read or written.
    pub(crate) async fn recover_inbound(&self, host: &str) -> anyhow::Result<u64> {
        let store = &self.inner.store;
        let live = store.live_inbound_calls(host).await?;
        let region = self.missed_settings().region;
        for call in &live {
            let (result, missed) = match call.agent {
                Some(_) => (InboundResult::Served, None),
                None => {
                    let result = InboundResult::Interrupted;
                    (result, missed_call(call, region, result))
                }
            };
            let end = InboundEnd {
                id: call.id,
                result,
                ended_ms: self.now_ms(),
                missed: missed.as_ref(),
                served_by: call.agent.as_deref(),
            };
            store.end_inbound_call(&end).await?;
        }
        Ok(live.len() as u64)
    }
}

/// The missed call an inbound call that reached nobody (`result` says why) counts on
/// its caller's request; `None` when the caller reads as no number in `region`
/// (anonymous) and so cannot be called back.
fn missed_call(
    call: &LiveInboundCall,
    region: Region,
    result: InboundResult,
) -> Option<NewMissedCall> {
    let caller = normalise(&call.caller, region).ok()?.e164;
    Some(NewMissedCall {
        unique_id: Some(unique_id(call.id)),
        caller,
        at_ms: call.arrived_ms,
        kind: "queue".to_owned(),
        name: call.queue.clone(),
        source: Source::Inbound,
        called: call.number.clone(),
        accountcode: String::new(),
        detail: detail(result),
    })
}

/// The intake's id of inbound call `id`: its end counts once, even when a restart
/// ends it again.
fn unique_id(id: i64) -> String {
    format!("inbound-{id}")
}

/// What a missed call's history keeps of an inbound call: why nobody took it.
fn detail(result: InboundResult) -> String {
    serde_json::json!({ "inbound": result.as_str() }).to_string()
}
