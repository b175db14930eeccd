//! How a user's operation on the dialer fails: refused (the request is at fault: the
//! API answers 4xx with the reason) or failed (the host is: its database), as a type,
//! so that callers match on it instead of searching an error's chain.

/// Why a request is refused: the API turns these into 4xx answers.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// No such object.
    #[error("{0} not found")]
    NotFound(String),
    /// The request contradicts the object's state or the rules.
    #[error("{0}")]
    Conflict(String),
    /// The request itself is malformed.
    #[error("{0}")]
    Invalid(String),
}

/// A user's operation that did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Refused: nothing changed, and the reason is for the user.
    #[error(transparent)]
    Refused(#[from] Refused),
    /// The host failed (the database cannot be read or written); the reason is for
    /// the operator's log.
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

impl From<serde_json::Error> for AdminError {
    fn from(error: serde_json::Error) -> AdminError {
        AdminError::Failed(error.into())
    }
}

/// What a user's operation returns.
pub type AdminResult<T> = Result<T, AdminError>;
