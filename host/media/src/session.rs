//! One leg's media: a task that owns the leg's RTP and RTCP sockets, sends 20 ms frames
//! on a clock from whatever the leg is told to play, and hears what comes back.
//!
//! A leg is two halves. The [`Player`] sends: it is shared between the media clock
//! thread that calls it every 20 ms and the receiving task of the other leg of a
//! bridge, which sends relayed packets through it at once. The receiving task (the
//! `Listener`) owns the leg's sockets' incoming side. Each half has its module
//! (`player`, `listener`); this one holds the leg's handle and its start.
//!
//! What the leg sends is one source at a time: a sequence of prompts, a loop (music on
//! hold, comfort noise), the other leg of a [`Bridge`], or the mix of a [`Monitor`]
//! (module `monitor`: a supervisor on a bridge). Comfort noise is the default,
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
use std::time::Duration;

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use crate::clock::MediaClock;
use crate::dtmf::{self, Digit, EventReceiver, InbandDetector};
use crate::g711::Law;
use crate::jitter::JitterBuffer;
use crate::ports::{PortPair, RtpPorts};
use crate::prompt::{Prompt, comfort_noise};
use crate::rtp::OutgoingStream;
use crate::sdp::{self, LocalMedia, Negotiated, SdpError};

mod listener;
mod monitor;
mod player;

use listener::{Command, Listener, Published};
pub use monitor::{BridgeHandle, Monitor, MonitorError, MonitorMode};
use monitor::{Joined, LegHandle};
use player::{Player, Source};

/// Samples in one 20 ms frame at 8 kHz.
pub(crate) const FRAME: usize = 160;
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

    /// The SDP answer naming this leg's port to a caller's `offer` (an inbound call),
    /// and the stream it agrees on, to [`PendingSession::start`].
    ///
    /// # Errors
    /// When the offer is not SDP or has no G.711 stream in one of `laws`.
    pub fn answer(&self, laws: &[Law], offer: &[u8]) -> Result<(Vec<u8>, Negotiated), SdpError> {
        let local = LocalMedia {
            addr: self.local,
            laws: laws.to_vec(),
        };
        let (text, negotiated) = sdp::answer(&local, offer, session_id())?;
        Ok((text.into_bytes(), negotiated))
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
            mixer: None,
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
    /// back to comfort noise when the returned value is dropped. For a monitor
    /// ([`Bridge::handle`]) this leg is the customer's and `other` the agent's: a
    /// whisper reaches `other` only.
    pub fn bridge(&self, other: &MediaSession) -> Bridge {
        for (leg, peer) in [(self, other), (other, self)] {
            lock(&leg.player).source = Source::Relay;
            let _ = leg.commands.send(Command::Bridge(peer.player.clone()));
        }
        Bridge {
            joined: Arc::new(Joined {
                legs: [LegHandle::of(self), LegHandle::of(other)],
                state: Mutex::default(),
            }),
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

/// Two legs connected by [`MediaSession::bridge`]; dropping it separates them (and
/// stops a monitor on it).
#[derive(Debug)]
pub struct Bridge {
    joined: Arc<Joined>,
}

impl Bridge {
    /// A handle through which a supervisor's leg can be put on this bridge from
    /// another task, while its owner keeps the bridge.
    pub fn handle(&self) -> BridgeHandle {
        BridgeHandle {
            joined: Arc::downgrade(&self.joined),
        }
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let mut state = self.joined.state();
        state.separated = true;
        if let Some(mixer) = state.monitor.upgrade() {
            monitor::stop(&mixer);
        }
        for leg in &self.joined.legs {
            let _ = leg.commands.send(Command::Unbridge);
            leg.comfort_noise();
        }
    }
}

#[cfg(test)]
mod tests;
