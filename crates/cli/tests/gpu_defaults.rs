//! What a hardware GPU runs by default — the tiled matmul (split-K included, planned for an
//! H100), the fused output layer and im2col convolutions — forced on lavapipe through the
//! kernel switches, end to end through the CLI, against the native CPU backend on the same
//! runs: the same accuracies and losses within float rounding. No GPU has run this path
//! yet; this keeps it honest in CI.

mod common;

use std::process::Command;

use common::{adapter_available, check_ok, mnist_dir, summary};
use serde_json::Value;

/// Trains `args` into a fresh directory, on the CPU backend or on lavapipe with the GPU
/// defaults, and returns the summary.
fn train(args: &[&str], gpu_defaults: bool) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--quiet", "--out", out.to_str().unwrap()]);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_oddeven"));
    cmd.args(&all).env("ODDEVEN_DATA", mnist_dir());
    if gpu_defaults {
        cmd.env("ODDEVEN_DEVICE", "software")
            .env("ODDEVEN_MATMUL", "tiled")
            .env("ODDEVEN_FUSED_HEAD", "on")
            .env("ODDEVEN_CONV", "im2col")
            // Plan for an H100's 132 SMs, so long-K products split as they would there.
            .env("ODDEVEN_COMPUTE_UNITS", "132");
    } else {
        cmd.env("ODDEVEN_DEVICE", "cpu");
    }
    check_ok(&all, cmd.output().unwrap());
    summary(&out)
}

fn assert_same_runs(what: &str, gpu: &Value, cpu: &Value) {
    let (g, c) = (
        gpu["runs"].as_array().unwrap(),
        cpu["runs"].as_array().unwrap(),
    );
    assert_eq!(g.len(), c.len(), "{what}");
    for (g, c) in g.iter().zip(c) {
        let name = g["name"].as_str().unwrap();
        for key in ["test_accuracy", "train_accuracy"] {
            let (a, b) = (g[key].as_f64().unwrap(), c[key].as_f64().unwrap());
            assert!(
                (a - b).abs() <= 0.01,
                "{what} {name} {key}: gpu {a}, cpu {b}"
            );
        }
        let losses = |r: &Value| -> Vec<f64> {
            r["loss_history"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect()
        };
        let (lg, lc) = (losses(g), losses(c));
        assert_eq!(lg.len(), lc.len(), "{what} {name}");
        for (e, (a, b)) in lg.iter().zip(&lc).enumerate() {
            assert!(
                (a - b).abs() <= 1e-3 * (1.0 + b.abs()),
                "{what} {name} epoch {e}: loss gpu {a}, cpu {b}"
            );
        }
    }
}

#[test]
fn gpu_defaults_on_lavapipe_match_the_cpu_backend() {
    if !adapter_available() {
        return;
    }
    // The MLP transfer: full-batch tiled products (the weight gradient split over K) and
    // the fused head with the ReLU mask, then a transfer from the trained source.
    let mlp = [
        "train",
        "--task",
        "transfer-odd-even",
        "--limit",
        "300",
        "--epochs",
        "5",
    ];
    assert_same_runs("mlp", &train(&mlp, true), &train(&mlp, false));
    // A small CNN in minibatches: im2col forward, input and weight gradients, pooling.
    let cnn = [
        "train",
        "--digits",
        "0-4",
        "--model",
        "conv4k3p1,relu,pool2,flatten,linear",
        "--limit",
        "200",
        "--epochs",
        "2",
        "--batch-size",
        "32",
        "--lr",
        "0.001",
    ];
    assert_same_runs("cnn", &train(&cnn, true), &train(&cnn, false));
}
