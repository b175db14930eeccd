//! Prompts from WAV files of the shapes admins upload.

use std::f32::consts::PI;
use std::path::Path;

use super::*;

/// Writes `seconds` of a `freq` Hz sine at `rate` Hz with `channels` channels.
fn write_tone(path: &Path, rate: u32, channels: u16, float: bool, freq: f32, seconds: f32) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: if float { 32 } else { 16 },
        sample_format: if float {
            hound::SampleFormat::Float
        } else {
            hound::SampleFormat::Int
        },
    };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..(rate as f32 * seconds) as u32 {
        let v = 0.5 * (2.0 * PI * freq * i as f32 / rate as f32).sin();
        for _ in 0..channels {
            if float {
                writer.write_sample(v).unwrap();
            } else {
                writer.write_sample((v * 32767.0) as i16).unwrap();
            }
        }
    }
    writer.finalize().unwrap();
}

/// The share of the signal's power at `freq` (a DFT bin over the middle of the signal).
fn share_at(samples: &[i16], freq: f32) -> f32 {
    let middle = &samples[samples.len() / 4..samples.len() * 3 / 4];
    let (mut re, mut im, mut energy) = (0.0f32, 0.0f32, 0.0f32);
    for (i, &s) in middle.iter().enumerate() {
        let s = f32::from(s);
        let phase = 2.0 * PI * freq * i as f32 / SAMPLE_RATE as f32;
        re += s * phase.cos();
        im += s * phase.sin();
        energy += s * s;
    }
    (re * re + im * im) / (energy * middle.len() as f32 / 2.0)
}

#[test]
fn any_rate_and_channel_count_becomes_8khz_mono() {
    let dir = tempfile::tempdir().unwrap();
    for (rate, channels, float) in [
        (8000, 1, false),
        (16000, 2, false),
        (44100, 1, false),
        (48000, 2, true),
    ] {
        let path = dir.path().join(format!("tone-{rate}-{channels}.wav"));
        write_tone(&path, rate, channels, float, 1000.0, 1.0);
        let samples = read_wav(&path).unwrap();
        assert_eq!(
            samples.len(),
            8000,
            "{rate} Hz x{channels}: one second is 8000 samples"
        );
        // Still a 1 kHz tone, at about half scale.
        let share = share_at(&samples, 1000.0);
        assert!(
            share > 0.95,
            "{rate} Hz x{channels}: {share} of the power at 1 kHz"
        );
        let peak = samples.iter().map(|s| s.unsigned_abs()).max().unwrap();
        assert!(
            (15000..=17500).contains(&peak),
            "{rate} Hz x{channels}: peak {peak}"
        );
    }
}

#[test]
fn the_cache_converts_once_and_again_when_the_file_changes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("welcome.wav");
    write_tone(&path, 8000, 1, false, 500.0, 0.5);
    let cache = PromptCache::new();
    let first = cache.load(&path, Law::Pcma).unwrap();
    assert_eq!(first.codes.len(), 4000);
    assert!(
        Arc::ptr_eq(&first, &cache.load(&path, Law::Pcma).unwrap()),
        "cached"
    );
    let ulaw = cache.load(&path, Law::Pcmu).unwrap();
    assert_eq!(ulaw.law, Law::Pcmu);
    assert_ne!(ulaw.codes, first.codes, "a law each");
    write_tone(&path, 8000, 1, false, 500.0, 0.25);
    assert_eq!(
        cache.load(&path, Law::Pcma).unwrap().codes.len(),
        2000,
        "the new file"
    );
}

#[test]
fn bad_files_are_refused_with_their_path() {
    let dir = tempfile::tempdir().unwrap();
    let cache = PromptCache::new();
    let missing = dir.path().join("missing.wav");
    let error = cache.load(&missing, Law::Pcmu).unwrap_err().to_string();
    assert!(error.contains("missing.wav"), "{error}");
    let text = dir.path().join("notes.wav");
    std::fs::write(&text, "not a wav file").unwrap();
    assert!(matches!(
        cache.load(&text, Law::Pcmu),
        Err(PromptError::Wav { .. })
    ));
    let empty = dir.path().join("empty.wav");
    write_tone(&empty, 8000, 1, false, 500.0, 0.0);
    assert!(matches!(
        cache.load(&empty, Law::Pcmu),
        Err(PromptError::Empty(_))
    ));
}

#[test]
fn comfort_noise_is_never_digital_silence() {
    for law in [Law::Pcmu, Law::Pcma] {
        let noise = comfort_noise(law);
        let silence = law.encode(0);
        for frame in noise.codes.chunks(160) {
            assert!(
                frame.iter().any(|&c| c != silence),
                "{law:?}: a silent frame"
            );
            let rms = (frame
                .iter()
                .map(|&c| f32::from(law.decode(c)).powi(2))
                .sum::<f32>()
                / 160.0)
                .sqrt();
            assert!(
                (5.0..60.0).contains(&rms),
                "{law:?}: noise RMS {rms} is not low-level"
            );
        }
    }
}
