//! One leg's media: a task that owns the leg's RTP and RTCP sockets, sends 20 ms frames
//! on a clock from whatever the leg is told to play, and hears what comes back.
//!
//! What the leg sends is one source at a time: a sequence of prompts, a loop (music on
//! hold, comfort noise), or the other leg of a [`Bridge`]. Comfort noise is the default,
//! and what follows a sequence of prompts: an answered call never hears digital silence.
//! Digits to send interrupt the source for their length: RFC 4733 events when the far
//! end accepts them, tones otherwise.
//!
//! What comes back: audio goes through a small [`JitterBuffer`] (loss and jitter
//! statistics, and in-band DTMF detection when no telephone-event was negotiated);
//! RFC 4733 events become one [`Digit`] each. A bridged leg also hands every packet to
//! the other leg's task, which renumbers it into its own stream, converting between
//! PCMU and PCMA when the legs differ.
//!
//! Symmetric RTP: the leg sends from the socket it receives on, and moves its
//! destination to the source of the far end's packets when it differs only by port
//! (a NAT in front of the far end); packets from any other address are dropped.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rtp_rs::RtpReader;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

use crate::dtmf::{self, Digit, EventReceiver, InbandDetector, TelephoneEvent};
use crate::g711::Law;
use crate::jitter::JitterBuffer;
use crate::ports::{PortPair, RtpPorts};
use crate::prompt::{Prompt, comfort_noise};
use crate::rtcp;
use crate::rtp::{MAX_PACKET, OutgoingStream};
use crate::sdp::{self, LocalMedia, Negotiated};

/// Samples in one 20 ms frame at 8 kHz.
const FRAME: usize = 160;
/// The frame clock.
const FRAME_INTERVAL: Duration = Duration::from_millis(20);
/// A frame sent later than this after its time counts as late.
pub const LATE: Duration = Duration::from_millis(2);
/// Frames the jitter buffer holds out of order.
const JITTER_DEPTH: usize = 3;
/// Frames queued from the other leg of a bridge before its packets are dropped.
const RELAY_QUEUE: usize = 32;
/// An RFC 4733 digit sent by Ringhost: 100 ms of tone, then 60 ms before the next.
const DIGIT_FRAMES: u16 = 5;
const DIGIT_GAP_FRAMES: u16 = 3;

/// A leg's sockets, bound before the call is placed so that the offer can name them.
#[derive(Debug)]
pub struct PendingSession {
    pair: PortPair,
    local: SocketAddr,
}

impl PendingSession {
    /// Binds a port pair from the range.
    ///
    /// # Errors
    /// When no pair is free.
    pub async fn open(ports: &RtpPorts) -> std::io::Result<PendingSession> {
        let pair = ports.bind().await?;
        let local = pair.rtp.local_addr()?;
        Ok(PendingSession { pair, local })
    }

    /// Where the leg's RTP arrives.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The SDP offer naming this leg's port, for the INVITE.
    pub fn offer(&self, laws: &[Law]) -> Vec<u8> {
        let local = LocalMedia {
            addr: self.local,
            laws: laws.to_vec(),
        };
        sdp::offer(&local, session_id()).into_bytes()
    }

    /// Starts the leg's task on the negotiated stream; it sends comfort noise until told
    /// otherwise.
    pub fn start(self, negotiated: Negotiated) -> MediaSession {
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let (events_tx, events) = mpsc::unbounded_channel();
        let (feed, feed_rx) = mpsc::channel(RELAY_QUEUE);
        let counters = Arc::new(Counters::default());
        let task = Leg {
            rtp: self.pair.rtp,
            rtcp: self.pair.rtcp,
            remote: negotiated.remote,
            latched: false,
            negotiated,
            out: OutgoingStream::new(),
            source: Source::looping(comfort_noise(negotiated.law)),
            digits: VecDeque::new(),
            digit: None,
            tones: VecDeque::new(),
            received: JitterBuffer::new(JITTER_DEPTH),
            remote_ssrc: None,
            events_in: EventReceiver::default(),
            inband: negotiated
                .event_payload_type
                .is_none()
                .then(InbandDetector::default),
            decoded: Vec::with_capacity(FRAME * 2),
            peer: None,
            events: events_tx,
            counters: counters.clone(),
            published: Published::default(),
            rtcp_previous: (0, 0),
            cname: format!("ringhost@{}", self.local.ip()),
        };
        tokio::spawn(task.run(commands_rx, feed_rx));
        metrics::gauge!("ringhost_media_sessions").increment(1.0);
        MediaSession {
            commands,
            events,
            feed,
            counters,
            negotiated,
            local: self.local,
            next_id: 0,
        }
    }
}

/// A random SDP session id (RFC 4566 5.2 suggests an NTP timestamp; any unique number
/// works).
fn session_id() -> u64 {
    rand::random::<u32>().into()
}

/// Something that happened on a leg's incoming stream or player.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaEvent {
    /// The far end pressed a key.
    Digit(Digit),
    /// The sequence of prompts started by [`MediaSession::play`] with this id has been
    /// sent to its last frame.
    PlaybackDone(u64),
}

/// A leg's counters, readable at any time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MediaStats {
    /// RTP packets sent.
    pub packets_sent: u64,
    /// RTP packets received from the far end (audio and events).
    pub packets_received: u64,
    /// Audio packets the far end sent that never arrived (or arrived too late).
    pub packets_lost: u64,
    /// Packets received and handed to the other leg of a bridge.
    pub relayed_out: u64,
    /// Frames sent more than [`LATE`] after their time on the clock.
    pub frames_late: u64,
    /// The latest any frame was sent after its time, in microseconds.
    pub max_lateness_us: u64,
    /// Interarrival jitter of the far end's audio, in microseconds.
    pub jitter_us: u64,
}

#[derive(Debug, Default)]
struct Counters {
    packets_sent: AtomicU64,
    packets_received: AtomicU64,
    packets_lost: AtomicU64,
    relayed_out: AtomicU64,
    frames_late: AtomicU64,
    max_lateness_us: AtomicU64,
    jitter_us: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> MediaStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        MediaStats {
            packets_sent: get(&self.packets_sent),
            packets_received: get(&self.packets_received),
            packets_lost: get(&self.packets_lost),
            relayed_out: get(&self.relayed_out),
            frames_late: get(&self.frames_late),
            max_lateness_us: get(&self.max_lateness_us),
            jitter_us: get(&self.jitter_us),
        }
    }
}

/// The control side of a running leg. Dropping it stops the leg and frees its ports.
#[derive(Debug)]
pub struct MediaSession {
    commands: mpsc::UnboundedSender<Command>,
    events: mpsc::UnboundedReceiver<MediaEvent>,
    feed: mpsc::Sender<Relayed>,
    counters: Arc<Counters>,
    negotiated: Negotiated,
    local: SocketAddr,
    next_id: u64,
}

impl MediaSession {
    /// What the two ends agreed on.
    pub fn negotiated(&self) -> &Negotiated {
        &self.negotiated
    }

    /// Where the leg's RTP arrives.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Plays prompts one after the other, then comfort noise; returns the id that
    /// [`MediaEvent::PlaybackDone`] will carry. Prompts in another law than the leg's
    /// are converted as they are sent.
    pub fn play(&mut self, prompts: Vec<Arc<Prompt>>) -> u64 {
        self.next_id += 1;
        let _ = self.commands.send(Command::Play {
            prompts,
            id: self.next_id,
        });
        self.next_id
    }

    /// Loops a prompt until told otherwise: music on hold.
    pub fn play_loop(&self, prompt: Arc<Prompt>) {
        let _ = self.commands.send(Command::Loop(prompt));
    }

    /// Comfort noise until told otherwise.
    pub fn comfort_noise(&self) {
        let _ = self
            .commands
            .send(Command::Loop(comfort_noise(self.negotiated.law)));
    }

    /// Sends DTMF digits (`0-9*#A-D`; others are skipped).
    pub fn send_digits(&self, digits: &str) {
        let _ = self.commands.send(Command::Digits(digits.to_owned()));
    }

    /// Connects this leg to another: each sends what the other receives. The legs go
    /// back to comfort noise when the returned value is dropped.
    pub fn bridge(&self, other: &MediaSession) -> Bridge {
        let _ = self.commands.send(Command::Bridge(other.feed.clone()));
        let _ = other.commands.send(Command::Bridge(self.feed.clone()));
        Bridge {
            legs: [self.commands.clone(), other.commands.clone()],
        }
    }

    /// The next event; `None` once the leg's task has stopped.
    pub async fn next_event(&mut self) -> Option<MediaEvent> {
        self.events.recv().await
    }

    /// The counters so far.
    pub fn stats(&self) -> MediaStats {
        self.counters.snapshot()
    }
}

/// Two legs connected by [`MediaSession::bridge`]; dropping it separates them.
#[derive(Debug)]
pub struct Bridge {
    legs: [mpsc::UnboundedSender<Command>; 2],
}

impl Drop for Bridge {
    fn drop(&mut self) {
        for leg in &self.legs {
            let _ = leg.send(Command::Unbridge);
        }
    }
}

#[derive(Debug)]
enum Command {
    Play { prompts: Vec<Arc<Prompt>>, id: u64 },
    Loop(Arc<Prompt>),
    Digits(String),
    Bridge(mpsc::Sender<Relayed>),
    Unbridge,
}

/// A packet from the other leg of a bridge.
#[derive(Debug)]
struct Relayed {
    /// `Some(law)` for audio, `None` for an RFC 4733 event.
    law: Option<Law>,
    payload: Vec<u8>,
    ssrc: u32,
    timestamp: u32,
}

/// What the clock sends from.
#[derive(Debug)]
enum Source {
    Prompts {
        queue: VecDeque<Arc<Prompt>>,
        position: usize,
        id: u64,
    },
    Loop {
        prompt: Arc<Prompt>,
        position: usize,
    },
    /// The other leg of a bridge: packets come from the feed, not the clock.
    Relay,
}

impl Source {
    fn looping(prompt: Arc<Prompt>) -> Source {
        Source::Loop {
            prompt,
            position: 0,
        }
    }
}

/// An RFC 4733 digit being sent.
#[derive(Debug)]
struct DigitOut {
    event: u8,
    start: u32,
    /// Frames sent so far: tone frames, the end frame, then the gap.
    frames: u16,
}

/// What has been added to the process-wide metrics so far.
#[derive(Debug, Default)]
struct Published {
    sent: u64,
    received: u64,
    lost: u64,
}

struct Leg {
    rtp: UdpSocket,
    rtcp: UdpSocket,
    remote: SocketAddr,
    latched: bool,
    negotiated: Negotiated,
    out: OutgoingStream,
    source: Source,
    digits: VecDeque<char>,
    digit: Option<DigitOut>,
    /// In-band digit tones waiting to be sent, as codes.
    tones: VecDeque<u8>,
    received: JitterBuffer,
    remote_ssrc: Option<u32>,
    events_in: EventReceiver,
    inband: Option<InbandDetector>,
    decoded: Vec<i16>,
    peer: Option<mpsc::Sender<Relayed>>,
    events: mpsc::UnboundedSender<MediaEvent>,
    counters: Arc<Counters>,
    published: Published,
    rtcp_previous: (u64, u64),
    cname: String,
}

impl Leg {
    async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut feed: mpsc::Receiver<Relayed>,
    ) {
        let mut clock = tokio::time::interval(FRAME_INTERVAL);
        // Frames missed while the task could not run are sent at once: the far end's
        // jitter buffer absorbs a burst better than a gap.
        clock.set_missed_tick_behavior(MissedTickBehavior::Burst);
        let mut reports = tokio::time::interval_at(Instant::now() + rtcp::INTERVAL, rtcp::INTERVAL);
        let mut packet = vec![0u8; MAX_PACKET];
        let mut control = vec![0u8; MAX_PACKET];
        loop {
            tokio::select! {
                scheduled = clock.tick() => self.on_clock(scheduled),
                received = self.rtp.recv_from(&mut packet) => match received {
                    Ok((len, from)) => self.on_rtp(&packet[..len], from),
                    // ICMP errors surface here on some systems; the stream goes on.
                    Err(error) => tracing::trace!(%error, "RTP receive"),
                },
                received = self.rtcp.recv_from(&mut control) => {
                    if let Ok((len, _)) = received {
                        self.on_rtcp(&control[..len]);
                    }
                }
                Some(relayed) = feed.recv() => self.on_relayed(relayed),
                _ = reports.tick() => self.send_report(),
                command = commands.recv() => match command {
                    Some(command) => self.on_command(command),
                    None => break,
                },
            }
        }
        self.send_report();
        self.publish();
        metrics::gauge!("ringhost_media_sessions").decrement(1.0);
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Play { prompts, id } => {
                self.source = Source::Prompts {
                    queue: prompts.into(),
                    position: 0,
                    id,
                };
            }
            Command::Loop(prompt) => self.source = Source::looping(prompt),
            Command::Digits(digits) => self.digits.extend(
                digits
                    .chars()
                    .filter(|d| dtmf::event_of_digit(*d).is_some()),
            ),
            Command::Bridge(peer) => {
                self.peer = Some(peer);
                self.source = Source::Relay;
            }
            Command::Unbridge => {
                self.peer = None;
                self.source = Source::looping(comfort_noise(self.negotiated.law));
                self.out.mark_next();
            }
        }
    }

    /// One tick of the frame clock: a digit's packet, or a frame of the source.
    fn on_clock(&mut self, scheduled: Instant) {
        let lateness = scheduled.elapsed();
        if self.send_digit() {
            self.count_lateness(lateness);
            return;
        }
        let law = self.negotiated.law;
        let mut frame = [0u8; FRAME];
        let mut filled = 0;
        let mut done = None;
        if !self.tones.is_empty() {
            // A digit's tone: the source waits (a bridged leg's relayed audio is
            // dropped meanwhile).
            for (slot, code) in frame
                .iter_mut()
                .zip(self.tones.drain(..FRAME.min(self.tones.len())))
            {
                *slot = code;
                filled += 1;
            }
        }
        match &mut self.source {
            _ if filled > 0 => {}
            Source::Relay => return,
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
                        done = Some(*id);
                        break;
                    };
                    filled += copy_codes(prompt, position, &mut frame[filled..], law);
                    if *position >= prompt.codes.len() {
                        queue.pop_front();
                        *position = 0;
                    }
                }
                if queue.is_empty() && done.is_none() {
                    done = Some(*id);
                }
            }
        }
        if let Some(id) = done {
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
            let _ = self.events.send(MediaEvent::PlaybackDone(id));
        }
        if filled == 0 {
            return;
        }
        let packet = self
            .out
            .audio(self.negotiated.payload_type, &frame[..filled]);
        if self.rtp.try_send_to(packet, self.remote).is_ok() {
            self.counters.packets_sent.fetch_add(1, Ordering::Relaxed);
        }
        self.count_lateness(lateness);
    }

    fn count_lateness(&self, lateness: Duration) {
        let us = lateness.as_micros() as u64;
        if lateness > LATE {
            self.counters.frames_late.fetch_add(1, Ordering::Relaxed);
        }
        self.counters
            .max_lateness_us
            .fetch_max(us, Ordering::Relaxed);
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
                .rtp
                .try_send_to(self.out.repeat(len), self.remote)
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

    fn on_rtp(&mut self, data: &[u8], from: SocketAddr) {
        if from != self.remote {
            if self.latched || from.ip() != self.remote.ip() {
                tracing::trace!(%from, expected = %self.remote, "RTP from an unexpected address dropped");
                return;
            }
            tracing::debug!(%from, sdp = %self.remote, "symmetric RTP: sending to the far end's source port");
            self.remote = from;
        }
        self.latched = true;
        let Ok(packet) = RtpReader::new(data) else {
            tracing::trace!(%from, len = data.len(), "not an RTP packet");
            return;
        };
        self.counters
            .packets_received
            .fetch_add(1, Ordering::Relaxed);
        let payload_type = packet.payload_type();
        let (ssrc, timestamp) = (packet.ssrc(), packet.timestamp());
        self.remote_ssrc = Some(ssrc);
        if Some(payload_type) == self.negotiated.event_payload_type {
            if let Some(event) = TelephoneEvent::parse(packet.payload()) {
                let events = &self.events;
                self.events_in.on_packet(timestamp, event, |digit| {
                    let _ = events.send(MediaEvent::Digit(digit));
                });
            }
            self.relay(None, packet.payload(), ssrc, timestamp);
            return;
        }
        let law = if payload_type == self.negotiated.payload_type {
            self.negotiated.law
        } else if let Some(law) = Law::from_payload_type(payload_type) {
            law
        } else {
            // Comfort noise (RFC 3389) and anything else not negotiated.
            return;
        };
        let payload = packet.payload();
        let (inband, decoded, events) = (&mut self.inband, &mut self.decoded, &self.events);
        self.received.push(
            packet.sequence_number().into(),
            timestamp,
            payload,
            |frame| {
                if let Some(detector) = inband.as_mut() {
                    law.decode_into(frame, decoded);
                    detector.feed(decoded, |digit| {
                        let _ = events.send(MediaEvent::Digit(digit));
                    });
                }
            },
        );
        let stats = self.received.stats();
        self.counters
            .packets_lost
            .store(stats.lost, Ordering::Relaxed);
        self.counters
            .jitter_us
            .store(u64::from(stats.jitter) * 125, Ordering::Relaxed);
        self.relay(Some(law), payload, ssrc, timestamp);
    }

    /// Hands a received packet to the other leg of a bridge, if any. A full queue drops
    /// it: a stalled leg must never hold this one up.
    fn relay(&self, law: Option<Law>, payload: &[u8], ssrc: u32, timestamp: u32) {
        if let Some(peer) = &self.peer {
            let relayed = Relayed {
                law,
                payload: payload.to_vec(),
                ssrc,
                timestamp,
            };
            if peer.try_send(relayed).is_ok() {
                self.counters.relayed_out.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// A packet from the other leg: renumbered into this stream, in this leg's law.
    fn on_relayed(&mut self, mut relayed: Relayed) {
        if !matches!(self.source, Source::Relay) || self.digit.is_some() || !self.tones.is_empty() {
            return;
        }
        let packet = match relayed.law {
            Some(law) => {
                Law::transcode(law, self.negotiated.law, &mut relayed.payload);
                let samples = relayed.payload.len() as u32;
                self.out.relay(
                    self.negotiated.payload_type,
                    &relayed.payload,
                    relayed.ssrc,
                    relayed.timestamp,
                    samples,
                )
            }
            // Events pass through when this leg's far end takes them; a far end without
            // telephone-event does not get the digit.
            None => match self.negotiated.event_payload_type {
                Some(pt) => {
                    self.out
                        .relay(pt, &relayed.payload, relayed.ssrc, relayed.timestamp, 0)
                }
                None => return,
            },
        };
        if self.rtp.try_send_to(packet, self.remote).is_ok() {
            self.counters.packets_sent.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn on_rtcp(&mut self, data: &[u8]) {
        for report in rtcp::reports_about(data, self.out.ssrc()) {
            tracing::trace!(
                fraction_lost = report.fraction_lost,
                lost = report.cumulative_lost,
                jitter = report.jitter,
                "RTCP report from the far end"
            );
        }
    }

    fn send_report(&mut self) {
        let (packets, octets, rtp_timestamp) = self.out.counts();
        let sending = rtcp::Sending {
            ssrc: self.out.ssrc(),
            packets,
            octets,
            rtp_timestamp,
        };
        let stats = self.received.stats();
        let receiving = self.remote_ssrc.map(|ssrc| rtcp::Receiving {
            ssrc,
            stats,
            previous: self.rtcp_previous,
        });
        self.rtcp_previous = (stats.received + stats.lost, stats.received);
        let report = rtcp::report(&sending, receiving.as_ref(), &self.cname);
        let destination = SocketAddr::new(self.remote.ip(), self.remote.port().wrapping_add(1));
        let _ = self.rtcp.try_send_to(&report, destination);
        self.publish();
    }

    /// Adds what changed since the last time to the process-wide counters. Done every
    /// report interval and at the end rather than per packet: a labelled counter costs a
    /// registry lookup.
    fn publish(&mut self) {
        let now = self.counters.snapshot();
        let deltas = [
            (
                "ringhost_rtp_packets_sent_total",
                now.packets_sent,
                &mut self.published.sent,
            ),
            (
                "ringhost_rtp_packets_received_total",
                now.packets_received,
                &mut self.published.received,
            ),
            (
                "ringhost_rtp_packets_lost_total",
                now.packets_lost,
                &mut self.published.lost,
            ),
        ];
        for (name, value, published) in deltas {
            metrics::counter!(name).increment(value.saturating_sub(*published));
            *published = value;
        }
    }
}

/// Copies codes of `prompt` from `position` into `frame` (converting its law); returns
/// how many.
fn copy_codes(prompt: &Prompt, position: &mut usize, frame: &mut [u8], law: Law) -> usize {
    let rest = &prompt.codes[(*position).min(prompt.codes.len())..];
    let n = rest.len().min(frame.len());
    frame[..n].copy_from_slice(&rest[..n]);
    Law::transcode(prompt.law, law, &mut frame[..n]);
    *position += n;
    n
}

#[cfg(test)]
mod tests;
