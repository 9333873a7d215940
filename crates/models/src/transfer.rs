//! Starting a target model from a source model, and the three measures of transfer.

use std::fmt;
use std::str::FromStr;

use crate::arch::ModelSpec;
use crate::error::{ModelError, Result};
use crate::params::Params;

/// How much of the source a target keeps (the `--transfer-mode` flag).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum TransferMode {
    /// Copy every layer, output layer included (the study); class counts must match.
    Full,
    /// Copy every layer but the output layer, which starts new and random; train all.
    NewHead,
    /// As new-head, with every copied layer frozen: only the new output layer trains.
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

    /// Index of the first trained layer of `spec` under this mode.
    pub fn first_trained_layer(self, spec: &ModelSpec) -> usize {
        match self {
            TransferMode::Frozen => spec.head(),
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
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        TransferMode::ALL
            .into_iter()
            .find(|m| m.as_str() == s.trim())
            .ok_or_else(|| {
                format!("unknown transfer mode {s:?}: expected full, new-head or frozen")
            })
    }
}

/// Checks that `source` can start a model of shape `target` in `mode`: the same input,
/// layers and output kind except for the output layer's class count.
pub fn check_transfer(source: &ModelSpec, target: &ModelSpec, mode: TransferMode) -> Result<()> {
    let refuse = |detail: String| ModelError::Transfer {
        mode: mode.to_string(),
        detail,
    };
    let (s_head, t_head) = (source.head(), target.head());
    let same_body = source.input == target.input
        && source.output == target.output
        && source.layers.len() == target.layers.len()
        && source.layers[..s_head] == target.layers[..t_head]
        && source.layers[s_head].params().map(|p| p.fan_in)
            == target.layers[t_head].params().map(|p| p.fan_in);
    if !same_body {
        return Err(refuse(format!(
            "the source is {source} and the target {target}: only the class count may differ"
        )));
    }
    match mode {
        TransferMode::Full if source.classes() != target.classes() => Err(refuse(format!(
            "the source has {} classes and the target {}; copying the output layer needs equal counts (use new-head or frozen)",
            source.classes(),
            target.classes()
        ))),
        TransferMode::NewHead | TransferMode::Frozen
            if source.param_layers().len() < 2 =>
        {
            Err(refuse(format!(
                "{} has no layer with weights before its output layer, so nothing would be kept; use full",
                source.layer_string()
            )))
        }
        _ => Ok(()),
    }
}

/// Initial parameters of a target of shape `target` started from `source` in `mode`;
/// `seed` draws the new output layer where the mode needs one.
pub fn transfer(
    source: &Params,
    target: &ModelSpec,
    mode: TransferMode,
    seed: u64,
) -> Result<Params> {
    check_transfer(&source.spec, target, mode)?;
    match mode {
        TransferMode::Full => Ok(Params {
            spec: target.clone(),
            layers: source.layers.clone(),
        }),
        TransferMode::NewHead | TransferMode::Frozen => {
            let head = target.head();
            let mut layers = source.layers[..head].to_vec();
            layers.push(Some(Params::fresh_head(target, seed)?));
            Ok(Params {
                spec: target.clone(),
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
    TransferMeasures {
        jumpstart: transfer.initial_test_accuracy - scratch.initial_test_accuracy,
        threshold,
        epochs_to_threshold_scratch: es,
        epochs_to_threshold_transfer: et,
        seconds_to_threshold_scratch: seconds(&scratch, es),
        seconds_to_threshold_transfer: seconds(&transfer, et),
        final_gain: transfer.test_accuracy - scratch.test_accuracy,
    }
}
