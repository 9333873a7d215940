//! From training reports to the summary's records: one per run, one per transfer
//! comparison, and — over seeds — statistics and significance.

use oddeven_models::{measures, ModelSpec, RunOutcome, TrainReport};
use oddeven_report as report;
use oddeven_report::significance::{mcnemar, paired, paired_directed};
use oddeven_report::{Significance, SignificanceRow};

use crate::options::Settings;
use crate::plan::{Init, RunPlan, TransferPlan};
use crate::prepare::{DataSets, RunExamples};

/// The record of one finished run.
pub fn run(
    run: &RunPlan,
    spec: &ModelSpec,
    examples: &RunExamples,
    r: &TrainReport,
    settings: &Settings,
    seed: u64,
    data: &DataSets,
) -> report::RunSummary {
    let (init, transfer_mode) = match &run.init {
        Init::Random => ("random".to_string(), None),
        Init::Transfer { source, mode } => (source.clone(), Some(mode.to_string())),
    };
    let loaded = data.side(run.side);
    let dataset = if data.differ() {
        format!("{}-{}", loaded.label, run.digits.name())
    } else {
        run.digits.name()
    };
    let hidden = match spec.name.as_str() {
        "mlp" => spec.layers.iter().find_map(|l| match l {
            oddeven_models::Layer::Linear(l) => Some(l.fan_out),
            _ => None,
        }),
        _ => None,
    };
    report::RunSummary {
        name: run.name.clone(),
        model: spec.name.clone(),
        layers: Some(spec.layer_string()),
        dataset,
        digits: run.digits.digits().to_vec(),
        init,
        transfer_mode,
        epochs: r.epochs_run,
        lr: settings.lr,
        batch_size: settings.batch_size,
        train_size: examples.train.len(),
        test_size: examples.test.len(),
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
        hidden,
        output: Some(spec.output.to_string()),
        ms_per_epoch: Some(1e3 * r.train_seconds / r.epochs_run.max(1) as f64),
        test_accuracy_history: r.test_accuracy_history.clone(),
    }
}

/// The three measures of one comparison, and McNemar's test of the two final models on
/// their shared test set.
pub fn transfer(
    t: &TransferPlan,
    scratch: &TrainReport,
    target: &TrainReport,
    threshold: f64,
) -> report::TransferSummary {
    let m = measures(
        RunOutcome::from(scratch),
        RunOutcome::from(target),
        threshold,
    );
    // b: scratch right and transfer wrong; c: the reverse (same test examples, same order).
    let (mut b, mut c) = (0u64, 0u64);
    for (&s, &t) in scratch.test_correct.iter().zip(&target.test_correct) {
        match (s, t) {
            (true, false) => b += 1,
            (false, true) => c += 1,
            _ => {}
        }
    }
    let test = (scratch.test_correct.len() == target.test_correct.len()
        && !scratch.test_correct.is_empty())
    .then(|| mcnemar(b, c));
    report::TransferSummary {
        source: t.source.clone(),
        target: t.target.clone(),
        mode: t.mode.to_string(),
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
        negative_transfer: test
            .as_ref()
            .is_some_and(|t| t.verdict == report::significance::Verdict::Negative),
        mcnemar: test,
        seed_stats: None,
    }
}

/// Seed statistics and significance once every seed has run: with one seed, McNemar per
/// comparison; with several, paired statistics of each measure over seeds.
pub fn finish(summary: &mut report::Summary, seeds: usize) {
    if seeds > 1 {
        summary.seed_stats = report::compute_seed_stats(&summary.runs);
    }
    let mut rows = Vec::new();
    let mut groups: Vec<(String, Vec<&report::TransferSummary>)> = Vec::new();
    for t in &summary.transfer {
        let key = format!(
            "{} → {} ({}, {})",
            t.source, t.target, t.mode, t.transfer_run
        );
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, g)) => g.push(t),
            None => groups.push((key, vec![t])),
        }
    }
    for (comparison, group) in groups {
        if seeds <= 1 {
            if let Some(m) = &group[0].mcnemar {
                rows.push(SignificanceRow {
                    comparison,
                    measure: "test accuracy".into(),
                    result: Significance::Mcnemar(m.clone()),
                });
            }
            continue;
        }
        let diffs = |f: fn(&report::TransferSummary) -> f64| {
            group.iter().map(|t| f(t)).collect::<Vec<f64>>()
        };
        rows.push(SignificanceRow {
            comparison: comparison.clone(),
            measure: "final gain (test accuracy)".into(),
            result: Significance::Paired(paired(&diffs(|t| t.final_gain))),
        });
        rows.push(SignificanceRow {
            comparison: comparison.clone(),
            measure: "jumpstart (initial test accuracy)".into(),
            result: Significance::Paired(paired(&diffs(|t| t.jumpstart))),
        });
        // Epochs to threshold, over the seeds where both runs reached it; fewer is better.
        let epochs: Vec<f64> = group
            .iter()
            .filter_map(|t| {
                match (
                    t.epochs_to_threshold.transfer,
                    t.epochs_to_threshold.scratch,
                ) {
                    (Some(a), Some(b)) => Some(a as f64 - b as f64),
                    _ => None,
                }
            })
            .collect();
        rows.push(SignificanceRow {
            comparison,
            measure: "epochs to threshold".into(),
            result: Significance::Paired(paired_directed(&epochs, false)),
        });
    }
    summary.significance = rows;
}
