//! What a far end heard: the RTP the host sent to each call it answered, packet by
//! packet with its arrival time, recorded only when a test asks for it
//! ([`crate::SimCarrier::record_audio`], [`crate::SimPhone::record_audio`]).
//!
//! Why a recording, and why a tap: the sim's own media session consumes the host's
//! RTP (its jitter buffer, its digits) and keeps counters only, which cannot tell a
//! test whether a waiting caller heard a frame every 20 ms without a hole, or whether
//! the abandon message arrived whole. So a recorded call's SDP answer names a tap
//! socket in front of the session instead of the session itself: the tap notes each
//! packet from the host (its time, header and payload) and passes it on to the
//! session, and passes the session's packets (comfort noise, digits) on to the host
//! from the address the host expects. Both ends see the same call as without it; the
//! extra hop is a loopback datagram. The tap binds from the sim's own RTP range, on
//! loopback like everything of the sim.
//!
//! Only calls whose INVITE carries an offer are recorded (the host always sends one).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use ringhost_media::ports::PortPair;
use rtp_rs::RtpReader;
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

/// One RTP packet from the host, as it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeardPacket {
    /// When it arrived.
    pub at: Instant,
    /// Its payload type: the law's, or the telephone-event's for a digit.
    pub payload_type: u8,
    /// The marker bit (the start of a talk spurt, the first packet of a digit).
    pub marker: bool,
    /// Its sequence number.
    pub seq: u16,
    /// Its RTP timestamp.
    pub timestamp: u32,
    /// The host's stream.
    pub ssrc: u32,
    /// What it carried: G.711 codes, or an RFC 4733 event.
    pub payload: Vec<u8>,
}

/// What one answered call heard from the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heard {
    /// The user part of the INVITE's Request-URI: the number (or extension) called.
    pub number: String,
    /// When the call was answered (its 200 OK sent).
    pub answered_at: Instant,
    /// When the call's media stopped: a BYE sent or answered. `None` while it goes on.
    pub ended_at: Option<Instant>,
    /// Every RTP packet the host sent, in the order it arrived.
    pub packets: Vec<HeardPacket>,
}

/// A far end's recordings: off until [`Recorder::start`].
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    on: AtomicBool,
    calls: Mutex<Vec<Arc<Mutex<Heard>>>>,
}

impl Recorder {
    /// Records the calls answered from now on.
    pub(crate) fn start(&self) {
        self.on.store(true, Ordering::Relaxed);
    }

    /// Whether new calls are recorded.
    pub(crate) fn is_on(&self) -> bool {
        self.on.load(Ordering::Relaxed)
    }

    /// What each recorded call has heard so far, in the order they were answered.
    pub(crate) fn heard(&self) -> Vec<Heard> {
        lock(&self.calls).iter().map(|c| lock(c).clone()).collect()
    }

    /// Taps a call to `number` being answered: `pair` is the tap's port pair (named in
    /// the answer), `host` where the host's RTP comes from and goes to (its offer's
    /// address), `session` the sim's media session.
    pub(crate) fn tap(
        &self,
        number: String,
        pair: PortPair,
        host: SocketAddr,
        session: SocketAddr,
    ) -> std::io::Result<Tap> {
        let addr = pair.rtp.local_addr()?;
        let heard = Arc::new(Mutex::new(Heard {
            number,
            answered_at: Instant::now(),
            ended_at: None,
            packets: Vec::new(),
        }));
        lock(&self.calls).push(heard.clone());
        let socket = Arc::new(pair.rtp);
        let task = tokio::spawn(pass(socket.clone(), host, session, heard.clone()));
        Ok(Tap {
            addr,
            socket,
            session,
            heard,
            task,
            _rtcp: pair.rtcp,
        })
    }
}

/// A recorded call's tap; dropping it (when the call's media stops) ends the
/// recording.
#[derive(Debug)]
pub(crate) struct Tap {
    addr: SocketAddr,
    socket: Arc<UdpSocket>,
    session: SocketAddr,
    heard: Arc<Mutex<Heard>>,
    task: JoinHandle<()>,
    /// The odd port above the tap's, held so that the RTCP both ends send there lands
    /// in a socket of the sim's (and is never read).
    _rtcp: UdpSocket,
}

impl Tap {
    /// The address the SDP answer names, and the session sends to.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Tap {
    fn drop(&mut self) {
        // Under the lock the task records by, so that nothing that arrives after the
        // end is recorded, and nothing that arrived before it is lost: the host's last
        // frame and its BYE come at the same moment, and the call's task may take the
        // BYE (and drop the tap) before the tap's task has read the frame.
        let mut heard = lock(&self.heard);
        if heard.ended_at.is_none() {
            let mut buf = [0u8; 2048];
            while let Ok((len, from)) = self.socket.try_recv_from(&mut buf) {
                if from != self.session
                    && let Some(packet) = parse(&buf[..len], Instant::now())
                {
                    heard.packets.push(packet);
                }
            }
            heard.ended_at = Some(Instant::now());
        }
        drop(heard);
        self.task.abort();
    }
}

/// Passes packets both ways until aborted: the session's to the host, anyone else's
/// (the host's) to the session, recorded.
async fn pass(
    socket: Arc<UdpSocket>,
    host: SocketAddr,
    session: SocketAddr,
    heard: Arc<Mutex<Heard>>,
) {
    let mut buf = vec![0u8; 2048];
    loop {
        let Ok((len, from)) = socket.recv_from(&mut buf).await else {
            // An ICMP error for an earlier send, on some systems: not fatal.
            continue;
        };
        let at = Instant::now();
        let packet = &buf[..len];
        if from == session {
            let _ = socket.try_send_to(packet, host);
            continue;
        }
        if let Some(heard_packet) = parse(packet, at) {
            let mut heard = lock(&heard);
            if heard.ended_at.is_some_and(|end| at > end) {
                // Being aborted: nothing is heard after the end.
                return;
            }
            // Read before the end while the tap was being dropped, it goes before
            // the packets the drop read after it.
            let place = heard.packets.partition_point(|p| p.at <= at);
            heard.packets.insert(place, heard_packet);
        }
        let _ = socket.try_send_to(packet, session);
    }
}

/// An RTP packet's header and payload (RFC 3550 5.1), read by `rtp-rs` as the media
/// crate reads it; `None` when it is not RTP.
fn parse(bytes: &[u8], at: Instant) -> Option<HeardPacket> {
    let packet = RtpReader::new(bytes).ok()?;
    Some(HeardPacket {
        at,
        payload_type: packet.payload_type(),
        marker: packet.mark(),
        seq: packet.sequence_number().into(),
        timestamp: packet.timestamp(),
        ssrc: packet.ssrc(),
        payload: packet.payload().to_vec(),
    })
}

/// A poisoned lock only means a panic elsewhere; the recording is still whole.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rtp_headers_and_refuses_anything_else() {
        let at = Instant::now();
        let mut packet = vec![0x80, 0x80 | 101, 0x01, 0x02, 0, 0, 0x03, 0x20, 1, 2, 3, 4];
        packet.extend([1, 0x0a, 0, 160]);
        let heard = parse(&packet, at).unwrap();
        assert_eq!(
            heard,
            HeardPacket {
                at,
                payload_type: 101,
                marker: true,
                seq: 0x0102,
                timestamp: 800,
                ssrc: 0x0102_0304,
                payload: vec![1, 0x0a, 0, 160],
            }
        );
        // One CSRC: the payload starts four bytes later.
        let mut with_csrc = vec![0x81, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 9, 9, 9, 9];
        with_csrc.extend([0xff; 160]);
        assert_eq!(parse(&with_csrc, at).unwrap().payload, vec![0xff; 160]);
        assert!(parse(&[0x80; 11], at).is_none(), "too short");
        assert!(parse(&[0x40; 20], at).is_none(), "not version 2");
        assert!(parse(&[0x8f; 20], at).is_none(), "CSRCs past the end");
    }
}
