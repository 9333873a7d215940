//! A realistic fake summary: the six runs of the study with 300-epoch histories.
#![allow(dead_code)]

use oddeven_report::{AdapterInfo, RunSummary, ScratchVsTransfer, Summary, TransferSummary};

pub const ODD: [u8; 5] = [1, 3, 5, 7, 9];
pub const EVEN: [u8; 5] = [0, 2, 4, 6, 8];

/// A run whose loss decays exponentially and whose accuracy rises towards `final_acc`.
pub fn fake_run(name: &str, model: &str, odd: bool, init: &str, epochs: usize) -> RunSummary {
    let digits = if odd { ODD.to_vec() } else { EVEN.to_vec() };
    let mlp = model == "mlp";
    let transfer = init != "random";
    let (start_loss, final_loss) = if mlp { (0.9, 0.004) } else { (0.7, 0.09) };
    let init_acc = if transfer { 0.55 } else { 0.2 };
    let final_acc = if mlp { 0.999 } else { 0.965 };
    let loss_history: Vec<f64> = (1..=epochs)
        .map(|e| final_loss + (start_loss - final_loss) * (-(e as f64) / 40.0).exp())
        .collect();
    let train_accuracy_history: Vec<f64> = (0..=epochs)
        .map(|e| final_acc - (final_acc - init_acc) * (-(e as f64) / 25.0).exp())
        .collect();
    let test_size = if odd { 7_100 } else { 6_900 };
    let per_class = (test_size / 5) as u64;
    let confusion_matrix = (0..5)
        .map(|r| {
            (0..5)
                .map(|c| if r == c { per_class - 40 } else { 10 })
                .collect()
        })
        .collect();
    let train_seconds = if mlp { 4.2 } else { 0.8 };
    RunSummary {
        name: name.to_string(),
        model: model.to_string(),
        layers: mlp.then(|| "flatten,linear300,relu,linear5".to_string()),
        dataset: if odd { "odd" } else { "even" }.to_string(),
        digits,
        init: init.to_string(),
        transfer_mode: transfer.then(|| "full".to_string()),
        epochs,
        lr: 0.01,
        batch_size: None,
        train_size: test_size * 4,
        test_size,
        initial_train_accuracy: init_acc,
        initial_test_accuracy: init_acc - 0.01,
        train_accuracy: *train_accuracy_history.last().unwrap_or(&init_acc),
        test_accuracy: final_acc - 0.02,
        final_loss: *loss_history.last().unwrap_or(&start_loss),
        loss_history,
        train_accuracy_history,
        train_seconds,
        confusion_matrix,
        seed: Some(42),
        hidden: mlp.then_some(300),
        output: Some(if mlp {
            "sigmoid".to_string()
        } else {
            "softmax".to_string()
        }),
        ms_per_epoch: Some(train_seconds * 1000.0 / epochs.max(1) as f64),
        test_accuracy_history: Vec::new(),
    }
}

pub fn transfer_entry(
    source: &str,
    target: &str,
    scratch: &str,
    transfer: &str,
) -> TransferSummary {
    TransferSummary {
        source: source.to_string(),
        target: target.to_string(),
        mode: "full".into(),
        scratch_run: scratch.to_string(),
        transfer_run: transfer.to_string(),
        jumpstart: 0.35,
        threshold: 0.95,
        epochs_to_threshold: ScratchVsTransfer {
            scratch: Some(78),
            transfer: Some(65),
        },
        seconds_to_threshold: ScratchVsTransfer {
            scratch: Some(1.09),
            transfer: None,
        },
        final_gain: -0.0012,
        negative_transfer: false,
        mcnemar: Some(oddeven_report::significance::mcnemar(14, 10)),
        seed_stats: None,
    }
}

/// The six runs of the study and both transfer comparisons.
pub fn study_summary() -> Summary {
    let e = 300;
    Summary {
        task: "study".to_string(),
        seed: 42,
        seeds: vec![42],
        adapter: AdapterInfo {
            name: "llvmpipe (LLVM 17.0.6, 256 bits)".to_string(),
            backend: "Vulkan".to_string(),
            device_type: "Cpu".to_string(),
        },
        runs: vec![
            fake_run("softmax-even", "softmax", false, "random", e),
            fake_run("softmax-odd", "softmax", true, "random", e),
            fake_run("mlp-even", "mlp", false, "random", e),
            fake_run("mlp-odd", "mlp", true, "random", e),
            fake_run("transfer-odd-even", "mlp", false, "mlp-odd", e),
            fake_run("transfer-even-odd", "mlp", true, "mlp-even", e),
        ],
        transfer: vec![
            transfer_entry("odd", "even", "mlp-even", "transfer-odd-even"),
            transfer_entry("even", "odd", "mlp-odd", "transfer-even-odd"),
        ],
        seed_stats: Vec::new(),
        significance: Vec::new(),
    }
}
