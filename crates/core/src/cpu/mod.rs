//! Plain-Rust references for every kernel, written for clarity, not speed. They are the
//! test oracle (`crates/core/tests/`) and the CPU path of the models' gradient checks.
//! Each function has the name of the shader entry it mirrors. Accumulations run in f64 so
//! the reference is at least as accurate as the kernel it checks.

mod conv;
mod pool;

pub use conv::{col2im, conv2d, conv2d_input_backward, conv2d_weight_backward, im2col};
pub use pool::{max_pool2d, max_pool2d_backward};

use crate::kernels::adam::{hyper_values, AdamConfig};
use crate::kernels::loss::OutputKind;
use crate::kernels::matmul::MatmulSpec;

/// C[m,n] = op(A)·op(B) (+ bias) (ReLU), as `shaders/matmul.wgsl`. A is [m,k] (or [k,m]
/// with `trans_a`), B is [k,n] (or [n,k] with `trans_b`).
#[allow(clippy::too_many_arguments)]
pub fn matmul(
    a: &[f32],
    b: &[f32],
    m: usize,
    k: usize,
    n: usize,
    spec: MatmulSpec,
    bias: Option<&[f32]>,
) -> Vec<f32> {
    assert_eq!(a.len(), m * k, "cpu::matmul: A has the wrong size");
    assert_eq!(b.len(), k * n, "cpu::matmul: B has the wrong size");
    let a_at = |i: usize, kk: usize| {
        if spec.trans_a {
            a[kk * m + i]
        } else {
            a[i * k + kk]
        }
    };
    let b_at = |kk: usize, j: usize| {
        if spec.trans_b {
            b[j * k + kk]
        } else {
            b[kk * n + j]
        }
    };
    let mut c = vec![0.0f32; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut acc = 0.0f64;
            for kk in 0..k {
                acc += a_at(i, kk) as f64 * b_at(kk, j) as f64;
            }
            let mut v = acc as f32 + bias.map_or(0.0, |bias| bias[j]);
            if spec.relu {
                v = v.max(0.0);
            }
            c[i * n + j] = v;
        }
    }
    c
}

/// xᵀ ([cols, rows]) of a row-major [rows, cols] matrix, as `shaders/transpose.wgsl`.
pub fn transpose(x: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    assert_eq!(x.len(), rows * cols, "cpu::transpose: x has the wrong size");
    let mut out = vec![0.0f32; rows * cols];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = x[r * cols + c];
        }
    }
    out
}

/// What [`dense_head`] returns: the row stats and the gradients of the output layer.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseHeadOutput {
    /// Per row: (loss, 1.0 if correct).
    pub stats: Vec<f32>,
    pub dw: Vec<f32>,
    pub db: Vec<f32>,
    /// dh = dz·Wᵀ, zero where h ≤ 0 when `relu_mask`.
    pub dh: Vec<f32>,
}

/// The output layer's training step, as `shaders/dense_head.wgsl`, composed of the
/// references of the ops it fuses: logits = h·W + b, the loss (gradient dz scaled by
/// `grad_scale`), dW = hᵀ·dz, db = Σ dz, dh = dz·Wᵀ (then the ReLU mask).
#[allow(clippy::too_many_arguments)]
pub fn dense_head(
    h: &[f32],
    w: &[f32],
    b: &[f32],
    targets: &[f32],
    rows: usize,
    output: OutputKind,
    grad_scale: f32,
    relu_mask: bool,
) -> DenseHeadOutput {
    let classes = b.len();
    let hidden = h.len() / rows;
    let logits = matmul(h, w, rows, hidden, classes, MatmulSpec::NN, Some(b));
    let loss = match output {
        OutputKind::Softmax => softmax_cross_entropy(&logits, targets, classes, grad_scale),
        OutputKind::Sigmoid => sigmoid_bce(&logits, targets, classes, grad_scale),
    };
    let dz = &loss.grad;
    let dh = matmul(dz, w, rows, classes, hidden, MatmulSpec::NT, None);
    DenseHeadOutput {
        dw: matmul(h, dz, hidden, rows, classes, MatmulSpec::TN, None),
        db: column_sum(dz, rows, classes),
        dh: if relu_mask { relu_backward(&dh, h) } else { dh },
        stats: loss.stats,
    }
}

/// max(x, 0), as `relu_forward`.
pub fn relu(x: &[f32]) -> Vec<f32> {
    x.iter().map(|&v| v.max(0.0)).collect()
}

/// grad where the forward output y > 0, as `relu_backward`.
pub fn relu_backward(grad: &[f32], y: &[f32]) -> Vec<f32> {
    grad.iter()
        .zip(y)
        .map(|(&g, &y)| if y > 0.0 { g } else { 0.0 })
        .collect()
}

/// out + x, as `add_assign`.
pub fn add_assign(out: &[f32], x: &[f32]) -> Vec<f32> {
    out.iter().zip(x).map(|(o, x)| o + x).collect()
}

/// 1/(1+e^−x), as `sigmoid_forward`.
pub fn sigmoid(x: &[f32]) -> Vec<f32> {
    x.iter().map(|&v| sigmoid_one(v as f64) as f32).collect()
}

fn sigmoid_one(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Index of the first maximum.
pub fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (j, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = j;
        }
    }
    best
}

/// Output of a loss kernel: gradient w.r.t. the logits and per-row (loss, correct).
#[derive(Debug, Clone, PartialEq)]
pub struct LossOutput {
    pub grad: Vec<f32>,
    pub stats: Vec<f32>,
}

/// Softmax + cross-entropy per row, as `softmax_cross_entropy`.
pub fn softmax_cross_entropy(
    logits: &[f32],
    targets: &[f32],
    classes: usize,
    scale: f32,
) -> LossOutput {
    per_row_loss(logits, targets, classes, scale, |z, y, grad| {
        let zmax = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let log_sum = z.iter().map(|&v| (v - zmax).exp()).sum::<f64>().ln();
        let mut loss = 0.0;
        for j in 0..z.len() {
            let log_p = z[j] - zmax - log_sum;
            loss -= y[j] * log_p;
            grad[j] = log_p.exp() - y[j];
        }
        loss
    })
}

/// Per-class sigmoid + binary cross-entropy summed over classes, as `sigmoid_bce`.
pub fn sigmoid_bce(logits: &[f32], targets: &[f32], classes: usize, scale: f32) -> LossOutput {
    per_row_loss(logits, targets, classes, scale, |z, y, grad| {
        let mut loss = 0.0;
        for j in 0..z.len() {
            loss += z[j].max(0.0) - z[j] * y[j] + (-z[j].abs()).exp().ln_1p();
            grad[j] = sigmoid_one(z[j]) - y[j];
        }
        loss
    })
}

fn per_row_loss(
    logits: &[f32],
    targets: &[f32],
    classes: usize,
    scale: f32,
    row_loss: impl Fn(&[f64], &[f64], &mut [f64]) -> f64,
) -> LossOutput {
    let rows = logits.len() / classes;
    let mut out = LossOutput {
        grad: vec![0.0; logits.len()],
        stats: vec![0.0; 2 * rows],
    };
    for r in 0..rows {
        let span = r * classes..(r + 1) * classes;
        let z: Vec<f64> = logits[span.clone()].iter().map(|&v| v as f64).collect();
        let y: Vec<f64> = targets[span.clone()].iter().map(|&v| v as f64).collect();
        let mut grad = vec![0.0f64; classes];
        let loss = row_loss(&z, &y, &mut grad);
        for (j, g) in grad.iter().enumerate() {
            out.grad[r * classes + j] = (g * scale as f64) as f32;
        }
        out.stats[2 * r] = loss as f32;
        let correct = argmax(&logits[span.clone()]) == argmax(&targets[span]);
        out.stats[2 * r + 1] = if correct { 1.0 } else { 0.0 };
    }
    out
}

/// Σ over rows of x[rows, cols], as `column_sum`.
pub fn column_sum(x: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    (0..cols)
        .map(|j| (0..rows).map(|i| x[i * cols + j] as f64).sum::<f64>() as f32)
        .collect()
}

/// (loss_scale · Σ loss, Σ correct) over (loss, correct) pairs, as `reduce_metrics`.
pub fn reduce_metrics(stats: &[f32], loss_scale: f32) -> (f32, f32) {
    let loss: f64 = stats.chunks(2).map(|p| p[0] as f64).sum();
    let correct: f64 = stats.chunks(2).map(|p| p[1] as f64).sum();
    ((loss * loss_scale as f64) as f32, correct as f32)
}

/// K×K counts, rows = true class (argmax of target), columns = predicted.
pub fn confusion(logits: &[f32], targets: &[f32], classes: usize) -> Vec<u32> {
    let mut counts = vec![0u32; classes * classes];
    for (z, y) in logits.chunks(classes).zip(targets.chunks(classes)) {
        counts[argmax(y) * classes + argmax(z)] += 1;
    }
    counts
}

/// One Adam step in place, as `adam_step` (bias-corrected, PyTorch formulation).
pub fn adam_step(
    param: &mut [f32],
    grad: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    cfg: &AdamConfig,
    lr: f32,
    t: u64,
) {
    let [lr, b1, b2, eps, c1, c2, ..] = hyper_values(cfg, lr, t);
    for i in 0..param.len() {
        let g = grad[i];
        m[i] = b1 * m[i] + (1.0 - b1) * g;
        v[i] = b2 * v[i] + (1.0 - b2) * g * g;
        param[i] -= lr * (m[i] / c1) / ((v[i] / c2).sqrt() + eps);
    }
}

/// out[i, :] = src[index[i] − first_row, :] for the rows whose index lies in
/// `first_row..first_row + src rows`, other rows untouched, as `gather_rows` (pass the slice
/// of `index` it reads).
pub fn gather_rows(src: &[f32], cols: usize, index: &[u32], first_row: usize, out: &mut [f32]) {
    let src_rows = src.len() / cols.max(1);
    for (i, &global) in index.iter().enumerate() {
        let global = global as usize;
        if global >= first_row && global - first_row < src_rows {
            let r = global - first_row;
            out[i * cols..(i + 1) * cols].copy_from_slice(&src[r * cols..(r + 1) * cols]);
        }
    }
}
