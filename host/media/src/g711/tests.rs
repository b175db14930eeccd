//! G.711 against the standard's own tables (ITU-T G.711, tables 1 and 2): every
//! quantisation interval of every segment, by its decision values and its decoder
//! output, written from the tables' segment endpoints and step sizes rather than from
//! the code under test.

use super::Law;

/// A-law, table 1: segment `s` (0 to 7) spans these 13-bit magnitudes in 16 equal
/// intervals. The transmitted character is `1 sss qqqq` for positive values with the
/// even bits inverted (XOR 0x55).
const ALAW_SEGMENTS: [(i32, i32); 8] = [
    (0, 32),
    (32, 64),
    (64, 128),
    (128, 256),
    (256, 512),
    (512, 1024),
    (1024, 2048),
    (2048, 4096),
];

#[test]
fn alaw_matches_table_1() {
    for (segment, &(low, high)) in ALAW_SEGMENTS.iter().enumerate() {
        let step = (high - low) / 16;
        for interval in 0..16 {
            let positive = (0x80 | (segment as u8) << 4 | interval as u8) ^ 0x55;
            let negative = positive ^ 0x80;
            // Decision values: the interval's ends, 13-bit, scaled to 16-bit (x8).
            let lower = (low + step * interval) * 8;
            let upper = (low + step * (interval + 1)) * 8 - 1;
            // Decoder output: the interval's middle.
            let middle = (low + step * interval) * 8 + step * 4;
            for value in [lower, upper] {
                assert_eq!(
                    Law::Pcma.encode(value as i16),
                    positive,
                    "A-law encode {value}"
                );
                assert_eq!(
                    Law::Pcma.encode(-value as i16 - 1),
                    negative,
                    "A-law encode {}",
                    -value - 1
                );
            }
            assert_eq!(
                i32::from(Law::Pcma.decode(positive)),
                middle,
                "A-law decode {positive:#04x}"
            );
            assert_eq!(
                i32::from(Law::Pcma.decode(negative)),
                -middle,
                "A-law decode {negative:#04x}"
            );
        }
    }
    // The quiet code of an idle A-law channel, and the overload ends.
    assert_eq!(Law::Pcma.encode(0), 0xD5);
    assert_eq!(Law::Pcma.decode(0xD5), 8);
    assert_eq!(Law::Pcma.decode(0xAA), 32256);
    assert_eq!(Law::Pcma.encode(i16::MAX), 0xAA);
    assert_eq!(Law::Pcma.encode(i16::MIN), 0x2A);
}

/// μ-law, table 2: in segment `s` the 14-bit decision values are
/// `((2q + 32) << s) - 33` for q = 0..=16 and the decoder outputs `((2q + 33) << s) - 33`;
/// the transmitted character is `sign sss qqqq` (sign 0 for positive) with every bit
/// inverted.
#[test]
fn ulaw_matches_table_2() {
    for segment in 0..8 {
        for interval in 0..16 {
            let positive = !((segment as u8) << 4 | interval as u8);
            let negative = positive & 0x7F;
            let lower = (((2 * interval + 32) << segment) - 33).max(0) * 4;
            let upper = (((2 * interval + 34) << segment) - 33) * 4 - 1;
            let middle = (((2 * interval + 33) << segment) - 33) * 4;
            for value in [lower, upper] {
                assert_eq!(
                    Law::Pcmu.encode(value as i16),
                    positive,
                    "μ-law encode {value}"
                );
            }
            // The negative half mirrors the positive one; which side of a decision
            // value the value itself falls on is the coder's choice, so the negative
            // intervals are checked inside.
            for value in [lower + 4, middle, upper - 4] {
                if value > 0 {
                    assert_eq!(
                        Law::Pcmu.encode(-value as i16),
                        negative,
                        "μ-law encode {}",
                        -value
                    );
                }
            }
            assert_eq!(
                i32::from(Law::Pcmu.decode(positive)),
                middle,
                "μ-law decode {positive:#04x}"
            );
            assert_eq!(
                i32::from(Law::Pcmu.decode(negative)),
                -middle,
                "μ-law decode {negative:#04x}"
            );
        }
    }
    assert_eq!(Law::Pcmu.encode(0), 0xFF);
    assert_eq!(Law::Pcmu.decode(0x80), 32124);
}

#[test]
fn transcoding_keeps_the_signal() {
    // A-law to μ-law and back: each code decodes to within one quantisation step of
    // where it started (G.711 tables 3 and 4 are not a bijection at the segment ends).
    let mut codes: Vec<u8> = (0..=255).collect();
    let original = codes.clone();
    Law::transcode(Law::Pcma, Law::Pcmu, &mut codes);
    for (&a, &u) in original.iter().zip(&codes) {
        let (a, u) = (
            i32::from(Law::Pcma.decode(a)),
            i32::from(Law::Pcmu.decode(u)),
        );
        let step = (a.abs() / 16).max(16);
        assert!((a - u).abs() <= step, "A-law {a} became μ-law {u}");
    }
    Law::transcode(Law::Pcmu, Law::Pcma, &mut codes);
    let unchanged = original.iter().zip(&codes).filter(|(a, b)| a == b).count();
    assert!(
        unchanged >= 200,
        "only {unchanged} of 256 A-law codes survived a round trip"
    );
    let mut same = original.clone();
    Law::transcode(Law::Pcma, Law::Pcma, &mut same);
    assert_eq!(same, original);
}
