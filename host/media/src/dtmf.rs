//! DTMF both ways: RFC 4733 telephone events (received one digit per event, sent with
//! the end packet three times) and in-band tones, detected with the Goertzel algorithm
//! when the far end negotiated no telephone-event, and generated for sending then.
//!
//! The detector is written here because the crates that exist do a bare Goertzel
//! filter; the work is in the decision rules around it (ITU-T Q.24's twist, the other
//! tones of each group, the share of the signal's energy, two blocks to confirm), which
//! are what keep speech and noise from dialling digits.

use std::f32::consts::PI;

use crate::g711::SAMPLE_RATE;

/// The 16 events of RFC 4733 section 3.2 that are DTMF digits, by event code.
const DIGITS: &[u8; 16] = b"0123456789*#ABCD";

/// The digit of an RFC 4733 event code, if it is one.
pub fn digit_of_event(event: u8) -> Option<char> {
    DIGITS.get(usize::from(event)).map(|&d| char::from(d))
}

/// The RFC 4733 event code of a digit (case-insensitive for A to D).
pub fn event_of_digit(digit: char) -> Option<u8> {
    let digit = digit.to_ascii_uppercase();
    DIGITS
        .iter()
        .position(|&d| char::from(d) == digit)
        .map(|p| p as u8)
}

/// One RFC 4733 payload (section 2.3): event, end bit, volume (-dBm0), duration in
/// timestamp units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// The event code (0-15 for DTMF).
    pub event: u8,
    /// Set on the last packets of the event.
    pub end: bool,
    /// The power level, 0 to 63 (-dBm0).
    pub volume: u8,
    /// The event's length so far, in samples at 8 kHz.
    pub duration: u16,
}

impl TelephoneEvent {
    /// Reads the first event of a payload; `None` if it is shorter than 4 bytes.
    pub fn parse(payload: &[u8]) -> Option<TelephoneEvent> {
        let &[event, flags, high, low, ..] = payload else {
            return None;
        };
        Some(TelephoneEvent {
            event,
            end: flags & 0x80 != 0,
            volume: flags & 0x3F,
            duration: u16::from_be_bytes([high, low]),
        })
    }

    /// The 4-byte payload.
    pub fn to_bytes(self) -> [u8; 4] {
        let [high, low] = self.duration.to_be_bytes();
        [
            self.event,
            u8::from(self.end) << 7 | (self.volume & 0x3F),
            high,
            low,
        ]
    }
}

/// A digit heard on a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digit {
    /// `0`-`9`, `*`, `#`, `A`-`D`.
    pub digit: char,
    /// How long it lasted.
    pub duration_ms: u32,
    /// Its level in -dBm0 for RFC 4733 events; `None` for tones heard in-band.
    pub volume: Option<u8>,
}

/// Turns the packets of RFC 4733 events into one [`Digit`] each. The packets of one
/// event share its RTP timestamp; its end packet comes three times (section 2.5.1.4),
/// and the first packets may be lost, so an event is reported once, at its first end
/// packet, or when a later event starts without its end having been seen.
#[derive(Debug, Default)]
pub struct EventReceiver {
    /// The event in progress (its timestamp and last packet) and whether it was reported.
    current: Option<(u32, TelephoneEvent, bool)>,
}

impl EventReceiver {
    /// Takes one event packet; calls `on_digit` for each digit it completes (two when a
    /// new event's end arrives before the previous event's).
    pub fn on_packet(
        &mut self,
        timestamp: u32,
        event: TelephoneEvent,
        mut on_digit: impl FnMut(Digit),
    ) {
        if let Some((ts, last, reported)) = &mut self.current
            && *ts == timestamp
        {
            *last = event;
            if event.end && !*reported {
                *reported = true;
                to_digit(event).map(&mut on_digit);
            }
            return;
        }
        self.flush().map(&mut on_digit);
        self.current = Some((timestamp, event, event.end));
        if event.end {
            to_digit(event).map(on_digit);
        }
    }

    /// Reports the event in progress if its end was never seen (all three end packets
    /// lost); called when another event starts or audio has resumed for a while.
    pub fn flush(&mut self) -> Option<Digit> {
        match &mut self.current {
            Some((_, last, reported)) if !*reported => {
                *reported = true;
                to_digit(*last)
            }
            _ => None,
        }
    }
}

fn to_digit(event: TelephoneEvent) -> Option<Digit> {
    Some(Digit {
        digit: digit_of_event(event.event)?,
        duration_ms: u32::from(event.duration) * 1000 / SAMPLE_RATE,
        volume: Some(event.volume),
    })
}

/// Row (low group) and column (high group) frequencies of the DTMF keypad, in Hz.
const ROWS: [f32; 4] = [697.0, 770.0, 852.0, 941.0];
const COLUMNS: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
const KEYPAD: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];

/// The keypad position of a digit: (row, column).
fn position(digit: char) -> Option<(usize, usize)> {
    let digit = digit.to_ascii_uppercase();
    KEYPAD
        .iter()
        .enumerate()
        .find_map(|(r, row)| row.iter().position(|&d| d == digit).map(|c| (r, c)))
}

/// The samples of a digit's two tones, each at `amplitude` (of 32767), `ms` long.
pub fn digit_tone(digit: char, amplitude: f32, ms: u32) -> Option<Vec<i16>> {
    let (row, column) = position(digit)?;
    let n = (SAMPLE_RATE * ms / 1000) as usize;
    let rate = SAMPLE_RATE as f32;
    Some(
        (0..n)
            .map(|i| {
                let t = i as f32 / rate;
                let v = amplitude
                    * ((2.0 * PI * ROWS[row] * t).sin() + (2.0 * PI * COLUMNS[column] * t).sin());
                v.clamp(-32768.0, 32767.0) as i16
            })
            .collect(),
    )
}

/// Samples per Goertzel block: 205 at 8 kHz (25.6 ms) puts every DTMF frequency within
/// a few hertz of a bin, the classic choice; a 40 ms digit (the shortest Q.24 requires
/// to be recognised) fills at least one block whole.
const BLOCK: usize = 205;

/// Hears DTMF digits in decoded audio (in-band), for streams without telephone-event.
#[derive(Debug)]
pub struct InbandDetector {
    coefficients: [f32; 8],
    block: Vec<f32>,
    /// The digit the last block heard, and how many blocks in a row heard it.
    candidate: Option<(char, u32)>,
    /// The digit reported and still sounding: not reported again until it stops.
    sounding: Option<char>,
}

impl Default for InbandDetector {
    fn default() -> Self {
        let mut coefficients = [0.0; 8];
        for (c, f) in coefficients.iter_mut().zip(ROWS.iter().chain(&COLUMNS)) {
            let k = (BLOCK as f32 * f / SAMPLE_RATE as f32).round();
            *c = 2.0 * (2.0 * PI * k / BLOCK as f32).cos();
        }
        InbandDetector {
            coefficients,
            block: Vec::with_capacity(BLOCK),
            candidate: None,
            sounding: None,
        }
    }
}

impl InbandDetector {
    /// Feeds samples; calls `on_digit` for each digit that starts in them.
    pub fn feed(&mut self, samples: &[i16], mut on_digit: impl FnMut(Digit)) {
        for &s in samples {
            self.block.push(f32::from(s));
            if self.block.len() == BLOCK {
                let heard = self.analyse();
                self.block.clear();
                if let Some(digit) = self.decide(heard) {
                    on_digit(Digit {
                        digit,
                        duration_ms: 2 * BLOCK as u32 * 1000 / SAMPLE_RATE,
                        volume: None,
                    });
                }
            }
        }
    }

    /// Two blocks in a row hearing the same digit start it; one block without ends it.
    fn decide(&mut self, heard: Option<char>) -> Option<char> {
        let Some(digit) = heard else {
            self.candidate = None;
            self.sounding = None;
            return None;
        };
        let count = match self.candidate {
            Some((d, n)) if d == digit => n + 1,
            _ => 1,
        };
        self.candidate = Some((digit, count));
        if count >= 2 && self.sounding != Some(digit) {
            self.sounding = Some(digit);
            return Some(digit);
        }
        None
    }

    /// The digit this block holds, if the decision rules accept one.
    fn analyse(&self) -> Option<char> {
        let energy: f32 = self.block.iter().map(|s| s * s).sum();
        // Below about -40 dBm0 nothing is a digit (Q.24 asks for -25 dBm0 and up).
        if energy < BLOCK as f32 * 100.0 * 100.0 {
            return None;
        }
        let mut powers = [0.0f32; 8];
        for (power, &coefficient) in powers.iter_mut().zip(&self.coefficients) {
            let (mut s1, mut s2) = (0.0f32, 0.0f32);
            for &x in &self.block {
                let s0 = x + coefficient * s1 - s2;
                s2 = s1;
                s1 = s0;
            }
            *power = s1 * s1 + s2 * s2 - coefficient * s1 * s2;
        }
        let (rows, columns) = powers.split_at(4);
        let (row, row_power) = strongest(rows);
        let (column, column_power) = strongest(columns);
        // Twist: the two tones within 8 dB of each other (x6.3 in power).
        if row_power > column_power * 6.3 || column_power > row_power * 6.3 {
            return None;
        }
        // Each tone 8 dB above the others of its group.
        let others_quiet = |group: &[f32], best: usize, power: f32| {
            group
                .iter()
                .enumerate()
                .all(|(i, &p)| i == best || p * 6.3 < power)
        };
        if !others_quiet(rows, row, row_power) || !others_quiet(columns, column, column_power) {
            return None;
        }
        // The two tones hold most of the block's energy: a pure tone of amplitude A
        // gives a Goertzel power of (A N / 2)^2 and a block energy of N A^2 / 2.
        let share = (row_power + column_power) / (energy * BLOCK as f32 / 2.0);
        (share > 0.5).then_some(KEYPAD[row][column])
    }
}

fn strongest(powers: &[f32]) -> (usize, f32) {
    powers.iter().copied().enumerate().fold(
        (0, f32::MIN),
        |best, (i, p)| if p > best.1 { (i, p) } else { best },
    )
}

#[cfg(test)]
mod tests;
