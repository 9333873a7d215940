//! What a training run takes and gives: host data, configuration, progress and report.

use oddeven_core::kernels::adam::AdamConfig;
use oddeven_core::{Gpu, Tensor};

use crate::error::{invalid, Result};

/// Examples in host memory: features [rows, inputs] in [0, 1], labels as class indices.
#[derive(Debug, Clone, Copy)]
pub struct DataRef<'a> {
    pub features: &'a [f32],
    pub labels: &'a [u32],
    pub classes: usize,
}

impl DataRef<'_> {
    pub fn rows(&self) -> usize {
        self.labels.len()
    }

    /// One-hot rows; a label outside 0..classes is an error, not a silent zero row.
    pub fn one_hot(&self) -> Result<Vec<f32>> {
        let mut y = vec![0.0; self.rows() * self.classes];
        for (r, &l) in self.labels.iter().enumerate() {
            if l as usize >= self.classes {
                return Err(invalid(
                    "labels",
                    format!(
                        "row {r} has class {l}, but the model has {} classes",
                        self.classes
                    ),
                ));
            }
            y[r * self.classes + l as usize] = 1.0;
        }
        Ok(y)
    }

    pub(crate) fn upload(&self, gpu: &Gpu, inputs: usize, what: &str) -> Result<(Tensor, Tensor)> {
        let rows = self.rows();
        if rows == 0 {
            return Err(invalid("data", format!("the {what} set is empty")));
        }
        if self.features.len() != rows * inputs {
            return Err(invalid(
                "data",
                format!(
                    "the {what} set has {} feature values for {rows} rows of {inputs}",
                    self.features.len()
                ),
            ));
        }
        let x = Tensor::from_slice(gpu, &[rows, inputs], self.features, &format!("{what} x"))?;
        let y = Tensor::from_slice(
            gpu,
            &[rows, self.classes],
            &self.one_hot()?,
            &format!("{what} y"),
        )?;
        Ok((x, y))
    }
}

/// Learning-rate schedule over epochs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Schedule {
    #[default]
    Constant,
    /// Cosine annealing from lr to 0 over the epochs (per epoch, as PyTorch's CosineAnnealingLR with T_max = epochs).
    Cosine,
}

/// Stop when the validation loss has not improved for `patience` epochs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EarlyStopping {
    pub patience: usize,
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
    /// Layers before this index are frozen (1 = train only the output layer of an MLP).
    pub first_trained_layer: usize,
    /// Read metrics back for progress every this many epochs.
    pub report_every: usize,
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
            report_every: 10,
        }
    }
}

/// Progress of a run, passed to the caller's callback every `report_every` epochs.
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
    /// Mean training loss of each epoch (for full batch: of the weights before that epoch's update).
    pub loss_history: Vec<f32>,
    /// Entry k: training accuracy after k epochs; entry 0 = initial weights. Full batch:
    /// exact, from each step's forward pass. Minibatch: entry k ≥ 1 is the running
    /// accuracy over epoch k's batches, and the last entry the final evaluation.
    pub train_accuracy_history: Vec<f64>,
    pub test_confusion: Vec<Vec<u64>>,
    /// Wall time of the epoch loop alone.
    pub train_seconds: f64,
    pub epochs_run: usize,
    pub adapter: String,
}
