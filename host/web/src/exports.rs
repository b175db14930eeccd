//! Report exports run in the background: a download of a million lines takes
//! seconds, so the page starts it, shows how many lines are written of how many, and
//! hands over the file when it is complete. Each export writes to a temporary file
//! (deleted with it) and is seen only by the user who started it; exports are kept an
//! hour, and a user runs at most [`RUNNING_PER_USER`] at once, so that no one fills
//! the disk or the processors.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ringhost_reports::export::{self, Format};
use ringhost_reports::{Locale, Output, Report};

/// Exports one user may have running at once.
pub const RUNNING_PER_USER: usize = 2;
/// How long a finished export's file is kept.
pub const KEPT: Duration = Duration::from_secs(3600);

/// Where an export stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportState {
    /// Lines are being written.
    Running,
    /// The file is complete.
    Done,
    /// It stopped: why, for the log (the page says only that it failed).
    Failed,
}

impl ExportState {
    /// Its name in the status JSON and the page.
    pub fn as_str(&self) -> &'static str {
        match self {
            ExportState::Running => "running",
            ExportState::Done => "done",
            ExportState::Failed => "failed",
        }
    }
}

/// One export.
#[derive(Debug)]
pub struct Export {
    /// Its id in addresses: random, so that it cannot be guessed.
    pub id: String,
    /// The user who started it (only they see it).
    pub owner: i64,
    /// The report.
    pub report: Report,
    /// The file's format.
    pub format: Format,
    /// The lines there were when it started (0: not known beforehand).
    pub total: u64,
    /// Lines written so far.
    pub rows: AtomicU64,
    state: Mutex<ExportState>,
    file: tempfile::NamedTempFile,
    started: Instant,
}

impl Export {
    /// Where it stands.
    pub fn state(&self) -> ExportState {
        self.state
            .lock()
            .map(|s| s.clone())
            .unwrap_or(ExportState::Failed)
    }

    /// The complete file's path (while the export is kept).
    pub fn path(&self) -> &std::path::Path {
        self.file.path()
    }

    /// Its file's name for the browser.
    pub fn disposition(&self) -> String {
        self.format.disposition(self.report.as_str())
    }
}

/// Why an export was not started.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The user has [`RUNNING_PER_USER`] running.
    #[error("too many exports running")]
    TooMany,
    /// No temporary file could be made.
    #[error("cannot make the export's file: {0}")]
    File(#[from] std::io::Error),
}

/// The exports of every user.
#[derive(Debug, Default)]
pub struct Exports {
    jobs: Mutex<HashMap<String, Arc<Export>>>,
}

impl Exports {
    /// Starts writing `output` of `report` in `format` for user `owner`.
    ///
    /// # Errors
    /// [`StartError`].
    pub fn start(
        &self,
        owner: i64,
        report: Report,
        format: Format,
        output: Output,
        locale: Locale,
    ) -> Result<Arc<Export>, StartError> {
        let mut jobs = self.jobs.lock().map_err(|_| StartError::TooMany)?;
        jobs.retain(|_, job| job.started.elapsed() < KEPT);
        let running = jobs
            .values()
            .filter(|job| job.owner == owner && job.state() == ExportState::Running)
            .count();
        if running >= RUNNING_PER_USER {
            return Err(StartError::TooMany);
        }
        let total = output.tables.iter().map(|t| t.rows.total()).sum();
        let file = tempfile::Builder::new()
            .prefix("ringhost-export-")
            .tempfile()?;
        let out = file.reopen()?;
        let job = Arc::new(Export {
            id: crate::session::new_token(),
            owner,
            report,
            format,
            total,
            rows: AtomicU64::new(0),
            state: Mutex::new(ExportState::Running),
            file,
            started: Instant::now(),
        });
        jobs.insert(job.id.clone(), job.clone());
        drop(jobs);
        let writing = job.clone();
        tokio::task::spawn_blocking(move || {
            let out = std::io::BufWriter::with_capacity(1 << 16, out);
            let name = writing.report.as_str();
            let result = export::write(output, name, format, &locale, out, &writing.rows);
            let state = match result {
                Ok(()) => ExportState::Done,
                Err(error) => {
                    tracing::error!(
                        report = name,
                        error = format!("{error:#}"),
                        "an export failed"
                    );
                    ExportState::Failed
                }
            };
            if let Ok(mut current) = writing.state.lock() {
                *current = state;
            }
        });
        Ok(job)
    }

    /// Export `id`, if user `owner` started it and it is kept.
    pub fn get(&self, id: &str, owner: i64) -> Option<Arc<Export>> {
        let jobs = self.jobs.lock().ok()?;
        jobs.get(id)
            .filter(|job| job.owner == owner && job.started.elapsed() < KEPT)
            .cloned()
    }
}

/// The share of an export written, for its progress bar (0 to 1; unknown totals
/// show as half way until done).
pub fn done_share(job: &Export) -> f64 {
    match job.state() {
        ExportState::Done => 1.0,
        _ if job.total == 0 => 0.5,
        _ => (job.rows.load(Ordering::Relaxed) as f64 / job.total as f64).min(0.99),
    }
}
