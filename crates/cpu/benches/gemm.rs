//! The GEMM crates compared at the MLP's first-layer shape, 28465×784 · 784×300 f32 (the
//! odd digits' full training set times W1), on one thread and on all threads, so the
//! backend's choice rests on a measurement on this machine. Criterion prints the rate as
//! elements/s with one element per floating-point operation: "Gelem/s" reads GFLOP/s.
//!
//! - faer 0.24 (runtime CPU detection, AVX-512 kernels): `Par::Seq`, `Par::rayon(n)`.
//! - gemm 0.19: `Parallelism::None`, `Parallelism::Rayon(n)`.
//! - matrixmultiply 0.3: single-threaded sgemm; all threads = rayon over row blocks, the
//!   way the backend would have to use it.
//!
//! Every variant runs inside one rayon pool of the thread count under test.
//! Run: `cargo bench -p oddeven-cpu --bench gemm` (filters after `--`).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;

const M: usize = 28465;
const K: usize = 784;
const N: usize = 300;

fn values(n: usize, seed: u32) -> Vec<f32> {
    (0..n as u32)
        .map(|i| ((i.wrapping_mul(2654435761).wrapping_add(seed) >> 8) % 1000) as f32 / 1000.0)
        .collect()
}

fn faer_gemm(c: &mut [f32], a: &[f32], b: &[f32], m: usize, par: Par) {
    let dst = MatMut::from_row_major_slice_mut(c, m, N);
    let lhs = MatRef::from_row_major_slice(a, m, K);
    let rhs = MatRef::from_row_major_slice(b, K, N);
    faer::linalg::matmul::matmul(dst, Accum::Replace, lhs, rhs, 1.0, par);
}

fn gemm_crate(c: &mut [f32], a: &[f32], b: &[f32], m: usize, par: gemm::Parallelism) {
    assert!(c.len() >= m * N && a.len() >= m * K && b.len() >= K * N);
    // SAFETY: the slices hold m×N, m×K and K×N row-major values (checked above); the
    // strides below describe exactly those layouts, and c is borrowed mutably.
    unsafe {
        gemm::gemm(
            m,
            N,
            K,
            c.as_mut_ptr(),
            1,
            N as isize,
            false,
            a.as_ptr(),
            1,
            K as isize,
            b.as_ptr(),
            1,
            N as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            par,
        )
    }
}

fn matrixmultiply_gemm(c: &mut [f32], a: &[f32], b: &[f32], m: usize) {
    assert!(c.len() >= m * N && a.len() >= m * K && b.len() >= K * N);
    // SAFETY: as for gemm_crate: row-major m×K, K×N and m×N slices, sizes checked.
    unsafe {
        matrixmultiply::sgemm(
            m,
            K,
            N,
            1.0,
            a.as_ptr(),
            K as isize,
            1,
            b.as_ptr(),
            N as isize,
            1,
            0.0,
            c.as_mut_ptr(),
            N as isize,
            1,
        )
    }
}

/// Rows per block when a crate is parallelised by us: two blocks per thread.
fn row_blocks(
    c: &mut [f32],
    a: &[f32],
    threads: usize,
    f: impl Fn(&mut [f32], &[f32], usize) + Sync,
) {
    let rows = M.div_ceil(2 * threads);
    c.par_chunks_mut(rows * N)
        .zip(a.par_chunks(rows * K))
        .for_each(|(c, a)| f(c, a, c.len() / N));
}

fn bench(crit: &mut Criterion) {
    let a = values(M * K, 1);
    let b = values(K * N, 2);
    let mut c = vec![0.0f32; M * N];
    let all = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut group = crit.benchmark_group(format!("gemm {M}x{K}·{K}x{N}"));
    group.sample_size(10);
    group.throughput(Throughput::Elements((2 * M * K * N) as u64));
    let mut counts = vec![1];
    if all > 1 {
        counts.push(all);
    }
    for threads in counts {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a rayon pool");
        let par = if threads == 1 {
            Par::Seq
        } else {
            Par::rayon(threads)
        };
        group.bench_function(BenchmarkId::new("faer", threads), |bench| {
            bench.iter(|| pool.install(|| faer_gemm(&mut c, &a, &b, M, par)))
        });
        let gpar = if threads == 1 {
            gemm::Parallelism::None
        } else {
            gemm::Parallelism::Rayon(threads)
        };
        group.bench_function(BenchmarkId::new("gemm", threads), |bench| {
            bench.iter(|| pool.install(|| gemm_crate(&mut c, &a, &b, M, gpar)))
        });
        group.bench_function(BenchmarkId::new("matrixmultiply", threads), |bench| {
            bench.iter(|| {
                pool.install(|| {
                    if threads == 1 {
                        matrixmultiply_gemm(&mut c, &a, &b, M)
                    } else {
                        row_blocks(&mut c, &a, threads, |c, a, m| {
                            matrixmultiply_gemm(c, a, &b, m)
                        })
                    }
                })
            })
        });
        if threads > 1 {
            group.bench_function(BenchmarkId::new("faer row blocks", threads), |bench| {
                bench.iter(|| {
                    pool.install(|| {
                        row_blocks(&mut c, &a, threads, |c, a, m| {
                            faer_gemm(c, a, &b, m, Par::Seq)
                        })
                    })
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
