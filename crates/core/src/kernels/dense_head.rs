//! The output layer's training step, fused: `shaders/dense_head.wgsl` ↔
//! [`crate::cpu::dense_head`]. Tests: `tests/dense_head.rs`.
//!
//! Two launches (the block pass and the reduction of its partial sums) replace the
//! logits matmul, the loss, dW, db, dh and the ReLU mask; the row stats it writes are
//! reduced into the metrics slot by `reduce_metrics` as before.

use super::{build, groups_1d, shape_err, to_u32, Dispatch};
use crate::adapter::AdapterSummary;
use crate::backend::DenseHead;
use crate::error::{CoreError, Result};
use crate::gpu::Gpu;
use crate::kernels::loss::OutputKind;
use crate::tensor::Tensor;

const SRC: &str = include_str!("../../../../shaders/dense_head.wgsl");

/// Environment variable that turns the fused output layer on or off (`on`/`off`).
pub const FUSED_HEAD_ENV: &str = "ODDEVEN_FUSED_HEAD";

/// Whether a device runs the fused output layer: `ODDEVEN_FUSED_HEAD` where set, else on
/// GPUs and off on software adapters (see [`Gpu::fuses_output_layer`]).
pub(crate) fn on_by_default(summary: &AdapterSummary) -> Result<bool> {
    let value = std::env::var(FUSED_HEAD_ENV).unwrap_or_default();
    match value.trim().to_ascii_lowercase().as_str() {
        "" => Ok(!summary.is_software()),
        "on" | "1" => Ok(true),
        "off" | "0" => Ok(false),
        _ => Err(CoreError::BadEnv {
            var: FUSED_HEAD_ENV,
            value,
            expected: "on or off",
        }),
    }
}

/// Rows per workgroup of the block pass (`ROWS` in the shader).
const ROWS: usize = 64;
/// The most classes the shader holds per row (`MAX_K`).
pub const MAX_CLASSES: usize = 16;

/// Builds the fused head, or `Ok(None)` where this shape is not for it (more than
/// [`MAX_CLASSES`] classes, more blocks than one grid axis holds, or partial sums past the
/// binding limit): the caller then records the unfused ops.
pub fn dense_head(gpu: &Gpu, head: &DenseHead<'_, Tensor>) -> Result<Option<Dispatch>> {
    let (rows, hidden) = super::matmul::as_matrix(head.h.shape());
    let classes = head.b.len();
    let bad = |detail: String| Err(shape_err("dense_head", detail));
    if head.w.shape() != [hidden, classes] {
        return bad(format!(
            "W has shape {:?}, expected [{hidden}, {classes}] for h {:?} and bias {:?}",
            head.w.shape(),
            head.h.shape(),
            head.b.shape()
        ));
    }
    for (name, t, len) in [
        ("targets", head.targets, rows * classes),
        ("stats", head.stats, rows * 2),
        ("dw", head.dw, hidden * classes),
        ("db", head.db, classes),
    ] {
        if t.len() != len {
            return bad(format!(
                "{name} has shape {:?}, expected {len} values",
                t.shape()
            ));
        }
    }
    if let Some(dh) = head.dh {
        if dh.len() != rows * hidden {
            return bad(format!(
                "dh has shape {:?}, expected [{rows}, {hidden}]",
                dh.shape()
            ));
        }
    }
    if rows == 0 || hidden == 0 || classes == 0 {
        return bad(format!(
            "empty head: {rows} rows, {hidden} inputs, {classes} classes"
        ));
    }
    let blocks = rows.div_ceil(ROWS);
    let stride = hidden * classes + classes;
    let partial_len = blocks.saturating_mul(stride);
    let fits = classes <= MAX_CLASSES
        && blocks <= gpu.limits().max_compute_workgroups_per_dimension as usize
        && (partial_len as u64).saturating_mul(4) <= gpu.limits().max_storage_buffer_binding_size;
    if !fits {
        return Ok(None);
    }
    let partials = gpu.scratch(partial_len)?;
    // Unused when no dh is wanted (HAS_DH off), but the layout binds something there.
    let dh = match head.dh {
        Some(dh) => dh.clone(),
        None => gpu.scratch(1)?,
    };
    let params: [u32; 8] = [
        to_u32("dense_head", "rows", rows)?,
        to_u32("dense_head", "hidden", hidden)?,
        to_u32("dense_head", "classes", classes)?,
        to_u32("dense_head", "blocks", blocks)?,
        head.grad_scale.to_bits(),
        0,
        0,
        0,
    ];
    to_u32("dense_head", "partial sums", partial_len)?;
    to_u32("dense_head", "h", rows * hidden)?;
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    let constants = [
        ("SIGMOID", flag(head.output == OutputKind::Sigmoid)),
        ("HAS_DH", flag(head.dh.is_some())),
        ("RELU_MASK", flag(head.dh.is_some() && head.relu_mask)),
    ];
    let label = format!(
        "dense_head {rows}x{hidden}x{classes} {} dh={} relu_mask={}",
        head.output,
        head.dh.is_some(),
        head.relu_mask
    );
    let pipeline = gpu.pipeline("dense_head.wgsl", SRC, "dense_head", &constants)?;
    let main = build(
        gpu,
        label.clone(),
        pipeline,
        Some(bytemuck::cast_slice(&params)),
        &[
            (1, head.h.binding()),
            (2, head.w.binding()),
            (3, head.b.binding()),
            (4, head.targets.binding()),
            (5, head.stats.binding()),
            (6, dh.binding()),
            (7, partials.binding()),
        ],
        [blocks as u32, 1, 1],
    )?;
    let pipeline = gpu.pipeline("dense_head.wgsl", SRC, "dense_head_reduce", &[])?;
    let reduce = build(
        gpu,
        format!("{label} reduce"),
        pipeline,
        Some(bytemuck::cast_slice(&params)),
        &[
            (7, partials.binding()),
            (8, head.dw.binding()),
            (9, head.db.binding()),
        ],
        groups_1d(gpu, stride),
    )?;
    Ok(Some(main.followed_by(reduce)))
}
