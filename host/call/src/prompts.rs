//! The prompts calls play: files of the prompts folder, converted once to a leg's law
//! and cached (the media crate's `PromptCache`), read off the async executor.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ringhost_media::{Law, Prompt, PromptCache};

use crate::leg::Leg;

/// The prompts folder and its cache.
#[derive(Clone)]
pub struct Prompts {
    dir: PathBuf,
    cache: Arc<PromptCache>,
}

impl Prompts {
    /// Prompts read from `dir` (relative names are joined to it).
    pub fn new(dir: impl Into<PathBuf>) -> Prompts {
        Prompts {
            dir: dir.into(),
            cache: Arc::default(),
        }
    }

    /// Starts `audio` on the answered leg; false when there is none to play (unset, or
    /// a file that cannot be played: a log line names it as `what`).
    pub async fn play(&self, audio: Option<&str>, leg: &mut Leg, what: &str) -> bool {
        let Some(audio) = audio else {
            return false;
        };
        match (self.load(audio, leg, what).await, leg.media()) {
            (Some(prompt), Some(media)) => {
                media.play(vec![prompt]);
                true
            }
            _ => false,
        }
    }

    /// Loops `music` on the leg; a file that cannot be played leaves comfort noise.
    pub async fn hold_music(&self, music: &str, leg: &mut Leg) {
        if let (Some(prompt), Some(media)) =
            (self.load(music, leg, "music on hold").await, leg.media())
        {
            media.play_loop(prompt);
        }
    }

    /// The prompt `file` in the leg's law (read off the async executor, cached);
    /// `None`, after a log line naming it as `what`, when it cannot be played.
    async fn load(&self, file: &str, leg: &mut Leg, what: &str) -> Option<Arc<Prompt>> {
        let law = leg.media()?.negotiated().law;
        let (path, cache) = (self.dir.join(file), self.cache.clone());
        match tokio::task::spawn_blocking(move || cache.load(&path, law)).await {
            Ok(Ok(prompt)) => Some(prompt),
            Ok(Err(error)) => {
                tracing::warn!(%file, %error, "{what} cannot be played");
                None
            }
            Err(_) => None,
        }
    }

    /// An IVR script's prompt `name` in `law`, read on this thread (the script's own
    /// calls already run in `block_in_place`): `NAME.wav` of the folder, or the name as
    /// given when it ends in `.wav`. `None`, after a log line, when it cannot be played.
    pub(crate) fn named(&self, name: &str, law: Law) -> Option<Arc<Prompt>> {
        let path = prompt_path(&self.dir, name);
        match tokio::task::block_in_place(|| self.cache.load(&path, law)) {
            Ok(prompt) => Some(prompt),
            Err(error) => {
                tracing::warn!(prompt = %path.display(), %error, "IVR prompt not played");
                None
            }
        }
    }
}

/// A prompt's file: `NAME.wav` in the prompts folder, or the name as given when it
/// already ends in `.wav`.
fn prompt_path(folder: &Path, name: &str) -> PathBuf {
    if name.ends_with(".wav") {
        folder.join(name)
    } else {
        folder.join(format!("{name}.wav"))
    }
}
