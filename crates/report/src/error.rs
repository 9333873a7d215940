//! The one error type of this crate. Every variant names the file (or directory) involved.

use std::path::PathBuf;

/// What went wrong while reading a run directory or writing its outputs.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// `summary.json` is missing: the directory is not a run directory, or the run that
    /// should have produced it did not finish.
    #[error(
        "{} not found: {} is not an oddeven run directory, or the run is incomplete \
         (summary.json is written when a run finishes)",
        path.display(),
        dir.display()
    )]
    NotARunDirectory { dir: PathBuf, path: PathBuf },

    /// A file exists but is not valid summary JSON.
    #[error("{} is not a valid oddeven summary: {source}", path.display())]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },

    /// A filesystem operation failed (`action` says which, e.g. "write", "rename").
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Drawing or encoding a picture failed.
    #[error("cannot draw {}: {message}", path.display())]
    Plot { path: PathBuf, message: String },
}

impl ReportError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        ReportError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn plot(path: impl Into<PathBuf>, message: impl ToString) -> Self {
        ReportError::Plot {
            path: path.into(),
            message: message.to_string(),
        }
    }
}
