//! Aᵀ·B with a small output side (min(m, n) ≤ [`SMALL`]) over many rows: the output
//! layer's weight gradient Hᵀ·dZ (n = classes), the softmax model's Xᵀ·dZ, the first
//! conv's weight gradient (m = 9 taps). A general GEMM's packing
//! and micro-kernels do little there: faer took 115 ms on 300×28465×5 (Hᵀ·dZ of the
//! MLP), as long as the 784×28465×300 product; this stream of axpys over the rows reads
//! the big operand once (≈ 8 ms on the same loaded machine).
//!
//! The loops run inside `pulp::Arch::dispatch` (within each rayon task: code called from
//! the dispatch is compiled for the widest SIMD level the CPU has, AVX-512 or AVX2+FMA)
//! with no `unsafe` here. Row blocks have fixed boundaries and the partial sums are
//! combined in block order: deterministic.

use rayon::prelude::*;

/// The smaller output side up to which Aᵀ·B takes this path.
pub(crate) const SMALL: usize = 16;
/// Rows of the big operand per partial sum of [`tn`].
const TN_ROWS: usize = 256;

/// Scratch of [`tn`] for a product over `k` rows into an m×n output.
pub(crate) fn tn_scratch(m: usize, k: usize, n: usize) -> Vec<f32> {
    vec![0.0; k.div_ceil(TN_ROWS).max(1) * m * n]
}

/// c [m, n] = aᵀ·b with a stored [k, m] and b stored [k, n]. Per block of rows, an
/// accumulator takes one axpy per row and per element of the shorter side, along the
/// longer side (contiguous in a or b, so the axpys vectorise); blocks summed in order.
pub(crate) fn tn(a: &[f32], b: &[f32], c: &mut [f32], m: usize, n: usize, partials: &mut [f32]) {
    let arch = pulp::Arch::new();
    // Accumulator layout: [n][m] when m is the long side, else [m][n] (= c's layout).
    let along_m = m > n;
    partials
        .par_chunks_mut(m * n)
        .zip(a.par_chunks(TN_ROWS * m).zip(b.par_chunks(TN_ROWS * n)))
        .for_each(|(acc, (a, b))| {
            // Inside each task: the closure rayon runs is not compiled for the dispatch's
            // features, only what is called from within it.
            arch.dispatch(|| {
                acc.fill(0.0);
                for (arow, brow) in a.chunks_exact(m).zip(b.chunks_exact(n)) {
                    let (long, short) = if along_m { (arow, brow) } else { (brow, arow) };
                    for (acc, &s) in acc.chunks_exact_mut(long.len()).zip(short) {
                        for (v, &x) in acc.iter_mut().zip(long) {
                            *v += s * x;
                        }
                    }
                }
            })
        });
    c.fill(0.0);
    for block in partials.chunks_exact(m * n) {
        if along_m {
            for (j, accj) in block.chunks_exact(m).enumerate() {
                for (i, &v) in accj.iter().enumerate() {
                    c[i * n + j] += v;
                }
            }
        } else {
            c.iter_mut().zip(block).for_each(|(c, &v)| *c += v);
        }
    }
}
