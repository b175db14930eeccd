//! Why a plugin call or load failed. Every kind falls back to the built-in behaviour;
//! the kind says what to log and count.

/// A failed plugin call.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The call ran past its deadline and was interrupted.
    #[error("ran past its deadline")]
    Deadline,
    /// The guest tried to grow its memory past the limit.
    #[error("went over its memory limit")]
    Memory,
    /// The guest trapped (a panic, an unreachable, a bad access).
    #[error("trapped: {0}")]
    Trap(String),
}

impl CallError {
    /// Classifies a wasmtime error from a call.
    pub(crate) fn from_wasmtime(error: &wasmtime::Error, memory_refused: bool) -> CallError {
        if memory_refused {
            return CallError::Memory;
        }
        match error.downcast_ref::<wasmtime::Trap>() {
            Some(wasmtime::Trap::Interrupt) => CallError::Deadline,
            _ => CallError::Trap(format!("{error:#}")),
        }
    }

    /// Counts the failure in `ringhost_plugin_failures_total`.
    pub(crate) fn count(&self, plugin: &str) {
        metrics::counter!("ringhost_plugin_failures_total", "plugin" => plugin.to_owned(), "reason" => self.label())
            .increment(1);
    }

    /// The label of `ringhost_plugin_failures_total`.
    pub fn label(&self) -> &'static str {
        match self {
            CallError::Deadline => "deadline",
            CallError::Memory => "memory",
            CallError::Trap(_) => "trap",
        }
    }
}

/// A package that cannot become a running plugin.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The package cannot be read.
    #[error(transparent)]
    Package(#[from] crate::package::PackageError),
    /// Its manifest names another kind than the one asked for.
    #[error("{name} is a {found} plugin, not a {wanted}")]
    WrongKind {
        /// The plugin.
        name: String,
        /// What its manifest says.
        found: &'static str,
        /// What was asked for.
        wanted: &'static str,
    },
    /// The component does not compile, or does not fit its world (imports the host
    /// does not give, exports missing).
    #[error("{name}: {reason}")]
    Component {
        /// The plugin.
        name: String,
        /// wasmtime's words.
        reason: String,
    },
}
