//! Starting a target model from a source model, and the three measures of transfer.

use std::fmt;
use std::str::FromStr;

use crate::error::{invalid, ModelError, Result};
use crate::spec::{ModelKind, ModelSpec, Params};

/// How much of the source a target keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferMode {
    /// Copy every weight, output layer included (the study).
    Full,
    /// Copy the hidden layer, start a new random output layer (the head-replacement source).
    NewHead,
    /// Copy the hidden layer and keep it fixed; train only a new output layer.
    Frozen,
}

impl TransferMode {
    pub const ALL: [TransferMode; 3] = [
        TransferMode::Full,
        TransferMode::NewHead,
        TransferMode::Frozen,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TransferMode::Full => "full",
            TransferMode::NewHead => "new-head",
            TransferMode::Frozen => "frozen",
        }
    }

    /// Index of the first trained layer under this mode.
    pub fn first_trained_layer(self) -> usize {
        match self {
            TransferMode::Frozen => 1,
            _ => 0,
        }
    }
}

impl fmt::Display for TransferMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TransferMode {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "full" => Ok(TransferMode::Full),
            "new-head" => Ok(TransferMode::NewHead),
            "frozen" => Ok(TransferMode::Frozen),
            _ => Err(invalid(
                "transfer mode",
                format!("{s:?}: expected full, new-head or frozen"),
            )),
        }
    }
}

/// Initial parameters of a target of shape `target` started from `source` in `mode`;
/// `seed` draws the new output layer where the mode needs one.
pub fn transfer(
    source: &Params,
    target: ModelSpec,
    mode: TransferMode,
    seed: u64,
) -> Result<Params> {
    let refuse = |detail: String| ModelError::Transfer {
        mode: mode.to_string(),
        detail,
    };
    let s = source.spec;
    if s.kind != target.kind
        || s.inputs != target.inputs
        || s.hidden != target.hidden
        || s.output != target.output
    {
        return Err(refuse(format!(
            "source is {s}, target is {target}: only the class count may differ"
        )));
    }
    match mode {
        TransferMode::Full => {
            if s.classes != target.classes {
                return Err(refuse(format!(
                    "the source has {} classes and the target {}; copying the output layer needs equal counts (use new-head or frozen)",
                    s.classes, target.classes
                )));
            }
            Ok(source.clone())
        }
        TransferMode::NewHead | TransferMode::Frozen => {
            if target.kind != ModelKind::Mlp {
                return Err(refuse(
                    "softmax regression has no hidden layer to keep; use full".into(),
                ));
            }
            let mut layers = source.layers[..source.layers.len() - 1].to_vec();
            layers.push(Params::fresh_head(target, seed));
            Ok(Params {
                spec: target,
                layers,
            })
        }
    }
}

/// The study's three measures of a transfer run against a scratch run on the same data.
#[derive(Debug, Clone, PartialEq)]
pub struct TransferMeasures {
    /// Initial test accuracy, transfer minus scratch.
    pub jumpstart: f64,
    pub threshold: f64,
    /// Epochs until the training accuracy first reaches the threshold (None: never).
    pub epochs_to_threshold_scratch: Option<usize>,
    pub epochs_to_threshold_transfer: Option<usize>,
    /// Those epochs times the run's mean seconds per epoch.
    pub seconds_to_threshold_scratch: Option<f64>,
    pub seconds_to_threshold_transfer: Option<f64>,
    /// Final test accuracy, transfer minus scratch.
    pub final_gain: f64,
    pub negative_transfer: bool,
}

/// Summary of one run that the measures need.
#[derive(Debug, Clone, Copy)]
pub struct RunOutcome<'a> {
    pub initial_test_accuracy: f64,
    pub test_accuracy: f64,
    pub train_accuracy_history: &'a [f64],
    pub train_seconds: f64,
}

impl<'a> From<&'a crate::TrainReport> for RunOutcome<'a> {
    fn from(r: &'a crate::TrainReport) -> Self {
        RunOutcome {
            initial_test_accuracy: r.initial_test_accuracy,
            test_accuracy: r.test_accuracy,
            train_accuracy_history: &r.train_accuracy_history,
            train_seconds: r.train_seconds,
        }
    }
}

/// First k with history[k] ≥ threshold.
pub fn epochs_to_threshold(history: &[f64], threshold: f64) -> Option<usize> {
    history.iter().position(|&a| a >= threshold)
}

pub fn measures(
    scratch: RunOutcome<'_>,
    transfer: RunOutcome<'_>,
    threshold: f64,
) -> TransferMeasures {
    let seconds = |run: &RunOutcome<'_>, epochs: Option<usize>| {
        let per_epoch =
            run.train_seconds / (run.train_accuracy_history.len().saturating_sub(1)).max(1) as f64;
        epochs.map(|e| e as f64 * per_epoch)
    };
    let es = epochs_to_threshold(scratch.train_accuracy_history, threshold);
    let et = epochs_to_threshold(transfer.train_accuracy_history, threshold);
    let final_gain = transfer.test_accuracy - scratch.test_accuracy;
    TransferMeasures {
        jumpstart: transfer.initial_test_accuracy - scratch.initial_test_accuracy,
        threshold,
        epochs_to_threshold_scratch: es,
        epochs_to_threshold_transfer: et,
        seconds_to_threshold_scratch: seconds(&scratch, es),
        seconds_to_threshold_transfer: seconds(&transfer, et),
        final_gain,
        negative_transfer: final_gain < 0.0,
    }
}
