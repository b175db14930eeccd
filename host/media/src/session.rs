//! One leg's media: a task that owns the leg's RTP and RTCP sockets, sends 20 ms frames
//! on a clock from whatever the leg is told to play, and hears what comes back.
//!
//! A leg is two halves. The [`Player`] sends: it is shared between the media clock
//! thread that calls it every 20 ms and the receiving task of the other leg of a
//! bridge, which sends relayed packets through it at once. The receiving task owns the
//! leg's sockets' incoming side.
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
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rtp_rs::RtpReader;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use crate::clock::MediaClock;
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
/// A frame sent later than this after its time counts as late.
pub const LATE: Duration = Duration::from_millis(2);
/// Frames the jitter buffer holds out of order.
const JITTER_DEPTH: usize = 3;
/// An RFC 4733 digit sent by Ringhost: 100 ms of tone, then 60 ms before the next.
const DIGIT_FRAMES: u16 = 5;
const DIGIT_GAP_FRAMES: u16 = 3;

/// A leg's sockets, bound before the call is placed so that the offer can name them.
#[derive(Debug)]
pub struct PendingSession {
    /// Received from on the runtime, sent from by the clock thread (symmetric RTP).
    rtp: Arc<std::net::UdpSocket>,
    rtcp: UdpSocket,
    local: SocketAddr,
}

impl PendingSession {
    /// Binds a port pair from the range.
    ///
    /// # Errors
    /// When no pair is free.
    pub async fn open(ports: &RtpPorts) -> std::io::Result<PendingSession> {
        let PortPair { rtp, rtcp } = ports.bind().await?;
        let local = rtp.local_addr()?;
        let rtp = Arc::new(rtp.into_std()?);
        rtp.set_nonblocking(true)?;
        Ok(PendingSession { rtp, rtcp, local })
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

    /// Starts the leg on the negotiated stream; it sends comfort noise until told
    /// otherwise.
    ///
    /// # Errors
    /// When the socket cannot be registered with the runtime's reactor.
    pub fn start(self, negotiated: Negotiated) -> std::io::Result<MediaSession> {
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let (events_tx, events) = mpsc::unbounded_channel();
        let counters = Arc::new(Counters::default());
        let player = Arc::new(Mutex::new(Player {
            socket: self.rtp.clone(),
            remote: negotiated.remote,
            negotiated,
            out: OutgoingStream::new(),
            source: Source::looping(comfort_noise(negotiated.law)),
            digits: VecDeque::new(),
            digit: None,
            tones: VecDeque::new(),
            events: events_tx.clone(),
            counters: counters.clone(),
            closed: Arc::new(AtomicBool::new(false)),
        }));
        let closed = lock(&player).closed.clone();
        MediaClock::global().add(&player);
        // Readable interest only: with writable interest too, every frame the clock
        // thread sends wakes the reactor (measured: a fifth of a core at 1,000 legs).
        #[allow(unsafe_code)]
        // SAFETY: the AsyncFd owns an `Arc` of the socket, so its descriptor stays open
        // for as long as it is registered; the player's clone only sends.
        let rtp = unsafe { AsyncFd::register_with_interest(self.rtp, Interest::READABLE) }
            .map_err(std::io::Error::from)?;
        let listener = Listener {
            rtcp: self.rtcp,
            player: player.clone(),
            remote: negotiated.remote,
            latched: false,
            negotiated,
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
        tokio::spawn(listener.run(rtp, commands_rx));
        metrics::gauge!("ringhost_media_sessions").increment(1.0);
        Ok(MediaSession {
            commands,
            events,
            player,
            closed,
            counters,
            negotiated,
            local: self.local,
            next_id: 0,
        })
    }
}

/// A random SDP session id (RFC 4566 5.2 suggests an NTP timestamp; any unique number
/// works).
fn session_id() -> u64 {
    rand::random::<u32>().into()
}

/// A poisoned lock only means a panic elsewhere mid-frame; the leg's state is still
/// usable.
fn lock(player: &Mutex<Player>) -> MutexGuard<'_, Player> {
    player.lock().unwrap_or_else(|e| e.into_inner())
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
    /// Packets received and sent on to the other leg of a bridge.
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
    player: Arc<Mutex<Player>>,
    closed: Arc<AtomicBool>,
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
        lock(&self.player).source = Source::Prompts {
            queue: prompts.into(),
            position: 0,
            id: self.next_id,
        };
        self.next_id
    }

    /// Loops a prompt until told otherwise: music on hold.
    pub fn play_loop(&self, prompt: Arc<Prompt>) {
        lock(&self.player).source = Source::looping(prompt);
    }

    /// Comfort noise until told otherwise.
    pub fn comfort_noise(&self) {
        self.play_loop(comfort_noise(self.negotiated.law));
    }

    /// Sends DTMF digits (`0-9*#A-D`; others are skipped).
    pub fn send_digits(&self, digits: &str) {
        let valid = digits
            .chars()
            .filter(|d| dtmf::event_of_digit(*d).is_some());
        lock(&self.player).digits.extend(valid);
    }

    /// Connects this leg to another: each sends what the other receives. The legs go
    /// back to comfort noise when the returned value is dropped.
    pub fn bridge(&self, other: &MediaSession) -> Bridge {
        for (leg, peer) in [(self, other), (other, self)] {
            lock(&leg.player).source = Source::Relay;
            let _ = leg.commands.send(Command::Bridge(peer.player.clone()));
        }
        Bridge {
            legs: [
                (self.commands.clone(), self.player.clone()),
                (other.commands.clone(), other.player.clone()),
            ],
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

impl Drop for MediaSession {
    fn drop(&mut self) {
        // The clock and a bridged leg may still hold the player for a moment; it
        // sends nothing more.
        self.closed.store(true, Ordering::Relaxed);
    }
}

/// Two legs connected by [`MediaSession::bridge`]; dropping it separates them.
#[derive(Debug)]
pub struct Bridge {
    legs: [(mpsc::UnboundedSender<Command>, Arc<Mutex<Player>>); 2],
}

impl Drop for Bridge {
    fn drop(&mut self) {
        for (commands, player) in &self.legs {
            let _ = commands.send(Command::Unbridge);
            let mut player = lock(player);
            let law = player.negotiated.law;
            player.source = Source::looping(comfort_noise(law));
            player.out.mark_next();
        }
    }
}

/// What a leg's receiving task is told.
#[derive(Debug)]
enum Command {
    Bridge(Arc<Mutex<Player>>),
    Unbridge,
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
    /// The other leg of a bridge: its receiving task sends through this player.
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

/// The sending half of a leg.
#[derive(Debug)]
pub(crate) struct Player {
    socket: Arc<std::net::UdpSocket>,
    /// Where to send: the SDP's address until symmetric RTP latches.
    remote: SocketAddr,
    negotiated: Negotiated,
    out: OutgoingStream,
    source: Source,
    digits: VecDeque<char>,
    digit: Option<DigitOut>,
    /// In-band digit tones waiting to be sent, as codes.
    tones: VecDeque<u8>,
    events: mpsc::UnboundedSender<MediaEvent>,
    counters: Arc<Counters>,
    closed: Arc<AtomicBool>,
}

impl Player {
    /// One tick of the frame clock, due at `due`: a digit's packet, or a frame of the
    /// source. False once the leg is gone (the clock forgets it).
    pub(crate) fn on_clock(&mut self, due: Instant) -> bool {
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
            Source::Relay => return true,
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
    fn relay(&mut self, law: Option<Law>, payload: &mut [u8], ssrc: u32, timestamp: u32) -> bool {
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

/// What has been added to the process-wide metrics so far.
#[derive(Debug, Default)]
struct Published {
    sent: u64,
    received: u64,
    lost: u64,
}

/// The receiving half of a leg: a task on the async runtime.
struct Listener {
    rtcp: UdpSocket,
    player: Arc<Mutex<Player>>,
    /// The far end's address as this side knows it (the player's copy is where it
    /// sends).
    remote: SocketAddr,
    latched: bool,
    negotiated: Negotiated,
    received: JitterBuffer,
    remote_ssrc: Option<u32>,
    events_in: EventReceiver,
    inband: Option<InbandDetector>,
    decoded: Vec<i16>,
    peer: Option<Arc<Mutex<Player>>>,
    events: mpsc::UnboundedSender<MediaEvent>,
    counters: Arc<Counters>,
    published: Published,
    rtcp_previous: (u64, u64),
    cname: String,
}

impl Listener {
    async fn run(
        mut self,
        rtp: AsyncFd<Arc<std::net::UdpSocket>>,
        mut commands: mpsc::UnboundedReceiver<Command>,
    ) {
        let first_report = tokio::time::Instant::now() + rtcp::INTERVAL;
        let mut reports = tokio::time::interval_at(first_report, rtcp::INTERVAL);
        let mut packet = vec![0u8; MAX_PACKET];
        let mut control = vec![0u8; MAX_PACKET];
        loop {
            tokio::select! {
                ready = rtp.readable() => {
                    let Ok(mut ready) = ready else { break };
                    // Everything waiting, then back to the reactor.
                    loop {
                        match ready.try_io(|socket| socket.get_ref().recv_from(&mut packet)) {
                            Ok(Ok((len, from))) => self.on_rtp(&mut packet[..len], from),
                            // ICMP errors surface here on some systems; the stream goes on.
                            Ok(Err(error)) => tracing::trace!(%error, "RTP receive"),
                            Err(_would_block) => break,
                        }
                    }
                }
                received = self.rtcp.recv_from(&mut control) => {
                    if let Ok((len, _)) = received {
                        self.on_rtcp(&control[..len]);
                    }
                }
                _ = reports.tick() => self.send_report(),
                command = commands.recv() => match command {
                    Some(Command::Bridge(peer)) => self.peer = Some(peer),
                    Some(Command::Unbridge) => self.peer = None,
                    None => break,
                },
            }
        }
        self.send_report();
        self.publish();
        metrics::gauge!("ringhost_media_sessions").decrement(1.0);
    }

    fn on_rtp(&mut self, data: &mut [u8], from: SocketAddr) {
        if from != self.remote {
            if self.latched || from.ip() != self.remote.ip() {
                tracing::trace!(%from, expected = %self.remote, "RTP from an unexpected address dropped");
                return;
            }
            tracing::debug!(%from, sdp = %self.remote, "symmetric RTP: sending to the far end's source port");
            self.remote = from;
            lock(&self.player).remote = from;
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
        let seq: u16 = packet.sequence_number().into();
        let offset = packet.payload_offset();
        let end = offset + packet.payload().len();
        self.remote_ssrc = Some(ssrc);
        let payload = &mut data[offset..end];
        if Some(payload_type) == self.negotiated.event_payload_type {
            if let Some(event) = TelephoneEvent::parse(payload) {
                let events = &self.events;
                self.events_in.on_packet(timestamp, event, |digit| {
                    let _ = events.send(MediaEvent::Digit(digit));
                });
            }
            self.relay(None, payload, ssrc, timestamp);
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
        let (inband, decoded, events) = (&mut self.inband, &mut self.decoded, &self.events);
        self.received.push(seq, timestamp, payload, |frame| {
            if let Some(detector) = inband.as_mut() {
                law.decode_into(frame, decoded);
                detector.feed(decoded, |digit| {
                    let _ = events.send(MediaEvent::Digit(digit));
                });
            }
        });
        let stats = self.received.stats();
        self.counters
            .packets_lost
            .store(stats.lost, Ordering::Relaxed);
        self.counters
            .jitter_us
            .store(u64::from(stats.jitter) * 125, Ordering::Relaxed);
        self.relay(Some(law), payload, ssrc, timestamp);
    }

    /// Sends a received packet on through the other leg of a bridge, if any.
    fn relay(&self, law: Option<Law>, payload: &mut [u8], ssrc: u32, timestamp: u32) {
        if let Some(peer) = &self.peer
            && lock(peer).relay(law, payload, ssrc, timestamp)
        {
            self.counters.relayed_out.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn on_rtcp(&mut self, data: &[u8]) {
        let ssrc = lock(&self.player).out.ssrc();
        for report in rtcp::reports_about(data, ssrc) {
            tracing::trace!(
                fraction_lost = report.fraction_lost,
                lost = report.cumulative_lost,
                jitter = report.jitter,
                "RTCP report from the far end"
            );
        }
    }

    fn send_report(&mut self) {
        let (ssrc, (packets, octets, rtp_timestamp)) = {
            let player = lock(&self.player);
            (player.out.ssrc(), player.out.counts())
        };
        let sending = rtcp::Sending {
            ssrc,
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
