//! An answered call driven by an IVR plugin: the script's session gets the call's
//! events (answered, digits, playback done, the digits it asked for or a timeout, the
//! hang-up) and its actions are carried out on the leg: prompts played, digits
//! collected, tags and the confirmation kept for the attempt, the call hung up with
//! the script's status. A script that fails ends the call with `IVR_FAILED`.

use std::collections::VecDeque;
use std::sync::Arc;

use ringhost_media::MediaEvent;
use ringhost_plugins::ivr::{Action, Collect, Event, IvrPlugin, IvrSession};
use ringhost_sip::CallOutcome;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::agents::Agents;
use crate::context::CallContext;
use crate::leg::{Leg, LegEvent};
use crate::prompts::Prompts;
use crate::queued::{self, Target, Wait};
use crate::report::{CallReport, IvrResult, Progress, no_outcome};
use crate::request::CallRequest;

/// The IVR script `name`, if it is loaded; when it is not, a log line says that the
/// built-in message and confirmation serve instead.
pub(crate) fn script(context: &CallContext, name: &str) -> Option<Arc<IvrPlugin>> {
    let plugin = context.plugins.as_ref().and_then(|p| p.ivr(name));
    if plugin.is_none() {
        tracing::warn!(ivr = %name, "IVR plugin not loaded; the built-in message and confirmation serve");
    }
    plugin
}

/// Carries the answered `leg` of `call` to its end under `plugin`'s script: a session
/// started with the contact's variables drives the call; where the script transfers
/// the caller, the call goes on as a queued call. A script that fails to start ends
/// the call with `IVR_FAILED`.
pub(crate) async fn run(
    context: &CallContext,
    call: &CallRequest,
    mut leg: Leg,
    plugin: &Arc<IvrPlugin>,
    progress: &mpsc::UnboundedSender<Progress>,
    agents: &dyn Agents,
) -> CallReport {
    let (outcome, run) = match tokio::task::block_in_place(|| plugin.start(&call.variables)) {
        Ok(session) => drive(&mut leg, session, &context.prompts).await,
        Err(_) => {
            leg.hangup();
            let failed = IvrRun {
                result: Some(IvrResult::Failed),
                ..IvrRun::default()
            };
            (None, failed)
        }
    };
    let mut report = match (outcome, &run.transfer) {
        (Some(outcome), _) => CallReport::ended(outcome),
        (None, Some(transfer)) => {
            let target = match transfer {
                Transfer::Queue(queue) => Target::Queue(queue),
                Transfer::Extension(extension) => Target::Extension(extension),
            };
            let wait = Wait::transfer(target);
            queued::run(context, call.into(), &mut leg, progress, agents, wait).await
        }
        (None, None) => CallReport::ended(leg.ended().await.unwrap_or_else(no_outcome)),
    };
    report.confirmed = run.confirmed;
    report.ivr_result = run
        .result
        .or_else(|| run.transfer.is_some().then_some(IvrResult::Transfer));
    report.tags.extend(run.tags);
    report
}

/// What the script decided, for the attempt's record.
#[derive(Debug, Default)]
struct IvrRun {
    /// The callee confirmed.
    confirmed: bool,
    /// Tags the script set.
    tags: Vec<String>,
    /// The status the script hung up with (or `IVR_FAILED`).
    result: Option<IvrResult>,
    /// Where the script sent the caller; the call goes on there.
    transfer: Option<Transfer>,
}

/// Where an IVR script sends its caller.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Transfer {
    /// A queue's longest-idle free agent.
    Queue(String),
    /// A registered phone.
    Extension(String),
}

/// Digits being collected for the script.
struct Collecting {
    ask: Collect,
    digits: String,
    /// Runs from the end of the prompts playing when it was asked for.
    deadline: Option<Instant>,
}

/// A session and the state of what it asked for.
struct Script<'a> {
    session: IvrSession,
    prompts: &'a Prompts,
    events: VecDeque<Event>,
    collecting: Option<Collecting>,
    playing: Option<u64>,
    /// The script hung up; the call ends once the prompts it queued have played.
    hanging_up: bool,
    run: IvrRun,
}

/// Runs `session` on the answered `leg` until the call ends; its outcome and what the
/// script decided.
async fn drive(
    leg: &mut Leg,
    session: IvrSession,
    prompts: &Prompts,
) -> (Option<CallOutcome>, IvrRun) {
    let mut script = Script {
        session,
        prompts,
        events: VecDeque::from([Event::Answered]),
        collecting: None,
        playing: None,
        hanging_up: false,
        run: IvrRun::default(),
    };
    loop {
        script.answer_events(leg);
        if script.run.transfer.is_some() && script.playing.is_none() {
            return (None, script.run);
        }
        let deadline = script.collecting.as_ref().and_then(|c| c.deadline);
        let event = tokio::select! {
            event = leg.next() => event,
            () = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                script.collect_timed_out();
                continue;
            }
        };
        match event {
            Some(LegEvent::Media(MediaEvent::PlaybackDone(id))) if script.playing == Some(id) => {
                script.playing = None;
                if script.run.transfer.is_some() {
                    return (None, script.run);
                }
                if script.hanging_up {
                    leg.hangup();
                    continue;
                }
                if let Some(collecting) = &mut script.collecting {
                    collecting.deadline = Some(
                        Instant::now()
                            + std::time::Duration::from_millis(u64::from(
                                collecting.ask.timeout_ms,
                            )),
                    );
                }
                script.events.push_back(Event::PlaybackDone);
            }
            Some(LegEvent::Media(MediaEvent::Digit(digit))) if !script.hanging_up => {
                script.events.push_back(Event::Digit(digit.digit));
                script.digit(digit.digit);
            }
            Some(LegEvent::Ended(outcome)) => {
                if !script.hanging_up {
                    // The callee hung up: the script may tidy up; its actions are moot.
                    script.events.clear();
                    let _ = tokio::task::block_in_place(|| script.session.on_event(&Event::Hangup));
                }
                return (Some(outcome), script.run);
            }
            None => return (None, script.run),
            Some(_) => {}
        }
    }
}

impl Script<'_> {
    /// Hands the waiting events to the script and carries out what it answers.
    fn answer_events(&mut self, leg: &mut Leg) {
        while let Some(event) = self.events.pop_front() {
            if self.hanging_up {
                self.events.clear();
                return;
            }
            // A script call is bounded by its deadline (500 ms by default).
            let actions = tokio::task::block_in_place(|| self.session.on_event(&event));
            match actions {
                Ok(actions) => {
                    for action in actions {
                        self.act(action, leg);
                    }
                }
                Err(_) => {
                    self.run.result = Some(IvrResult::Failed);
                    self.hanging_up = true;
                    leg.hangup();
                }
            }
        }
    }

    fn act(&mut self, action: Action, leg: &mut Leg) {
        if self.hanging_up {
            return;
        }
        match action {
            Action::Play(names) => self.play(&names, leg),
            Action::SayDigits(digits) => {
                let names: Vec<String> = digits.chars().map(|d| format!("digits/{d}")).collect();
                self.play(&names, leg);
            }
            Action::SayNumber(number) => {
                let names: Vec<String> = number
                    .to_string()
                    .chars()
                    .map(|d| format!("digits/{d}"))
                    .collect();
                self.play(&names, leg);
            }
            Action::Collect(ask) => {
                let deadline = self.playing.is_none().then(|| {
                    Instant::now() + std::time::Duration::from_millis(u64::from(ask.timeout_ms))
                });
                self.collecting = Some(Collecting {
                    ask,
                    digits: String::new(),
                    deadline,
                });
            }
            Action::TransferToQueue(queue) => self.transfer(Transfer::Queue(queue)),
            Action::TransferToExtension(extension) => {
                self.transfer(Transfer::Extension(extension));
            }
            Action::SetVariable((name, value)) => {
                tracing::debug!(%name, %value, "IVR variable set");
            }
            Action::Tag(tag) => self.run.tags.push(tag),
            Action::Confirm => self.run.confirmed = true,
            Action::Hangup(status) => self.hang_up(status, leg),
        }
    }

    /// Ends the script: the caller goes to `to` once the prompts already queued have
    /// played.
    fn transfer(&mut self, to: Transfer) {
        self.run.transfer = Some(to);
        self.hanging_up = true;
        self.collecting = None;
    }

    /// Ends the call with `status`, after the prompts already queued.
    fn hang_up(&mut self, status: String, leg: &mut Leg) {
        self.run.result = Some(IvrResult::Script(status));
        self.hanging_up = true;
        self.collecting = None;
        if self.playing.is_none() {
            leg.hangup();
        }
    }

    /// Plays the named prompts (`NAME.wav` in the prompts folder); names without a file
    /// are skipped with a log line, so a missing recording never stalls a call.
    fn play(&mut self, names: &[String], leg: &mut Leg) {
        let Some(media) = leg.media() else {
            self.events.push_back(Event::PlaybackDone);
            return;
        };
        let law = media.negotiated().law;
        let prompts: Vec<_> = names
            .iter()
            .filter_map(|name| self.prompts.named(name, law))
            .collect();
        if prompts.is_empty() {
            self.events.push_back(Event::PlaybackDone);
        } else {
            self.playing = Some(media.play(prompts));
        }
    }

    fn digit(&mut self, digit: char) {
        let Some(collecting) = &mut self.collecting else {
            return;
        };
        if collecting.ask.terminator == Some(digit) {
            let digits = std::mem::take(&mut collecting.digits);
            self.collecting = None;
            self.events.push_back(Event::Collected(digits));
            return;
        }
        collecting.digits.push(digit);
        if collecting.digits.chars().count() >= collecting.ask.max_digits.max(1) as usize {
            let digits = std::mem::take(&mut collecting.digits);
            self.collecting = None;
            self.events.push_back(Event::Collected(digits));
        }
    }

    fn collect_timed_out(&mut self) {
        if let Some(collecting) = self.collecting.take() {
            self.events.push_back(if collecting.digits.is_empty() {
                Event::Timeout
            } else {
                Event::Collected(collecting.digits)
            });
        }
    }
}
