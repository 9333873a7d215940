//! Quick GFLOP/s table of the matmul variants at the study's training shapes, for tuning
//! without criterion: `cargo run --release -p oddeven-core --example matmul_gflops`.
//! Shapes can be given as `MxKxN` arguments, with `:tn` or `:nt` for Aᵀ·B or A·Bᵀ.

use std::time::Instant;

use oddeven_core::kernels::matmul::{matmul_variant, MatmulSpec, MatmulVariant};
use oddeven_core::kernels::{record_all, Dispatch};
use oddeven_core::{Gpu, Tensor};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let gpu = Gpu::from_env()?;
    println!("adapter: {}", gpu.summary());
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut shapes: Vec<(usize, usize, usize, MatmulSpec, &str)> = vec![
        (28465, 784, 300, MatmulSpec::NN, "forward X·W1"),
        (784, 28465, 300, MatmulSpec::TN, "grad Xᵀ·dH"),
        (28465, 300, 5, MatmulSpec::NN, "forward H·W2"),
        (300, 28465, 5, MatmulSpec::TN, "grad Hᵀ·dY"),
        (28465, 5, 300, MatmulSpec::NT, "grad dY·W2ᵀ"),
    ];
    if !args.is_empty() {
        shapes.clear();
        for a in &args {
            // MxKxN, optionally :nn, :tn or :nt (which operand is stored transposed).
            let (dims, spec) = a.split_once(':').unwrap_or((a, "nn"));
            let spec = match spec {
                "tn" => MatmulSpec::TN,
                "nt" => MatmulSpec::NT,
                "nn" => MatmulSpec::NN,
                other => return Err(format!("unknown transpose {other:?}: nn, tn or nt").into()),
            };
            let d: Vec<usize> = dims.split('x').filter_map(|s| s.parse().ok()).collect();
            if d.len() != 3 {
                return Err(format!("shape {a:?} is not MxKxN[:nn|tn|nt]").into());
            }
            shapes.push((d[0], d[1], d[2], spec, "custom"));
        }
    }
    let variants = match std::env::var("ODDEVEN_MATMUL").ok().as_deref() {
        Some("tiled") => vec![MatmulVariant::Tiled],
        Some("register") => vec![MatmulVariant::Register],
        Some("vec4") => vec![MatmulVariant::Vec4],
        _ => vec![
            MatmulVariant::Vec4,
            MatmulVariant::Register,
            MatmulVariant::Tiled,
        ],
    };
    for (m, k, n, spec, what) in shapes {
        let a_shape = if spec.trans_a { [k, m] } else { [m, k] };
        let b_shape = if spec.trans_b { [n, k] } else { [k, n] };
        let a = Tensor::from_slice(&gpu, &a_shape, &vec![0.5; m * k], "a")?;
        let b = Tensor::from_slice(&gpu, &b_shape, &vec![0.25; k * n], "b")?;
        let c = Tensor::zeros(&gpu, &[m, n], "c")?;
        for &variant in &variants {
            let op = matmul_variant(&gpu, &a, &b, &c, None, spec, variant)?;
            let secs = time(&gpu, &op, 3)?;
            let gflops = 2.0 * (m * k * n) as f64 / secs / 1e9;
            println!(
                "{what:14} {m:>6}x{k:>6}x{n:>4} {variant:?}: {:8.2} ms  {gflops:6.2} GFLOP/s",
                secs * 1e3
            );
        }
    }
    Ok(())
}

fn time(gpu: &Gpu, op: &Dispatch, reps: usize) -> Result<f64, Box<dyn std::error::Error>> {
    let mut enc = gpu.encoder("warmup");
    record_all(&mut enc, &[op]);
    gpu.submit(enc);
    gpu.wait()?;
    let start = Instant::now();
    for _ in 0..reps {
        let mut enc = gpu.encoder("timed");
        record_all(&mut enc, &[op]);
        gpu.submit(enc);
    }
    gpu.wait()?;
    Ok(start.elapsed().as_secs_f64() / reps as f64)
}
