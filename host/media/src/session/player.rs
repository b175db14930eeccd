//! The sending half of a leg: what the clock sends every 20 ms (prompts, a loop,
//! comfort noise, relayed packets of a bridged leg, a monitor's mix) and the digits
//! that interrupt it.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use tokio::sync::mpsc;

use crate::clock::Clocked;
use crate::dtmf::{self, TelephoneEvent};
use crate::g711::Law;
use crate::prompt::{Prompt, comfort_noise};
use crate::rtp::OutgoingStream;
use crate::sdp::Negotiated;

use super::{Counters, DIGIT_FRAMES, DIGIT_GAP_FRAMES, FRAME, LATE, MediaEvent};

/// What the clock sends from.
#[derive(Debug)]
pub(super) enum Source {
    Prompts {
        queue: VecDeque<Arc<Prompt>>,
        position: usize,
        id: u64,
    },
    Loop {
        prompt: Arc<Prompt>,
        position: usize,
    },
    /// The other leg of a bridge: its receiving task sends through this player.
    Relay,
    /// A monitored bridge's mix: the monitor's mixer sends through this player on the
    /// clock.
    Mixed,
}

impl Source {
    pub(super) fn looping(prompt: Arc<Prompt>) -> Source {
        Source::Loop {
            prompt,
            position: 0,
        }
    }
}

/// An RFC 4733 digit being sent.
#[derive(Debug)]
pub(super) struct DigitOut {
    pub(super) event: u8,
    pub(super) start: u32,
    /// Frames sent so far: tone frames, the end frame, then the gap.
    pub(super) frames: u16,
}

/// The sending half of a leg.
#[derive(Debug)]
pub(crate) struct Player {
    pub(super) socket: Arc<std::net::UdpSocket>,
    /// Where to send: the SDP's address until symmetric RTP latches.
    pub(super) remote: SocketAddr,
    pub(super) negotiated: Negotiated,
    pub(super) out: OutgoingStream,
    pub(super) source: Source,
    pub(super) digits: VecDeque<char>,
    pub(super) digit: Option<DigitOut>,
    /// In-band digit tones waiting to be sent, as codes.
    pub(super) tones: VecDeque<u8>,
    pub(super) events: mpsc::UnboundedSender<MediaEvent>,
    pub(super) counters: Arc<Counters>,
    pub(super) closed: Arc<AtomicBool>,
}

impl Clocked for Player {
    /// A digit's packet, or a frame of the source. False once the leg is gone.
    fn on_clock(&mut self, due: Instant) -> bool {
        if self.closed.load(Ordering::Relaxed) {
            return false;
        }
        if self.send_digit() {
            self.count_lateness(due);
            return true;
        }
        let law = self.negotiated.law;
        let mut frame = [0u8; FRAME];
        let mut filled = 0;
        let mut done = None;
        if !self.tones.is_empty() {
            // A digit's tone: the source waits (a bridged leg's relayed audio is
            // dropped meanwhile).
            let n = FRAME.min(self.tones.len());
            for (slot, code) in frame.iter_mut().zip(self.tones.drain(..n)) {
                *slot = code;
            }
            filled = n;
        }
        match &mut self.source {
            _ if filled > 0 => {}
            Source::Relay | Source::Mixed => return true,
            Source::Loop { prompt, position } => {
                while filled < FRAME && !prompt.codes.is_empty() {
                    filled += copy_codes(prompt, position, &mut frame[filled..], law);
                    if *position >= prompt.codes.len() {
                        *position = 0;
                    }
                }
            }
            Source::Prompts {
                queue,
                position,
                id,
            } => {
                while filled < FRAME {
                    let Some(prompt) = queue.front() else {
                        break;
                    };
                    filled += copy_codes(prompt, position, &mut frame[filled..], law);
                    if *position >= prompt.codes.len() {
                        queue.pop_front();
                        *position = 0;
                    }
                }
                if queue.is_empty() {
                    done = Some(*id);
                }
            }
        }
        if done.is_some() {
            // The rest of the last frame, and what follows, is comfort noise.
            let noise = comfort_noise(law);
            let mut position = 0;
            while filled < FRAME {
                filled += copy_codes(&noise, &mut position, &mut frame[filled..], law);
            }
            self.source = Source::Loop {
                prompt: noise,
                position,
            };
        }
        if filled > 0 {
            let packet = self
                .out
                .audio(self.negotiated.payload_type, &frame[..filled]);
            if self.socket.send_to(packet, self.remote).is_ok() {
                self.counters.packets_sent.fetch_add(1, Ordering::Relaxed);
            }
            self.count_lateness(due);
        }
        if let Some(id) = done {
            // Only once the last frame has left: a call hung up on this event (an
            // abandon message, a notification) must not beat its last frame out.
            let _ = self.events.send(MediaEvent::PlaybackDone(id));
        }
        true
    }
}

impl Player {
    fn count_lateness(&self, due: Instant) {
        let lateness = due.elapsed();
        if lateness > LATE {
            self.counters.frames_late.fetch_add(1, Ordering::Relaxed);
        }
        self.counters
            .max_lateness_us
            .fetch_max(lateness.as_micros() as u64, Ordering::Relaxed);
    }

    /// Sends this tick's packet of the digit in progress (or starts the next digit);
    /// false when no digit is being sent and the source's frame goes instead.
    fn send_digit(&mut self) -> bool {
        if self.digit.is_none() {
            let Some((next, event)) = self
                .digits
                .pop_front()
                .and_then(|d| Some((d, dtmf::event_of_digit(d)?)))
            else {
                return false;
            };
            if self.negotiated.event_payload_type.is_none() {
                // No telephone-event: the digit goes in-band, as a tone.
                self.queue_tone(next);
                return false;
            }
            self.digit = Some(DigitOut {
                event,
                start: self.out.next_timestamp(),
                frames: 0,
            });
        }
        let (Some(digit), Some(payload_type)) =
            (&mut self.digit, self.negotiated.event_payload_type)
        else {
            return false;
        };
        digit.frames += 1;
        let frames = digit.frames;
        if frames > DIGIT_FRAMES + 1 {
            // The gap between digits: the source plays.
            if frames == DIGIT_FRAMES + 1 + DIGIT_GAP_FRAMES {
                self.digit = None;
            }
            return false;
        }
        let end = frames == DIGIT_FRAMES + 1;
        let event = TelephoneEvent {
            event: digit.event,
            end,
            volume: 10,
            duration: FRAME as u16 * frames.min(DIGIT_FRAMES),
        };
        let (start, first) = (digit.start, frames == 1);
        // The audio clock runs on under the event: what follows starts after it.
        self.out.skip(FRAME as u32);
        let len = self
            .out
            .event(payload_type, &event.to_bytes(), start, first)
            .len();
        // RFC 4733 2.5.1.4: the end packet three times, with the same sequence number.
        let copies = if end { 3 } else { 1 };
        for _ in 0..copies {
            if self
                .socket
                .send_to(self.out.repeat(len), self.remote)
                .is_ok()
            {
                self.counters.packets_sent.fetch_add(1, Ordering::Relaxed);
            }
        }
        true
    }

    /// Queues a digit's tone (and the gap after it) to be sent before the source
    /// resumes.
    fn queue_tone(&mut self, digit: char) {
        let law = self.negotiated.law;
        let ms = u32::from(DIGIT_FRAMES) * 20;
        if let Some(tone) = dtmf::digit_tone(digit, 6000.0, ms) {
            self.tones.extend(tone.iter().map(|&s| law.encode(s)));
            let noise = comfort_noise(law);
            self.tones
                .extend(&noise.codes[..FRAME * usize::from(DIGIT_GAP_FRAMES)]);
        }
    }

    /// A packet from the other leg of a bridge, sent at once: renumbered into this
    /// stream, in this leg's law. False when this leg does not take it.
    pub(super) fn relay(
        &mut self,
        law: Option<Law>,
        payload: &mut [u8],
        ssrc: u32,
        timestamp: u32,
    ) -> bool {
        if self.closed.load(Ordering::Relaxed)
            || !matches!(self.source, Source::Relay)
            || self.digit.is_some()
            || !self.tones.is_empty()
        {
            return false;
        }
        let packet = match law {
            Some(law) => {
                Law::transcode(law, self.negotiated.law, payload);
                let samples = payload.len() as u32;
                self.out.relay(
                    self.negotiated.payload_type,
                    payload,
                    ssrc,
                    timestamp,
                    samples,
                )
            }
            // Events pass through when this leg's far end takes them; a far end without
            // telephone-event does not get the digit.
            None => match self.negotiated.event_payload_type {
                Some(pt) => self.out.relay(pt, payload, ssrc, timestamp, 0),
                None => return false,
            },
        };
        let sent = self.socket.send_to(packet, self.remote).is_ok();
        if sent {
            self.counters.packets_sent.fetch_add(1, Ordering::Relaxed);
        }
        sent
    }
}

impl Player {
    /// A monitor's mix of linear samples, due at `due`: encoded in this leg's law and
    /// sent at once, unless the leg is not mixed (any more) or a digit is being sent.
    pub(super) fn send_mixed(&mut self, mixed: &[i16; FRAME], due: Instant) {
        if self.closed.load(Ordering::Relaxed)
            || !matches!(self.source, Source::Mixed)
            || self.digit.is_some()
            || !self.tones.is_empty()
        {
            return;
        }
        let law = self.negotiated.law;
        let mut frame = [0u8; FRAME];
        for (code, &sample) in frame.iter_mut().zip(mixed) {
            *code = law.encode(sample);
        }
        let packet = self.out.audio(self.negotiated.payload_type, &frame);
        if self.socket.send_to(packet, self.remote).is_ok() {
            self.counters.packets_sent.fetch_add(1, Ordering::Relaxed);
        }
        self.count_lateness(due);
    }
}

/// Copies codes of `prompt` from `position` into `frame` (converting its law); returns
/// how many.
pub(super) fn copy_codes(
    prompt: &Prompt,
    position: &mut usize,
    frame: &mut [u8],
    law: Law,
) -> usize {
    let rest = &prompt.codes[(*position).min(prompt.codes.len())..];
    let n = rest.len().min(frame.len());
    frame[..n].copy_from_slice(&rest[..n]);
    Law::transcode(prompt.law, law, &mut frame[..n]);
    *position += n;
    n
}
