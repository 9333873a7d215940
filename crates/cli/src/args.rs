//! Command-line interface: every option with its default, as `--help` shows it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "oddeven",
    version,
    about = "Transfer learning on MNIST odd/even digits, trained on any GPU with hand-written WGSL kernels",
    long_about = "Reproduces the odd/even MNIST transfer study: softmax regression and a 784→300→classes \
                  MLP trained with full-batch Adam, then transfer between the odd and even digit sets, \
                  measured by jumpstart, time to threshold and final gain."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a task and write summary.json, checkpoints, plots and report.md.
    Train(TrainArgs),
    /// List every adapter wgpu can see, with backend, device type and key limits.
    Devices,
    /// Re-render the plots and report.md of an existing run directory from its summary.json.
    Report {
        /// A run directory written by `oddeven train`.
        dir: PathBuf,
    },
    /// Download the four MNIST files (sha256-verified) if they are missing.
    FetchMnist {
        /// Where to put them [default: $ODDEVEN_DATA, else data/mnist].
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

/// What to train.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Task {
    /// Softmax regression on odd digits {1,3,5,7,9}.
    SoftmaxOdd,
    /// Softmax regression on even digits {0,2,4,6,8}.
    SoftmaxEven,
    /// The MLP on odd digits.
    MlpOdd,
    /// The MLP on even digits.
    MlpEven,
    /// mlp-odd (source), mlp-even (scratch baseline) and the even model started from the odd one.
    TransferOddEven,
    /// mlp-even (source), mlp-odd (scratch baseline) and the odd model started from the even one.
    TransferEvenOdd,
    /// The study's six runs (softmax ×2, MLP ×2, both transfers) and the comparison table.
    Paper,
}

/// Output layer of the MLP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Softmax with cross-entropy.
    Softmax,
    /// One sigmoid per class with binary cross-entropy (the study's output layer).
    Sigmoid,
}

/// How a transfer run starts from its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// Copy every weight, output layer included (the study).
    Full,
    /// Copy the hidden layer, new random output layer, train everything.
    NewHead,
    /// Copy the hidden layer and freeze it; train only a new output layer.
    Frozen,
    /// Run all three modes.
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScheduleArg {
    /// The same learning rate every epoch (the study).
    Constant,
    /// Cosine annealing from --lr to 0 over the epochs.
    Cosine,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeviceArg {
    /// A hardware GPU if there is one, else the software adapter.
    Auto,
    /// A hardware GPU; fail if there is none.
    Hardware,
    /// The Vulkan software adapter (Mesa lavapipe).
    Software,
}

#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    /// Which runs to do.
    #[arg(long, value_enum)]
    pub task: Task,
    /// MNIST directory (four IDX files, .gz or plain); downloaded there if missing
    /// [default: $ODDEVEN_DATA, else data/mnist].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Output directory [default: runs/<task>-<UTC timestamp>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Epochs per run.
    #[arg(long, default_value_t = 300)]
    pub epochs: usize,
    /// Adam learning rate.
    #[arg(long, default_value_t = 0.01)]
    pub lr: f64,
    /// Hidden units of the MLP.
    #[arg(long, default_value_t = 300)]
    pub hidden: usize,
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
    /// Stratify the train/test split by class.
    #[arg(long)]
    pub stratify: bool,
    /// Output layer of the MLP (softmax regression always uses softmax).
    #[arg(long, value_enum, default_value_t = Output::Softmax)]
    pub output: Output,
    /// How transfer runs start from their source.
    #[arg(long, value_enum, default_value_t = ModeArg::Full)]
    pub transfer_mode: ModeArg,
    /// Training accuracy that counts as "learned" for time-to-threshold.
    #[arg(long, default_value_t = 0.97)]
    pub threshold: f64,
    /// Learning-rate schedule.
    #[arg(long, value_enum, default_value_t = ScheduleArg::Constant)]
    pub schedule: ScheduleArg,
    /// Stop a run when the loss on a validation split (20% of train, stratified) has not
    /// improved for this many epochs [default: never].
    #[arg(long)]
    pub patience: Option<usize>,
    /// Start transfer runs from this checkpoint instead of training the source run.
    #[arg(long)]
    pub from: Option<PathBuf>,
    /// Which adapter to use [default: $ODDEVEN_DEVICE, else auto].
    #[arg(long, value_enum)]
    pub device: Option<DeviceArg>,
}
