//! Fused output-layer losses: `shaders/loss.wgsl` ↔ [`crate::cpu::softmax_cross_entropy`],
//! [`crate::cpu::sigmoid_bce`]. Tests: `tests/loss.rs`.

use super::{build, groups_1d, shape_err, to_u32, Dispatch};
use crate::error::Result;
use crate::gpu::Gpu;
use crate::tensor::Tensor;

const SRC: &str = include_str!("../../../../shaders/loss.wgsl");

/// Which output layer and loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossKind {
    /// Softmax over the classes with cross-entropy.
    SoftmaxCrossEntropy,
    /// Independent sigmoid per class with binary cross-entropy (the study's output layer).
    SigmoidBce,
}

impl LossKind {
    fn entry(self) -> &'static str {
        match self {
            LossKind::SoftmaxCrossEntropy => "softmax_cross_entropy",
            LossKind::SigmoidBce => "sigmoid_bce",
        }
    }
}

/// Writes `grad = dL/dlogits · scale` and `stats[row] = (loss, correct)` for every row.
pub fn loss(
    gpu: &Gpu,
    kind: LossKind,
    logits: &Tensor,
    targets: &Tensor,
    grad: &Tensor,
    stats: &Tensor,
    scale: f32,
) -> Result<Dispatch> {
    let (rows, classes) = (logits.rows(), logits.cols());
    if targets.shape() != logits.shape() || grad.shape() != logits.shape() {
        return Err(shape_err(
            "loss",
            format!(
                "logits {:?}, targets {:?} and grad {:?} must have one shape",
                logits.shape(),
                targets.shape(),
                grad.shape()
            ),
        ));
    }
    if stats.len() != 2 * rows {
        return Err(shape_err(
            "loss",
            format!("stats has {} elements, expected 2 × {rows}", stats.len()),
        ));
    }
    let params: [u32; 4] = [
        to_u32("loss", "rows", rows)?,
        to_u32("loss", "classes", classes)?,
        scale.to_bits(),
        0,
    ];
    let pipeline = gpu.pipeline("loss.wgsl", SRC, kind.entry(), &[])?;
    build(
        gpu,
        format!("{} {rows}x{classes}", kind.entry()),
        pipeline,
        Some(bytemuck::cast_slice(&params)),
        &[
            (1, logits.binding()),
            (2, targets.binding()),
            (3, grad.binding()),
            (4, stats.binding()),
        ],
        groups_1d(rows),
    )
}
