//! RTP packets (RFC 3550) on the sending side: one [`OutgoingStream`] per leg keeps its
//! SSRC, sequence numbers and timestamps continuous whatever feeds it (a prompt, comfort
//! noise, DTMF events, or the other leg of a bridge). Header bytes are `rtp-rs`'s.

use rtp_rs::{RtpPacketBuilder, Seq};

/// The largest RTP packet Ringhost sends or relays (1500-byte MTU less IP and UDP).
pub const MAX_PACKET: usize = 1472;

/// The sending half of a stream.
#[derive(Debug)]
pub struct OutgoingStream {
    ssrc: u32,
    seq: u16,
    /// The timestamp of the next audio frame.
    next_timestamp: u32,
    /// The next packet starts a talkspurt (the stream's first packet, or the first
    /// after its source changed): RFC 3551 section 4.1 marks it.
    mark: bool,
    /// The source being relayed and the offset that maps its timestamps onto ours.
    relayed: Option<(u32, u32)>,
    buffer: Vec<u8>,
    packets: u64,
    octets: u64,
    last_timestamp: u32,
}

impl OutgoingStream {
    /// A new stream with a random SSRC, first sequence number and timestamp (RFC 3550
    /// section 5.1: random starts make known-plaintext attacks on SRTP harder and
    /// streams tell apart across restarts).
    pub fn new() -> OutgoingStream {
        OutgoingStream {
            ssrc: rand::random(),
            seq: rand::random(),
            next_timestamp: rand::random(),
            mark: true,
            relayed: None,
            buffer: vec![0; MAX_PACKET],
            packets: 0,
            octets: 0,
            last_timestamp: 0,
        }
    }

    /// The stream's SSRC.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// Packets and payload octets sent so far, and the last timestamp (for RTCP).
    pub fn counts(&self) -> (u64, u64, u32) {
        (self.packets, self.octets, self.last_timestamp)
    }

    /// The timestamp the next audio frame will carry.
    pub fn next_timestamp(&self) -> u32 {
        self.next_timestamp
    }

    /// The next packet starts a new talkspurt (a new source).
    pub fn mark_next(&mut self) {
        self.mark = true;
        self.relayed = None;
    }

    /// A frame of G.711 audio (one sample per byte): the packet to send.
    pub fn audio(&mut self, payload_type: u8, payload: &[u8]) -> &[u8] {
        let timestamp = self.next_timestamp;
        self.next_timestamp = timestamp.wrapping_add(payload.len() as u32);
        self.packet(payload_type, payload, timestamp, false)
    }

    /// A packet of an RFC 4733 event that started at `start` (all packets of an event
    /// carry its start timestamp). The first packet of an event is marked.
    pub fn event(&mut self, payload_type: u8, payload: &[u8], start: u32, first: bool) -> &[u8] {
        self.packet(payload_type, payload, start, first)
    }

    /// Moves the audio clock on by `samples` without sending (after an event, whose
    /// duration the next audio frame follows).
    pub fn skip(&mut self, samples: u32) {
        self.next_timestamp = self.next_timestamp.wrapping_add(samples);
    }

    /// A packet relayed from another stream: its timing kept, renumbered into ours.
    /// `audio_samples` is its audio length (0 for an event).
    pub fn relay(
        &mut self,
        payload_type: u8,
        payload: &[u8],
        source: u32,
        timestamp: u32,
        audio_samples: u32,
    ) -> &[u8] {
        let offset = match self.relayed {
            Some((ssrc, offset)) if ssrc == source => offset,
            _ => {
                let offset = self.next_timestamp.wrapping_sub(timestamp);
                self.relayed = Some((source, offset));
                self.mark = true;
                offset
            }
        };
        let ours = timestamp.wrapping_add(offset);
        let end = ours.wrapping_add(audio_samples);
        // Keep the audio clock past everything sent, for whatever follows the relay.
        if end.wrapping_sub(self.next_timestamp) as i32 > 0 {
            self.next_timestamp = end;
        }
        self.packet(payload_type, payload, ours, false)
    }

    fn packet(&mut self, payload_type: u8, payload: &[u8], timestamp: u32, mark: bool) -> &[u8] {
        let marked = std::mem::take(&mut self.mark) || mark;
        let len = RtpPacketBuilder::new()
            .payload_type(payload_type)
            .ssrc(self.ssrc)
            .sequence(Seq::from(self.seq))
            .timestamp(timestamp)
            .marked(marked)
            .payload(&payload[..payload.len().min(MAX_PACKET - 12)])
            .build_into(&mut self.buffer)
            .unwrap_or(0);
        self.seq = self.seq.wrapping_add(1);
        self.packets += 1;
        self.octets += payload.len() as u64;
        self.last_timestamp = timestamp;
        &self.buffer[..len]
    }

    /// The last packet again, unchanged (RFC 4733's repeated end packets keep their
    /// sequence number).
    pub fn repeat(&self, len: usize) -> &[u8] {
        &self.buffer[..len]
    }
}

impl Default for OutgoingStream {
    fn default() -> Self {
        OutgoingStream::new()
    }
}
