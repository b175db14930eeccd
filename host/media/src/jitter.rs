//! The receiving side of a stream: a small reorder buffer that hands audio frames on in
//! sequence order, and the statistics RFC 3550 asks a receiver to keep (packets
//! expected and lost, interarrival jitter, appendix A.1 and A.8) for RTCP and metrics.
//!
//! It holds frames for `depth` packets only: enough to put back in order what a
//! network reorders, not a playout buffer (a bridged leg relays packets as they come,
//! and the phones at each end have their own).

use std::collections::BTreeMap;
use std::time::Instant;

/// What a receiver has seen of one stream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReceiveStats {
    /// Packets received, duplicates excluded.
    pub received: u64,
    /// Packets expected from the sequence numbers and not received (by the time their
    /// place in the order was passed).
    pub lost: u64,
    /// Packets that came after their place was passed (counted as lost, then dropped).
    pub late: u64,
    /// Packets received twice.
    pub duplicates: u64,
    /// Interarrival jitter (RFC 3550 A.8), in timestamp units.
    pub jitter: u32,
    /// The highest extended sequence number received.
    pub highest_seq: u32,
}

/// Orders the audio frames of one stream.
#[derive(Debug)]
pub struct JitterBuffer {
    depth: usize,
    /// Frames waiting, by extended sequence number.
    waiting: BTreeMap<u64, Vec<u8>>,
    /// The extended sequence number handed on next; `None` before the first packet.
    next: Option<u64>,
    /// Extended sequence number of the newest packet (for unwrapping 16-bit numbers).
    newest: u64,
    stats: ReceiveStats,
    /// RFC 3550 A.8: the previous packet's transit time, and jitter scaled by 16.
    transit: Option<i64>,
    jitter_x16: i64,
    epoch: Instant,
}

impl JitterBuffer {
    /// A buffer that holds up to `depth` frames out of order.
    pub fn new(depth: usize) -> JitterBuffer {
        JitterBuffer {
            depth: depth.max(1),
            waiting: BTreeMap::new(),
            next: None,
            newest: 0,
            stats: ReceiveStats::default(),
            transit: None,
            jitter_x16: 0,
            epoch: Instant::now(),
        }
    }

    /// What has been seen so far.
    pub fn stats(&self) -> ReceiveStats {
        self.stats
    }

    /// Takes a frame; `release` gets the frames now due, in order.
    pub fn push(
        &mut self,
        seq: u16,
        timestamp: u32,
        payload: &[u8],
        mut release: impl FnMut(&[u8]),
    ) {
        let extended = self.extend(seq);
        let next = *self.next.get_or_insert(extended);
        if extended < next {
            self.stats.late += 1;
            return;
        }
        if self.waiting.contains_key(&extended) {
            self.stats.duplicates += 1;
            return;
        }
        self.stats.received += 1;
        self.stats.highest_seq = self.stats.highest_seq.max(extended as u32);
        self.update_jitter(timestamp);
        self.waiting.insert(extended, payload.to_vec());
        while self.waiting.len() > self.depth
            || self
                .waiting
                .first_key_value()
                .is_some_and(|(&s, _)| Some(s) == self.next)
        {
            let Some((seq, frame)) = self.waiting.pop_first() else {
                break;
            };
            let expected = self.next.unwrap_or(seq);
            self.stats.lost += seq.saturating_sub(expected);
            self.next = Some(seq + 1);
            release(&frame);
        }
    }

    /// RFC 3550 appendix A.1: a 16-bit sequence number extended by its wraps, relative
    /// to the newest seen.
    fn extend(&mut self, seq: u16) -> u64 {
        if self.next.is_none() {
            // Start high enough that numbers just below the first stay positive.
            self.newest = (1 << 16) + u64::from(seq);
            return self.newest;
        }
        let cycles = self.newest & !0xFFFF;
        let candidates =
            [cycles.wrapping_sub(1 << 16), cycles, cycles + (1 << 16)].map(|c| c + u64::from(seq));
        let extended = candidates
            .into_iter()
            .min_by_key(|c| c.abs_diff(self.newest))
            .unwrap_or(self.newest);
        self.newest = self.newest.max(extended);
        extended
    }

    fn update_jitter(&mut self, timestamp: u32) {
        let arrival = (self.epoch.elapsed().as_micros() as i64) * 8 / 1000;
        let transit = arrival - i64::from(timestamp);
        if let Some(previous) = self.transit {
            let d = (transit - previous).abs();
            self.jitter_x16 += d - ((self.jitter_x16 + 8) >> 4);
        }
        self.transit = Some(transit);
        self.stats.jitter = (self.jitter_x16 >> 4) as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(depth: usize, seqs: &[u16]) -> (Vec<u8>, ReceiveStats) {
        let mut buffer = JitterBuffer::new(depth);
        let mut out = Vec::new();
        for &seq in seqs {
            buffer.push(seq, u32::from(seq) * 160, &[seq as u8], |f| out.push(f[0]));
        }
        (out, buffer.stats())
    }

    #[test]
    fn in_order_frames_pass_at_once() {
        let (out, stats) = order(3, &[10, 11, 12]);
        assert_eq!(out, [10, 11, 12]);
        assert_eq!((stats.received, stats.lost), (3, 0));
    }

    #[test]
    fn reordered_frames_come_out_in_order() {
        let (out, stats) = order(3, &[1, 3, 2, 4, 6, 5, 7]);
        assert_eq!(out, [1, 2, 3, 4, 5, 6, 7]);
        assert_eq!((stats.lost, stats.late), (0, 0));
    }

    #[test]
    fn gaps_count_as_lost_and_stragglers_as_late() {
        // 3 and 4 are missing; once 3 frames wait past the gap it is given up on.
        let (out, stats) = order(2, &[1, 2, 5, 6, 7, 3, 8]);
        assert_eq!(out, [1, 2, 5, 6, 7, 8]);
        assert_eq!((stats.lost, stats.late, stats.received), (2, 1, 6));
        let (_, stats) = order(3, &[1, 3, 3, 2]);
        assert_eq!(stats.duplicates, 1);
    }

    #[test]
    fn sequence_numbers_wrap() {
        let (out, stats) = order(2, &[65534, 65535, 0, 1]);
        assert_eq!(out, [254, 255, 0, 1]);
        assert_eq!(stats.lost, 0);
        assert_eq!(stats.highest_seq & 0xFFFF, 1);
    }
}
