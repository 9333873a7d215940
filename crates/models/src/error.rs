//! Errors of model building, training, checkpoints and transfer.

use std::path::PathBuf;

use crate::config::ConfigField;

/// What can go wrong in oddeven-models. Messages name the file, layer or option at fault.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error(transparent)]
    Core(#[from] oddeven_core::CoreError),

    #[error("invalid {what}: {detail}")]
    Invalid { what: &'static str, detail: String },

    /// A training configuration value out of range; the CLI maps `field` to its flag.
    #[error("{field}: {detail}")]
    Config { field: ConfigField, detail: String },

    /// A `--model` value that is neither a preset nor a valid spec string.
    #[error("invalid model {spec:?}: {detail}")]
    Spec { spec: String, detail: String },

    /// A layer that does not fit its input, or a model too large for the device.
    #[error("{layer}: {detail}")]
    Shape { layer: String, detail: String },

    #[error("checkpoint {path}: {detail}")]
    Checkpoint { path: PathBuf, detail: String },

    #[error("checkpoint {path} holds the model {found}, but the run needs {expected}")]
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
