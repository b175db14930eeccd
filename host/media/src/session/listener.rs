//! The receiving half of a leg: a task that owns the incoming side of the leg's
//! sockets, hears its RTP (jitter, loss, digits) and RTCP, relays to a bridged leg,
//! hands its audio to a monitor's mixer, sends the leg's RTCP reports and publishes
//! its counters.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use rtp_rs::RtpReader;
use tokio::io::unix::AsyncFd;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use crate::dtmf::{EventReceiver, InbandDetector, TelephoneEvent};
use crate::g711::Law;
use crate::jitter::JitterBuffer;
use crate::rtcp;
use crate::rtp::MAX_PACKET;
use crate::sdp::Negotiated;

use super::monitor::{Mixer, Party};
use super::player::Player;
use super::{Counters, MediaEvent, lock};

/// What a leg's receiving task is told.
#[derive(Debug)]
pub(super) enum Command {
    Bridge(Arc<Mutex<Player>>),
    Unbridge,
    /// Hand the leg's audio, as this party's, to a monitor's mixer.
    Mix(Arc<Mutex<Mixer>>, Party),
    Unmix,
}

/// What has been added to the process-wide metrics so far.
#[derive(Debug, Default)]
pub(super) struct Published {
    sent: u64,
    received: u64,
    lost: u64,
}

/// The receiving half of a leg: a task on the async runtime.
pub(super) struct Listener {
    pub(super) rtcp: UdpSocket,
    pub(super) player: Arc<Mutex<Player>>,
    /// The far end's address as this side knows it (the player's copy is where it
    /// sends).
    pub(super) remote: SocketAddr,
    pub(super) latched: bool,
    pub(super) negotiated: Negotiated,
    pub(super) received: JitterBuffer,
    pub(super) remote_ssrc: Option<u32>,
    pub(super) events_in: EventReceiver,
    pub(super) inband: Option<InbandDetector>,
    pub(super) decoded: Vec<i16>,
    pub(super) peer: Option<Arc<Mutex<Player>>>,
    /// The monitor that hears this leg, and as whom.
    pub(super) mixer: Option<(Arc<Mutex<Mixer>>, Party)>,
    pub(super) events: mpsc::UnboundedSender<MediaEvent>,
    pub(super) counters: Arc<Counters>,
    pub(super) published: Published,
    pub(super) rtcp_previous: (u64, u64),
    pub(super) cname: String,
}

impl Listener {
    pub(super) async fn run(
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
                    Some(Command::Mix(mixer, party)) => self.mixer = Some((mixer, party)),
                    Some(Command::Unmix) => self.mixer = None,
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
        // Before the relay, which converts the payload in place to the peer's law.
        if let Some((mixer, party)) = &self.mixer {
            mixer
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .hear(*party, law, payload);
        }
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
