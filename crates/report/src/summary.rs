//! `summary.json`: the machine-readable record of a run directory.
//!
//! Non-finite numbers (a diverged loss, say) are written as JSON `null`, because JSON has
//! no NaN or infinity; reading `null` back into a plain number gives NaN, so a summary of
//! a diverged run still round-trips (infinities come back as NaN).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};

use crate::significance::McNemar;
use crate::significance_md::SignificanceRow;
use crate::stats::{SeedStats, TransferSeedStats};
use crate::ReportError;

/// File name of the summary inside a run directory.
pub const SUMMARY_FILE: &str = "summary.json";

/// Everything one `oddeven` invocation produced, as stored in `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The task that was run (e.g. "study", "transfer").
    pub task: String,
    /// The (first) seed.
    pub seed: u64,
    /// All seeds of a multi-seed invocation (empty or one entry for a single seed).
    #[serde(default)]
    pub seeds: Vec<u64>,
    pub adapter: AdapterInfo,
    pub runs: Vec<RunSummary>,
    #[serde(default)]
    pub transfer: Vec<TransferSummary>,
    /// Per run name, statistics over seeds (empty for a single seed).
    #[serde(default)]
    pub seed_stats: Vec<SeedStats>,
    /// Whether each transfer differs from scratch beyond noise: paired statistics over
    /// seeds, or McNemar's test for a single seed.
    #[serde(default)]
    pub significance: Vec<SignificanceRow>,
}

/// The wgpu adapter the run used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdapterInfo {
    pub name: String,
    pub backend: String,
    pub device_type: String,
}

/// One training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Unique name within the invocation (several seeds of one run may share it).
    pub name: String,
    /// The architecture's name: `softmax`, `mlp`, `cnn` or `custom`.
    pub model: String,
    /// The layer list as a spec string (`flatten,linear300,relu,linear5`); absent in
    /// older files.
    #[serde(default)]
    pub layers: Option<String>,
    /// "odd", "even" or the digits written out, e.g. "0123".
    pub dataset: String,
    /// The digits of the data set in class order: class `i` is digit `digits[i]`.
    pub digits: Vec<u8>,
    /// "random", or the name of the run whose weights started this one.
    pub init: String,
    /// `full`, `new-head` or `frozen` for a transfer run.
    pub transfer_mode: Option<String>,
    pub epochs: usize,
    pub lr: f64,
    /// `None` means full-batch training.
    pub batch_size: Option<usize>,
    pub train_size: usize,
    pub test_size: usize,
    #[serde(deserialize_with = "nan_if_null")]
    pub initial_train_accuracy: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub initial_test_accuracy: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub train_accuracy: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub test_accuracy: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub final_loss: f64,
    /// Mean training loss of each epoch (`epochs` entries).
    #[serde(deserialize_with = "vec_nan_if_null")]
    pub loss_history: Vec<f64>,
    /// Training accuracy before training (entry 0) and after each epoch (`epochs + 1`).
    #[serde(deserialize_with = "vec_nan_if_null")]
    pub train_accuracy_history: Vec<f64>,
    #[serde(deserialize_with = "nan_if_null")]
    pub train_seconds: f64,
    /// Counts on the test set; rows = true class, columns = predicted class.
    pub confusion_matrix: Vec<Vec<u64>>,
    /// The seed of this run (absent in older files).
    #[serde(default)]
    pub seed: Option<u64>,
    /// Hidden-layer width (`None` for softmax regression).
    #[serde(default)]
    pub hidden: Option<usize>,
    /// Output layer, `softmax` or `sigmoid` (absent in older files).
    #[serde(default)]
    pub output: Option<String>,
    /// Milliseconds per epoch (absent in older files: see [`RunSummary::ms_per_epoch`]).
    #[serde(default)]
    pub ms_per_epoch: Option<f64>,
    /// (epoch, test accuracy) where the run evaluated the test set during training
    /// (`--eval-every`); epoch 0 is the initial weights.
    #[serde(default)]
    pub test_accuracy_history: Vec<(usize, f64)>,
}

impl RunSummary {
    /// True when the run started from random weights rather than another run.
    pub fn is_scratch(&self) -> bool {
        self.init == "random"
    }

    /// The stored `ms_per_epoch`, or `train_seconds / epochs` when it is absent
    /// (`None` for a run of 0 epochs).
    pub fn ms_per_epoch(&self) -> Option<f64> {
        self.ms_per_epoch
            .or_else(|| (self.epochs > 0).then(|| self.train_seconds * 1000.0 / self.epochs as f64))
    }
}

/// A pair of values, one for the run trained from scratch and one for the transfer run.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ScratchVsTransfer<T> {
    pub scratch: T,
    pub transfer: T,
}

/// The three transfer measures for one (source → target, mode) comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransferSummary {
    /// Source data set (e.g. "odd").
    pub source: String,
    /// Target data set (e.g. "even").
    pub target: String,
    /// `full`, `new-head` or `frozen`.
    pub mode: String,
    /// Name of the target run trained from scratch.
    pub scratch_run: String,
    /// Name of the target run started from the source run.
    pub transfer_run: String,
    /// Initial accuracy of the transfer run minus that of the scratch run.
    #[serde(deserialize_with = "nan_if_null")]
    pub jumpstart: f64,
    /// Training accuracy that counts as "learned".
    #[serde(deserialize_with = "nan_if_null")]
    pub threshold: f64,
    /// First epoch reaching `threshold` (`None`: never reached).
    pub epochs_to_threshold: ScratchVsTransfer<Option<usize>>,
    /// Training seconds until `threshold` was reached (`None`: never reached).
    pub seconds_to_threshold: ScratchVsTransfer<Option<f64>>,
    /// Final accuracy of the transfer run minus that of the scratch run.
    #[serde(deserialize_with = "nan_if_null")]
    pub final_gain: f64,
    /// McNemar's test says the transfer run is worse than scratch on the shared test set
    /// (not merely a negative final gain, which may be noise).
    pub negative_transfer: bool,
    /// McNemar's test of this seed's two models on the shared test set.
    #[serde(default)]
    pub mcnemar: Option<McNemar>,
    /// Statistics over seeds for a multi-seed invocation.
    #[serde(default)]
    pub seed_stats: Option<TransferSeedStats>,
}

impl Summary {
    /// The first run called `name`.
    pub fn run(&self, name: &str) -> Option<&RunSummary> {
        self.runs.iter().find(|r| r.name == name)
    }

    /// Writes `dir/summary.json` atomically (to `summary.json.tmp`, then renamed),
    /// creating `dir` if needed. Returns the path written.
    pub fn write_atomic(&self, dir: impl AsRef<Path>) -> Result<PathBuf, ReportError> {
        let dir = dir.as_ref();
        crate::fsutil::ensure_dir(dir)?;
        let path = dir.join(SUMMARY_FILE);
        let mut json = serde_json::to_vec_pretty(self).map_err(|source| ReportError::Json {
            path: path.clone(),
            source,
        })?;
        json.push(b'\n');
        crate::fsutil::write_atomic(&path, &json)?;
        Ok(path)
    }

    /// Reads `dir/summary.json`.
    ///
    /// A missing file gives [`ReportError::NotARunDirectory`]; a file that is not a valid
    /// summary gives [`ReportError::Json`] naming the file and serde's message.
    pub fn read(dir: impl AsRef<Path>) -> Result<Summary, ReportError> {
        let dir = dir.as_ref();
        let path = dir.join(SUMMARY_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ReportError::NotARunDirectory {
                    dir: dir.to_path_buf(),
                    path,
                })
            }
            Err(e) => return Err(ReportError::io("read", path, e)),
        };
        serde_json::from_slice(&bytes).map_err(|source| ReportError::Json { path, source })
    }
}

/// One row of the study's reported results.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StudyResult {
    /// Our name for the run.
    pub run: &'static str,
    /// How the study describes it.
    pub description: &'static str,
    /// Reported training-set accuracy.
    pub train_accuracy: f64,
    /// Reported training time in seconds (unknown hardware).
    pub seconds: f64,
}

/// The study's reported table (training accuracy, training seconds), see STUDY.md.
pub const STUDY_RESULTS: [StudyResult; 6] = [
    StudyResult {
        run: "softmax-even",
        description: "softmax regression, even",
        train_accuracy: 0.9641,
        seconds: 16.69,
    },
    StudyResult {
        run: "softmax-odd",
        description: "softmax regression, odd",
        train_accuracy: 0.9804,
        seconds: 26.07,
    },
    StudyResult {
        run: "mlp-even",
        description: "network, even",
        train_accuracy: 0.9807,
        seconds: 202.24,
    },
    StudyResult {
        run: "mlp-odd",
        description: "network, odd",
        train_accuracy: 0.9792,
        seconds: 237.65,
    },
    StudyResult {
        run: "transfer-odd-even",
        description: "transfer odd → even",
        train_accuracy: 0.9707,
        seconds: 113.00,
    },
    StudyResult {
        run: "transfer-even-odd",
        description: "transfer even → odd",
        train_accuracy: 0.9500,
        seconds: 97.92,
    },
];

/// The study's result for one of our run names, if the study reported that run.
pub fn study_result(run_name: &str) -> Option<&'static StudyResult> {
    STUDY_RESULTS.iter().find(|s| s.run == run_name)
}

pub(crate) fn nan_if_null<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

fn vec_nan_if_null<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
    let v = Vec::<Option<f64>>::deserialize(d)?;
    Ok(v.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect())
}
