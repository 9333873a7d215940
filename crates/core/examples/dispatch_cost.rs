//! How long one dispatch of a kernel takes on this adapter, recorded many times into one
//! submission: the fixed cost every op of a training step pays. Probe for tuning.
use std::time::Instant;

use oddeven_core::kernels::{activation, adam, record_all, Dispatch};
use oddeven_core::{Gpu, Tensor};

fn time(
    gpu: &Gpu,
    what: &str,
    op: &Dispatch,
    reps: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let list: Vec<_> = (0..reps).map(|_| op).collect();
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let t = Instant::now();
        let mut enc = gpu.encoder("probe");
        record_all(&mut enc, &list);
        gpu.submit(enc);
        gpu.wait()?;
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "{what:<28} {:>9.1} µs per dispatch",
        best * 1e6 / reps as f64
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let gpu = Gpu::from_env()?;
    println!("adapter: {}", gpu.summary());
    for n in [64usize, 19_200, 235_200, 235_201] {
        let x = Tensor::zeros(&gpu, &[n], "x")?;
        let y = Tensor::zeros(&gpu, &[n], "y")?;
        let m = Tensor::zeros(&gpu, &[n], "m")?;
        let v = Tensor::zeros(&gpu, &[n], "v")?;
        time(
            &gpu,
            &format!("relu {n}"),
            &activation::relu(&gpu, &x, &y)?,
            200,
        )?;
        time(
            &gpu,
            &format!("adam {n}"),
            &adam::adam(&gpu, &x, &y, &m, &v)?,
            200,
        )?;
    }
    Ok(())
}
