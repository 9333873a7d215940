//! Errors of model building, training, checkpoints and transfer.

use std::path::PathBuf;

/// What can go wrong in oddeven-models. Messages name the file or option at fault.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error(transparent)]
    Core(#[from] oddeven_core::CoreError),

    #[error("invalid {what}: {detail}")]
    Invalid { what: &'static str, detail: String },

    #[error("checkpoint {path}: {detail}")]
    Checkpoint { path: PathBuf, detail: String },

    #[error("checkpoint {path} holds a {found} model, but the run needs a {expected} model")]
    CheckpointShape {
        path: PathBuf,
        found: String,
        expected: String,
    },

    #[error("cannot transfer {mode}: {detail}")]
    Transfer { mode: String, detail: String },
}

pub type Result<T, E = ModelError> = std::result::Result<T, E>;

pub(crate) fn invalid(what: &'static str, detail: impl Into<String>) -> ModelError {
    ModelError::Invalid {
        what,
        detail: detail.into(),
    }
}
