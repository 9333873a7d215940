//! Criterion benchmarks of the matmul at the odd MLP's training shapes (28,465 rows, full
//! batch, 784 → 300 → 5), on the adapter `ODDEVEN_DEVICE` picks (auto|hardware|software).
//!
//! Each criterion iteration records one dispatch, submits it, and the sample ends with one
//! wait, so the time is GPU work plus submission overhead (as in
//! `crates/core/examples/matmul_gflops.rs`). Criterion reports throughput in elements/s
//! with one element per floating-point operation (2·M·K·N), so its `Gelem/s` is GFLOP/s;
//! the bench also prints a GFLOP/s line per shape from the mean of the measured samples
//! (warm-up excluded) and a table at the end.
//!
//! The default is the variant the adapter gets in training (`MatmulVariant::for_gpu`,
//! override `ODDEVEN_MATMUL=vec4|register|tiled`); `ODDEVEN_BENCH_ALL_VARIANTS=1` times
//! every variant. On lavapipe (2 cores) the default run takes about a minute; every variant
//! takes several minutes more, as the workgroup-memory `Tiled` shader is slow there.
//!
//! Run: `cargo bench --bench kernels` or `cargo xtask bench`.

use std::cell::RefCell;
use std::fmt::Display;
use std::time::{Duration, Instant};

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use oddeven_core::kernels::matmul::{matmul_variant, MatmulSpec, MatmulVariant};
use oddeven_core::kernels::{record_all, Dispatch};
use oddeven_core::{Gpu, Tensor};

/// Criterion's minimum: the large shapes take seconds per iteration on a CPU adapter.
const SAMPLES: usize = 10;

/// Rows of the odd-digit training split the MLP trains on in one full batch.
const ROWS: usize = 28465;
const INPUTS: usize = 784;
const HIDDEN: usize = 300;
const CLASSES: usize = 5;

struct Shape {
    m: usize,
    k: usize,
    n: usize,
    spec: MatmulSpec,
    what: &'static str,
}

/// The five products of one training step of the odd MLP.
const SHAPES: [Shape; 5] = [
    Shape {
        m: ROWS,
        k: INPUTS,
        n: HIDDEN,
        spec: MatmulSpec::NN,
        what: "fwd X·W1",
    },
    Shape {
        m: ROWS,
        k: HIDDEN,
        n: CLASSES,
        spec: MatmulSpec::NN,
        what: "fwd H·W2",
    },
    Shape {
        m: INPUTS,
        k: ROWS,
        n: HIDDEN,
        spec: MatmulSpec::TN,
        what: "grad Xᵀ·dH",
    },
    Shape {
        m: HIDDEN,
        k: ROWS,
        n: CLASSES,
        spec: MatmulSpec::TN,
        what: "grad Hᵀ·dY",
    },
    Shape {
        m: ROWS,
        k: CLASSES,
        n: HIDDEN,
        spec: MatmulSpec::NT,
        what: "grad dY·W2ᵀ",
    },
];

impl Shape {
    fn spec_name(&self) -> &'static str {
        match (self.spec.trans_a, self.spec.trans_b) {
            (false, false) => "NN",
            (true, false) => "TN",
            (false, true) => "NT",
            (true, true) => "TT",
        }
    }

    fn flops(&self) -> u64 {
        2 * (self.m * self.k * self.n) as u64
    }

    fn id(&self) -> String {
        format!("{}x{}x{} {}", self.m, self.k, self.n, self.spec_name())
    }
}

/// One measured (shape, variant).
struct Row {
    what: &'static str,
    id: String,
    variant: MatmulVariant,
    mean: Duration,
    best: Duration,
    flops: u64,
    gflops: f64,
}

/// Ends the bench with a message and a non-zero exit (no panic, no backtrace).
fn fail(message: impl Display) -> ! {
    eprintln!("bench kernels: {message}");
    std::process::exit(1);
}

/// `iters` dispatches, each in its own submission, then one wait.
fn time(gpu: &Gpu, op: &Dispatch, iters: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        let mut encoder = gpu.encoder("bench matmul");
        record_all(&mut encoder, &[op]);
        gpu.submit(encoder);
    }
    if let Err(e) = gpu.wait() {
        fail(format_args!("waiting for the adapter failed: {e}"));
    }
    start.elapsed()
}

fn variants(gpu: &Gpu) -> Vec<MatmulVariant> {
    let default = MatmulVariant::for_gpu(gpu).expect("ODDEVEN_MATMUL");
    let mut list = vec![default];
    if std::env::var("ODDEVEN_BENCH_ALL_VARIANTS").is_ok_and(|v| v == "1") {
        for v in [
            MatmulVariant::Vec4,
            MatmulVariant::Register,
            MatmulVariant::Tiled,
        ] {
            if !list.contains(&v) {
                list.push(v);
            }
        }
    }
    list
}

fn operands(gpu: &Gpu, s: &Shape) -> (Tensor, Tensor, Tensor) {
    let a_shape = if s.spec.trans_a {
        [s.k, s.m]
    } else {
        [s.m, s.k]
    };
    let b_shape = if s.spec.trans_b {
        [s.n, s.k]
    } else {
        [s.k, s.n]
    };
    // Small, exactly representable values: no denormals or overflow to skew the timing.
    let a: Vec<f32> = (0..s.m * s.k).map(|i| (i % 7) as f32 * 0.125).collect();
    let b: Vec<f32> = (0..s.k * s.n)
        .map(|i| (i % 5) as f32 * 0.25 - 0.5)
        .collect();
    let tensors = (|| {
        Ok::<_, oddeven_core::CoreError>((
            Tensor::from_slice(gpu, &a_shape, &a, "bench a")?,
            Tensor::from_slice(gpu, &b_shape, &b, "bench b")?,
            Tensor::zeros(gpu, &[s.m, s.n], "bench c")?,
        ))
    })();
    tensors.unwrap_or_else(|e| fail(format_args!("cannot allocate {}: {e}", s.id())))
}

fn matmul(c: &mut Criterion) {
    let gpu = Gpu::from_env().unwrap_or_else(|e| {
        let choice = std::env::var("ODDEVEN_DEVICE").unwrap_or_else(|_| "auto".into());
        fail(format_args!(
            "cannot open an adapter (ODDEVEN_DEVICE={choice}): {e}"
        ))
    });
    let variants = variants(&gpu);
    println!("adapter: {}", gpu.summary());
    println!(
        "matmul variants: {}",
        variants
            .iter()
            .map(|v| format!("{v:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    );

    let mut table = Vec::new();
    let mut group = c.benchmark_group("matmul");
    group
        .sample_size(SAMPLES)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(4));
    for shape in &SHAPES {
        let (a, b, out) = operands(&gpu, shape);
        group.throughput(Throughput::Elements(shape.flops()));
        for &variant in &variants {
            let op = matmul_variant(&gpu, &a, &b, &out, None, shape.spec, variant)
                .unwrap_or_else(|e| fail(format_args!("{} {variant:?}: {e}", shape.id())));
            // Every call's (iterations, elapsed); criterion's warm-up calls come first, its
            // `SAMPLES` measured samples last.
            let calls: RefCell<Vec<(u64, Duration)>> = RefCell::new(Vec::new());
            let id = BenchmarkId::new(format!("{} {variant:?}", shape.what), shape.id());
            group.bench_function(id, |bench| {
                bench.iter_custom(|iters| {
                    let elapsed = time(&gpu, &op, iters);
                    calls.borrow_mut().push((iters, elapsed));
                    elapsed
                })
            });
            let calls = calls.into_inner();
            if let Some(row) = summarise(shape, variant, &calls) {
                println!(
                    "  => {} {} {variant:?}: mean {:.2} ms, {:.2} GFLOP/s",
                    shape.what,
                    row.id,
                    row.mean.as_secs_f64() * 1e3,
                    row.gflops
                );
                table.push(row);
            }
        }
    }
    group.finish();
    print_table(&gpu, &table);
}

/// Mean and best time per iteration over the measured samples (or whatever ran, for a
/// `--quick` or test-mode run); `None` when the benchmark was filtered out.
fn summarise(shape: &Shape, variant: MatmulVariant, calls: &[(u64, Duration)]) -> Option<Row> {
    let measured = &calls[calls.len().saturating_sub(SAMPLES)..];
    let per_iter: Vec<f64> = measured
        .iter()
        .filter(|(iters, _)| *iters > 0)
        .map(|(iters, elapsed)| elapsed.as_secs_f64() / *iters as f64)
        .collect();
    if per_iter.is_empty() {
        return None;
    }
    let mean = per_iter.iter().sum::<f64>() / per_iter.len() as f64;
    let best = per_iter.iter().copied().fold(f64::INFINITY, f64::min);
    Some(Row {
        what: shape.what,
        id: shape.id(),
        variant,
        mean: Duration::from_secs_f64(mean),
        best: Duration::from_secs_f64(best),
        flops: shape.flops(),
        gflops: shape.flops() as f64 / mean / 1e9,
    })
}

fn print_table(gpu: &Gpu, table: &[Row]) {
    if table.is_empty() {
        return;
    }
    println!(
        "\nmatmul on {} (mean of the measured samples):",
        gpu.summary()
    );
    println!(
        "  {:<12} {:<20} {:<9} {:>11} {:>11} {:>9}",
        "product", "M x K x N", "variant", "mean ms", "best ms", "GFLOP/s"
    );
    // Per variant: (seconds, flops, shapes) summed over the shapes measured.
    let mut totals = std::collections::BTreeMap::<String, (f64, u64, usize)>::new();
    for row in table {
        println!(
            "  {:<12} {:<20} {:<9} {:>11.2} {:>11.2} {:>9.2}",
            row.what,
            row.id,
            format!("{:?}", row.variant),
            row.mean.as_secs_f64() * 1e3,
            row.best.as_secs_f64() * 1e3,
            row.gflops
        );
        let entry = totals
            .entry(format!("{:?}", row.variant))
            .or_insert((0.0, 0, 0));
        entry.0 += row.mean.as_secs_f64();
        entry.1 += row.flops;
        entry.2 += 1;
    }
    for (variant, (secs, flops, shapes)) in totals {
        println!(
            "  {variant}, {shapes} of {} shapes together: {:.2} ms, {:.2} GFLOP/s",
            SHAPES.len(),
            secs * 1e3,
            flops as f64 / secs / 1e9
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
