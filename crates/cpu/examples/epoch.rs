//! Trains one benchmark protocol and prints ms per epoch as one JSON line (what `cargo
//! xtask bench --compare pytorch` runs beside bench/pytorch_reference.py), on the native
//! CPU backend or — with `--device software|hardware|auto` — on a wgpu adapter.
//!
//! Protocol: MNIST from `ODDEVEN_DATA` (else data/mnist), one digit subset (odd by
//! default), the default 80/20 split (seed 42), PyTorch-default init, Adam; softmax and
//! mlp (784→300→5) train full batch at lr 0.01, the cnn (conv32-conv64-fc128) in batches
//! of 64 at lr 0.001. The time is the epoch loop alone (evaluation excluded).
//!
//! `--model paper` runs the study's six-run schedule instead (softmax odd and even, mlp
//! odd and even, full transfer odd→even and even→odd; full batch, lr 0.01, `--epochs`
//! each, 300 by default) and reports its wall time from the MNIST load to the last
//! evaluation in "seconds" (and "ms_per_epoch" = seconds over the six runs' epochs).
//!
//! ```text
//! cargo run --release -p oddeven-cpu --example epoch -- --model mlp --epochs 20
//!     [--digits odd] [--batch-size N] [--lr X] [--threads N] [--seed N]
//!     [--device cpu|software|hardware|auto]
//! ```

use std::process::ExitCode;

use oddeven_core::kernels::adam::AdamConfig;
use oddeven_core::{Backend, DeviceChoice, Gpu};
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
    device: String,
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
        device: "cpu".into(),
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
            "--device" => a.device = value()?,
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

type BoxError = Box<dyn std::error::Error>;

/// The six runs of the study, timed from the data load to the last evaluation.
fn paper<B: Backend>(backend: &B, args: &Args) -> Result<String, BoxError> {
    let start = std::time::Instant::now();
    let raw = load_mnist(&resolve_data_dir(None))?;
    let cfg = TrainConfig {
        epochs: args.epochs,
        progress_interval: None,
        seed: args.seed,
        ..TrainConfig::default()
    };
    let mut runs = Vec::new();
    let mut trained = Vec::new();
    for (model, digits, from) in [
        ("softmax", "odd", None),
        ("softmax", "even", None),
        ("mlp", "odd", None),
        ("mlp", "even", None),
        ("mlp", "even", Some(2)),
        ("mlp", "odd", Some(3)),
    ] {
        let set: DigitSet = digits.parse()?;
        let split = split_subset(&raw, &set, &SplitConfig::default())?;
        let spec = Architecture::parse(model, 300)?.resolve(MNIST_INPUT, 5, OutputKind::Softmax)?;
        let mut params = match from {
            None => Params::init(spec, args.seed)?,
            Some(i) => oddeven_models::transfer(
                &trained[i],
                &spec,
                oddeven_models::TransferMode::Full,
                args.seed,
            )?,
        };
        let r = train(
            backend,
            &mut params,
            data(&split.train),
            data(&split.test),
            &cfg,
            &mut |_| {},
        )?;
        runs.push(serde_json::json!({
            "model": model, "digits": digits, "transfer": from.is_some(),
            "train_seconds": r.train_seconds, "test_accuracy": r.test_accuracy,
        }));
        trained.push(params);
    }
    let seconds = start.elapsed().as_secs_f64();
    Ok(serde_json::json!({
        "impl": implementation(backend),
        "model": "paper",
        "epochs": args.epochs,
        "threads": args.threads,
        "seconds": seconds,
        "ms_per_epoch": seconds * 1000.0 / (6 * args.epochs) as f64,
        "runs": runs,
        "device": backend.summary().name,
    })
    .to_string())
}

/// "oddeven-cpu" for the native backend, "oddeven-wgpu" for an adapter.
fn implementation<B: Backend>(backend: &B) -> &'static str {
    if backend.summary().backend == "cpu" {
        "oddeven-cpu"
    } else {
        "oddeven-wgpu"
    }
}

fn run() -> Result<String, BoxError> {
    let mut args = parse()?;
    if args.model == "paper" && !std::env::args().any(|a| a == "--epochs") {
        args.epochs = 300;
    }
    let choice: DeviceChoice = args.device.parse()?;
    let hardware = || Gpu::new(DeviceChoice::Hardware);
    match choice {
        DeviceChoice::Cpu => protocol(&CpuBackend::new(args.threads)?, &args),
        DeviceChoice::Auto => match hardware() {
            Ok(gpu) => protocol(&gpu, &args),
            Err(_) => protocol(&CpuBackend::new(args.threads)?, &args),
        },
        other => protocol(&Gpu::new(other)?, &args),
    }
}

fn protocol<B: Backend>(backend: &B, args: &Args) -> Result<String, BoxError> {
    if args.model == "paper" {
        return paper(backend, args);
    }
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
        backend,
        &mut params,
        data(&split.train),
        data(&split.test),
        &cfg,
        &mut |_| {},
    )?;
    let line = serde_json::json!({
        "impl": implementation(backend),
        "model": args.model,
        "digits": args.digits,
        "train_rows": split.train.len(),
        "epochs": r.epochs_run,
        "batch_size": cfg.batch_size,
        "threads": args.threads,
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
