//! Per-step values: what changes from one training step to the next without changing any
//! shape — the learning rate and Adam's bias corrections, which metrics slot the step's
//! loss and correct count go to, and which rows of the epoch's permutation its minibatch
//! gathers. Ops are built once; every run of them is given a [`StepValues`].

use crate::kernels::adam::AdamConfig;

/// The values a run of a program reads. Ops that use none of them ignore them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepValues {
    /// Adam's constants; `adam.lr` is ignored in favour of [`StepValues::lr`].
    pub adam: AdamConfig,
    /// Learning rate of this step (a schedule may vary it).
    pub lr: f32,
    /// Adam's step counter t, 1-based (bias corrections 1 − β^t).
    pub adam_step: u64,
    /// The slot of the metrics buffer the step's (loss, correct) sums go to.
    pub metrics_slot: usize,
    /// Add to the slot instead of overwriting it (the minibatches of one epoch, the chunks
    /// of one evaluation).
    pub accumulate_metrics: bool,
    /// First entry of the index array the step's row gathers read.
    pub row_offset: usize,
}

impl Default for StepValues {
    fn default() -> Self {
        let adam = AdamConfig::default();
        StepValues {
            adam,
            lr: adam.lr,
            adam_step: 1,
            metrics_slot: 0,
            accumulate_metrics: false,
            row_offset: 0,
        }
    }
}

impl StepValues {
    /// Adam's bias corrections (1 − β1^t, 1 − β2^t), computed in f64.
    pub fn bias_corrections(&self) -> (f32, f32) {
        let t = self.adam_step.clamp(1, i32::MAX as u64) as i32;
        let c1 = 1.0 - (self.adam.beta1 as f64).powi(t);
        let c2 = 1.0 - (self.adam.beta2 as f64).powi(t);
        (c1 as f32, c2 as f32)
    }

    /// The `Step` uniform of the WGSL kernels (adam.wgsl, metrics.wgsl, gather.wgsl):
    /// lr, β1, β2, ε, c1, c2 as f32, then slot, accumulate, row offset as u32, padded to
    /// 48 bytes.
    pub fn to_uniform(&self) -> [u32; 12] {
        let (c1, c2) = self.bias_corrections();
        [
            self.lr.to_bits(),
            self.adam.beta1.to_bits(),
            self.adam.beta2.to_bits(),
            self.adam.eps.to_bits(),
            c1.to_bits(),
            c2.to_bits(),
            self.metrics_slot as u32,
            self.accumulate_metrics as u32,
            self.row_offset as u32,
            0,
            0,
            0,
        ]
    }
}
