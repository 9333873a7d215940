//! The GPU time of every kernel of one training step (`cargo xtask bench --profile`), from
//! timestamp queries, on the adapter `ODDEVEN_DEVICE` picks. One step = gathers of a
//! minibatch (none for a full batch), then `train_step::record` (forward, loss, metrics,
//! backward) and Adam — the op list the training loop runs.
//!
//! Usage: profile_step [MODEL] [BATCH|full] [ROWS]   (defaults: mlp 64 28465)

use oddeven_core::{Backend, Gpu, StepValues};
use oddeven_models::graph::{Network, Optimizer};
use oddeven_models::{Architecture, OutputKind, Params, MNIST_INPUT};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let model = args.first().map_or("mlp", String::as_str);
    let rows: usize = args.get(2).map_or(Ok(28465), |r| r.parse())?;
    let batch = match args.get(1).map(String::as_str) {
        Some("full") => rows,
        Some(b) => b.parse()?,
        None => 64,
    };
    let gpu = Gpu::from_env()?;
    let spec = model
        .parse::<Architecture>()?
        .resolve(MNIST_INPUT, 5, OutputKind::Softmax)?;
    let params = Params::init(spec.clone(), 1)?;
    let net = Network::upload(&gpu, &params)?;
    let opt = Optimizer::new(&net, 0)?;
    let metrics = gpu.zeros(&[2, 2], "metrics")?;
    let x_all = gpu.zeros(&spec.input.with_rows(rows), "x")?;
    let y_all = gpu.zeros(&[rows, 5], "y")?;
    let index = gpu.index_zeros(&[rows], "index")?;
    gpu.write_indices(&index, &(0..rows as u32).collect::<Vec<_>>())?;
    let mut ops = Vec::new();
    let (x, y) = if batch == rows {
        (x_all.clone(), y_all.clone())
    } else {
        let x = gpu.zeros(&spec.input.with_rows(batch), "batch x")?;
        let y = gpu.zeros(&[batch, 5], "batch y")?;
        ops.push(gpu.gather_rows(&x_all, &index, &x, 0)?);
        ops.push(gpu.gather_rows(&y_all, &index, &y, 0)?);
        (x, y)
    };
    ops.extend(oddeven_models::train_step::record(
        &net,
        &x,
        &y,
        &metrics,
        1.0 / rows as f32,
        &opt.grads,
        0,
    )?);
    let list: Vec<_> = ops.iter().chain(&opt.ops).collect();
    let step = StepValues::default();
    // Warm up (pipelines, caches), then measure.
    gpu.run(&list, &step)?;
    gpu.sync()?;
    let Some(times) = gpu.profile(&list, &step)? else {
        println!(
            "{} has no timestamp queries: nothing to profile",
            gpu.summary()
        );
        return Ok(());
    };
    println!("adapter: {}", gpu.summary());
    println!(
        "{model}, batch {batch} of {rows}: {} launches per step",
        times.len()
    );
    println!("{:>9}  {:>16}  kernel", "ms", "workgroups");
    let total: f64 = times.iter().map(|t| t.ms).sum();
    for t in &times {
        println!(
            "{:>9.3}  {:>16}  {}",
            t.ms,
            format!("{:?}", t.workgroups),
            t.label
        );
    }
    let steps = rows.div_ceil(batch);
    println!(
        "{total:>9.3}  total per step; × {steps} steps = {:.0} ms per epoch of GPU time",
        total * steps as f64
    );
    Ok(())
}
