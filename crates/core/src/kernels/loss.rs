//! Fused output-layer losses: `shaders/loss.wgsl` ↔ [`crate::cpu::softmax_cross_entropy`],
//! [`crate::cpu::sigmoid_bce`]. Tests: `tests/loss.rs`.

use super::{build, groups_1d, shape_err, to_u32, Dispatch};
use crate::error::Result;
use crate::gpu::Gpu;
use crate::tensor::Tensor;

const SRC: &str = include_str!("../../../../shaders/loss.wgsl");

/// A model's output layer and its loss (the `--output` flag; one type for every crate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum OutputKind {
    /// Softmax over the classes with cross-entropy.
    #[default]
    Softmax,
    /// One sigmoid per class with binary cross-entropy on one-hot targets (the study's).
    Sigmoid,
}

impl OutputKind {
    fn entry(self) -> &'static str {
        match self {
            OutputKind::Softmax => "softmax_cross_entropy",
            OutputKind::Sigmoid => "sigmoid_bce",
        }
    }

    /// The name users write: `softmax` or `sigmoid`.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputKind::Softmax => "softmax",
            OutputKind::Sigmoid => "sigmoid",
        }
    }
}

impl std::fmt::Display for OutputKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for OutputKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "softmax" => Ok(OutputKind::Softmax),
            "sigmoid" => Ok(OutputKind::Sigmoid),
            _ => Err(format!(
                "unknown output layer {s:?}: expected softmax or sigmoid"
            )),
        }
    }
}

/// Writes `grad = dL/dlogits · scale` and `stats[row] = (loss, correct)` for every row.
pub fn loss(
    gpu: &Gpu,
    kind: OutputKind,
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
        groups_1d(gpu, rows),
    )
}
