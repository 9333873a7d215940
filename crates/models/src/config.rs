//! How a run trains ([`TrainConfig`], checked by one validator), and what it reports.

use std::fmt;

use oddeven_core::kernels::adam::AdamConfig;

use crate::error::{ModelError, Result};

/// Learning-rate schedule over epochs (the `--schedule` flag).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Schedule {
    /// The same learning rate every epoch (the study).
    #[default]
    Constant,
    /// Cosine annealing from the learning rate to 0 over the epochs (per epoch, as
    /// PyTorch's CosineAnnealingLR with T_max = epochs).
    Cosine,
}

/// Stop when the validation loss has not improved for `patience` epochs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EarlyStopping {
    pub patience: usize,
}

/// The configuration values [`TrainConfig::validate`] can refuse; the CLI maps each to
/// its flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigField {
    Epochs,
    LearningRate,
    BatchSize,
    Patience,
    EvalEvery,
    FrozenLayers,
}

impl fmt::Display for ConfigField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConfigField::Epochs => "epochs",
            ConfigField::LearningRate => "learning rate",
            ConfigField::BatchSize => "batch size",
            ConfigField::Patience => "patience",
            ConfigField::EvalEvery => "evaluation interval",
            ConfigField::FrozenLayers => "frozen layers",
        })
    }
}

/// How to train. Defaults are the study's: Adam lr 0.01, 300 full-batch epochs.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    pub epochs: usize,
    pub adam: AdamConfig,
    /// None = full batch.
    pub batch_size: Option<usize>,
    pub schedule: Schedule,
    pub early_stopping: Option<EarlyStopping>,
    /// Seed of the minibatch shuffles.
    pub seed: u64,
    /// Layers before this index of the layer list are frozen: no gradients, no Adam state.
    pub first_trained_layer: usize,
    /// Read metrics back for progress about this often (wall time; the interval in epochs
    /// is re-estimated at each reading). None: no readback until the run ends.
    pub progress_interval: Option<std::time::Duration>,
    /// Evaluate on the test set every this many epochs (a sync each time).
    pub eval_every: Option<usize>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 300,
            adam: AdamConfig::default(),
            batch_size: None,
            schedule: Schedule::Constant,
            early_stopping: None,
            seed: 42,
            first_trained_layer: 0,
            progress_interval: Some(std::time::Duration::from_millis(500)),
            eval_every: None,
        }
    }
}

fn refuse(field: ConfigField, detail: impl Into<String>) -> ModelError {
    ModelError::Config {
        field,
        detail: detail.into(),
    }
}

impl TrainConfig {
    /// Every value in range, for a model of `layers` layers; the error names the field.
    pub fn validate(&self, layers: usize) -> Result<()> {
        if self.epochs == 0 {
            return Err(refuse(ConfigField::Epochs, "must be at least 1"));
        }
        let lr = self.adam.lr;
        if !(lr.is_finite() && lr > 0.0) {
            return Err(refuse(
                ConfigField::LearningRate,
                format!("{lr} is not a positive learning rate"),
            ));
        }
        if self.batch_size == Some(0) {
            return Err(refuse(ConfigField::BatchSize, "must be at least 1"));
        }
        if self.early_stopping.is_some_and(|e| e.patience == 0) {
            return Err(refuse(ConfigField::Patience, "must be at least 1"));
        }
        if self.eval_every == Some(0) {
            return Err(refuse(ConfigField::EvalEvery, "must be at least 1"));
        }
        if self.first_trained_layer >= layers {
            return Err(refuse(
                ConfigField::FrozenLayers,
                format!(
                    "layer {} of {layers} cannot be the first trained one: at least the output layer must train",
                    self.first_trained_layer + 1
                ),
            ));
        }
        Ok(())
    }

    /// The learning rate of `epoch` (1-based).
    pub fn lr_at(&self, epoch: usize) -> f32 {
        match self.schedule {
            Schedule::Constant => self.adam.lr,
            Schedule::Cosine => {
                let progress = (epoch - 1) as f64 / self.epochs as f64;
                (self.adam.lr as f64 * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())) as f32
            }
        }
    }
}

/// Progress of a run, passed to the caller's callback about every `progress_interval`.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub epoch: usize,
    pub epochs: usize,
    pub loss: f32,
    pub train_accuracy: f64,
    pub seconds: f64,
}

/// Everything a run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainReport {
    pub initial_train_accuracy: f64,
    pub initial_test_accuracy: f64,
    pub train_accuracy: f64,
    pub test_accuracy: f64,
    /// Loss of the final weights on the training set.
    pub final_loss: f32,
    /// Mean training loss of each epoch (for full batch: of the weights before that
    /// epoch's update).
    pub loss_history: Vec<f32>,
    /// Entry k: training accuracy after k epochs; entry 0 = initial weights. Full batch:
    /// exact, from each step's forward pass. Minibatch: entry k ≥ 1 is the running
    /// accuracy over epoch k's batches, and the last entry the final evaluation.
    pub train_accuracy_history: Vec<f64>,
    pub test_confusion: Vec<Vec<u64>>,
    /// (epoch, test accuracy) every `eval_every` epochs and after the last one (epoch 0:
    /// the initial weights); empty without `eval_every`.
    pub test_accuracy_history: Vec<(usize, f64)>,
    /// Per test example: the final model classified it correctly (for McNemar's test).
    pub test_correct: Vec<bool>,
    /// Wall time of the epoch loop alone.
    pub train_seconds: f64,
    pub epochs_run: usize,
    /// What ran it (adapter or backend).
    pub adapter: String,
}
