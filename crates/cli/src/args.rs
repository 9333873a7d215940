//! Command-line interface: every option with its default, as `--help` shows it. The value
//! types (output kind, transfer mode, schedule, device) are the library's own.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use oddeven_core::DeviceChoice;
use oddeven_data::{Dataset, DigitSet};
use oddeven_models::{OutputKind, Schedule, TransferMode};

#[derive(Debug, Parser)]
#[command(
    name = "oddeven",
    version,
    about = "Transfer learning on MNIST digit sets, trained on any GPU with hand-written WGSL kernels",
    long_about = "Reproduces the odd/even MNIST transfer study (softmax regression and a 784→300→classes \
                  MLP trained with full-batch Adam, then transfer between the odd and even digit sets, \
                  measured by jumpstart, time to threshold and final gain), the head-replacement recipe \
                  with a CNN, and transfer experiments between any digit sets or IDX data sets."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a task or an experiment; write summary.json, checkpoints, plots and report.md.
    Train(Box<TrainArgs>),
    /// List every adapter wgpu can see, with backend, device type and key limits.
    Devices,
    /// Re-render the plots and report.md of an existing run directory from its summary.json.
    Report {
        /// A run directory written by `oddeven train`.
        dir: PathBuf,
    },
    /// Evaluate a checkpoint: accuracy, loss and confusion matrix (printed, and as
    /// SVG/PNG), by default on the held-out test examples of its own digit set.
    Eval(EvalArgs),
    /// Class probabilities for images (PNG/JPEG of any size or colour, converted to 28×28
    /// grayscale; MNIST-style input is a white digit on a black background, and is not
    /// inverted for you) or IDX image files, from a checkpoint.
    Predict(PredictArgs),
    /// Download a data set's four IDX files (sha256-verified) if they are missing.
    #[command(alias = "fetch-mnist")]
    Fetch {
        /// Which data set.
        #[arg(long, default_value = "mnist")]
        dataset: Dataset,
        /// Where to put it [default: $ODDEVEN_DATA for mnist, else data/<dataset>].
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// A checkpoint written by `oddeven train` (<run>.safetensors).
    pub checkpoint: PathBuf,
    /// Evaluate on these digits instead of the checkpoint's own (same count; class i is
    /// the i-th smallest digit).
    #[arg(long, value_parser = parse_digits)]
    pub digits: Option<DigitSet>,
    /// Use every example of the digit set, not only the held-out test split that training
    /// did not see (the split is redrawn from the checkpoint's seed, limit and
    /// stratification).
    #[arg(long)]
    pub all: bool,
    /// The data set's directory [default: the checkpoint's data set: $ODDEVEN_DATA or
    /// data/mnist for MNIST, data/fashion-mnist for Fashion-MNIST].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Where to write confusion-<checkpoint>-eval.svg/png.
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// Where to run: auto (a hardware GPU if any, else the native CPU backend), hardware,
    /// software (the WGSL on Mesa lavapipe), cpu [default: $ODDEVEN_DEVICE, else auto].
    #[arg(long, value_enum)]
    pub device: Option<DeviceChoice>,
}

#[derive(Debug, Clone, Args)]
pub struct PredictArgs {
    /// A checkpoint written by `oddeven train` (<run>.safetensors).
    pub checkpoint: PathBuf,
    /// PNG or JPEG images (any size or colour), or IDX image files (plain or .gz).
    #[arg(required = true)]
    pub images: Vec<PathBuf>,
    /// Print one JSON array: {"file", "predicted", "probabilities": {digit: p}} per image
    /// (IDX images are "file#index").
    #[arg(long)]
    pub json: bool,
    /// Where to run: auto (a hardware GPU if any, else the native CPU backend), hardware,
    /// software (the WGSL on Mesa lavapipe), cpu [default: $ODDEVEN_DEVICE, else auto].
    #[arg(long, value_enum)]
    pub device: Option<DeviceChoice>,
}

/// The study's runs, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Task {
    /// Softmax regression on odd digits {1,3,5,7,9}.
    SoftmaxOdd,
    /// Softmax regression on even digits {0,2,4,6,8}.
    SoftmaxEven,
    /// The network (--model, default mlp) on odd digits.
    MlpOdd,
    /// The network (--model, default mlp) on even digits.
    MlpEven,
    /// The odd model (source), an even model from scratch, and the even model started from
    /// the odd one.
    TransferOddEven,
    /// The mirror image: even source, odd scratch baseline and transfer.
    TransferEvenOdd,
    /// The study's six runs (softmax ×2, the network ×2, both transfers) and its table.
    Paper,
    /// The second source's recipe (--recipe finetune) with the CNN: odd source, even
    /// scratch baseline, even model with the odd body and a new head, fine-tuned.
    CnnTransferOddEven,
    /// The same recipe from even to odd.
    CnnTransferEvenOdd,
}

/// Training defaults for the runs of a task; a flag given on the command line wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Recipe {
    /// The odd/even study: 300 full-batch epochs of Adam at lr 0.01, constant, full transfer.
    Study,
    /// The head-replacement source: 5 epochs of minibatches of 64, Adam lr 0.001 with
    /// cosine annealing, a stratified split with a 20% validation set and early-stopping
    /// patience 2, new-head transfer, test accuracy after every epoch.
    Finetune,
}

#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    /// A preset task; or give --source and --target (a transfer experiment), or --digits
    /// (one run).
    #[arg(long, value_enum)]
    pub task: Option<Task>,
    /// Source digits of a transfer experiment: odd, even, all, a list (0,1,2) or a range
    /// (0-4). Trains the source model, a scratch baseline on --target and the transfer run(s).
    #[arg(long, value_parser = parse_digits, requires = "target")]
    pub source: Option<DigitSet>,
    /// Target digits of a transfer experiment (as --source).
    #[arg(long, value_parser = parse_digits, requires = "source")]
    pub target: Option<DigitSet>,
    /// Train one model on these digits (as --source), without transfer.
    #[arg(long, value_parser = parse_digits, conflicts_with_all = ["task", "source"])]
    pub digits: Option<DigitSet>,
    /// The source's data set: a name (mnist, fashion-mnist; downloaded into data/<name>
    /// if missing) or a directory of four IDX files with 28×28 images and labels 0–9
    /// [default: --data-dir].
    #[arg(long)]
    pub source_data: Option<String>,
    /// The target's data set (as --source-data) [default: --data-dir].
    #[arg(long)]
    pub target_data: Option<String>,
    /// Training defaults: study, or finetune for the head-replacement recipe [default:
    /// finetune for the cnn-transfer tasks, else study].
    #[arg(long, value_enum)]
    pub recipe: Option<Recipe>,
    /// Evaluate on the test set every N epochs and report the curve [default: 1 with the
    /// finetune recipe, else never].
    #[arg(long)]
    pub eval_every: Option<usize>,
    /// The network: a preset (softmax, mlp, cnn) or a spec string such as
    /// "conv16k5p2,relu,pool2,flatten,linear64,relu,linear" (the last, bare `linear` gets
    /// the class count). It replaces the MLP of the presets; softmax runs stay softmax.
    /// Grammar: linear<N>, relu, conv<C>k<K>[s<S>][p<P>], pool<K>[s<S>], flatten.
    #[arg(long, default_value = "mlp")]
    pub model: String,
    /// Hidden units of the mlp model.
    #[arg(long, default_value_t = 300)]
    pub hidden: usize,
    /// MNIST directory (four IDX files, .gz or plain); downloaded there if missing
    /// [default: $ODDEVEN_DATA, else data/mnist].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Output directory; it must not exist or be empty [default: runs/<task>-<UTC time>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Clear a non-empty --out directory first instead of refusing it.
    #[arg(long)]
    pub overwrite: bool,
    /// Epochs per run [default: 300].
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Adam learning rate [default: 0.01].
    #[arg(long)]
    pub lr: Option<f64>,
    /// Minibatch size, reshuffled every epoch [default: full batch].
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Seed of splits, initial weights and shuffles.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Repeat the task over this many seeds (seed, seed+1, …) and report mean ± sd.
    #[arg(long, default_value_t = 1)]
    pub seeds: usize,
    /// Keep a seeded random N examples of each digit set before the 80/20 split.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Stratify the train/test split by class (always on with the finetune recipe).
    #[arg(long)]
    pub stratify: bool,
    /// Output layer of the network (softmax regression always uses softmax).
    #[arg(long, value_enum, default_value_t = OutputKind::Softmax)]
    pub output: OutputKind,
    /// How transfer runs start from their source: full, new-head, frozen, a
    /// comma-separated list of them, or all [default: full; finetune recipe: new-head].
    #[arg(long, value_parser = parse_modes)]
    pub transfer_mode: Option<Modes>,
    /// Training accuracy that counts as "learned", for time-to-threshold.
    #[arg(long, default_value_t = 0.97)]
    pub threshold: f64,
    /// Learning-rate schedule [default: constant].
    #[arg(long, value_enum)]
    pub schedule: Option<Schedule>,
    /// Stop a run when the loss on a validation split (20% of train, stratified) has not
    /// improved for this many epochs [default: never; finetune recipe: 2].
    #[arg(long)]
    pub patience: Option<usize>,
    /// Start transfer runs from this checkpoint instead of training the source run.
    #[arg(long)]
    pub from: Option<PathBuf>,
    /// Where to run: auto (a hardware GPU if any, else the native CPU backend), hardware,
    /// software (the WGSL on Mesa lavapipe), cpu [default: $ODDEVEN_DEVICE, else auto].
    #[arg(long, value_enum)]
    pub device: Option<DeviceChoice>,
    /// No progress while training: nothing is read back from the device until a run
    /// ends (the final line per run is still printed).
    #[arg(long)]
    pub quiet: bool,
}

/// The transfer modes of `--transfer-mode`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Modes(pub Vec<TransferMode>);

fn parse_modes(s: &str) -> Result<Modes, String> {
    if s.trim() == "all" {
        return Ok(Modes(TransferMode::ALL.to_vec()));
    }
    let mut modes = Vec::new();
    for part in s.split(',') {
        let mode: TransferMode = part
            .parse()
            .map_err(|e: String| format!("{e} (or a comma-separated list of them, or all)"))?;
        if modes.contains(&mode) {
            return Err(format!("{mode} is given twice"));
        }
        modes.push(mode);
    }
    Ok(Modes(modes))
}

/// A digit set from `odd`, `even`, `all`, a list (`0,1,2`) or a range (`0-4`).
pub fn parse_digits(s: &str) -> Result<DigitSet, String> {
    s.parse::<DigitSet>().map_err(|e| e.to_string())
}
