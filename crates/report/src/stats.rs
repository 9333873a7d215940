//! Statistics over seeds: mean and sample standard deviation.

use serde::{Deserialize, Serialize};

use crate::summary::{nan_if_null, RunSummary, ScratchVsTransfer, TransferSummary};

/// Mean and sample standard deviation (n − 1) of some values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanSd {
    #[serde(deserialize_with = "nan_if_null")]
    pub mean: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub sd: f64,
}

/// Mean and sample standard deviation (divisor n − 1) of `values`.
///
/// The sd is 0 for a single value; both are NaN for no values. A NaN among the values
/// makes both NaN (a diverged seed should show, not vanish).
pub fn seed_stats(values: &[f64]) -> MeanSd {
    let n = values.len();
    if n == 0 {
        return MeanSd {
            mean: f64::NAN,
            sd: f64::NAN,
        };
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return MeanSd {
            mean,
            sd: if mean.is_nan() { f64::NAN } else { 0.0 },
        };
    }
    let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    MeanSd {
        mean,
        sd: (ss / (n - 1) as f64).sqrt(),
    }
}

/// Statistics over the seeds of one run name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedStats {
    pub name: String,
    /// Number of seeds.
    pub n: usize,
    pub test_accuracy: MeanSd,
    pub train_accuracy: MeanSd,
    pub train_seconds: MeanSd,
}

/// Groups `runs` by name (in order of first appearance) and computes [`SeedStats`] for
/// each name. Runs of several seeds are expected to share their name.
pub fn compute_seed_stats(runs: &[RunSummary]) -> Vec<SeedStats> {
    let mut names: Vec<&str> = Vec::new();
    for r in runs {
        if !names.contains(&r.name.as_str()) {
            names.push(&r.name);
        }
    }
    names
        .into_iter()
        .map(|name| {
            let group: Vec<&RunSummary> = runs.iter().filter(|r| r.name == name).collect();
            let get = |f: fn(&RunSummary) -> f64| -> MeanSd {
                seed_stats(&group.iter().map(|r| f(r)).collect::<Vec<_>>())
            };
            SeedStats {
                name: name.to_string(),
                n: group.len(),
                test_accuracy: get(|r| r.test_accuracy),
                train_accuracy: get(|r| r.train_accuracy),
                train_seconds: get(|r| r.train_seconds),
            }
        })
        .collect()
}

/// Statistics over seeds of one transfer comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransferSeedStats {
    /// Number of seeds.
    pub n: usize,
    pub jumpstart: MeanSd,
    pub final_gain: MeanSd,
    /// Over the seeds where the threshold was reached (`None` if it never was).
    #[serde(default)]
    pub epochs_to_threshold: ScratchVsTransfer<Option<MeanSd>>,
    /// Over the seeds where the threshold was reached (`None` if it never was).
    #[serde(default)]
    pub seconds_to_threshold: ScratchVsTransfer<Option<MeanSd>>,
    /// Number of seeds that showed negative transfer.
    pub negative_transfer_count: usize,
}

/// Statistics over the per-seed entries of one transfer comparison.
pub fn transfer_seed_stats(entries: &[TransferSummary]) -> TransferSeedStats {
    let over = |vals: Vec<f64>| (!vals.is_empty()).then(|| seed_stats(&vals));
    let epochs = |f: fn(&TransferSummary) -> Option<usize>| {
        over(entries.iter().filter_map(f).map(|e| e as f64).collect())
    };
    let secs =
        |f: fn(&TransferSummary) -> Option<f64>| over(entries.iter().filter_map(f).collect());
    TransferSeedStats {
        n: entries.len(),
        jumpstart: seed_stats(&entries.iter().map(|t| t.jumpstart).collect::<Vec<_>>()),
        final_gain: seed_stats(&entries.iter().map(|t| t.final_gain).collect::<Vec<_>>()),
        epochs_to_threshold: ScratchVsTransfer {
            scratch: epochs(|t| t.epochs_to_threshold.scratch),
            transfer: epochs(|t| t.epochs_to_threshold.transfer),
        },
        seconds_to_threshold: ScratchVsTransfer {
            scratch: secs(|t| t.seconds_to_threshold.scratch),
            transfer: secs(|t| t.seconds_to_threshold.transfer),
        },
        negative_transfer_count: entries.iter().filter(|t| t.negative_transfer).count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_sd_uses_sample_sd() {
        let s = seed_stats(&[1.0, 2.0, 3.0, 4.0]);
        assert!((s.mean - 2.5).abs() < 1e-12);
        // sum of squares 5, n-1 = 3
        assert!((s.sd - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn single_value_has_zero_sd_and_empty_is_nan() {
        assert_eq!(
            seed_stats(&[0.97]),
            MeanSd {
                mean: 0.97,
                sd: 0.0
            }
        );
        let e = seed_stats(&[]);
        assert!(e.mean.is_nan() && e.sd.is_nan());
        assert!(seed_stats(&[f64::NAN]).sd.is_nan());
    }
}
