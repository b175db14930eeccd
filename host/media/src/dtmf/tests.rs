//! DTMF: the RFC 4733 packets SIPp's captures carry, and in-band detection on generated
//! tones with noise, through G.711 as a carrier would deliver them.

use rand::{Rng, SeedableRng};

use super::*;
use crate::g711::Law;

#[test]
fn event_payload_round_trips() {
    // The end packet of dtmf_2833_1.pcap: event 1, end, volume 10, 2240 samples.
    let bytes = [0x01, 0x8a, 0x08, 0xc0];
    let event = TelephoneEvent::parse(&bytes).unwrap();
    assert_eq!(
        event,
        TelephoneEvent {
            event: 1,
            end: true,
            volume: 10,
            duration: 2240
        }
    );
    assert_eq!(event.to_bytes(), bytes);
    assert_eq!(TelephoneEvent::parse(&[1, 2, 3]), None);
    assert_eq!(digit_of_event(10), Some('*'));
    assert_eq!(digit_of_event(16), None);
    assert_eq!(event_of_digit('d'), Some(15));
    assert_eq!(event_of_digit('x'), None);
}

fn receive(packets: &[(u32, TelephoneEvent)]) -> String {
    let mut receiver = EventReceiver::default();
    let mut digits = String::new();
    for &(ts, event) in packets {
        receiver.on_packet(ts, event, |d| digits.push(d.digit));
    }
    digits
}

fn event(code: u8, end: bool, duration: u16) -> TelephoneEvent {
    TelephoneEvent {
        event: code,
        end,
        volume: 10,
        duration,
    }
}

#[test]
fn one_digit_per_event_despite_repeated_ends() {
    // As in dtmf_2833_1.pcap: seven packets growing, then the end three times.
    let mut packets: Vec<_> = (0..7).map(|i| (13280, event(1, false, i * 320))).collect();
    packets.extend([(13280, event(1, true, 2240)); 3]);
    assert_eq!(receive(&packets), "1");
    let mut receiver = EventReceiver::default();
    let mut heard = Vec::new();
    for (ts, e) in packets {
        receiver.on_packet(ts, e, |d| heard.push(d));
    }
    assert_eq!(
        heard,
        [Digit {
            digit: '1',
            duration_ms: 280,
            volume: Some(10)
        }]
    );
}

#[test]
fn the_same_digit_twice_is_two_events() {
    let packets = [
        (1000, event(5, false, 160)),
        (1000, event(5, true, 800)),
        (1000, event(5, true, 800)),
        (3000, event(5, false, 160)),
        (3000, event(5, true, 800)),
    ];
    assert_eq!(receive(&packets), "55");
}

#[test]
fn lost_end_packets_still_give_the_digit() {
    // The first event's ends are lost; the next event starts with its end only.
    let packets = [
        (1000, event(7, false, 160)),
        (1000, event(7, false, 320)),
        (3000, event(9, true, 800)),
    ];
    assert_eq!(receive(&packets), "79");
    let mut receiver = EventReceiver::default();
    receiver.on_packet(1, event(3, false, 160), |_| panic!("not yet"));
    assert_eq!(receiver.flush().map(|d| d.digit), Some('3'));
    assert_eq!(receiver.flush(), None, "reported once");
}

/// Digits as tones of `ms`, separated by `gap_ms` of noise, plus white noise at `snr_db`
/// below the tones, through `law` and back.
fn signal(digits: &str, ms: u32, gap_ms: u32, snr_db: f32, law: Law) -> Vec<i16> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    // About -10 dBm0 per tone.
    let amplitude = 3000.0;
    let noise = amplitude * 2f32.sqrt() * 10f32.powf(-snr_db / 20.0) * 3f32.sqrt();
    let mut samples = Vec::new();
    for digit in digits.chars() {
        samples.extend(digit_tone(digit, amplitude, ms).unwrap());
        samples.extend(std::iter::repeat_n(
            0,
            (SAMPLE_RATE * gap_ms / 1000) as usize,
        ));
    }
    samples
        .iter()
        .map(|&s| {
            let noisy = f32::from(s) + rng.random_range(-noise..noise);
            law.decode(law.encode(noisy.clamp(-32768.0, 32767.0) as i16))
        })
        .collect()
}

fn detect(samples: &[i16]) -> String {
    let mut detector = InbandDetector::default();
    let mut digits = String::new();
    // In 20 ms frames, as RTP delivers them.
    for frame in samples.chunks(160) {
        detector.feed(frame, |d| digits.push(d.digit));
    }
    digits
}

#[test]
fn hears_every_digit_in_band_through_noise_and_g711() {
    let all = "1234567890*#ABCD";
    for law in [Law::Pcmu, Law::Pcma] {
        assert_eq!(
            detect(&signal(all, 100, 60, 20.0, law)),
            all,
            "{law:?}, 20 dB SNR"
        );
        assert_eq!(
            detect(&signal(all, 70, 60, 12.0, law)),
            all,
            "{law:?}, 12 dB SNR, 70 ms"
        );
    }
    // The same digit twice needs the gap between them.
    assert_eq!(detect(&signal("99", 100, 60, 20.0, Law::Pcmu)), "99");
}

#[test]
fn no_digits_in_noise_or_in_a_single_tone() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let noise: Vec<i16> = (0..16000).map(|_| rng.random_range(-8000..8000)).collect();
    assert_eq!(detect(&noise), "");
    let tone: Vec<i16> = (0..16000)
        .map(|i| (8000.0 * (2.0 * PI * 1000.0 * i as f32 / 8000.0).sin()) as i16)
        .collect();
    assert_eq!(detect(&tone), "");
    // One tone of a pair alone (a row frequency) is not a digit.
    let row_only: Vec<i16> = (0..16000)
        .map(|i| (8000.0 * (2.0 * PI * 770.0 * i as f32 / 8000.0).sin()) as i16)
        .collect();
    assert_eq!(detect(&row_only), "");
    // Too short: 25 ms of a digit is below the 40 ms Q.24 floor.
    assert_eq!(detect(&signal("5", 25, 100, 30.0, Law::Pcmu)), "");
}
