//! C = op(A)·op(B) (+ bias) (ReLU) through faer's GEMM, parallel over row blocks of C in
//! the backend's rayon pool.
//!
//! faer 0.24 was the fastest of the crates we measured on the target machine (see
//! `benches/gemm.rs` and docs/BENCHMARKS.md): its x86 kernels detect AVX-512 at run time.
//! Tall products (the data-set-sized ones) are split into a few contiguous blocks of rows
//! per thread, each a single-threaded faer call followed by the epilogue on the same rows,
//! so the bias and ReLU run on rows the thread just wrote. Long inner dimensions into
//! small outputs are split along the inner dimension instead (partials summed in order),
//! and Aᵀ·B with a small side streams through [`crate::skinny`]. Short products go to faer whole
//! with `Par::rayon`, which schedules faer's own tiles on the same pool. Either way every
//! element of C is one dot product in a fixed order, so results do not depend on
//! scheduling: a seed gives the same bits run after run.

use std::sync::Mutex;

use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;

use crate::skinny;

/// Rows per thread below which splitting by rows stops paying (each block packs B anew).
const MIN_ROWS_PER_THREAD: usize = 256;
/// Row blocks per thread of a tall product (block boundaries depend on the shape and the
/// thread count only, never on scheduling).
const BLOCKS_PER_THREAD: usize = 4;

/// Shape and transposes of one product: op(A) is m×k, op(B) is k×n.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GemmShape {
    pub m: usize,
    pub k: usize,
    pub n: usize,
    /// A is stored [k, m].
    pub trans_a: bool,
    /// B is stored [n, k].
    pub trans_b: bool,
}

/// What happens to C after the product.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Epilogue<'a> {
    pub bias: Option<&'a [f32]>,
    pub relu: bool,
}

impl GemmShape {
    /// op(A) rows `rows` as a faer view.
    fn lhs<'a>(&self, a: &'a [f32], rows: std::ops::Range<usize>) -> MatRef<'a, f32> {
        let full = if self.trans_a {
            MatRef::from_row_major_slice(a, self.k, self.m).transpose()
        } else {
            MatRef::from_row_major_slice(a, self.m, self.k)
        };
        full.subrows(rows.start, rows.len())
    }

    fn rhs<'a>(&self, b: &'a [f32]) -> MatRef<'a, f32> {
        if self.trans_b {
            MatRef::from_row_major_slice(b, self.n, self.k).transpose()
        } else {
            MatRef::from_row_major_slice(b, self.k, self.n)
        }
    }

    /// The columns `depth` of op(A) and the same rows of op(B): one slice of the inner
    /// dimension.
    fn depth_slice<'a>(
        &self,
        a: &'a [f32],
        b: &'a [f32],
        depth: std::ops::Range<usize>,
    ) -> (MatRef<'a, f32>, MatRef<'a, f32>) {
        let lhs = self.lhs(a, 0..self.m).subcols(depth.start, depth.len());
        let rhs = self.rhs(b).subrows(depth.start, depth.len());
        (lhs, rhs)
    }
}

/// Output elements up to which a long inner dimension is split between threads (each
/// thread's partial product stays in its L2).
const SPLIT_K_MAX_OUTPUT: usize = 64 * 1024;
/// Inner length from which splitting it pays.
const SPLIT_K_MIN_DEPTH: usize = 2048;

/// c = Σ over `parts` slices of the inner dimension of op(a)·op(b), each slice one
/// single-threaded faer product into its own partial; the partials are summed in order.
fn split_k(s: &GemmShape, a: &[f32], b: &[f32], c: &mut [f32], partials: &mut [f32]) {
    let parts = partials.len() / (s.m * s.n);
    let per = s.k.div_ceil(parts.max(1));
    partials
        .par_chunks_mut(s.m * s.n)
        .enumerate()
        .for_each(|(p, part)| {
            let start = (p * per).min(s.k);
            let end = (start + per).min(s.k);
            let (lhs, rhs) = s.depth_slice(a, b, start..end);
            let dst = MatMut::from_row_major_slice_mut(part, s.m, s.n);
            faer::linalg::matmul::matmul(dst, Accum::Replace, lhs, rhs, 1.0, Par::Seq);
        });
    let mut blocks = partials.chunks_exact(s.m * s.n);
    if let Some(first) = blocks.next() {
        c.copy_from_slice(first);
    }
    for block in blocks {
        c.iter_mut().zip(block).for_each(|(c, &p)| *c += p);
    }
}

/// c (m×n, row-major) = op(a)·op(b) through faer, then the epilogue.
fn gemm(threads: usize, s: &GemmShape, a: &[f32], b: &[f32], c: &mut [f32], epi: Epilogue<'_>) {
    let rhs = s.rhs(b);
    if threads > 1 && s.m >= MIN_ROWS_PER_THREAD * threads {
        // A few blocks per thread, so a thread the OS delays (a shared machine) does not
        // hold the others up; each block packs B again, ~1 % of its work at this size.
        // A multiple of the thread count: 3 blocks on 2 threads would leave one idle a
        // third of the time (784×28465×300 took 91 ms instead of 70).
        let per_thread = (s.m / (MIN_ROWS_PER_THREAD * threads)).clamp(1, BLOCKS_PER_THREAD);
        let blocks = per_thread * threads;
        let rows = s.m.div_ceil(blocks);
        c.par_chunks_mut(rows * s.n)
            .enumerate()
            .for_each(|(i, block)| {
                let first = i * rows;
                let count = block.len() / s.n;
                let dst = MatMut::from_row_major_slice_mut(block, count, s.n);
                let lhs = s.lhs(a, first..first + count);
                faer::linalg::matmul::matmul(dst, Accum::Replace, lhs, rhs, 1.0, Par::Seq);
                epilogue(block, s.n, epi);
            });
    } else {
        let par = if threads > 1 {
            Par::rayon(threads)
        } else {
            Par::Seq
        };
        let dst = MatMut::from_row_major_slice_mut(c, s.m, s.n);
        faer::linalg::matmul::matmul(dst, Accum::Replace, s.lhs(a, 0..s.m), rhs, 1.0, par);
        if epi.bias.is_some() || epi.relu {
            let rows = s.m.div_ceil(threads).max(1);
            c.par_chunks_mut(rows * s.n)
                .for_each(|block| epilogue(block, s.n, epi));
        }
    }
}

/// Which loops a product runs, chosen once when its op is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    /// faer (all shapes).
    Faer,
    /// Aᵀ·B with a small side: a stream of axpys over rows ([`skinny::tn`]).
    SkinnyTn,
    /// A long inner dimension into a small output: one slice of it per thread.
    SplitK,
}

/// A product's shape, its path and the scratch that path needs (allocated here, when the
/// op is built, so runs allocate nothing).
pub(crate) struct GemmPlan {
    shape: GemmShape,
    path: Path,
    scratch: Mutex<Vec<f32>>,
}

impl GemmPlan {
    pub(crate) fn new(shape: GemmShape, threads: usize) -> Self {
        let s = shape;
        let (path, scratch) = if s.m.min(s.n) <= skinny::SMALL && s.trans_a && !s.trans_b {
            (Path::SkinnyTn, skinny::tn_scratch(s.m, s.k, s.n))
        } else if threads > 1
            && s.m < MIN_ROWS_PER_THREAD * threads
            && s.m * s.n <= SPLIT_K_MAX_OUTPUT
            && s.k >= SPLIT_K_MIN_DEPTH
        {
            // Two slices per thread, for balance when a thread is delayed.
            (Path::SplitK, vec![0.0; 2 * threads * s.m * s.n])
        } else {
            (Path::Faer, Vec::new())
        };
        GemmPlan {
            shape,
            path,
            scratch: Mutex::new(scratch),
        }
    }

    /// c = op(a)·op(b), then the epilogue. The caller checked the lengths.
    pub(crate) fn run(
        &self,
        threads: usize,
        a: &[f32],
        b: &[f32],
        c: &mut [f32],
        epi: Epilogue<'_>,
    ) {
        let s = &self.shape;
        let mut scratch = self.scratch.lock().unwrap_or_else(|e| e.into_inner());
        match self.path {
            Path::Faer => gemm(threads, s, a, b, c, epi),
            Path::SkinnyTn | Path::SplitK => {
                if self.path == Path::SkinnyTn {
                    skinny::tn(a, b, c, s.m, s.n, &mut scratch);
                } else {
                    split_k(s, a, b, c, &mut scratch);
                }
                if epi.bias.is_some() || epi.relu {
                    epilogue(c, s.n, epi);
                }
            }
        }
    }
}

/// Adds the bias to every row of `block` and clamps at 0, in one pass.
fn epilogue(block: &mut [f32], n: usize, epi: Epilogue<'_>) {
    match (epi.bias, epi.relu) {
        (Some(bias), relu) => {
            for row in block.chunks_exact_mut(n) {
                for (v, &b) in row.iter_mut().zip(bias) {
                    let x = *v + b;
                    *v = if relu { x.max(0.0) } else { x };
                }
            }
        }
        (None, true) => block.iter_mut().for_each(|v| *v = v.max(0.0)),
        (None, false) => {}
    }
}
