//! Trains one benchmark protocol on the CPU backend and prints ms per epoch as one JSON
//! line (what `cargo xtask bench --compare pytorch` runs beside bench/pytorch_reference.py).
//!
//! Protocol: MNIST from `ODDEVEN_DATA` (else data/mnist), one digit subset (odd by
//! default), the default 80/20 split (seed 42), PyTorch-default init, Adam; softmax and
//! mlp (784→300→5) train full batch at lr 0.01, the cnn (conv32-conv64-fc128) in batches
//! of 64 at lr 0.001. The time is the epoch loop alone (evaluation excluded).
//!
//! ```text
//! cargo run --release -p oddeven-cpu --example epoch -- --model mlp --epochs 20
//!     [--digits odd] [--batch-size N] [--lr X] [--threads N] [--seed N]
//! ```

use std::process::ExitCode;

use oddeven_core::kernels::adam::AdamConfig;
use oddeven_core::Backend;
use oddeven_cpu::CpuBackend;
use oddeven_data::{load_mnist, resolve_data_dir, split_subset, DigitSet, SplitConfig};
use oddeven_models::{train, Architecture, DataRef, OutputKind, Params, TrainConfig, MNIST_INPUT};

struct Args {
    model: String,
    digits: String,
    epochs: usize,
    batch_size: Option<usize>,
    lr: Option<f32>,
    threads: Option<usize>,
    seed: u64,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        model: "mlp".into(),
        digits: "odd".into(),
        epochs: 20,
        batch_size: None,
        lr: None,
        threads: None,
        seed: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        let bad = |e: &dyn std::fmt::Display| format!("{flag}: {e}");
        match flag.as_str() {
            "--model" => a.model = value()?,
            "--digits" => a.digits = value()?,
            "--epochs" => a.epochs = value()?.parse().map_err(|e| bad(&e))?,
            "--batch-size" => a.batch_size = Some(value()?.parse().map_err(|e| bad(&e))?),
            "--lr" => a.lr = Some(value()?.parse().map_err(|e| bad(&e))?),
            "--threads" => a.threads = Some(value()?.parse().map_err(|e| bad(&e))?),
            "--seed" => a.seed = value()?.parse().map_err(|e| bad(&e))?,
            other => return Err(format!("unknown flag {other:?}")),
        }
    }
    Ok(a)
}

fn data(ex: &oddeven_data::Examples) -> DataRef<'_> {
    DataRef {
        features: &ex.features,
        labels: &ex.labels,
        classes: ex.num_classes(),
    }
}

fn run() -> Result<String, Box<dyn std::error::Error>> {
    let args = parse()?;
    let cnn = args.model == "cnn";
    let raw = load_mnist(&resolve_data_dir(None))?;
    let digits: DigitSet = args.digits.parse()?;
    let split = split_subset(&raw, &digits, &SplitConfig::default())?;
    let spec = Architecture::parse(&args.model, 300)?.resolve(
        MNIST_INPUT,
        digits.len(),
        OutputKind::Softmax,
    )?;
    let mut params = Params::init(spec, args.seed)?;
    let backend = CpuBackend::new(args.threads)?;
    let cfg = TrainConfig {
        epochs: args.epochs,
        batch_size: args.batch_size.or(cnn.then_some(64)),
        adam: AdamConfig {
            lr: args.lr.unwrap_or(if cnn { 0.001 } else { 0.01 }),
            ..AdamConfig::default()
        },
        seed: args.seed,
        progress_interval: None,
        ..TrainConfig::default()
    };
    let r = train(
        &backend,
        &mut params,
        data(&split.train),
        data(&split.test),
        &cfg,
        &mut |_| {},
    )?;
    let line = serde_json::json!({
        "impl": "oddeven-cpu",
        "model": args.model,
        "digits": args.digits,
        "train_rows": split.train.len(),
        "epochs": r.epochs_run,
        "batch_size": cfg.batch_size,
        "threads": backend.threads(),
        "ms_per_epoch": r.train_seconds * 1000.0 / r.epochs_run.max(1) as f64,
        "train_accuracy": r.train_accuracy,
        "test_accuracy": r.test_accuracy,
        "device": backend.summary().name,
    });
    Ok(line.to_string())
}

fn main() -> ExitCode {
    match run() {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("epoch: error: {e}");
            ExitCode::FAILURE
        }
    }
}
