//! Criterion benchmarks of the matmul at the odd MLP's training shapes (28,465 rows, full
//! batch), on the adapter `ODDEVEN_DEVICE` picks, printing GFLOP/s per shape. Each sample
//! times submit + wait of one dispatch. `ODDEVEN_BENCH_ALL_VARIANTS=1` also times the
//! variants the adapter would not pick.
//!
//! Run: `cargo bench --bench kernels` or `cargo xtask bench`.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use oddeven_core::kernels::matmul::{matmul_variant, MatmulSpec, MatmulVariant};
use oddeven_core::kernels::{record_all, Dispatch};
use oddeven_core::{Gpu, Tensor};

/// (M, K, N, spec, what) of one training step of the odd MLP.
const SHAPES: [(usize, usize, usize, MatmulSpec, &str); 5] = [
    (28465, 784, 300, MatmulSpec::NN, "forward X·W1"),
    (28465, 300, 5, MatmulSpec::NN, "forward H·W2"),
    (784, 28465, 300, MatmulSpec::TN, "grad Xᵀ·dH"),
    (300, 28465, 5, MatmulSpec::TN, "grad Hᵀ·dZ"),
    (28465, 5, 300, MatmulSpec::NT, "grad dZ·W2ᵀ"),
];

fn time(gpu: &Gpu, op: &Dispatch, iters: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        let mut encoder = gpu.encoder("bench");
        record_all(&mut encoder, &[op]);
        gpu.submit(encoder);
    }
    if let Err(e) = gpu.wait() {
        eprintln!("bench: waiting for the GPU failed: {e}");
        std::process::exit(1);
    }
    start.elapsed()
}

fn matmul(c: &mut Criterion) {
    let gpu = match Gpu::from_env() {
        Ok(gpu) => gpu,
        Err(e) => {
            eprintln!("bench: {e}");
            std::process::exit(1);
        }
    };
    let default = MatmulVariant::for_gpu(&gpu);
    let variants = if std::env::var("ODDEVEN_BENCH_ALL_VARIANTS").is_ok_and(|v| v == "1") {
        vec![
            MatmulVariant::Vec4,
            MatmulVariant::Register,
            MatmulVariant::Tiled,
        ]
    } else {
        vec![default]
    };
    println!(
        "adapter: {} (default matmul variant {default:?})",
        gpu.summary()
    );
    let mut table = Vec::new();
    let mut group = c.benchmark_group("matmul");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    for (m, k, n, spec, what) in SHAPES {
        let a_shape = if spec.trans_a { [k, m] } else { [m, k] };
        let b_shape = if spec.trans_b { [n, k] } else { [k, n] };
        let setup = || -> Result<(Tensor, Tensor, Tensor), oddeven_core::CoreError> {
            Ok((
                Tensor::from_slice(&gpu, &a_shape, &vec![0.5; m * k], "a")?,
                Tensor::from_slice(&gpu, &b_shape, &vec![0.25; k * n], "b")?,
                Tensor::zeros(&gpu, &[m, n], "c")?,
            ))
        };
        let Ok((a, b, out)) = setup() else {
            eprintln!("bench: cannot allocate {m}x{k}x{n} on this adapter");
            std::process::exit(1);
        };
        let flops = 2 * m * k * n;
        group.throughput(Throughput::Elements(flops as u64));
        for &variant in &variants {
            let op = match matmul_variant(&gpu, &a, &b, &out, None, spec, variant) {
                Ok(op) => op,
                Err(e) => {
                    eprintln!("bench: {e}");
                    std::process::exit(1);
                }
            };
            let id = BenchmarkId::new(format!("{what} {variant:?}"), format!("{m}x{k}x{n}"));
            let mut best = f64::INFINITY;
            group.bench_function(id, |bench| {
                bench.iter_custom(|iters| {
                    let elapsed = time(&gpu, &op, iters);
                    best = best.min(elapsed.as_secs_f64() / iters.max(1) as f64);
                    elapsed
                })
            });
            table.push((what, m, k, n, variant, best, flops as f64 / best / 1e9));
        }
    }
    group.finish();
    println!("\nmatmul on {} (best sample):", gpu.summary());
    for (what, m, k, n, variant, secs, gflops) in table {
        println!(
            "  {what:14} {m:>6}x{k:>6}x{n:>4} {variant:?}: {:9.2} ms  {gflops:6.2} GFLOP/s",
            secs * 1e3
        );
    }
}

// No HTML plots: criterion's plotters backend needs system fonts a bare machine lacks.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = matmul
}
criterion_main!(benches);
