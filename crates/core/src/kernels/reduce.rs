//! Reductions: column sums (`shaders/reduce.wgsl` ↔ [`crate::cpu::column_sum`]), the
//! per-step loss/accuracy reduction (`shaders/metrics.wgsl` ↔
//! [`crate::cpu::reduce_metrics`]), the confusion matrix (`shaders/confusion.wgsl` ↔
//! [`crate::cpu::confusion`]) and the minibatch row gather (`shaders/gather.wgsl` ↔
//! [`crate::cpu::gather_rows`]). Tests: `tests/reduce.rs`.

use super::{build, groups_1d, shape_err, to_u32, Dispatch, MAX_GROUPS};
use crate::error::Result;
use crate::gpu::Gpu;
use crate::tensor::{Tensor, U32Array};

const REDUCE_SRC: &str = include_str!("../../../../shaders/reduce.wgsl");
const METRICS_SRC: &str = include_str!("../../../../shaders/metrics.wgsl");
const CONFUSION_SRC: &str = include_str!("../../../../shaders/confusion.wgsl");
const GATHER_SRC: &str = include_str!("../../../../shaders/gather.wgsl");

/// out[j] = Σ_i x[i, j].
pub fn column_sum(gpu: &Gpu, x: &Tensor, out: &Tensor) -> Result<Dispatch> {
    let (rows, cols) = (x.rows(), x.cols());
    if out.len() != cols {
        return Err(shape_err(
            "column_sum",
            format!("out has {} elements, expected {cols}", out.len()),
        ));
    }
    let params = [
        to_u32("column_sum", "rows", rows)?,
        to_u32("column_sum", "cols", cols)?,
        0,
        0,
    ];
    let pipeline = gpu.pipeline("reduce.wgsl", REDUCE_SRC, "column_sum", &[])?;
    let groups = (cols.div_ceil(64).min(MAX_GROUPS as usize)) as u32;
    build(
        gpu,
        format!("column_sum {rows}x{cols}"),
        pipeline,
        Some(bytemuck::cast_slice(&params)),
        &[(1, x.binding()), (2, out.binding())],
        [groups, 1, 1],
    )
}

/// Sums the `(loss, correct)` rows written by the loss kernel into one slot of a metrics
/// buffer that stays on the GPU; which slot, and whether to add to it, is set per step.
#[derive(Debug)]
pub struct MetricsReduce {
    dispatch: Dispatch,
    uniform: wgpu::Buffer,
    rows: u32,
    loss_scale: f32,
    slots: usize,
}

impl MetricsReduce {
    /// `stats` is [rows, 2]; `metrics` holds 2 values per slot; `loss_scale` multiplies the
    /// loss sum (e.g. 1/N to store a mean).
    pub fn new(gpu: &Gpu, stats: &Tensor, metrics: &Tensor, loss_scale: f32) -> Result<Self> {
        if !stats.len().is_multiple_of(2) || metrics.len() < 2 || !metrics.len().is_multiple_of(2) {
            return Err(shape_err(
                "reduce_metrics",
                format!(
                    "stats {:?} and metrics {:?} must hold (loss, correct) pairs",
                    stats.shape(),
                    metrics.shape()
                ),
            ));
        }
        let rows = to_u32("reduce_metrics", "rows", stats.len() / 2)?;
        let uniform = gpu.device().create_buffer(&wgpu::BufferDescriptor {
            label: Some("metrics params"),
            size: 16,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let pipeline = gpu.pipeline("metrics.wgsl", METRICS_SRC, "reduce_metrics", &[])?;
        let dispatch = build(
            gpu,
            format!("reduce_metrics {rows}"),
            pipeline,
            None,
            &[
                (0, uniform.as_entire_binding()),
                (1, stats.binding()),
                (2, metrics.binding()),
            ],
            [1, 1, 1],
        )?;
        let reduce = MetricsReduce {
            dispatch,
            uniform,
            rows,
            loss_scale,
            slots: metrics.len() / 2,
        };
        reduce.set_slot(gpu, 0, false)?;
        Ok(reduce)
    }

    /// Chooses the slot the next submission writes; `accumulate` adds instead of overwriting.
    pub fn set_slot(&self, gpu: &Gpu, slot: usize, accumulate: bool) -> Result<()> {
        if slot >= self.slots {
            return Err(shape_err(
                "reduce_metrics",
                format!("slot {slot} out of range (buffer has {} slots)", self.slots),
            ));
        }
        let params: [u32; 4] = [
            self.rows,
            slot as u32,
            self.loss_scale.to_bits(),
            accumulate as u32,
        ];
        gpu.queue()
            .write_buffer(&self.uniform, 0, bytemuck::cast_slice(&params));
        Ok(())
    }

    pub fn dispatch(&self) -> &Dispatch {
        &self.dispatch
    }
}

/// counts[true · K + predicted] += 1 over all rows (counts is K×K, u32).
pub fn confusion(
    gpu: &Gpu,
    logits: &Tensor,
    targets: &Tensor,
    counts: &U32Array,
) -> Result<Dispatch> {
    let (rows, classes) = (logits.rows(), logits.cols());
    if targets.shape() != logits.shape() || counts.len() != classes * classes {
        return Err(shape_err(
            "confusion",
            format!(
                "logits {:?}, targets {:?}, counts {:?}: need equal logits/targets and K×K counts",
                logits.shape(),
                targets.shape(),
                counts.shape()
            ),
        ));
    }
    let params = [
        to_u32("confusion", "rows", rows)?,
        to_u32("confusion", "classes", classes)?,
        0,
        0,
    ];
    let pipeline = gpu.pipeline("confusion.wgsl", CONFUSION_SRC, "confusion", &[])?;
    build(
        gpu,
        format!("confusion {rows}x{classes}"),
        pipeline,
        Some(bytemuck::cast_slice(&params)),
        &[
            (1, logits.binding()),
            (2, targets.binding()),
            (3, counts.binding()),
        ],
        groups_1d(rows),
    )
}

/// out[i, :] = src[index[offset + i], :].
pub fn gather_rows(
    gpu: &Gpu,
    src: &Tensor,
    index: &U32Array,
    offset: usize,
    out: &Tensor,
) -> Result<Dispatch> {
    let cols = src.cols();
    if out.cols() != cols || offset + out.rows() > index.len() {
        return Err(shape_err(
            "gather_rows",
            format!(
                "src {:?}, index {:?}, out {:?}: out must be [index length, src columns]",
                src.shape(),
                index.shape(),
                out.shape()
            ),
        ));
    }
    let params = [
        to_u32("gather_rows", "rows", out.rows())?,
        to_u32("gather_rows", "cols", cols)?,
        to_u32("gather_rows", "offset", offset)?,
        0,
    ];
    let pipeline = gpu.pipeline("gather.wgsl", GATHER_SRC, "gather_rows", &[])?;
    build(
        gpu,
        format!("gather_rows {:?}", out.shape()),
        pipeline,
        Some(bytemuck::cast_slice(&params)),
        &[(1, src.binding()), (2, index.binding()), (3, out.binding())],
        groups_1d(out.len()),
    )
}
