//! Reductions: column sums (`shaders/reduce.wgsl` ↔ [`crate::cpu::column_sum`]), the
//! per-step loss/accuracy reduction (`shaders/metrics.wgsl` ↔
//! [`crate::cpu::reduce_metrics`]), the confusion matrix (`shaders/confusion.wgsl` ↔
//! [`crate::cpu::confusion`]) and the minibatch row gather (`shaders/gather.wgsl` ↔
//! [`crate::cpu::gather_rows`]). Tests: `tests/reduce.rs`.

use super::{
    build, build_stepped, groups_1d, layout, shape_err, to_u32, Dispatch, Slot, StepBounds,
    MAX_GROUPS,
};
use crate::error::Result;
use crate::gpu::Gpu;
use crate::tensor::{Tensor, U32Array};

const REDUCE_SRC: &str = include_str!("../../../../shaders/reduce.wgsl");
/// The step-table struct (shaders/step.wgsl) comes first in metrics and gather.
const METRICS_SRC: &str = concat!(
    include_str!("../../../../shaders/step.wgsl"),
    include_str!("../../../../shaders/metrics.wgsl")
);
const CONFUSION_SRC: &str = include_str!("../../../../shaders/confusion.wgsl");
const GATHER_SRC: &str = concat!(
    include_str!("../../../../shaders/step.wgsl"),
    include_str!("../../../../shaders/gather.wgsl")
);

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
/// buffer that stays on the GPU; the slot, and whether to add to it, come from the
/// per-step values ([`crate::kernels::run_step`], [`crate::Backend::run_steps`]). `loss_scale` multiplies the loss sum (e.g. 1/N to
/// store a mean); `metrics` holds 2 values per slot.
pub fn reduce_metrics(
    gpu: &Gpu,
    stats: &Tensor,
    metrics: &Tensor,
    loss_scale: f32,
) -> Result<Dispatch> {
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
    let params: [u32; 4] = [rows, loss_scale.to_bits(), 0, 0];
    let group0 = layout(&[(0, Slot::Uniform), (1, Slot::Read), (2, Slot::ReadWrite)]);
    let pipeline = gpu.stepped_pipeline("metrics.wgsl", METRICS_SRC, "reduce_metrics", &group0)?;
    let dispatch = build_stepped(
        gpu,
        format!("reduce_metrics {rows}"),
        pipeline,
        Some(bytemuck::cast_slice(&params)),
        &[(1, stats.binding()), (2, metrics.binding())],
        [1, 1, 1],
    )?;
    Ok(dispatch.with_bounds(StepBounds {
        metrics_slots: Some(metrics.len() / 2),
        ..StepBounds::default()
    }))
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
        groups_1d(gpu, rows),
    )
}

/// out[i, …] = src[index[row_offset + i] − first_row, …] over the first axis (an example
/// of any shape is one row) for the rows whose index lies in `first_row..first_row +
/// src rows`; other rows of `out` are left as they are (another shard writes them).
/// `row_offset` comes from the per-step values ([`crate::kernels::run_step`],
/// [`crate::Backend::run_steps`]) and is checked against the index length before every run.
pub fn gather_rows(
    gpu: &Gpu,
    src: &Tensor,
    index: &U32Array,
    out: &Tensor,
    first_row: usize,
) -> Result<Dispatch> {
    let (src_rows, rows, cols) = gather_dims(src.shape(), index.len(), out.shape())?;
    let params = [
        to_u32("gather_rows", "rows", rows)?,
        to_u32("gather_rows", "cols", cols)?,
        to_u32("gather_rows", "first_row", first_row)?,
        to_u32("gather_rows", "source rows", src_rows)?,
    ];
    // Rows of whole vec4s: src and out at bindings 5 and 6 as vec4s.
    let (entry, src_at, out_at) = if cols.is_multiple_of(4) {
        ("gather_rows4", 5, 6)
    } else {
        ("gather_rows", 1, 3)
    };
    let group0 = layout(&[
        (0, Slot::Uniform),
        (src_at, Slot::Read),
        (2, Slot::Read),
        (out_at, Slot::ReadWrite),
    ]);
    let pipeline = gpu.stepped_pipeline("gather.wgsl", GATHER_SRC, entry, &group0)?;
    build_stepped(
        gpu,
        format!("{entry} {:?}", out.shape()),
        pipeline,
        Some(bytemuck::cast_slice(&params)),
        &[
            (src_at, src.binding()),
            (2, index.binding()),
            (out_at, out.binding()),
        ],
        groups_1d(gpu, rows),
    )
    .map(|d| {
        d.with_bounds(StepBounds {
            gathered_rows: Some((rows, index.len())),
            ..StepBounds::default()
        })
    })
}

/// (source rows, rows gathered, values per row) of a gather from `src` through an index
/// of `index_len` entries into `out`, or why the shapes do not fit: the one check every
/// backend's `gather_rows` makes.
pub fn gather_dims(
    src: &[usize],
    index_len: usize,
    out: &[usize],
) -> Result<(usize, usize, usize)> {
    let (src_rows, cols) = split_first_axis(src);
    let (rows, out_cols) = split_first_axis(out);
    if out_cols != cols || rows > index_len {
        return Err(shape_err(
            "gather_rows",
            format!(
                "src {src:?}, index [{index_len}], out {out:?}: out must be [at most index length, …src row shape]"
            ),
        ));
    }
    Ok((src_rows, rows, cols))
}

/// (rows, values per row) of a shape whose first axis counts examples.
pub fn split_first_axis(shape: &[usize]) -> (usize, usize) {
    match shape.split_first() {
        Some((&rows, rest)) => (rows, rest.iter().product()),
        None => (1, 1),
    }
}
