//! The dialer's calls placed for real: a [`Carrier`] over the SIP trunks and the media
//! legs. The dialer hands a `CallRequest` and gets a `CallReport`; here the request
//! becomes a `Dial` on a route, the answer starts the leg's media, and what the
//! campaign wants after the answer (a message and a confirmation) is played.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ringhost_dialer::carrier::{CallReport, CallRequest, Carrier, OnAnswer, Placing, Progress};
use ringhost_dialer::queue::Queues;
use ringhost_media::{Law, MediaEvent, Prompt, PromptCache, RtpPorts};
use ringhost_plugins::PluginRegistry;
use ringhost_plugins::disposition::{HangupBy, Outcome};
use ringhost_plugins::ivr::{IVR_FAILED, IvrSession};
use ringhost_sip::{CallOutcome, Dial, Endpoint, Registrar, Trunks};
use tokio::sync::mpsc;

use crate::ivr::{self, IvrRun, Transfer};
use crate::leg::{Leg, LegEvent};
use crate::queued::{self, Target, Wait};

/// The IVR result of a call its script sent on without a status of its own.
const IVR_TRANSFER: &str = "IVR_TRANSFER";

/// Places the dialer's calls through the host's trunks.
#[derive(Clone)]
pub(crate) struct TrunkCarrier {
    pub(crate) trunks: Arc<Trunks>,
    /// Agents' phones are rung through it.
    pub(crate) endpoint: Endpoint,
    /// Where agents' phones are found.
    pub(crate) registrar: Arc<Registrar>,
    pub(crate) ports: RtpPorts,
    pub(crate) laws: Vec<Law>,
    pub(crate) prompts: Arc<PromptCache>,
    /// Relative prompt paths are read from here.
    pub(crate) prompts_dir: PathBuf,
    /// The route of campaigns that name none.
    pub(crate) default_route: String,
    /// Where campaigns' IVR scripts come from.
    pub(crate) plugins: Option<PluginRegistry>,
    /// Cancelled at the end of the drain: every leg hangs up.
    pub(crate) stop: tokio_util::sync::CancellationToken,
}

impl Carrier for TrunkCarrier {
    fn place(
        &self,
        call: CallRequest,
        progress: mpsc::UnboundedSender<Progress>,
        queues: Queues,
    ) -> Placing {
        let this = self.clone();
        Box::pin(async move { this.call(call, progress, queues).await })
    }
}

impl TrunkCarrier {
    async fn call(
        &self,
        call: CallRequest,
        progress: mpsc::UnboundedSender<Progress>,
        queues: Queues,
    ) -> CallReport {
        let route = call
            .route
            .clone()
            .unwrap_or_else(|| self.default_route.clone());
        let dial = Dial {
            number: call.number.clone(),
            caller_id: call.caller_id.clone(),
            ring_timeout: call.ring_timeout,
            offer: None,
        };
        let mut leg = match Leg::place(&self.trunks, &route, dial, &self.ports, &self.laws).await {
            Ok(leg) => leg.until(self.stop.clone()),
            Err(error) => {
                tracing::warn!(attempt = call.attempt_id, %route, error = format!("{error:#}"), "the call could not be placed");
                return CallReport::failed(Outcome::NoRoute);
            }
        };
        let mut confirmed = false;
        let mut collecting = false;
        let mut give_up: Option<tokio::time::Instant> = None;
        let outcome = loop {
            let deadline = give_up.unwrap_or_else(tokio::time::Instant::now);
            let event = tokio::select! {
                event = leg.next() => event,
                () = tokio::time::sleep_until(deadline), if give_up.is_some() => {
                    give_up = None;
                    leg.hangup();
                    continue;
                }
            };
            match event {
                Some(LegEvent::Ringing) => {
                    let _ = progress.send(Progress::Ringing);
                }
                Some(LegEvent::Answered) => {
                    let _ = progress.send(Progress::Answered);
                    if let Some(script) = self.script(&call) {
                        let run = match script {
                            Ok(session) => {
                                ivr::drive(&mut leg, session, &self.prompts_dir, &self.prompts)
                                    .await
                            }
                            Err(run) => {
                                leg.hangup();
                                (None, run)
                            }
                        };
                        let (outcome, run) = run;
                        let mut report = match (outcome, &run.transfer) {
                            (Some(outcome), _) => report(outcome, false),
                            (None, Some(transfer)) => {
                                let target = match transfer {
                                    Transfer::Queue(queue) => Target::Queue(queue),
                                    Transfer::Extension(extension) => Target::Extension(extension),
                                };
                                let wait = Wait::transfer(target, &queues);
                                queued::run(self, &call, &mut leg, &progress, wait).await
                            }
                            (None, None) => {
                                report(leg.ended().await.unwrap_or_else(no_outcome), false)
                            }
                        };
                        report.confirmed = run.confirmed;
                        report.ivr_result = run
                            .result
                            .or_else(|| run.transfer.is_some().then(|| IVR_TRANSFER.to_owned()));
                        report.tags.extend(run.tags);
                        return report;
                    }
                    match &call.on_answer {
                        OnAnswer::Notify { audio, .. } => match self
                            .prompt(audio.as_deref(), &mut leg)
                            .await
                        {
                            true => {}
                            false => {
                                self.after_message(&call, &mut leg, &mut collecting, &mut give_up)
                            }
                        },
                        on_answer => match Wait::of(on_answer, &queues) {
                            Some(wait) => {
                                return queued::run(self, &call, &mut leg, &progress, wait).await;
                            }
                            None => leg.hangup(),
                        },
                    }
                }
                Some(LegEvent::Media(MediaEvent::PlaybackDone(_))) => {
                    self.after_message(&call, &mut leg, &mut collecting, &mut give_up);
                }
                Some(LegEvent::Media(MediaEvent::Digit(digit))) => {
                    if collecting {
                        confirmed = digit.digit == '1';
                        collecting = false;
                        leg.hangup();
                    }
                }
                Some(LegEvent::MediaRefused(reason)) => {
                    tracing::warn!(attempt = call.attempt_id, %reason, "answered call without usable media");
                }
                Some(LegEvent::Ended(outcome)) => break outcome,
                None => break no_outcome(),
            }
        };
        let mut report = report(outcome, confirmed);
        if let OnAnswer::Notify { confirm: true, .. } = call.on_answer
            && report.outcome == Outcome::Answered
        {
            // As an IVR would say it: an answered call left unconfirmed is retried.
            report.ivr_result = Some(
                if confirmed {
                    "CONFIRMED"
                } else {
                    "NOT_CONFIRMED"
                }
                .into(),
            );
        }
        report
    }

    /// The campaign's IVR session for an answered call, if it has a script: started,
    /// or the run of a script that failed to start. A script that is not loaded is
    /// logged and the built-in message and confirmation serve instead.
    fn script(&self, call: &CallRequest) -> Option<Result<IvrSession, IvrRun>> {
        let OnAnswer::Notify {
            ivr: Some(name), ..
        } = &call.on_answer
        else {
            return None;
        };
        let Some(plugin) = self.plugins.as_ref().and_then(|p| p.ivr(name)) else {
            tracing::warn!(ivr = %name, "IVR plugin not loaded; the built-in message and confirmation serve");
            return None;
        };
        Some(
            tokio::task::block_in_place(|| plugin.start(&call.variables)).map_err(|_| IvrRun {
                result: Some(IVR_FAILED.to_owned()),
                ..IvrRun::default()
            }),
        )
    }

    /// Starts the message; false when there is none to play.
    pub(crate) async fn prompt(&self, audio: Option<&str>, leg: &mut Leg) -> bool {
        let Some(audio) = audio else {
            return false;
        };
        match (
            self.load(audio, leg, "the campaign's message").await,
            leg.media(),
        ) {
            (Some(prompt), Some(media)) => {
                media.play(vec![prompt]);
                true
            }
            _ => false,
        }
    }

    /// Loops `music` on the leg; a file that cannot be played leaves comfort noise.
    pub(crate) async fn hold_music(&self, music: &str, leg: &mut Leg) {
        if let (Some(prompt), Some(media)) =
            (self.load(music, leg, "music on hold").await, leg.media())
        {
            media.play_loop(prompt);
        }
    }

    /// The prompt `file` of the prompts folder in the leg's law (read off the async
    /// executor, cached); `None`, after a log line naming it as `what`, when it cannot
    /// be played.
    async fn load(&self, file: &str, leg: &mut Leg, what: &str) -> Option<Arc<Prompt>> {
        let law = leg.media()?.negotiated().law;
        let (path, cache) = (self.prompts_dir.join(file), self.prompts.clone());
        match tokio::task::spawn_blocking(move || cache.load(&path, law)).await {
            Ok(Ok(prompt)) => Some(prompt),
            Ok(Err(error)) => {
                tracing::warn!(%file, %error, "{what} cannot be played");
                None
            }
            Err(_) => None,
        }
    }

    /// After the message: wait for the confirmation, or hang up.
    fn after_message(
        &self,
        call: &CallRequest,
        leg: &mut Leg,
        collecting: &mut bool,
        give_up: &mut Option<tokio::time::Instant>,
    ) {
        match call.on_answer {
            OnAnswer::Notify {
                confirm: true,
                confirm_wait,
                ..
            } => {
                *collecting = true;
                *give_up = Some(tokio::time::Instant::now() + confirm_wait);
            }
            _ => leg.hangup(),
        }
    }
}

/// A call whose events stopped without an outcome (its task is gone).
pub(crate) fn no_outcome() -> CallOutcome {
    CallOutcome {
        outcome: ringhost_sip::Outcome::Failed,
        sip_code: None,
        q850_cause: None,
        ring_ms: 0,
        talk_ms: 0,
        trunk: None,
        hangup_by: None,
    }
}

/// The SIP outcome in the dialer's terms.
pub(crate) fn report(outcome: CallOutcome, confirmed: bool) -> CallReport {
    use ringhost_sip::Outcome as Sip;
    let kind = match outcome.outcome {
        Sip::Answered => Outcome::Answered,
        Sip::Busy => Outcome::Busy,
        Sip::NoAnswer => Outcome::NoAnswer,
        Sip::Congestion => Outcome::Congestion,
        Sip::NoRoute => Outcome::NoRoute,
        Sip::ChannelUnavailable => Outcome::ChannelUnavailable,
        Sip::Cancelled => Outcome::Cancelled,
        Sip::Failed => Outcome::Failed,
    };
    CallReport {
        outcome: kind,
        sip_code: outcome.sip_code,
        cause: outcome.q850_cause,
        trunk: outcome.trunk,
        ring: Duration::from_millis(outcome.ring_ms),
        talk: Duration::from_millis(outcome.talk_ms),
        hangup_by: outcome.hangup_by.map(|h| match h {
            ringhost_sip::HangupBy::Local => HangupBy::Ringhost,
            ringhost_sip::HangupBy::Remote => HangupBy::Callee,
        }),
        confirmed,
        ivr_result: None,
        queue_result: None,
        tags: Vec::new(),
        agent: None,
    }
}
