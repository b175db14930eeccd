//! Signals and the drain of calls in progress.
//!
//! On the first SIGINT or SIGTERM the host drains: [`Shutdown::draining`] is cancelled,
//! so nothing starts a new call, while the calls in progress (tasks spawned on
//! [`Shutdown::calls`]) may go on for the configured drain timeout. Then
//! [`Shutdown::hangup`] is cancelled: every call still up hangs up, and the HTTP server
//! stops. A second signal cuts the wait short, for the operator who cannot wait.

use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How long calls get to send their BYE and write their last state once told to hang up.
const HANGUP_GRACE: Duration = Duration::from_secs(5);

/// The host's shutdown state, shared by everything that starts or carries calls.
#[derive(Clone, Default)]
pub(crate) struct Shutdown {
    /// Cancelled at the first signal: start no new call.
    pub(crate) draining: CancellationToken,
    /// Cancelled when the drain time is over: hang up now.
    pub(crate) hangup: CancellationToken,
    /// Every call in progress runs as a task on this tracker.
    pub(crate) calls: TaskTracker,
}

impl Shutdown {
    /// Drains: no new calls, then waits for the calls in progress up to `timeout` (or a
    /// second signal), then tells the rest to hang up and gives them a short grace.
    pub(crate) async fn drain(&self, timeout: Duration) {
        self.draining.cancel();
        self.calls.close();
        let in_progress = self.calls.len();
        if in_progress > 0 {
            tracing::info!(
                in_progress,
                ?timeout,
                "waiting for calls in progress to end"
            );
        }
        tokio::select! {
            () = self.calls.wait() => {}
            () = tokio::time::sleep(timeout) => {
                tracing::warn!(still_up = self.calls.len(), "drain time over: hanging up");
            }
            signal = wait_for_signal() => {
                tracing::warn!(signal = signal.unwrap_or("?"), "second signal: hanging up now");
            }
        }
        self.hangup.cancel();
        if tokio::time::timeout(HANGUP_GRACE, self.calls.wait())
            .await
            .is_err()
        {
            tracing::error!(
                still_up = self.calls.len(),
                "calls did not end after hangup"
            );
        }
    }
}

/// Waits for SIGINT or SIGTERM and names it.
///
/// # Errors
/// When the signal handlers cannot be installed.
pub(crate) async fn wait_for_signal() -> std::io::Result<&'static str> {
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(tokio::select! {
        _ = interrupt.recv() => "SIGINT",
        _ = terminate.recv() => "SIGTERM",
    })
}
