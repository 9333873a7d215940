//! Aᵀ·B with few output columns (n ≤ [`MAX_N`]) over many rows: the output layer's weight
//! gradient Hᵀ·dZ (n = classes) and the softmax model's Xᵀ·dZ. A general GEMM's packing
//! and micro-kernels do little there: faer took 115 ms on 300×28465×5 (Hᵀ·dZ of the
//! MLP), as long as the 784×28465×300 product; this stream of axpys over the rows reads
//! the big operand once (≈ 8 ms on the same loaded machine).
//!
//! The loops run inside `pulp::Arch::dispatch` (within each rayon task: code called from
//! the dispatch is compiled for the widest SIMD level the CPU has, AVX-512 or AVX2+FMA)
//! with no `unsafe` here. Row blocks have fixed boundaries and the partial sums are
//! combined in block order: deterministic.

use rayon::prelude::*;

/// The widest output the skinny paths take.
pub(crate) const MAX_N: usize = 16;
/// Rows of the big operand per partial sum of [`tn`].
const TN_ROWS: usize = 256;

/// Scratch of [`tn`] for a product over `k` rows into an m×n output.
pub(crate) fn tn_scratch(m: usize, k: usize, n: usize) -> Vec<f32> {
    vec![0.0; k.div_ceil(TN_ROWS).max(1) * m * n]
}

/// c [m, n] = aᵀ·b with a stored [k, m] and b stored [k, n]: per row of a and b, n
/// axpys into an n×m accumulator per block of rows; blocks summed in order.
pub(crate) fn tn(a: &[f32], b: &[f32], c: &mut [f32], m: usize, n: usize, partials: &mut [f32]) {
    let arch = pulp::Arch::new();
    partials
        .par_chunks_mut(m * n)
        .zip(a.par_chunks(TN_ROWS * m).zip(b.par_chunks(TN_ROWS * n)))
        .for_each(|(acc, (a, b))| {
            // Inside each task: the closure rayon runs is not compiled for the dispatch's
            // features, only what is called from within it.
            arch.dispatch(|| {
                acc.fill(0.0);
                for (arow, brow) in a.chunks_exact(m).zip(b.chunks_exact(n)) {
                    for (accj, &bj) in acc.chunks_exact_mut(m).zip(brow) {
                        for (s, &x) in accj.iter_mut().zip(arow) {
                            *s += bj * x;
                        }
                    }
                }
            })
        });
    c.fill(0.0);
    for block in partials.chunks_exact(m * n) {
        for (j, accj) in block.chunks_exact(m).enumerate() {
            for (i, &v) in accj.iter().enumerate() {
                c[i * n + j] += v;
            }
        }
    }
}
