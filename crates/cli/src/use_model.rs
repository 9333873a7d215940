//! Using a trained model: `oddeven eval` (accuracy, loss, confusion matrix on a digit set)
//! and `oddeven predict` (class probabilities for image files).

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use oddeven_data::{split_subset, subset, Dataset, DigitSet, DownloadConfig, SplitConfig};
use oddeven_models::checkpoint::{self, CheckpointInfo};
use oddeven_models::{evaluate, predict, Params};
use serde_json::json;

use crate::args::{EvalArgs, PredictArgs};
use crate::machine::{with_backend, Machine};
use crate::prepare::data_ref;

fn load_checkpoint(path: &Path) -> Result<(Params, CheckpointInfo)> {
    checkpoint::load(path).with_context(|| format!("loading the checkpoint {}", path.display()))
}

/// The checkpoint's digits, or `--digits` when it has the same count.
fn digits(
    given: Option<&DigitSet>,
    info: &CheckpointInfo,
    classes: usize,
    path: &Path,
) -> Result<DigitSet> {
    let digits = match given {
        Some(d) => d.clone(),
        None if info.digits.is_empty() => bail!(
            "{} does not record which digits its classes are; give them with --digits",
            path.display()
        ),
        None => DigitSet::new(&info.digits)
            .with_context(|| format!("the digits recorded in {}", path.display()))?,
    };
    if digits.len() != classes {
        bail!(
            "{} has {classes} classes, but the digits {digits} are {}; give --digits with {classes} digits",
            path.display(),
            digits.len()
        );
    }
    Ok(digits)
}

/// The data directory: `--data-dir`, else the checkpoint's data set's default place.
fn data_dir(given: Option<&Path>, info: &CheckpointInfo) -> Result<(PathBuf, Option<Dataset>)> {
    if let Some(dir) = given {
        return Ok((dir.to_path_buf(), None));
    }
    match info.dataset.as_str() {
        "" | "mnist" => Ok((oddeven_data::resolve_data_dir(None), Some(Dataset::Mnist))),
        other => match other.parse::<Dataset>() {
            Ok(d) => Ok((PathBuf::from(d.default_dir()), Some(d))),
            Err(_) => bail!(
                "the checkpoint was trained on the data set {other:?}, which oddeven cannot fetch; point --data-dir at its IDX files"
            ),
        },
    }
}

pub fn eval(args: &EvalArgs, choice: oddeven_core::DeviceChoice) -> Result<()> {
    let (params, info) = load_checkpoint(&args.checkpoint)?;
    let classes = params.spec.classes();
    let digits = digits(args.digits.as_ref(), &info, classes, &args.checkpoint)?;
    let (dir, dataset) = data_dir(args.data_dir.as_deref(), &info)?;
    let raw = match dataset {
        Some(d) => oddeven_data::load_or_download_dataset(d, &dir, &DownloadConfig::for_dataset(d)),
        None => oddeven_data::load_mnist(&dir),
    }
    .with_context(|| format!("loading the data in {}", dir.display()))?;
    let examples = if args.all {
        subset(&raw, &digits)
    } else {
        let cfg = SplitConfig {
            seed: info.seed,
            test_fraction: 0.2,
            stratify: info.stratify,
            limit: info.limit,
        };
        split_subset(&raw, &digits, &cfg)
            .with_context(|| format!("redrawing the test split of the {digits} digits"))?
            .test
    };
    let machine = Machine::open(choice)?;
    let result = with_backend!(&machine, b => evaluate(b, &params, data_ref(&examples)))
        .with_context(|| format!("evaluating {}", args.checkpoint.display()))?;
    let stem = args
        .checkpoint
        .file_stem()
        .map_or_else(|| "checkpoint".into(), |s| s.to_string_lossy().into_owned());
    let which = if args.all {
        "all examples"
    } else {
        "held-out test examples"
    };
    let correct = result.correct.iter().filter(|&&c| c).count();
    let summary = confusion_summary(&stem, &digits, &examples, &result);
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create the --out directory {}", args.out.display()))?;
    let picture = format!("confusion-{stem}-eval");
    let written = oddeven_report::plots::plot_confusion(&args.out, &summary, &picture)
        .with_context(|| format!("writing {picture}.svg/png into {}", args.out.display()))?;
    if args.json {
        let out = json!({
            "checkpoint": args.checkpoint,
            "digits": digits.digits(),
            "examples": examples.len(),
            "which": which,
            "accuracy": result.accuracy,
            "correct": correct,
            "loss": result.loss,
            "confusion_matrix": result.confusion,
            "pictures": written,
            "adapter": machine.summary().to_string(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "{} on {} {which} of the digits {digits}",
        args.checkpoint.display(),
        examples.len()
    );
    println!(
        "accuracy {:.4} ({correct} of {})   loss {:.4}",
        result.accuracy,
        examples.len(),
        result.loss
    );
    println!("confusion matrix (rows: true digit, columns: predicted):");
    print!("{:>6}", "");
    for d in digits.digits() {
        print!("{d:>7}");
    }
    println!();
    for (row, d) in result.confusion.iter().zip(digits.digits()) {
        print!("{d:>6}");
        for c in row {
            print!("{c:>7}");
        }
        println!();
    }
    for path in written {
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// A run record holding just what the confusion picture draws.
fn confusion_summary(
    name: &str,
    digits: &DigitSet,
    examples: &oddeven_data::Examples,
    result: &oddeven_models::EvalResult,
) -> oddeven_report::RunSummary {
    oddeven_report::RunSummary {
        name: format!("{name} (eval)"),
        model: String::new(),
        layers: None,
        dataset: digits.name(),
        digits: digits.digits().to_vec(),
        init: "checkpoint".into(),
        transfer_mode: None,
        epochs: 0,
        lr: 0.0,
        batch_size: None,
        train_size: 0,
        test_size: examples.len(),
        initial_train_accuracy: f64::NAN,
        initial_test_accuracy: f64::NAN,
        train_accuracy: f64::NAN,
        test_accuracy: result.accuracy,
        final_loss: result.loss as f64,
        loss_history: Vec::new(),
        train_accuracy_history: Vec::new(),
        train_seconds: 0.0,
        confusion_matrix: result.confusion.clone(),
        seed: None,
        hidden: None,
        output: None,
        ms_per_epoch: None,
        test_accuracy_history: Vec::new(),
    }
}

/// IDX image files start with the magic 0x00000803 (after gunzip for `.gz`).
fn is_idx(path: &Path) -> bool {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
    {
        return true;
    }
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok_and(|()| magic == [0, 0, 8, 3])
}

pub fn predict_cmd(args: &PredictArgs, choice: oddeven_core::DeviceChoice) -> Result<()> {
    let (params, info) = load_checkpoint(&args.checkpoint)?;
    let classes = params.spec.classes();
    let digits = digits(None, &info, classes, &args.checkpoint)
        .map(|d| d.digits().to_vec())
        .unwrap_or_else(|_| (0..classes as u8).collect());
    let input = params.spec.input.len();
    if input != oddeven_data::IMAGE_PIXELS {
        bail!(
            "{} takes inputs of {input} values; predict reads 28×28 grayscale images",
            args.checkpoint.display()
        );
    }
    // Every file is read and checked before anything runs.
    let mut names = Vec::new();
    let mut features = Vec::new();
    for path in &args.images {
        if is_idx(path) {
            let images = oddeven_data::load_idx_images(path)?;
            for (i, image) in images.into_iter().enumerate() {
                names.push(format!("{}#{i}", path.display()));
                features.extend(image);
            }
        } else {
            features.extend(oddeven_data::load_image(path)?);
            names.push(path.display().to_string());
        }
    }
    let machine = Machine::open(choice)?;
    let probs = with_backend!(&machine, b => predict(b, &params, &features))
        .with_context(|| format!("running {}", args.checkpoint.display()))?;
    let rows: Vec<serde_json::Value> = names
        .iter()
        .zip(&probs)
        .map(|(name, p)| {
            let best = (0..p.len()).fold(0, |b, i| if p[i] > p[b] { i } else { b });
            let by_digit: serde_json::Map<String, serde_json::Value> = digits
                .iter()
                .zip(p)
                .map(|(d, v)| (d.to_string(), json!(v)))
                .collect();
            json!({"file": name, "predicted": digits[best], "probabilities": by_digit})
        })
        .collect();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    for row in &rows {
        let p = &row["probabilities"];
        let best = row["predicted"].to_string();
        let list: Vec<String> = digits
            .iter()
            .map(|d| format!("{d}: {:.3}", p[d.to_string()].as_f64().unwrap_or(f64::NAN)))
            .collect();
        println!(
            "{}: {best} (p = {:.3})   [{}]",
            row["file"].as_str().unwrap_or_default(),
            p[&best].as_f64().unwrap_or(f64::NAN),
            list.join(", ")
        );
    }
    Ok(())
}
