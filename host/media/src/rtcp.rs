//! Basic RTCP (RFC 3550 section 6): a compound report every few seconds (a sender
//! report while we send, else a receiver report, each with one report block, then an
//! SDES with our CNAME), and reading the report blocks the far end sends about us.
//!
//! Written here because the one maintained RTCP crate (webrtc-rs's `rtcp`) brings the
//! whole webrtc-util stack for two fixed-layout packets.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::jitter::ReceiveStats;

/// RFC 3550 6.2: five seconds is the minimum interval for a two-party session.
pub const INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// Our sending side, for a sender report.
#[derive(Debug, Clone, Copy)]
pub struct Sending {
    /// Our SSRC.
    pub ssrc: u32,
    /// Packets sent.
    pub packets: u64,
    /// Payload octets sent.
    pub octets: u64,
    /// The RTP timestamp of the last packet sent.
    pub rtp_timestamp: u32,
}

/// What we have received from one source, for a report block.
#[derive(Debug, Clone, Copy)]
pub struct Receiving {
    /// The source's SSRC.
    pub ssrc: u32,
    /// Counters at this report.
    pub stats: ReceiveStats,
    /// Expected and received at the previous report (for the fraction lost).
    pub previous: (u64, u64),
}

/// One report block the far end sent about a stream of ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteReport {
    /// Fraction of our packets lost since its previous report, out of 256.
    pub fraction_lost: u8,
    /// Cumulative packets of ours lost.
    pub cumulative_lost: u32,
    /// Its interarrival jitter for our stream, in timestamp units.
    pub jitter: u32,
}

/// A compound packet: SR (or RR if we have sent nothing) and SDES CNAME.
pub fn report(sending: &Sending, receiving: Option<&Receiving>, cname: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(96);
    let blocks = u8::from(receiving.is_some());
    if sending.packets > 0 {
        let words = 6 + 6 * u16::from(blocks);
        header(&mut out, blocks, 200, words);
        out.extend(sending.ssrc.to_be_bytes());
        out.extend(ntp_now().to_be_bytes());
        out.extend(sending.rtp_timestamp.to_be_bytes());
        out.extend((sending.packets as u32).to_be_bytes());
        out.extend((sending.octets as u32).to_be_bytes());
    } else {
        header(&mut out, blocks, 201, 1 + 6 * u16::from(blocks));
        out.extend(sending.ssrc.to_be_bytes());
    }
    if let Some(r) = receiving {
        let expected = r.stats.received + r.stats.lost;
        let (previous_expected, previous_received) = r.previous;
        let expected_interval = expected.saturating_sub(previous_expected);
        let lost_interval =
            expected_interval.saturating_sub(r.stats.received.saturating_sub(previous_received));
        let fraction = (lost_interval * 256)
            .checked_div(expected_interval)
            .map_or(0, |f| f.min(255) as u32);
        out.extend(r.ssrc.to_be_bytes());
        out.extend((fraction << 24 | (r.stats.lost as u32 & 0x00FF_FFFF)).to_be_bytes());
        out.extend(r.stats.highest_seq.to_be_bytes());
        out.extend(r.stats.jitter.to_be_bytes());
        // LSR and DLSR: zero, we keep no round-trip estimate.
        out.extend([0u8; 8]);
    }
    // SDES with one chunk: our SSRC and a CNAME item, padded to a 32-bit boundary.
    let name = &cname.as_bytes()[..cname.len().min(255)];
    let chunk = 4 + 2 + name.len() + 1;
    let padded = chunk.div_ceil(4) * 4;
    header(&mut out, 1, 202, (padded / 4) as u16);
    out.extend(sending.ssrc.to_be_bytes());
    out.extend([1, name.len() as u8]);
    out.extend(name);
    out.resize(out.len() + padded - chunk + 1, 0);
    out
}

fn header(out: &mut Vec<u8>, count: u8, packet_type: u8, words_after_header: u16) {
    out.push(0x80 | count);
    out.push(packet_type);
    out.extend(words_after_header.to_be_bytes());
}

/// The report blocks about `our_ssrc` in a compound packet from the far end; malformed
/// packets give nothing.
pub fn reports_about(packet: &[u8], our_ssrc: u32) -> Vec<RemoteReport> {
    let mut found = Vec::new();
    let mut rest = packet;
    while rest.len() >= 4 {
        let count = usize::from(rest[0] & 0x1F);
        let packet_type = rest[1];
        let len = (usize::from(u16::from_be_bytes([rest[2], rest[3]])) + 1) * 4;
        if rest[0] >> 6 != 2 || len > rest.len() {
            break;
        }
        let body = &rest[4..len];
        let blocks = match packet_type {
            200 => body.get(24..),
            201 => body.get(4..),
            _ => None,
        };
        for block in blocks.unwrap_or_default().chunks_exact(24).take(count) {
            let word =
                |i: usize| u32::from_be_bytes([block[i], block[i + 1], block[i + 2], block[i + 3]]);
            if word(0) == our_ssrc {
                found.push(RemoteReport {
                    fraction_lost: block[4],
                    cumulative_lost: word(4) & 0x00FF_FFFF,
                    jitter: word(12),
                });
            }
        }
        rest = &rest[len..];
    }
    found
}

/// The wall clock as a 64-bit NTP timestamp (seconds since 1900, 32.32 fixed point).
fn ntp_now() -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let seconds = now.as_secs() + 2_208_988_800;
    let fraction = (u64::from(now.subsec_nanos()) << 32) / 1_000_000_000;
    seconds << 32 | fraction
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sender_report_reads_back() {
        let stats = ReceiveStats {
            received: 90,
            lost: 10,
            highest_seq: 65_636,
            jitter: 12,
            ..Default::default()
        };
        let packet = report(
            &Sending {
                ssrc: 7,
                packets: 50,
                octets: 8000,
                rtp_timestamp: 1234,
            },
            Some(&Receiving {
                ssrc: 9,
                stats,
                previous: (0, 0),
            }),
            "ringhost@127.0.0.1",
        );
        assert_eq!(packet.len() % 4, 0);
        assert_eq!(&packet[..2], &[0x81, 200]);
        // The far end's view: its SSRC is 9, and our block is about it.
        let blocks = reports_about(&packet, 9);
        assert_eq!(
            blocks,
            [RemoteReport {
                fraction_lost: 25,
                cumulative_lost: 10,
                jitter: 12
            }]
        );
        assert!(reports_about(&packet, 8).is_empty());
    }

    #[test]
    fn a_receiver_report_when_nothing_was_sent() {
        let packet = report(
            &Sending {
                ssrc: 7,
                packets: 0,
                octets: 0,
                rtp_timestamp: 0,
            },
            None,
            "x",
        );
        assert_eq!(&packet[..2], &[0x80, 201]);
        assert_eq!(packet.len() % 4, 0);
        assert!(reports_about(&packet, 7).is_empty());
        assert!(
            reports_about(&[0x81, 200, 0xff, 0xff], 7).is_empty(),
            "a length past the end is ignored"
        );
    }
}
