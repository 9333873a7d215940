//! Everything before the first run trains: the data sets (downloaded if missing), the
//! plan, every run's network, the `--from` checkpoint, and every check the library makes
//! of a run (configuration, data against the model, sizes against the device) — so a
//! mistake in the fifth run of a task is reported before the first one starts.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use oddeven_core::Backend;
use oddeven_data::{
    split_examples, split_subset, Dataset, DigitSet, DownloadConfig, Examples, MnistRaw,
    SplitConfig,
};
use oddeven_models::checkpoint::{self, CheckpointInfo};
use oddeven_models::{
    check_run, check_transfer, sizes, Architecture, DataRef, ModelSpec, OutputKind, Params,
    RunData, MNIST_INPUT,
};

use crate::args::TrainArgs;
use crate::options::{explain, Settings};
use crate::plan::{Init, Plan, RunPlan, Side, SideSpec, CHECKPOINT_SOURCE};

/// One loaded data set.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// For names and reports: `mnist`, `fashion-mnist` or the directory's name.
    pub label: String,
    pub raw: Arc<MnistRaw>,
}

/// The data of both sides (one data set when they are the same).
pub struct DataSets {
    pub source: Loaded,
    pub target: Loaded,
}

impl DataSets {
    pub fn side(&self, side: Side) -> &Loaded {
        match side {
            Side::Source => &self.source,
            Side::Target => &self.target,
        }
    }
    /// The two sides use different data sets.
    pub fn differ(&self) -> bool {
        !Arc::ptr_eq(&self.source.raw, &self.target.raw)
    }
}

/// Where a data set value points: a known data set's default directory, or a directory.
fn resolve(value: Option<&str>, default_dir: &Path) -> (String, PathBuf, Option<Dataset>) {
    match value {
        None => (
            Dataset::Mnist.name().to_string(),
            default_dir.to_path_buf(),
            Some(Dataset::Mnist),
        ),
        Some(v) => match v.parse::<Dataset>() {
            Ok(d) => (
                d.name().to_string(),
                PathBuf::from(d.default_dir()),
                Some(d),
            ),
            Err(_) => {
                let dir = PathBuf::from(v);
                let label = dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "data".into());
                (label, dir, None)
            }
        },
    }
}

fn load(value: Option<&str>, default_dir: &Path, flag: &str) -> Result<(PathBuf, Loaded)> {
    let (label, dir, dataset) = resolve(value, default_dir);
    let cfg = DownloadConfig {
        progress: std::io::IsTerminal::is_terminal(&std::io::stderr()),
        ..DownloadConfig::default()
    };
    let raw = match dataset {
        Some(d) => {
            if !oddeven_data::missing_files(&dir).is_empty() {
                eprintln!(
                    "{} is not complete in {}; downloading the missing files",
                    d.title(),
                    dir.display()
                );
            }
            oddeven_data::load_or_download_dataset(d, &dir, &cfg)
                .with_context(|| format!("{flag}: loading {} from {}", d.title(), dir.display()))?
        }
        None => oddeven_data::load_mnist(&dir)
            .with_context(|| format!("{flag}: loading the IDX files in {}", dir.display()))?,
    };
    Ok((
        dir,
        Loaded {
            label,
            raw: Arc::new(raw),
        },
    ))
}

/// Loads the data of both sides: `--source-data` / `--target-data`, default `--data-dir`.
pub fn load_data(args: &TrainArgs) -> Result<DataSets> {
    let default_dir = oddeven_data::resolve_data_dir(args.data_dir.as_deref());
    // Errors name where the directory came from: the flag the user gave, else the default.
    let default_origin = if args.data_dir.is_some() {
        "--data-dir"
    } else {
        "the data directory (--data-dir, ODDEVEN_DATA, default data/mnist)"
    };
    let origin = |flag: &'static str, value: Option<&str>| {
        if value.is_some() {
            flag
        } else {
            default_origin
        }
    };
    let target_value = args.target_data.as_deref();
    let (target_dir, target) = load(
        target_value,
        &default_dir,
        origin("--target-data", target_value),
    )?;
    let source = match args.source_data.as_deref() {
        None if args.target_data.is_none() => target.clone(),
        value => {
            let (dir, source) = load(value, &default_dir, origin("--source-data", value))?;
            if dir == target_dir {
                target.clone()
            } else {
                source
            }
        }
    };
    Ok(DataSets { source, target })
}

/// The plan for the flags.
pub fn plan(args: &TrainArgs, settings: &Settings, data: &DataSets) -> Plan {
    let from = args.from.is_some();
    if let Some(task) = args.task {
        return Plan::for_task(task, &settings.arch, &settings.modes, from);
    }
    if let Some(digits) = &args.digits {
        return Plan::single(&settings.arch, digits);
    }
    let side = |digits: &Option<DigitSet>, loaded: &Loaded| {
        let digits = digits.clone().unwrap_or_else(DigitSet::all);
        let label = if data.differ() {
            format!("{}-{}", loaded.label, digits.name())
        } else {
            digits.name()
        };
        SideSpec { digits, label }
    };
    Plan::experiment(
        &settings.arch,
        &side(&args.source, &data.source),
        &side(&args.target, &data.target),
        &settings.modes,
        from,
    )
}

/// A run's training, test and (with early stopping) validation examples.
pub struct RunExamples {
    pub train: Examples,
    pub test: Examples,
    pub validation: Option<Examples>,
}

impl RunExamples {
    pub fn data(&self) -> RunData<'_> {
        RunData {
            train: data_ref(&self.train),
            test: data_ref(&self.test),
            validation: self.validation.as_ref().map(data_ref),
        }
    }
}

pub fn data_ref(ex: &Examples) -> DataRef<'_> {
    DataRef {
        features: &ex.features,
        labels: &ex.labels,
        classes: ex.num_classes(),
    }
}

/// The splits of one seed, made once per (side, digits) and shared by the runs.
pub struct Splits<'a> {
    data: &'a DataSets,
    settings: &'a Settings,
    limit: Option<usize>,
    seed: u64,
    cache: HashMap<(Side, Vec<u8>), Arc<RunExamples>>,
}

impl<'a> Splits<'a> {
    pub fn new(
        data: &'a DataSets,
        settings: &'a Settings,
        limit: Option<usize>,
        seed: u64,
    ) -> Self {
        Splits {
            data,
            settings,
            limit,
            seed,
            cache: HashMap::new(),
        }
    }

    pub fn get(&mut self, run: &RunPlan) -> Result<Arc<RunExamples>> {
        let side = if self.data.differ() {
            run.side
        } else {
            Side::Target
        };
        let key = (side, run.digits.digits().to_vec());
        if let Some(found) = self.cache.get(&key) {
            return Ok(found.clone());
        }
        let cfg = SplitConfig {
            seed: self.seed,
            test_fraction: 0.2,
            stratify: self.settings.stratify,
            limit: self.limit,
        };
        let loaded = self.data.side(side);
        let split = split_subset(&loaded.raw, &run.digits, &cfg)
            .with_context(|| format!("splitting the {} digits of {}", run.digits, loaded.label))?;
        let (train, validation) = match self.settings.patience {
            Some(_) => {
                let (t, v) = split_examples(&split.train, 0.2, self.seed, true)
                    .context("splitting off a validation set for early stopping (--patience)")?;
                (t, Some(v))
            }
            None => (split.train, None),
        };
        let examples = Arc::new(RunExamples {
            train,
            test: split.test,
            validation,
        });
        self.cache.insert(key, examples.clone());
        Ok(examples)
    }
}

/// The network of a run for its class count.
pub fn run_spec(run: &RunPlan, settings: &Settings) -> Result<ModelSpec> {
    let output = if run.arch == Architecture::softmax() {
        OutputKind::Softmax
    } else {
        settings.output
    };
    run.arch
        .resolve(MNIST_INPUT, run.digits.len(), output)
        .with_context(|| format!("--model for run {}", run.name))
}

/// The `--from` checkpoint, loaded once.
pub fn load_from(args: &TrainArgs) -> Result<Option<(Params, CheckpointInfo)>> {
    let Some(path) = &args.from else {
        return Ok(None);
    };
    let loaded = checkpoint::load(path).with_context(|| format!("--from {}", path.display()))?;
    Ok(Some(loaded))
}

/// Every check of every run, on the first seed's splits (sizes do not depend on the seed).
pub fn check_all<B: Backend>(
    backend: &B,
    plan: &Plan,
    settings: &Settings,
    splits: &mut Splits<'_>,
    from: Option<&(Params, CheckpointInfo)>,
    args: &TrainArgs,
) -> Result<HashMap<String, ModelSpec>> {
    let mut specs: HashMap<String, ModelSpec> = HashMap::new();
    for run in &plan.runs {
        let spec = run_spec(run, settings)?;
        sizes::check_model(&spec, backend.max_tensor_bytes())
            .with_context(|| format!("run {}", run.name))?;
        let first_trained = match &run.init {
            Init::Random => 0,
            Init::Transfer { source, mode } => {
                let source_spec = if source == CHECKPOINT_SOURCE {
                    let (params, _) = from.context("a transfer from a checkpoint needs --from")?;
                    &params.spec
                } else {
                    specs
                        .get(source)
                        .with_context(|| format!("source run {source} is not planned"))?
                };
                check_transfer(source_spec, &spec, *mode).with_context(|| {
                    match (&args.from, source.as_str()) {
                        (Some(path), CHECKPOINT_SOURCE) => {
                            format!("--from {} for run {}", path.display(), run.name)
                        }
                        _ => format!("starting {} from {source}", run.name),
                    }
                })?;
                mode.first_trained_layer(&spec)
            }
        };
        let examples = splits.get(run)?;
        let cfg = settings.train_config(0, first_trained);
        check_run(backend, &spec, &examples.data(), &cfg)
            .map_err(explain)
            .with_context(|| format!("run {}", run.name))?;
        specs.insert(run.name.clone(), spec);
    }
    if plan.runs.is_empty() {
        bail!("nothing to train");
    }
    Ok(specs)
}
