//! A notification call once answered: the campaign's message, then (when it asks for
//! one) the callee's confirmation by pressing 1 within `confirm_wait`, then the
//! hang-up. As an IVR would say it, an answered call left unconfirmed is
//! `NOT_CONFIRMED`, which the disposition mapping retries.

use ringhost_media::MediaEvent;
use tokio::time::Instant;

use crate::context::CallContext;
use crate::leg::{Leg, LegEvent};
use crate::report::{CallReport, IvrResult, Outcome, no_outcome};
use crate::request::{CallRequest, OnAnswer};

/// Carries the answered `leg` of notification `call` to its end.
pub(crate) async fn run(context: &CallContext, call: &CallRequest, mut leg: Leg) -> CallReport {
    let OnAnswer::Notify {
        audio,
        confirm,
        confirm_wait,
        ..
    } = &call.on_answer
    else {
        unreachable!("a notification call");
    };
    let mut confirmed = false;
    // Set once the message is over and the digit is awaited.
    let mut give_up: Option<Instant> = None;
    let after_message = |leg: &mut Leg| {
        if *confirm {
            Some(Instant::now() + *confirm_wait)
        } else {
            leg.hangup();
            None
        }
    };
    if !context
        .prompts
        .play(audio.as_deref(), &mut leg, "the campaign's message")
        .await
    {
        give_up = after_message(&mut leg);
    }
    let outcome = loop {
        let deadline = give_up.unwrap_or_else(Instant::now);
        let event = tokio::select! {
            event = leg.next() => event,
            () = tokio::time::sleep_until(deadline), if give_up.is_some() => {
                give_up = None;
                leg.hangup();
                continue;
            }
        };
        match event {
            Some(LegEvent::Media(MediaEvent::PlaybackDone(_))) => {
                give_up = after_message(&mut leg);
            }
            Some(LegEvent::Media(MediaEvent::Digit(digit))) if give_up.is_some() => {
                confirmed = digit.digit == '1';
                give_up = None;
                leg.hangup();
            }
            Some(LegEvent::Ended(outcome)) => break outcome,
            None => break no_outcome(),
            Some(_) => {}
        }
    };
    let mut report = CallReport::ended(outcome);
    report.confirmed = confirmed;
    if *confirm && report.outcome == Outcome::Answered {
        report.ivr_result = Some(if confirmed {
            IvrResult::Confirmed
        } else {
            IvrResult::NotConfirmed
        });
    }
    report
}
