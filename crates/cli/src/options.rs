//! From flags to settings: the recipe's defaults where no flag was given, the network,
//! and every check that needs neither data nor an adapter. The training configuration is
//! checked by the library's one validator; its field is mapped back to the flag here.

use anyhow::{bail, Context, Result};
use oddeven_models::{
    Architecture, ConfigField, EarlyStopping, ModelError, OutputKind, Schedule, TrainConfig,
    TransferMode, DEFAULT_HIDDEN,
};

use crate::args::{Recipe, Task, TrainArgs};

/// Everything a run's training needs, with the recipe's defaults filled in.
#[derive(Debug, Clone)]
pub struct Settings {
    pub epochs: usize,
    pub lr: f64,
    pub batch_size: Option<usize>,
    pub schedule: Schedule,
    pub patience: Option<usize>,
    pub eval_every: Option<usize>,
    pub stratify: bool,
    pub modes: Vec<TransferMode>,
    /// The network of every run that is not softmax regression.
    pub arch: Architecture,
    pub output: OutputKind,
    pub seeds: Vec<u64>,
    pub threshold: f64,
    /// No progress lines (and no readbacks during training).
    pub quiet: bool,
}

/// The flag a configuration field comes from.
pub fn flag_of(field: ConfigField) -> &'static str {
    match field {
        ConfigField::Epochs => "--epochs",
        ConfigField::LearningRate => "--lr",
        ConfigField::BatchSize => "--batch-size",
        ConfigField::Patience => "--patience",
        ConfigField::EvalEvery => "--eval-every",
        ConfigField::FrozenLayers => "--transfer-mode",
    }
}

/// A library error about a configuration value, told as the flag that set it.
pub fn explain(e: ModelError) -> anyhow::Error {
    match e {
        ModelError::Config { field, detail } => anyhow::anyhow!("{} {detail}", flag_of(field)),
        other => other.into(),
    }
}

impl Settings {
    pub fn from_args(args: &TrainArgs) -> Result<Self> {
        let recipe = args.recipe.unwrap_or(match args.task {
            Some(Task::CnnTransferOddEven | Task::CnnTransferEvenOdd) => Recipe::Finetune,
            _ => Recipe::Study,
        });
        let finetune = recipe == Recipe::Finetune;
        let model = match args.task {
            Some(Task::CnnTransferOddEven | Task::CnnTransferEvenOdd) if args.model == "mlp" => {
                "cnn"
            }
            _ => args.model.as_str(),
        };
        let arch = Architecture::parse(model, args.hidden).context("--model")?;
        if arch.name() != "mlp" && args.hidden != DEFAULT_HIDDEN {
            bail!(
                "--hidden sets the width of the mlp model; --model {} has its own sizes",
                args.model
            );
        }
        let settings = Settings {
            epochs: args.epochs.unwrap_or(if finetune { 5 } else { 300 }),
            lr: args.lr.unwrap_or(if finetune { 0.001 } else { 0.01 }),
            batch_size: args.batch_size.or(finetune.then_some(64)),
            schedule: args.schedule.unwrap_or(if finetune {
                Schedule::Cosine
            } else {
                Schedule::Constant
            }),
            patience: args.patience.or(finetune.then_some(2)),
            eval_every: args.eval_every.or(finetune.then_some(1)),
            stratify: args.stratify || finetune,
            modes: match &args.transfer_mode {
                Some(m) => m.0.clone(),
                None if finetune => vec![TransferMode::NewHead],
                None => vec![TransferMode::Full],
            },
            arch,
            output: args.output,
            seeds: (0..args.seeds as u64).map(|i| args.seed + i).collect(),
            threshold: args.threshold,
            quiet: args.quiet,
        };
        settings.check(args)?;
        Ok(settings)
    }

    /// The checks that need no data or adapter, before anything is created.
    fn check(&self, args: &TrainArgs) -> Result<()> {
        let kinds = [
            args.task.is_some(),
            args.source.is_some(),
            args.digits.is_some(),
        ];
        match kinds.iter().filter(|&&k| k).count() {
            0 => bail!("say what to train: --task NAME, --source DIGITS --target DIGITS, or --digits DIGITS"),
            1 => {}
            _ => bail!("give only one of --task, --source/--target and --digits"),
        }
        if args.source_data.is_some() && args.source.is_none() {
            bail!("--source-data goes with --source and --target");
        }
        if args.target_data.is_some() && args.target.is_none() {
            bail!("--target-data goes with --source and --target");
        }
        // One class is no classification: every model scores 100 % on it.
        for (flag, set) in [
            ("--digits", &args.digits),
            ("--source", &args.source),
            ("--target", &args.target),
        ] {
            if let Some(set) = set.as_ref().filter(|s| s.len() < 2) {
                bail!(
                    "{flag} {}: a classifier needs at least two digits to tell apart; \
                     give a list or range such as 3,8 or 0-4",
                    set.name()
                );
            }
        }
        if self.seeds.is_empty() {
            bail!("--seeds must be at least 1");
        }
        if args.seed.checked_add(self.seeds.len() as u64).is_none() {
            bail!(
                "--seed {} plus --seeds {} overflows",
                args.seed,
                self.seeds.len()
            );
        }
        if !(0.0..=1.0).contains(&self.threshold) {
            bail!(
                "--threshold {} is not an accuracy between 0 and 1",
                self.threshold
            );
        }
        if !(self.lr.is_finite() && self.lr > 0.0 && self.lr <= f32::MAX as f64) {
            bail!("--lr {} is not a positive learning rate", self.lr);
        }
        if args.limit == Some(0) {
            bail!("--limit must be at least 1");
        }
        if args.transfer_mode.is_some() && !self.transfers(args) {
            bail!(
                "--transfer-mode only applies to transfer runs (transfer tasks, paper, \
                 --source/--target); --digits and the single-set tasks train from scratch"
            );
        }
        if args.from.is_some() && !self.transfers(args) {
            bail!(
                "--from only applies to transfer runs (transfer tasks, paper, --source/--target)"
            );
        }
        // The one validator of a training configuration, on a probe configuration.
        self.train_config(0, 0).validate(2).map_err(explain)?;
        Ok(())
    }

    fn transfers(&self, args: &TrainArgs) -> bool {
        args.source.is_some()
            || matches!(
                args.task,
                Some(
                    Task::TransferOddEven
                        | Task::TransferEvenOdd
                        | Task::Paper
                        | Task::CnnTransferOddEven
                        | Task::CnnTransferEvenOdd
                )
            )
    }

    /// The configuration of one run.
    pub fn train_config(&self, seed: u64, first_trained_layer: usize) -> TrainConfig {
        let mut cfg = TrainConfig {
            epochs: self.epochs,
            batch_size: self.batch_size,
            schedule: self.schedule,
            early_stopping: self.patience.map(|patience| EarlyStopping { patience }),
            eval_every: self.eval_every,
            seed,
            first_trained_layer,
            progress_interval: (!self.quiet).then(|| std::time::Duration::from_millis(500)),
            ..TrainConfig::default()
        };
        cfg.adam.lr = self.lr as f32;
        cfg
    }
}
