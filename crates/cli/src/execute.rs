//! Runs a plan: data, training, checkpoints, transfer measures, then the run directory's
//! pictures and report, and summary.json last.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use oddeven_core::Gpu;
use oddeven_data::{split_examples, split_subset, DownloadConfig, MnistRaw, Split, SplitConfig};
use oddeven_models::checkpoint::{self, CheckpointInfo};
use oddeven_models::{
    measures, train_with_validation, transfer, DataRef, EarlyStopping, ModelKind, ModelSpec,
    OutputKind, Params, RunOutcome, Schedule, TrainConfig, TrainReport, TransferMode,
};
use oddeven_report as report;

use crate::args::{Output, ScheduleArg, TrainArgs};
use crate::plan::{Init, Plan, RunPlan, CHECKPOINT_SOURCE};
use crate::progress::RunProgress;

/// A finished run of one seed.
struct Done {
    params: Params,
    report: TrainReport,
}

pub fn run_task(args: &TrainArgs, gpu: &Gpu, out: &Path) -> Result<report::Summary> {
    let plan = Plan::for_task(args.task, args.transfer_mode, args.from.is_some());
    let raw = load_data(args)?;
    let from = match &args.from {
        Some(path) => Some(
            checkpoint::load(path)
                .with_context(|| format!("--from {}", path.display()))?
                .0,
        ),
        None => None,
    };
    let seeds: Vec<u64> = (0..args.seeds as u64).map(|i| args.seed + i).collect();
    let mut summary = report::Summary {
        task: task_name(args),
        seed: args.seed,
        seeds: if seeds.len() > 1 {
            seeds.clone()
        } else {
            Vec::new()
        },
        adapter: adapter_info(gpu),
        runs: Vec::new(),
        transfer: Vec::new(),
        seed_stats: Vec::new(),
    };
    for &seed in &seeds {
        let mut done: HashMap<String, Done> = HashMap::new();
        let mut splits: HashMap<String, Split> = HashMap::new();
        for run in &plan.runs {
            let key = run.digits.name();
            if !splits.contains_key(&key) {
                let cfg = SplitConfig {
                    seed,
                    test_fraction: 0.2,
                    stratify: args.stratify,
                    limit: args.limit,
                };
                let split = split_subset(&raw, &run.digits, &cfg)
                    .with_context(|| format!("splitting the {key} digits"))?;
                splits.insert(key.clone(), split);
            }
            let split = &splits[&key];
            let spec = model_spec(args, run, split.train.num_classes());
            let (params, first_trained) = initial_params(run, spec, seed, &done, from.as_ref())?;
            let finished = train_run(args, gpu, run, split, params, first_trained, seed)?;
            let file = checkpoint_name(&run.name, seed, seeds.len());
            let info = CheckpointInfo {
                digits: run.digits.digits().to_vec(),
                seed,
            };
            checkpoint::save(&out.join(&file), &finished.params, &info)?;
            summary
                .runs
                .push(run_summary(args, run, split, &finished.report, seed));
            done.insert(run.name.clone(), finished);
        }
        for t in &plan.transfers {
            let (scratch, target) = (&done[&t.scratch_run].report, &done[&t.transfer_run].report);
            let m = measures(
                RunOutcome::from(scratch),
                RunOutcome::from(target),
                args.threshold,
            );
            summary.transfer.push(report::TransferSummary {
                source: t.source.clone(),
                target: t.target.clone(),
                mode: report_mode(t.mode),
                scratch_run: t.scratch_run.clone(),
                transfer_run: t.transfer_run.clone(),
                jumpstart: m.jumpstart,
                threshold: m.threshold,
                epochs_to_threshold: report::ScratchVsTransfer {
                    scratch: m.epochs_to_threshold_scratch,
                    transfer: m.epochs_to_threshold_transfer,
                },
                seconds_to_threshold: report::ScratchVsTransfer {
                    scratch: m.seconds_to_threshold_scratch,
                    transfer: m.seconds_to_threshold_transfer,
                },
                final_gain: m.final_gain,
                negative_transfer: m.negative_transfer,
                seed_stats: None,
            });
        }
    }
    if seeds.len() > 1 {
        summary.seed_stats = report::compute_seed_stats(&summary.runs);
    }
    Ok(summary)
}

/// Checks the options that need no data or adapter, before anything is created.
pub fn validate(args: &TrainArgs) -> Result<()> {
    if args.epochs == 0 {
        bail!("--epochs must be at least 1");
    }
    if !(args.lr.is_finite() && args.lr > 0.0) {
        bail!("--lr {} is not a positive learning rate", args.lr);
    }
    if args.batch_size == Some(0) {
        bail!("--batch-size must be at least 1");
    }
    if args.seeds == 0 {
        bail!("--seeds must be at least 1");
    }
    if !(0.0..=1.0).contains(&args.threshold) {
        bail!(
            "--threshold {} is not an accuracy between 0 and 1",
            args.threshold
        );
    }
    if args.hidden == 0 {
        bail!("--hidden must be at least 1");
    }
    if args.patience == Some(0) {
        bail!("--patience must be at least 1");
    }
    if args.from.is_some() && !is_transfer_task(args) {
        bail!(
            "--from only applies to transfer tasks (transfer-odd-even, transfer-even-odd, paper)"
        );
    }
    Ok(())
}

fn is_transfer_task(args: &TrainArgs) -> bool {
    use crate::args::Task::*;
    matches!(args.task, TransferOddEven | TransferEvenOdd | Paper)
}

fn load_data(args: &TrainArgs) -> Result<MnistRaw> {
    let dir = oddeven_data::resolve_data_dir(args.data_dir.as_deref());
    let cfg = DownloadConfig {
        progress: std::io::IsTerminal::is_terminal(&std::io::stderr()),
        ..DownloadConfig::default()
    };
    if !oddeven_data::missing_files(&dir).is_empty() {
        eprintln!(
            "MNIST is not complete in {}; downloading the missing files",
            dir.display()
        );
    }
    oddeven_data::load_or_download(&dir, &cfg)
        .with_context(|| format!("loading MNIST from {}", dir.display()))
}

fn model_spec(args: &TrainArgs, run: &RunPlan, classes: usize) -> ModelSpec {
    let inputs = oddeven_data::IMAGE_PIXELS;
    match run.model {
        ModelKind::Softmax => ModelSpec::softmax(inputs, classes),
        ModelKind::Mlp => {
            let output = match args.output {
                Output::Softmax => OutputKind::Softmax,
                Output::Sigmoid => OutputKind::Sigmoid,
            };
            ModelSpec::mlp(inputs, args.hidden, classes, output)
        }
    }
}

fn initial_params(
    run: &RunPlan,
    spec: ModelSpec,
    seed: u64,
    done: &HashMap<String, Done>,
    from: Option<&Params>,
) -> Result<(Params, usize)> {
    match &run.init {
        Init::Random => Ok((Params::init(spec, seed)?, 0)),
        Init::Transfer { source, mode } => {
            let source_params = if source == CHECKPOINT_SOURCE {
                from.context("transfer from a checkpoint without --from")?
            } else {
                &done
                    .get(source)
                    .with_context(|| format!("source run {source} has not run"))?
                    .params
            };
            let params = transfer(source_params, spec, *mode, seed)
                .with_context(|| format!("starting {} from {source}", run.name))?;
            Ok((params, mode.first_trained_layer()))
        }
    }
}

fn train_run(
    args: &TrainArgs,
    gpu: &Gpu,
    run: &RunPlan,
    split: &Split,
    mut params: Params,
    first_trained: usize,
    seed: u64,
) -> Result<Done> {
    let mut cfg = TrainConfig {
        epochs: args.epochs,
        batch_size: args.batch_size,
        schedule: match args.schedule {
            ScheduleArg::Constant => Schedule::Constant,
            ScheduleArg::Cosine => Schedule::Cosine,
        },
        early_stopping: args.patience.map(|patience| EarlyStopping { patience }),
        seed,
        first_trained_layer: first_trained,
        report_every: (args.epochs / 30).max(1),
        ..TrainConfig::default()
    };
    cfg.adam.lr = args.lr as f32;
    let (train_part, validation) = match args.patience {
        Some(_) => {
            let (t, v) = split_examples(&split.train, 0.2, seed, true)
                .context("splitting off a validation set for --patience")?;
            (t, Some(v))
        }
        None => (split.train.clone(), None),
    };
    let progress = RunProgress::new(&run.name, args.epochs);
    let report = train_with_validation(
        gpu,
        &mut params,
        data(&train_part),
        data(&split.test),
        validation.as_ref().map(data),
        &cfg,
        &mut |p| progress.update(p),
    )
    .with_context(|| format!("training {}", run.name))?;
    progress.finish(&format!(
        "train acc {:.4}  test acc {:.4}  {:.1} s ({:.0} ms/epoch)",
        report.train_accuracy,
        report.test_accuracy,
        report.train_seconds,
        1e3 * report.train_seconds / report.epochs_run.max(1) as f64
    ));
    Ok(Done { params, report })
}

fn data(ex: &oddeven_data::Examples) -> DataRef<'_> {
    DataRef {
        features: &ex.features,
        labels: &ex.labels,
        classes: ex.num_classes(),
    }
}

fn checkpoint_name(run: &str, seed: u64, seeds: usize) -> String {
    if seeds > 1 {
        format!("{run}-seed{seed}.safetensors")
    } else {
        format!("{run}.safetensors")
    }
}

fn report_mode(mode: TransferMode) -> report::TransferMode {
    match mode {
        TransferMode::Full => report::TransferMode::Full,
        TransferMode::NewHead => report::TransferMode::NewHead,
        TransferMode::Frozen => report::TransferMode::Frozen,
    }
}

fn run_summary(
    args: &TrainArgs,
    run: &RunPlan,
    split: &Split,
    r: &TrainReport,
    seed: u64,
) -> report::RunSummary {
    let (init, transfer_mode) = match &run.init {
        Init::Random => ("random".to_string(), None),
        Init::Transfer { source, mode } => (source.clone(), Some(report_mode(*mode))),
    };
    let is_mlp = run.model == ModelKind::Mlp;
    report::RunSummary {
        name: run.name.clone(),
        model: if is_mlp {
            report::ModelKind::Mlp
        } else {
            report::ModelKind::Softmax
        },
        dataset: run.digits.name(),
        digits: run.digits.digits().to_vec(),
        init,
        transfer_mode,
        epochs: r.epochs_run,
        lr: args.lr,
        batch_size: args.batch_size,
        train_size: split.train.len(),
        test_size: split.test.len(),
        initial_train_accuracy: r.initial_train_accuracy,
        initial_test_accuracy: r.initial_test_accuracy,
        train_accuracy: r.train_accuracy,
        test_accuracy: r.test_accuracy,
        final_loss: r.final_loss as f64,
        loss_history: r.loss_history.iter().map(|&l| l as f64).collect(),
        train_accuracy_history: r.train_accuracy_history.clone(),
        train_seconds: r.train_seconds,
        confusion_matrix: r.test_confusion.clone(),
        seed: Some(seed),
        hidden: is_mlp.then_some(args.hidden),
        output: Some(if is_mlp && args.output == Output::Sigmoid {
            report::OutputActivation::Sigmoid
        } else {
            report::OutputActivation::Softmax
        }),
        ms_per_epoch: Some(1e3 * r.train_seconds / r.epochs_run.max(1) as f64),
    }
}

fn adapter_info(gpu: &Gpu) -> report::AdapterInfo {
    let s = gpu.summary();
    report::AdapterInfo {
        name: s.name.clone(),
        backend: s.backend.clone(),
        device_type: s.device_type.clone(),
    }
}

pub fn task_name(args: &TrainArgs) -> String {
    clap::ValueEnum::to_possible_value(&args.task)
        .map(|v| v.get_name().to_string())
        .unwrap_or_else(|| "task".into())
}

/// `runs/<task>-<UTC timestamp>`.
pub fn default_out_dir(args: &TrainArgs) -> PathBuf {
    PathBuf::from("runs").join(format!("{}-{}", task_name(args), utc_timestamp()))
}

/// YYYYMMDDTHHMMSSZ from the system clock, via the civil-from-days algorithm.
fn utc_timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
