//! Mixing voices for a monitored bridge: what each party of a call said lately, kept
//! as linear samples until the media clock takes a frame of it, and the sum of the
//! frames one leg hears, saturated to 16 bits.
//!
//! A relayed bridge sends every packet on as it comes; a mix cannot, since its
//! sources' packets arrive at their own times. So each party's audio waits here in a
//! [`Voice`] (decoded as it arrives, no allocation) and the mixer takes one frame of
//! every voice per tick. A voice that has nothing waiting is silent for that frame; one
//! that has fallen behind (its far end's packets came in a burst) is cut back to two
//! frames, so the mix lags a speaker by 40 ms at the most.

use crate::g711::Law;
use crate::session::FRAME;

/// The most a voice keeps: eight frames (a far end's packets may carry up to 150 ms;
/// a longer one keeps its last 160 ms).
const CAPACITY: usize = FRAME * 8;

/// The most a voice has waiting when a frame is taken: what lies beyond is dropped,
/// oldest first.
const MOST_BEHIND: usize = FRAME * 2;

/// One party's audio waiting to be mixed: a ring of linear samples.
#[derive(Debug)]
pub(crate) struct Voice {
    samples: Box<[i16; CAPACITY]>,
    /// Where the oldest sample waiting is.
    start: usize,
    /// How many are waiting.
    len: usize,
}

impl Voice {
    pub(crate) fn new() -> Voice {
        Voice {
            samples: Box::new([0; CAPACITY]),
            start: 0,
            len: 0,
        }
    }

    /// Decodes a packet's `codes` and adds them after what is waiting; when full, the
    /// oldest samples make room.
    pub(crate) fn hear(&mut self, law: Law, codes: &[u8]) {
        let codes = &codes[codes.len().saturating_sub(CAPACITY)..];
        let overflow = (self.len + codes.len()).saturating_sub(CAPACITY);
        self.drop_oldest(overflow);
        let mut at = (self.start + self.len) % CAPACITY;
        for &code in codes {
            self.samples[at] = law.decode(code);
            at = (at + 1) % CAPACITY;
        }
        self.len += codes.len();
    }

    /// The next frame into `frame`: silence when less than a frame is waiting (what is
    /// there waits for the rest).
    pub(crate) fn take_frame(&mut self, frame: &mut [i16; FRAME]) {
        self.drop_oldest(self.len.saturating_sub(MOST_BEHIND));
        if self.len < FRAME {
            frame.fill(0);
            return;
        }
        for (i, sample) in frame.iter_mut().enumerate() {
            *sample = self.samples[(self.start + i) % CAPACITY];
        }
        self.drop_oldest(FRAME);
    }

    fn drop_oldest(&mut self, n: usize) {
        let n = n.min(self.len);
        self.start = (self.start + n) % CAPACITY;
        self.len -= n;
    }
}

/// The sum of the `frames` whose `heard` is true, each sample saturated to 16 bits (a
/// clipped peak is heard as such; a wrapped one would be a loud click).
pub(crate) fn sum<const N: usize>(
    frames: &[[i16; FRAME]; N],
    heard: [bool; N],
    out: &mut [i16; FRAME],
) {
    for (i, sample) in out.iter_mut().enumerate() {
        let total: i32 = frames
            .iter()
            .zip(heard)
            .filter(|(_, heard)| *heard)
            .map(|(frame, _)| i32::from(frame[i]))
            .sum();
        *sample = total.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_saturate_instead_of_wrapping() {
        let frames = [[30_000; FRAME], [10_000; FRAME], [-25_000; FRAME]];
        let mut out = [0; FRAME];
        sum(&frames, [true, true, false], &mut out);
        assert_eq!(out, [i16::MAX; FRAME]);
        sum(&frames, [false, true, true], &mut out);
        assert_eq!(out, [-15_000; FRAME]);
        sum(
            &[[-30_000; FRAME], [-30_000; FRAME]],
            [true, true],
            &mut out,
        );
        assert_eq!(out, [i16::MIN; FRAME]);
        sum(&frames, [false; 3], &mut out);
        assert_eq!(out, [0; FRAME]);
    }

    #[test]
    fn a_voice_gives_frames_in_order_silence_when_short_and_drops_what_lags() {
        let mut voice = Voice::new();
        let mut frame = [1; FRAME];
        voice.take_frame(&mut frame);
        assert_eq!(frame, [0; FRAME], "nothing said: silence");

        // Half a frame waits for its other half.
        let level = |n: i16| Law::Pcmu.encode(n);
        voice.hear(Law::Pcmu, &[level(1000); FRAME / 2]);
        voice.take_frame(&mut frame);
        assert_eq!(frame, [0; FRAME]);
        voice.hear(Law::Pcmu, &[level(1000); FRAME / 2]);
        voice.take_frame(&mut frame);
        let thousand = Law::Pcmu.decode(level(1000));
        assert_eq!(frame, [thousand; FRAME]);

        // A burst of four frames: the two oldest are dropped, the mix stays close.
        for n in [1000, 2000, 4000, 8000] {
            voice.hear(Law::Pcma, &[Law::Pcma.encode(n); FRAME]);
        }
        voice.take_frame(&mut frame);
        assert_eq!(frame[0], Law::Pcma.decode(Law::Pcma.encode(4000)));
        voice.take_frame(&mut frame);
        assert_eq!(frame[0], Law::Pcma.decode(Law::Pcma.encode(8000)));
        voice.take_frame(&mut frame);
        assert_eq!(frame, [0; FRAME]);

        // More than it can hold at once: the newest samples are kept.
        let mut long = vec![Law::Pcmu.encode(-500); CAPACITY];
        long.extend([Law::Pcmu.encode(700); FRAME]);
        voice.hear(Law::Pcmu, &long);
        voice.take_frame(&mut frame);
        assert_eq!(frame[FRAME - 1], Law::Pcmu.decode(Law::Pcmu.encode(-500)));
        voice.take_frame(&mut frame);
        assert_eq!(frame, [Law::Pcmu.decode(Law::Pcmu.encode(700)); FRAME]);
    }
}
