//! Every op but the GEMM-based ones: elementwise ReLU, the fused output-layer losses,
//! metrics, column sums, confusion counts, row gathers and Adam.
//!
//! Elementwise ops run over fixed chunks in parallel. Reductions over rows (column sums)
//! sum fixed blocks of rows into f64 partials, then combine the partials in block order:
//! the block boundaries depend on the shape alone, so the bits do not depend on the thread
//! count or on scheduling. Per-row work (losses) computes each row in f64 with the
//! reference's formulas, so it matches the reference to f32 rounding; metrics are the
//! reference's sequential f64 sums, and Adam its expression operation for operation.

use std::sync::Mutex;

use oddeven_core::kernels::adam::hyper_values;
use oddeven_core::kernels::loss::OutputKind;
use oddeven_core::kernels::matmul::as_matrix;
use oddeven_core::kernels::reduce::gather_dims;
use oddeven_core::{CoreError, Handle, Result};
use rayon::prelude::*;

use crate::op::CpuOp;
use crate::storage::{check_distinct, id_of, CpuIndices, CpuTensor, Reads};

/// Elements per parallel task of an elementwise op.
const CHUNK: usize = 1 << 14;
/// Rows per partial sum of a column reduction.
const SUM_ROWS: usize = 512;
/// Rows per parallel task of a per-row op.
const ROW_BLOCK: usize = 256;

pub(crate) fn shape_err(op: &'static str, detail: String) -> CoreError {
    CoreError::Shape { op, detail }
}

fn same_len(op: &'static str, tensors: &[&CpuTensor]) -> Result<()> {
    let n = tensors[0].len();
    if tensors.iter().any(|t| t.len() != n) {
        let shapes: Vec<_> = tensors.iter().map(|t| t.shape().to_vec()).collect();
        return Err(shape_err(
            op,
            format!("operands must have equal sizes, got {shapes:?}"),
        ));
    }
    Ok(())
}

pub(crate) fn relu(x: &CpuTensor, out: &CpuTensor) -> Result<CpuOp> {
    same_len("relu", &[x, out])?;
    check_distinct("relu", &[id_of(x)], &[id_of(out)])?;
    let (x, out) = (x.clone(), out.clone());
    Ok(CpuOp::new("relu", move |_| {
        let (x, mut out) = (x.read(), out.write());
        out.par_chunks_mut(CHUNK)
            .zip(x.par_chunks(CHUNK))
            .for_each(|(o, x)| o.iter_mut().zip(x).for_each(|(o, &x)| *o = x.max(0.0)));
        Ok(())
    }))
}

pub(crate) fn relu_backward(g: &CpuTensor, y: &CpuTensor, gi: &CpuTensor) -> Result<CpuOp> {
    same_len("relu_backward", &[g, y, gi])?;
    check_distinct("relu_backward", &[id_of(g), id_of(y)], &[id_of(gi)])?;
    let (g, y, gi) = (g.clone(), y.clone(), gi.clone());
    Ok(CpuOp::new("relu_backward", move |_| {
        let inputs = Reads::new([&g, &y]);
        let (g, y) = (inputs.get(0), inputs.get(1));
        let mut out = gi.write();
        out.par_chunks_mut(CHUNK)
            .zip(g.par_chunks(CHUNK).zip(y.par_chunks(CHUNK)))
            .for_each(|(o, (g, y))| {
                for ((o, &g), &y) in o.iter_mut().zip(g).zip(y) {
                    *o = if y > 0.0 { g } else { 0.0 };
                }
            });
        Ok(())
    }))
}

/// Index of the first maximum (strictly greater wins), as the reference.
pub(crate) fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (j, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = j;
        }
    }
    best
}

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// One row of the loss: writes grad·scale, returns the row's loss (the reference's
/// formulas in f64, without its per-row allocations; softmax reuses its exponentials,
/// which halves the row's transcendental calls).
fn row_loss(kind: OutputKind, z: &[f32], y: &[f32], grad: &mut [f32], scale: f64) -> f64 {
    let mut loss = 0.0;
    match kind {
        OutputKind::Softmax => {
            let zmax = z
                .iter()
                .map(|&v| v as f64)
                .fold(f64::NEG_INFINITY, f64::max);
            // Keep the exponentials for the gradient (rows wider than the stack buffer
            // recompute them, as the reference does).
            let mut exps = [0.0f64; 16];
            let cached = z.len() <= exps.len();
            let mut sum = 0.0;
            for (j, &v) in z.iter().enumerate() {
                let e = (v as f64 - zmax).exp();
                if cached {
                    exps[j] = e;
                }
                sum += e;
            }
            let log_sum = sum.ln();
            for (j, ((&z, &y), g)) in z.iter().zip(y).zip(grad.iter_mut()).enumerate() {
                let (z, y) = (z as f64, y as f64);
                let log_p = z - zmax - log_sum;
                loss -= y * log_p;
                let p = if cached { exps[j] / sum } else { log_p.exp() };
                *g = ((p - y) * scale) as f32;
            }
        }
        OutputKind::Sigmoid => {
            for ((&z, &y), g) in z.iter().zip(y).zip(grad.iter_mut()) {
                let (z, y) = (z as f64, y as f64);
                loss += z.max(0.0) - z * y + (-z.abs()).exp().ln_1p();
                *g = ((sigmoid(z) - y) * scale) as f32;
            }
        }
    }
    loss
}

pub(crate) fn loss(
    kind: OutputKind,
    logits: &CpuTensor,
    targets: &CpuTensor,
    grad: &CpuTensor,
    stats: &CpuTensor,
    scale: f32,
) -> Result<CpuOp> {
    let (rows, classes) = as_matrix(logits.shape());
    if targets.shape() != logits.shape()
        || grad.shape() != logits.shape()
        || stats.len() != 2 * rows
    {
        return Err(shape_err(
            "loss",
            format!(
                "logits {:?}, targets {:?}, grad {:?}, stats {:?}",
                logits.shape(),
                targets.shape(),
                grad.shape(),
                stats.shape()
            ),
        ));
    }
    let ins = [id_of(logits), id_of(targets)];
    check_distinct("loss", &ins, &[id_of(grad), id_of(stats)])?;
    let (z, y, g, s) = (logits.clone(), targets.clone(), grad.clone(), stats.clone());
    let block = ROW_BLOCK * classes;
    Ok(CpuOp::new("loss", move |_| {
        let inputs = Reads::new([&z, &y]);
        let (z, y) = (inputs.get(0), inputs.get(1));
        let (mut g, mut s) = (g.write(), s.write());
        g.par_chunks_mut(block)
            .zip(s.par_chunks_mut(2 * ROW_BLOCK))
            .zip(z.par_chunks(block).zip(y.par_chunks(block)))
            .for_each(|((g, s), (z, y))| {
                let rows = g
                    .chunks_mut(classes)
                    .zip(s.chunks_mut(2))
                    .zip(z.chunks(classes).zip(y.chunks(classes)));
                for ((g, s), (z, y)) in rows {
                    s[0] = row_loss(kind, z, y, g, scale as f64) as f32;
                    s[1] = if argmax(z) == argmax(y) { 1.0 } else { 0.0 };
                }
            });
        Ok(())
    }))
}

pub(crate) fn reduce_metrics(
    stats: &CpuTensor,
    metrics: &CpuTensor,
    loss_scale: f32,
) -> Result<CpuOp> {
    if !stats.len().is_multiple_of(2) || metrics.len() < 2 || !metrics.len().is_multiple_of(2) {
        return Err(shape_err(
            "reduce_metrics",
            format!("stats {:?}, metrics {:?}", stats.shape(), metrics.shape()),
        ));
    }
    check_distinct("reduce_metrics", &[id_of(stats)], &[id_of(metrics)])?;
    let (stats, metrics) = (stats.clone(), metrics.clone());
    Ok(CpuOp::new("reduce_metrics", move |step| {
        let slots = metrics.len() / 2;
        if step.metrics_slot >= slots {
            return Err(shape_err(
                "reduce_metrics",
                format!("metrics slot {} of {slots}", step.metrics_slot),
            ));
        }
        // Sequential f64 sums in row order, as the reference: one pass over two floats a
        // row is too little work to split, and the order makes the result exact to it.
        let (mut loss, mut correct) = (0.0f64, 0.0f64);
        for pair in stats.read().chunks_exact(2) {
            loss += pair[0] as f64;
            correct += pair[1] as f64;
        }
        let (loss, correct) = ((loss * loss_scale as f64) as f32, correct as f32);
        let mut m = metrics.write();
        let slot = &mut m[2 * step.metrics_slot..2 * step.metrics_slot + 2];
        if step.accumulate_metrics {
            slot[0] += loss;
            slot[1] += correct;
        } else {
            slot.copy_from_slice(&[loss, correct]);
        }
        Ok(())
    }))
}

/// out[j] = Σ_i x[i, j] over `rows` rows: f64 partials over fixed blocks of rows, summed
/// in block order. `partials` holds one row of `cols` per block.
pub(crate) fn column_sum_into(x: &[f32], cols: usize, out: &mut [f32], partials: &mut [f64]) {
    partials
        .par_chunks_mut(cols)
        .zip(x.par_chunks(SUM_ROWS * cols))
        .for_each(|(acc, block)| {
            acc.iter_mut().for_each(|a| *a = 0.0);
            for row in block.chunks_exact(cols) {
                acc.iter_mut().zip(row).for_each(|(a, &v)| *a += v as f64);
            }
        });
    for (j, o) in out.iter_mut().enumerate() {
        *o = partials.chunks_exact(cols).map(|p| p[j]).sum::<f64>() as f32;
    }
}

/// Scratch for [`column_sum_into`] over `rows` rows.
pub(crate) fn column_sum_scratch(rows: usize, cols: usize) -> Vec<f64> {
    vec![0.0; rows.div_ceil(SUM_ROWS).max(1) * cols]
}

pub(crate) fn column_sum(x: &CpuTensor, out: &CpuTensor) -> Result<CpuOp> {
    let (rows, cols) = as_matrix(x.shape());
    if out.len() != cols {
        return Err(shape_err(
            "column_sum",
            format!("x {:?}, out {:?}", x.shape(), out.shape()),
        ));
    }
    check_distinct("column_sum", &[id_of(x)], &[id_of(out)])?;
    let (x, out) = (x.clone(), out.clone());
    let partials = Mutex::new(column_sum_scratch(rows, cols));
    Ok(CpuOp::new("column_sum", move |_| {
        let mut partials = partials.lock().unwrap_or_else(|e| e.into_inner());
        column_sum_into(&x.read(), cols, &mut out.write(), &mut partials);
        Ok(())
    }))
}

pub(crate) fn confusion(
    logits: &CpuTensor,
    targets: &CpuTensor,
    counts: &CpuIndices,
) -> Result<CpuOp> {
    let classes = as_matrix(logits.shape()).1;
    if targets.shape() != logits.shape() || counts.len() != classes * classes {
        return Err(shape_err(
            "confusion",
            format!(
                "logits {:?}, targets {:?}, counts {:?}",
                logits.shape(),
                targets.shape(),
                counts.shape()
            ),
        ));
    }
    let (z, y, counts) = (logits.clone(), targets.clone(), counts.clone());
    Ok(CpuOp::new("confusion", move |_| {
        let inputs = Reads::new([&z, &y]);
        let mut c = counts.write();
        for (z, y) in inputs
            .get(0)
            .chunks(classes)
            .zip(inputs.get(1).chunks(classes))
        {
            c[argmax(y) * classes + argmax(z)] += 1;
        }
        Ok(())
    }))
}

pub(crate) fn clear_indices(t: &CpuIndices) -> CpuOp {
    let t = t.clone();
    CpuOp::new("clear", move |_| {
        t.write().iter_mut().for_each(|v| *v = 0);
        Ok(())
    })
}

/// out[i] = src[index[row_offset + i] − first_row] for the indices inside this shard of
/// `src`; other rows of out keep their values (the reference's meaning).
pub(crate) fn gather_rows(
    src: &CpuTensor,
    index: &CpuIndices,
    out: &CpuTensor,
    first_row: usize,
) -> Result<CpuOp> {
    let (src_rows, rows, cols) = gather_dims(src.shape(), index.len(), out.shape())?;
    check_distinct("gather_rows", &[id_of(src)], &[id_of(out)])?;
    let (src, index, out) = (src.clone(), index.clone(), out.clone());
    Ok(CpuOp::new("gather_rows", move |step| {
        let index = index.read();
        let window = step
            .row_offset
            .checked_add(rows)
            .and_then(|end| index.get(step.row_offset..end))
            .ok_or_else(|| shape_err("gather_rows", format!("rows from {}", step.row_offset)))?;
        let (src, mut out) = (src.read(), out.write());
        let per_task = (CHUNK / cols.max(1)).max(1);
        out.par_chunks_mut(per_task * cols)
            .zip(window.par_chunks(per_task))
            .for_each(|(o, idx)| {
                for (o, &global) in o.chunks_exact_mut(cols).zip(idx) {
                    let r = (global as usize).wrapping_sub(first_row);
                    if r < src_rows {
                        o.copy_from_slice(&src[r * cols..(r + 1) * cols]);
                    }
                }
            });
        Ok(())
    }))
}

/// dst += src, elementwise.
pub(crate) fn add_assign(dst: &CpuTensor, src: &CpuTensor) -> Result<CpuOp> {
    same_len("add_assign", &[dst, src])?;
    check_distinct("add_assign", &[id_of(src)], &[id_of(dst)])?;
    let (dst, src) = (dst.clone(), src.clone());
    Ok(CpuOp::new("add_assign", move |_| {
        let (src, mut dst) = (src.read(), dst.write());
        dst.par_chunks_mut(CHUNK)
            .zip(src.par_chunks(CHUNK))
            .for_each(|(d, s)| d.iter_mut().zip(s).for_each(|(d, &s)| *d += s));
        Ok(())
    }))
}

pub(crate) fn adam(p: &CpuTensor, g: &CpuTensor, m: &CpuTensor, v: &CpuTensor) -> Result<CpuOp> {
    same_len("adam", &[p, g, m, v])?;
    check_distinct("adam", &[id_of(g)], &[id_of(p), id_of(m), id_of(v)])?;
    let (p, g, m, v) = (p.clone(), g.clone(), m.clone(), v.clone());
    Ok(CpuOp::new("adam", move |step| {
        let [lr, b1, b2, eps, c1, c2, ..] = hyper_values(&step.adam, step.lr, step.adam_step);
        let g = g.read();
        let (mut p, mut m, mut v) = (p.write(), m.write(), v.write());
        let arch = pulp::Arch::new();
        let update = |p: &mut [f32], m: &mut [f32], v: &mut [f32], g: &[f32]| {
            // Inside the dispatch the sqrt and divisions vectorise at the CPU's width;
            // IEEE sqrt and division are exact, so the bits do not depend on it.
            arch.dispatch(|| {
                for (((p, m), v), &g) in p.iter_mut().zip(m).zip(v).zip(g) {
                    // The reference's expression, operation for operation (same bits).
                    *m = b1 * *m + (1.0 - b1) * g;
                    *v = b2 * *v + (1.0 - b2) * g * g;
                    *p -= lr * (*m / c1) / ((*v / c2).sqrt() + eps);
                }
            })
        };
        if p.len() <= CHUNK {
            // One task: not worth a trip through the pool (biases, small layers).
            update(&mut p, &mut m, &mut v, &g);
            return Ok(());
        }
        p.par_chunks_mut(CHUNK)
            .zip(m.par_chunks_mut(CHUNK).zip(v.par_chunks_mut(CHUNK)))
            .zip(g.par_chunks(CHUNK))
            .for_each(|((p, (m, v)), g)| update(p, m, v, g));
        Ok(())
    }))
}
