//! Criterion benchmarks of the conv kernels at the CNN's training shapes (batch 64):
//! conv1 28×28×1 → 32 and conv2 14×14×32 → 64, both 3×3, stride 1, padding 1, on the
//! adapter `ODDEVEN_DEVICE` picks (auto|hardware|software).
//!
//! Per conv: the forward pass both ways (`ConvVariant::Im2col`: im2col + matmul with fused
//! bias and ReLU; `ConvVariant::Direct`: one implicit-GEMM kernel), the input gradient
//! (dy·Wᵀ then col2im), the weight gradient from the cols the im2col forward leaves
//! (colsᵀ·dy and the bias column sum) and from the input (im2col first, as after a direct
//! forward), and im2col alone. Every product counts 2·out_pixels·patch_len·out_c
//! floating-point operations (im2col alone counts none), so criterion's `Gelem/s` is
//! GFLOP/s; a table at the end gives GFLOP/s from the mean of the measured samples.
//!
//! Each iteration records one dispatch and submits it; the sample ends with one wait, so
//! the time is GPU work plus submission overhead, as in `benches/kernels.rs`.
//!
//! Run: `cargo bench --bench conv` (about a minute on lavapipe, 2 cores).
//!
//! Measured on lavapipe (llvmpipe, LLVM 15, 256 bits; 2 cores, otherwise idle), mean ms
//! and GFLOP/s:
//!
//! | conv  | fwd im2col  | fwd direct  | input bwd  | weight bwd  | + im2col    |
//! |-------|-------------|-------------|------------|-------------|-------------|
//! | conv1 | 15.2 / 1.9  | 5.9 / 4.9   | 9.2 / 3.1  | 14.5 / 2.0  | 15.9 / 1.8  |
//! | conv2 | 31.4 / 14.7 | 29.5 / 15.7 | 60.6 / 7.6 | 31.4 / 14.7 | 35.3 / 13.1 |

use std::cell::RefCell;
use std::fmt::Display;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use oddeven_core::kernels::conv::{
    conv2d_forward, conv2d_input_backward, conv2d_weight_backward,
    conv2d_weight_backward_from_input, im2col, ConvVariant,
};
use oddeven_core::kernels::{record_all, Dispatch};
use oddeven_core::{Conv2dGeometry, CoreError, Gpu, Tensor};

/// Criterion's minimum.
const SAMPLES: usize = 10;
const BATCH: usize = 64;

const CONVS: [(&str, Conv2dGeometry); 2] = [
    (
        "conv1",
        Conv2dGeometry {
            batch: BATCH,
            in_h: 28,
            in_w: 28,
            in_c: 1,
            out_c: 32,
            kernel: 3,
            stride: 1,
            padding: 1,
        },
    ),
    (
        "conv2",
        Conv2dGeometry {
            batch: BATCH,
            in_h: 14,
            in_w: 14,
            in_c: 32,
            out_c: 64,
            kernel: 3,
            stride: 1,
            padding: 1,
        },
    ),
];

/// One measured (conv, op).
struct Row {
    conv: &'static str,
    op: &'static str,
    mean: Duration,
    best: Duration,
    flops: f64,
}

/// Ends the bench with a message and a non-zero exit (no panic, no backtrace).
fn fail(message: impl Display) -> ! {
    eprintln!("bench conv: {message}");
    std::process::exit(1);
}

/// `iters` dispatches, each in its own submission, then one wait.
fn time(gpu: &Gpu, op: &Dispatch, iters: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        let mut encoder = gpu.encoder("bench conv");
        record_all(&mut encoder, &[op]);
        gpu.submit(encoder);
    }
    if let Err(e) = gpu.wait() {
        fail(format_args!("waiting for the adapter failed: {e}"));
    }
    start.elapsed()
}

/// The dispatches of one conv, by name, with the flops each counts.
fn ops(gpu: &Gpu, g: &Conv2dGeometry) -> Result<Vec<(&'static str, Dispatch, f64)>, CoreError> {
    let (oh, ow) = (g.out_h(), g.out_w());
    let x_shape = [g.batch, g.in_h, g.in_w, g.in_c];
    let w_shape = [g.kernel, g.kernel, g.in_c, g.out_c];
    let y_shape = [g.batch, oh, ow, g.out_c];
    let cols_shape = [g.out_pixels(), g.patch_len()];
    // Small, exactly representable values: no denormals or overflow to skew the timing.
    let fill = |shape: &[usize], label: &str| {
        let n: usize = shape.iter().product();
        let data: Vec<f32> = (0..n).map(|i| (i % 7) as f32 * 0.125 - 0.375).collect();
        Tensor::from_slice(gpu, shape, &data, label)
    };
    let x = fill(&x_shape, "x")?;
    let w = fill(&w_shape, "w")?;
    let b = fill(&[g.out_c], "b")?;
    let dy = fill(&y_shape, "dy")?;
    let out = Tensor::zeros(gpu, &y_shape, "out")?;
    let cols = Tensor::zeros(gpu, &cols_shape, "cols")?;
    let dcols = Tensor::zeros(gpu, &cols_shape, "dcols")?;
    let dx = Tensor::zeros(gpu, &x_shape, "dx")?;
    let dw = Tensor::zeros(gpu, &w_shape, "dw")?;
    let db = Tensor::zeros(gpu, &[g.out_c], "db")?;
    let f = g.flops();
    let fwd = |v| conv2d_forward(gpu, &x, &w, &b, &out, &cols, g, true, v);
    Ok(vec![
        ("fwd im2col", fwd(ConvVariant::Im2col)?, f),
        ("fwd direct", fwd(ConvVariant::Direct)?, f),
        (
            "input bwd",
            conv2d_input_backward(gpu, &dy, &w, &dx, &dcols, g)?,
            f,
        ),
        (
            "weight bwd",
            conv2d_weight_backward(gpu, &cols, &dy, &dw, &db, g)?,
            f,
        ),
        (
            "weight bwd+im2col",
            conv2d_weight_backward_from_input(gpu, &x, &cols, &dy, &dw, &db, g)?,
            f,
        ),
        ("im2col", im2col(gpu, &x, &cols, g)?, 0.0),
    ])
}

fn conv(c: &mut Criterion) {
    let gpu = Gpu::from_env().unwrap_or_else(|e| {
        let choice = std::env::var("ODDEVEN_DEVICE").unwrap_or_else(|_| "auto".into());
        fail(format_args!(
            "cannot open an adapter (ODDEVEN_DEVICE={choice}): {e}"
        ))
    });
    println!("adapter: {}", gpu.summary());
    let mut table = Vec::new();
    let mut group = c.benchmark_group("conv");
    group
        .sample_size(SAMPLES)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(3));
    for (conv, g) in &CONVS {
        let ops = ops(&gpu, g).unwrap_or_else(|e| fail(format_args!("{conv}: {e}")));
        for (op, dispatch, flops) in ops {
            // Counted in flops; im2col alone moves data only, so count its output elements.
            let elems = if flops > 0.0 {
                flops
            } else {
                g.cols_len() as f64
            };
            group.throughput(Throughput::Elements(elems as u64));
            let calls: RefCell<Vec<(u64, Duration)>> = RefCell::new(Vec::new());
            group.bench_function(format!("{conv} {op}"), |bench| {
                bench.iter_custom(|iters| {
                    let elapsed = time(&gpu, &dispatch, iters);
                    calls.borrow_mut().push((iters, elapsed));
                    elapsed
                })
            });
            if let Some((mean, best)) = summarise(&calls.into_inner()) {
                table.push(Row {
                    conv,
                    op,
                    mean,
                    best,
                    flops,
                });
            }
        }
    }
    group.finish();
    print_table(&gpu, &table);
}

/// Mean and best time per iteration over the measured samples (or whatever ran, for a
/// `--quick` or test-mode run); `None` when the benchmark was filtered out.
fn summarise(calls: &[(u64, Duration)]) -> Option<(Duration, Duration)> {
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
    Some((Duration::from_secs_f64(mean), Duration::from_secs_f64(best)))
}

fn print_table(gpu: &Gpu, table: &[Row]) {
    if table.is_empty() {
        return;
    }
    println!(
        "\nconv at batch {BATCH} on {} (mean of the measured samples):",
        gpu.summary()
    );
    println!(
        "  {:<6} {:<18} {:>9} {:>9} {:>8}",
        "conv", "op", "mean ms", "best ms", "GFLOP/s"
    );
    for row in table {
        let gflops = if row.flops > 0.0 {
            format!("{:.2}", row.flops / row.mean.as_secs_f64() / 1e9)
        } else {
            "-".to_string()
        };
        println!(
            "  {:<6} {:<18} {:>9.2} {:>9.2} {:>8}",
            row.conv,
            row.op,
            row.mean.as_secs_f64() * 1e3,
            row.best.as_secs_f64() * 1e3,
            gflops
        );
    }
}

// No HTML plots: criterion's plotters backend needs system fonts a bare machine lacks.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = conv
}
criterion_main!(benches);
