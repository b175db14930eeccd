//! Prompts: WAV files converted once to a G.711 law and cached, music on hold (a prompt
//! that loops), and comfort noise.
//!
//! Any WAV that `hound` reads (8 to 32-bit integer or 32-bit float PCM, any sample rate,
//! any number of channels) is mixed down to mono, resampled to 8 kHz with `rubato`'s FFT
//! resampler (band-limited, so a 44.1 kHz file does not alias), and encoded. The cache
//! keys on the path and the law and checks the file's size and modification time, so an
//! admin who replaces a message is heard on the next call.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::SystemTime;

use rand::{Rng, SeedableRng};
use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler};

use crate::g711::{Law, SAMPLE_RATE};

/// Audio ready to send on a stream of one law.
#[derive(Debug, PartialEq, Eq)]
pub struct Prompt {
    /// Where it came from, for logs.
    pub name: String,
    /// The law its codes are in.
    pub law: Law,
    /// One code per 8 kHz sample.
    pub codes: Vec<u8>,
}

impl Prompt {
    /// Encodes 8 kHz samples.
    pub fn from_samples(name: impl Into<String>, law: Law, samples: &[i16]) -> Prompt {
        Prompt {
            name: name.into(),
            law,
            codes: law.encode_all(samples),
        }
    }

    /// Its length in milliseconds.
    pub fn duration_ms(&self) -> u64 {
        self.codes.len() as u64 * 1000 / u64::from(SAMPLE_RATE)
    }
}

/// Why a prompt cannot be played.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    /// The file cannot be read or is not a WAV file hound understands.
    #[error("cannot play {path}")]
    Wav {
        /// The file.
        path: PathBuf,
        /// What hound said.
        source: hound::Error,
    },
    /// The file holds no audio.
    #[error("{0}: the file holds no audio")]
    Empty(PathBuf),
    /// Resampling failed (an unusable sample rate).
    #[error("{path}: cannot resample from {rate} Hz: {reason}")]
    Resample {
        /// The file.
        path: PathBuf,
        /// Its sample rate.
        rate: u32,
        /// What the resampler said.
        reason: String,
    },
}

/// Prompts converted once per law and kept while their file is unchanged.
#[derive(Debug, Default)]
pub struct PromptCache {
    entries: Mutex<HashMap<(PathBuf, Law), Cached>>,
}

#[derive(Debug)]
struct Cached {
    stamp: (u64, Option<SystemTime>),
    prompt: Arc<Prompt>,
}

impl PromptCache {
    /// A cache with nothing in it.
    pub fn new() -> PromptCache {
        PromptCache::default()
    }

    /// The prompt in `path`, in `law`: from the cache when the file has not changed since
    /// it was converted. Reads and resamples the file otherwise, so callers on the async
    /// executor run it with `spawn_blocking`.
    ///
    /// # Errors
    /// When the file is missing, not a WAV file, or empty.
    pub fn load(&self, path: &Path, law: Law) -> Result<Arc<Prompt>, PromptError> {
        let stamp = std::fs::metadata(path)
            .map(|m| (m.len(), m.modified().ok()))
            .map_err(|e| PromptError::Wav {
                path: path.into(),
                source: hound::Error::IoError(e),
            })?;
        let key = (path.to_path_buf(), law);
        if let Some(cached) = self
            .entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            && cached.stamp == stamp
        {
            return Ok(cached.prompt.clone());
        }
        let samples = read_wav(path)?;
        let prompt = Arc::new(Prompt::from_samples(
            path.display().to_string(),
            law,
            &samples,
        ));
        tracing::debug!(path = %path.display(), ?law, ms = prompt.duration_ms(), "prompt converted");
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                key,
                Cached {
                    stamp,
                    prompt: prompt.clone(),
                },
            );
        Ok(prompt)
    }
}

/// A WAV file as 8 kHz mono samples.
///
/// # Errors
/// As [`PromptCache::load`].
pub fn read_wav(path: &Path) -> Result<Vec<i16>, PromptError> {
    let wav_error = |source| PromptError::Wav {
        path: path.into(),
        source,
    };
    let mut reader = hound::WavReader::open(path).map_err(wav_error)?;
    let spec = reader.spec();
    let channels = usize::from(spec.channels.max(1));
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader
            .samples::<f32>()
            .collect::<Result<_, _>>()
            .map_err(wav_error)?,
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.map(|s| s as f32 * scale))
                .collect::<Result<_, _>>()
                .map_err(wav_error)?
        }
    };
    let mono: Vec<f32> = interleaved
        .chunks_exact(channels)
        .map(|frame| frame.iter().sum::<f32>() / channels as f32)
        .collect();
    if mono.is_empty() {
        return Err(PromptError::Empty(path.into()));
    }
    let resampled = if spec.sample_rate == SAMPLE_RATE {
        mono
    } else {
        resample(&mono, spec.sample_rate).map_err(|reason| PromptError::Resample {
            path: path.into(),
            rate: spec.sample_rate,
            reason,
        })?
    };
    Ok(resampled
        .iter()
        .map(|s| (s * 32767.0).clamp(-32768.0, 32767.0) as i16)
        .collect())
}

fn resample(mono: &[f32], rate: u32) -> Result<Vec<f32>, String> {
    let mut resampler = Fft::<f32>::new(
        rate as usize,
        SAMPLE_RATE as usize,
        1024,
        1,
        FixedSync::Input,
    )
    .map_err(|e| e.to_string())?;
    let input = InterleavedSlice::new(mono, 1, mono.len()).map_err(|e| e.to_string())?;
    let output = resampler
        .process_all(&input, mono.len(), None)
        .map_err(|e| e.to_string())?;
    let mut samples = output.take_data();
    // process_all trims the resampler's delay; keep exactly the expected length.
    samples.truncate((mono.len() as u64 * u64::from(SAMPLE_RATE) / u64::from(rate)) as usize);
    Ok(samples)
}

/// Ten seconds of low-level white noise (about -66 dBov), per law: what a caller hears
/// instead of digital silence, which the silent-call rules forbid and which makes
/// callers think the line is dead. Its RMS of 16 is above the codes of silence in both
/// laws.
pub fn comfort_noise(law: Law) -> Arc<Prompt> {
    static NOISE: LazyLock<[Arc<Prompt>; 2]> = LazyLock::new(|| {
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x5EED);
        let samples: Vec<i16> = (0..SAMPLE_RATE * 10)
            .map(|_| rng.random_range(-28..=28))
            .collect();
        [Law::Pcmu, Law::Pcma]
            .map(|law| Arc::new(Prompt::from_samples("comfort noise", law, &samples)))
    });
    NOISE[law as usize].clone()
}

#[cfg(test)]
mod tests;
