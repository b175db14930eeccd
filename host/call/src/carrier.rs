//! The carrier: what places the dialer's calls. [`Carrier`] is the seam (the dialer
//! holds one; its tests script their own); [`TrunkCarrier`] is the real one, over the
//! host's trunks and media legs.
//!
//! A call's path is one way: the leg is placed and followed until it is answered (or
//! ends), then exactly one handler carries the answered call to its end, as the
//! campaign says: a notification's message and confirmation (`notify`), an
//! IVR script (`ivr`), or a person (a queue's agent or an extension,
//! `queued`). A call from an agent's desk goes the other way round (`desk`): the
//! agent's phone is rung first, and the callee's leg placed once they answer.
//!
//! A call bridged to a person can also be monitored by a supervisor
//! ([`Carrier::monitor`], module `monitor`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use ringhost_sip::{CallOutcome, Dial};
use tokio::sync::mpsc;

use crate::agents::Agents;
use crate::context::CallContext;
use crate::leg::{Leg, LegEvent};
use crate::monitor::{self, MonitorMode, MonitorRefusal};
use crate::queued::Wait;
use crate::report::{CallReport, Outcome, Progress, no_outcome};
use crate::request::{CallRequest, Class, OnAnswer};
use crate::{desk, ivr, notify, queued};

/// A boxed call in progress.
pub type Placing = Pin<Box<dyn Future<Output = CallReport> + Send>>;

/// A boxed start of a monitor: done once the supervisor's phone rings.
pub type Monitoring = Pin<Box<dyn Future<Output = Result<(), MonitorRefusal>> + Send>>;

/// Places calls: the trunks and legs in the host ([`TrunkCarrier`]), a script in the
/// dialer's tests.
pub trait Carrier: Send + Sync + 'static {
    /// Places `call`, reporting progress on `progress`, and resolves when it is over.
    /// A queued call takes its agent from `agents`.
    fn place(
        &self,
        call: CallRequest,
        progress: mpsc::UnboundedSender<Progress>,
        agents: Arc<dyn Agents>,
    ) -> Placing;

    /// Whether `number` is reached inside the host or through a trunk: the ledger
    /// counts the two apart.
    fn class_of(&self, number: &str) -> Class {
        let _ = number;
        Class::External
    }

    /// Rings the supervisor's phone registered as `extension` and, once answered, puts
    /// it on attempt `attempt_id`'s call (bridged to a person) in `mode`. Resolves once
    /// the phone rings; the supervisor is hung up when the call ends. Only a phone
    /// registered with this host is ever rung, never a number through a trunk.
    /// Refused ([`MonitorRefusal::Unsupported`]) unless the carrier can.
    fn monitor(&self, attempt_id: i64, extension: String, mode: MonitorMode) -> Monitoring {
        let _ = (attempt_id, extension, mode);
        Box::pin(async { Err(MonitorRefusal::Unsupported) })
    }

    /// Changes what the supervisor on attempt `attempt_id`'s call hears and who hears
    /// them, without ringing again.
    ///
    /// # Errors
    /// When the call is not bridged or not monitored; unless the carrier can monitor.
    fn set_monitor_mode(&self, attempt_id: i64, mode: MonitorMode) -> Result<(), MonitorRefusal> {
        let _ = (attempt_id, mode);
        Err(MonitorRefusal::Unsupported)
    }

    /// Hangs up the supervisor on attempt `attempt_id`'s call.
    ///
    /// # Errors
    /// When the call is not bridged or not monitored; unless the carrier can monitor.
    fn stop_monitor(&self, attempt_id: i64) -> Result<(), MonitorRefusal> {
        let _ = attempt_id;
        Err(MonitorRefusal::Unsupported)
    }
}

/// Places the dialer's calls through the host's trunks.
#[derive(Clone)]
pub struct TrunkCarrier {
    pub(crate) context: Arc<CallContext>,
}

impl TrunkCarrier {
    /// A carrier placing calls with what `context` holds.
    pub fn new(context: CallContext) -> TrunkCarrier {
        TrunkCarrier {
            context: Arc::new(context),
        }
    }
}

impl Carrier for TrunkCarrier {
    fn place(
        &self,
        call: CallRequest,
        progress: mpsc::UnboundedSender<Progress>,
        agents: Arc<dyn Agents>,
    ) -> Placing {
        let context = self.context.clone();
        Box::pin(async move { run(&context, &call, &progress, agents.as_ref()).await })
    }

    fn monitor(&self, attempt_id: i64, extension: String, mode: MonitorMode) -> Monitoring {
        let context = self.context.clone();
        Box::pin(async move { monitor::start(context, attempt_id, &extension, mode).await })
    }

    fn set_monitor_mode(&self, attempt_id: i64, mode: MonitorMode) -> Result<(), MonitorRefusal> {
        self.context.bridged.set_mode(attempt_id, mode)
    }

    fn stop_monitor(&self, attempt_id: i64) -> Result<(), MonitorRefusal> {
        self.context.bridged.stop(attempt_id)
    }
}

/// A call from its INVITE to its report.
async fn run(
    context: &CallContext,
    call: &CallRequest,
    progress: &mpsc::UnboundedSender<Progress>,
    agents: &dyn Agents,
) -> CallReport {
    if let OnAnswer::Desk { agent, agent_ring } = &call.on_answer {
        // The agent's phone first: the callee is dialled only once they answer.
        return desk::run(context, call, agent, *agent_ring, progress, agents).await;
    }
    let mut leg = match place_callee(context, call).await {
        Ok(leg) => leg,
        Err(report) => return report,
    };
    if let Err(outcome) = until_answered(call, &mut leg, progress).await {
        return CallReport::ended(outcome);
    }
    let _ = progress.send(Progress::Answered);
    match &call.on_answer {
        OnAnswer::Notify {
            ivr: Some(name), ..
        } => match ivr::script(context, name) {
            Some(script) => ivr::run(context, call, leg, &script, progress, agents).await,
            None => notify::run(context, call, leg).await,
        },
        OnAnswer::Notify { ivr: None, .. } => notify::run(context, call, leg).await,
        // A queue or an extension: put through to a person.
        on_answer => match Wait::of(on_answer) {
            Some(wait) => queued::run(context, call.into(), &mut leg, progress, agents, wait).await,
            None => {
                leg.hangup();
                CallReport::ended(leg.ended().await.unwrap_or_else(no_outcome))
            }
        },
    }
}

/// Places `call`'s leg to the callee through its route (the default one when it
/// names none); the report of a call that could not be placed when it fails.
pub(crate) async fn place_callee(
    context: &CallContext,
    call: &CallRequest,
) -> Result<Leg, CallReport> {
    let route = call.route.as_deref().unwrap_or(&context.default_route);
    let dial = Dial {
        number: call.number.clone(),
        caller_id: call.caller_id.clone(),
        ring_timeout: call.ring_timeout,
        offer: None,
    };
    context.place(route, dial).await.map_err(|error| {
        tracing::warn!(attempt = call.attempt_id, %route, error = format!("{error:#}"), "the call could not be placed");
        CallReport::failed(Outcome::NoRoute)
    })
}

/// Follows a placed leg until the callee answers with usable media; its outcome when
/// it ends first.
async fn until_answered(
    call: &CallRequest,
    leg: &mut Leg,
    progress: &mpsc::UnboundedSender<Progress>,
) -> Result<(), CallOutcome> {
    loop {
        match leg.next().await {
            Some(LegEvent::Ringing) => {
                let _ = progress.send(Progress::Ringing);
            }
            Some(LegEvent::Answered) => return Ok(()),
            Some(LegEvent::MediaRefused(reason)) => {
                // The leg hangs itself up; its end follows.
                tracing::warn!(attempt = call.attempt_id, %reason, "answered call without usable media");
            }
            Some(LegEvent::Media(_)) => {}
            Some(LegEvent::Ended(outcome)) => return Err(outcome),
            None => return Err(no_outcome()),
        }
    }
}
