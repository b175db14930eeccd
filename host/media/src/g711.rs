//! G.711 (ITU-T G.711, 1988): the two 8 kHz, 8-bit companding laws every carrier speaks.
//!
//! The per-sample arithmetic comes from `audio-codec-algorithms`; this module turns it
//! into lookup tables built once, because the hot paths (bridging two legs that speak
//! different laws, in-band DTMF detection, prompt conversion) touch every sample of
//! every call. A table lookup per sample is a few hundred picoseconds.

use std::sync::LazyLock;

use audio_codec_algorithms::{decode_alaw, decode_ulaw, encode_alaw, encode_ulaw};

/// A G.711 law, as negotiated in SDP by its static RTP payload type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Law {
    /// μ-law, RTP payload type 0, `PCMU/8000`: North America and Japan.
    Pcmu,
    /// A-law, RTP payload type 8, `PCMA/8000`: the rest of the world.
    Pcma,
}

/// Samples per second of both laws (and of RFC 4733 events sent with them).
pub const SAMPLE_RATE: u32 = 8000;

impl Law {
    /// The static payload type of RFC 3551.
    pub fn payload_type(self) -> u8 {
        match self {
            Law::Pcmu => 0,
            Law::Pcma => 8,
        }
    }

    /// The law carried by a static payload type, if it is one of the two.
    pub fn from_payload_type(pt: u8) -> Option<Law> {
        match pt {
            0 => Some(Law::Pcmu),
            8 => Some(Law::Pcma),
            _ => None,
        }
    }

    /// The encoding name in an `a=rtpmap` line.
    pub fn encoding_name(self) -> &'static str {
        match self {
            Law::Pcmu => "PCMU",
            Law::Pcma => "PCMA",
        }
    }

    /// Encodes one 16-bit linear sample.
    pub fn encode(self, sample: i16) -> u8 {
        match self {
            Law::Pcmu => encode_ulaw(sample),
            Law::Pcma => encode_alaw(sample),
        }
    }

    /// Decodes one code to a 16-bit linear sample.
    pub fn decode(self, code: u8) -> i16 {
        TABLES.decode[self as usize][usize::from(code)]
    }

    /// Encodes linear samples, one code each.
    pub fn encode_all(self, samples: &[i16]) -> Vec<u8> {
        samples.iter().map(|&s| self.encode(s)).collect()
    }

    /// Decodes codes into `out` (cleared first), one sample each.
    pub fn decode_into(self, codes: &[u8], out: &mut Vec<i16>) {
        let table = &TABLES.decode[self as usize];
        out.clear();
        out.extend(codes.iter().map(|&c| table[usize::from(c)]));
    }

    /// Re-encodes a payload of `from` codes in place as `to` codes: a bridge between a
    /// μ-law and an A-law leg. The code-to-code mapping is G.711's tables 3 and 4, not a
    /// decode and re-encode, so that a round trip changes as few codes as possible.
    pub fn transcode(from: Law, to: Law, payload: &mut [u8]) {
        if from == to {
            return;
        }
        let table = match from {
            Law::Pcmu => &TABLES.ulaw_to_alaw,
            Law::Pcma => &TABLES.alaw_to_ulaw,
        };
        for code in payload {
            *code = table[usize::from(*code)];
        }
    }
}

struct Tables {
    /// Indexed by `Law as usize`, then by code.
    decode: [[i16; 256]; 2],
    ulaw_to_alaw: [u8; 256],
    alaw_to_ulaw: [u8; 256],
}

static TABLES: LazyLock<Tables> = LazyLock::new(|| {
    let mut tables = Tables {
        decode: [[0; 256]; 2],
        ulaw_to_alaw: [0; 256],
        alaw_to_ulaw: [0; 256],
    };
    for code in 0..=255u8 {
        let i = usize::from(code);
        tables.decode[Law::Pcmu as usize][i] = decode_ulaw(code);
        tables.decode[Law::Pcma as usize][i] = decode_alaw(code);
        tables.ulaw_to_alaw[i] = audio_codec_algorithms::convert_ulaw_to_alaw(code);
        tables.alaw_to_ulaw[i] = audio_codec_algorithms::convert_alaw_to_ulaw(code);
    }
    tables
});

#[cfg(test)]
mod tests;
