//! End to end: the `oddeven` binary on real MNIST subsets with few examples and epochs,
//! running the WGSL kernels (`ODDEVEN_DEVICE=software`: lavapipe in CI; other tests use the
//! default, `auto`), checking what lands in the run directory, and that bad input gives a
//! clear error and a non-zero exit.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{adapter_available, stderr};
use serde_json::Value;

fn oddeven(args: &[&str]) -> Output {
    common::oddeven_on(Some("software"), args)
}

/// Trains `task` on a small subset through the binary and returns its summary.json.
fn train(task: &str, out: &Path, extra: &[&str]) -> Value {
    let out_s = out.to_str().unwrap();
    let mut args = vec![
        "train", "--task", task, "--limit", "400", "--epochs", "4", "--hidden", "32", "--out",
        out_s,
    ];
    args.extend_from_slice(extra);
    let o = oddeven(&args);
    assert!(o.status.success(), "{task} failed: {}", stderr(&o));
    let text = std::fs::read_to_string(out.join("summary.json")).expect("summary.json");
    serde_json::from_str(&text).expect("summary.json parses")
}

const RUN_KEYS: [&str; 21] = [
    "name",
    "model",
    "dataset",
    "digits",
    "init",
    "transfer_mode",
    "epochs",
    "lr",
    "batch_size",
    "train_size",
    "test_size",
    "initial_train_accuracy",
    "initial_test_accuracy",
    "train_accuracy",
    "test_accuracy",
    "final_loss",
    "loss_history",
    "train_accuracy_history",
    "train_seconds",
    "confusion_matrix",
    "seed",
];

fn check_dir(out: &Path, summary: &Value, runs: &[&str]) {
    for key in ["task", "seed", "adapter", "runs", "transfer"] {
        assert!(summary.get(key).is_some(), "summary lacks {key}");
    }
    for key in ["name", "backend", "device_type"] {
        assert!(summary["adapter"][key].is_string(), "adapter.{key}");
    }
    let got: Vec<&str> = summary["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(got, runs);
    for run in summary["runs"].as_array().unwrap() {
        for key in RUN_KEYS {
            assert!(run.get(key).is_some(), "run {} lacks {key}", run["name"]);
        }
        let epochs = run["epochs"].as_u64().unwrap() as usize;
        assert_eq!(run["loss_history"].as_array().unwrap().len(), epochs);
        assert_eq!(
            run["train_accuracy_history"].as_array().unwrap().len(),
            epochs + 1
        );
        assert!(run["batch_size"].is_null());
        let name = run["name"].as_str().unwrap();
        assert!(
            out.join(format!("{name}.safetensors")).is_file(),
            "{name}.safetensors"
        );
        check_picture(&out.join(format!("confusion-{name}")));
        let cm = run["confusion_matrix"].as_array().unwrap();
        let total: u64 = cm
            .iter()
            .flat_map(|r| r.as_array().unwrap())
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert_eq!(total, run["test_size"].as_u64().unwrap());
    }
    check_picture(&out.join("loss"));
    check_picture(&out.join("accuracy"));
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    for run in runs {
        assert!(report.contains(run), "report.md lacks {run}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(out)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

fn check_picture(stem: &Path) {
    let svg = std::fs::read_to_string(stem.with_extension("svg"))
        .unwrap_or_else(|e| panic!("{}.svg: {e}", stem.display()));
    assert!(
        svg.contains("<svg") && svg.trim_end().ends_with("</svg>"),
        "{} is not SVG",
        stem.display()
    );
    let png = std::fs::read(stem.with_extension("png")).unwrap();
    assert!(
        png.len() > 1000 && png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{}.png",
        stem.display()
    );
}

#[test]
fn single_run_tasks_write_complete_directories() {
    if !adapter_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for task in ["softmax-odd", "softmax-even", "mlp-odd", "mlp-even"] {
        let out = dir.path().join(task);
        let summary = train(task, &out, &[]);
        check_dir(&out, &summary, &[task]);
        assert_eq!(summary["task"], task);
        assert!(summary["transfer"].as_array().unwrap().is_empty());
    }
}

#[test]
fn transfer_task_measures_against_scratch() {
    if !adapter_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t");
    let summary = train("transfer-even-odd", &out, &["--output", "sigmoid"]);
    check_dir(
        &out,
        &summary,
        &["mlp-even", "mlp-odd", "transfer-even-odd"],
    );
    let t = &summary["transfer"][0];
    assert_eq!(t["scratch_run"], "mlp-odd");
    assert_eq!(t["transfer_run"], "transfer-even-odd");
    assert_eq!(t["mode"], "full");
    for key in ["jumpstart", "threshold", "final_gain", "negative_transfer"] {
        assert!(t.get(key).is_some(), "transfer lacks {key}");
    }
    assert!(
        t["epochs_to_threshold"].get("scratch").is_some()
            && t["seconds_to_threshold"].get("transfer").is_some()
    );
    assert_eq!(summary["runs"][2]["init"], "mlp-even");

    // A transfer from the saved checkpoint, all three modes.
    let out2 = dir.path().join("from");
    let ckpt = out.join("mlp-odd.safetensors");
    let s2 = train(
        "transfer-odd-even",
        &out2,
        &[
            "--output",
            "sigmoid",
            "--from",
            ckpt.to_str().unwrap(),
            "--transfer-mode",
            "all",
        ],
    );
    check_dir(
        &out2,
        &s2,
        &[
            "mlp-even",
            "transfer-odd-even-full",
            "transfer-odd-even-new-head",
            "transfer-odd-even-frozen",
        ],
    );
    assert_eq!(s2["transfer"].as_array().unwrap().len(), 3);

    // A checkpoint of another shape is refused, naming both shapes.
    let o = oddeven(&[
        "train",
        "--task",
        "transfer-odd-even",
        "--limit",
        "300",
        "--epochs",
        "1",
        "--hidden",
        "16",
        "--from",
        ckpt.to_str().unwrap(),
        "--out",
        dir.path().join("bad").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("linear32") && e.contains("linear16") && e.contains("--from"),
        "{e}"
    );

    // `oddeven report DIR` re-renders from summary.json.
    std::fs::remove_file(out.join("report.md")).unwrap();
    let o = oddeven(&["report", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.join("report.md").is_file());
}

#[test]
fn paper_produces_the_six_runs() {
    if !adapter_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("paper");
    let summary = train("paper", &out, &[]);
    check_dir(
        &out,
        &summary,
        &[
            "softmax-odd",
            "softmax-even",
            "mlp-odd",
            "mlp-even",
            "transfer-odd-even",
            "transfer-even-odd",
        ],
    );
    assert_eq!(summary["transfer"].as_array().unwrap().len(), 2);
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("0.9641") && report.contains("237.65"),
        "the study's numbers are beside ours"
    );
}

#[test]
fn bad_input_gives_clear_errors_and_nonzero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x");
    let out_s = out.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["train", "--task", "mlp-sideways", "--out", out_s],
            "mlp-sideways",
        ),
        (
            vec![
                "train", "--task", "mlp-odd", "--output", "tanh", "--out", out_s,
            ],
            "tanh",
        ),
        (
            vec![
                "train", "--task", "mlp-odd", "--epochs", "many", "--out", out_s,
            ],
            "many",
        ),
        (
            vec![
                "train", "--task", "mlp-odd", "--device", "tpu", "--out", out_s,
            ],
            "tpu",
        ),
        (
            vec!["train", "--task", "mlp-odd", "--seeds", "0", "--out", out_s],
            "--seeds",
        ),
        (
            vec![
                "train",
                "--digits",
                "0-4",
                "--transfer-mode",
                "frozen",
                "--out",
                out_s,
            ],
            "--transfer-mode only applies to transfer runs",
        ),
        (
            vec!["train", "--digits", "3", "--out", out_s],
            "--digits 3: a classifier needs at least two digits",
        ),
        (
            vec!["train", "--source", "0-4", "--target", "7", "--out", out_s],
            "--target 7",
        ),
        (
            vec![
                "train",
                "--task",
                "mlp-odd",
                "--threshold",
                "2",
                "--out",
                out_s,
            ],
            "--threshold",
        ),
        (
            vec![
                "train",
                "--task",
                "mlp-odd",
                "--from",
                "x.safetensors",
                "--out",
                out_s,
            ],
            "--from",
        ),
    ];
    for (args, needle) in cases {
        let o = oddeven(&args);
        assert!(!o.status.success(), "{args:?} succeeded");
        let e = stderr(&o);
        assert!(e.contains(needle), "{args:?}: {e}");
        assert!(!e.contains("panicked"), "{args:?} panicked: {e}");
    }
    // A data directory without MNIST and no way to download: says how to point at a copy.
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_oddeven"))
        .args([
            "train",
            "--task",
            "mlp-odd",
            "--epochs",
            "1",
            "--data-dir",
            empty.to_str().unwrap(),
            "--out",
            out_s,
        ])
        .env("ODDEVEN_MNIST_MIRROR", "http://127.0.0.1:9/")
        .env("ODDEVEN_DEVICE", "auto")
        .output()
        .unwrap();
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("127.0.0.1:9") && e.contains("--data-dir: loading"),
        "{e}"
    );
    // The error names the flag the user gave, not one they never used.
    assert!(!e.contains("--target-data"), "{e}");
    assert!(
        !out.exists(),
        "a failed run left its (empty) output directory behind"
    );
    // An output directory that cannot be created.
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"").unwrap();
    let o = oddeven(&[
        "train",
        "--task",
        "mlp-odd",
        "--out",
        file.join("sub").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("output directory"), "{}", stderr(&o));
    // Report of a directory that is not a run.
    let o = oddeven(&["report", empty.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("summary.json"), "{}", stderr(&o));
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["train", "--help"],
        vec!["devices", "--help"],
        vec!["report", "--help"],
        vec!["fetch-mnist", "--help"],
    ] {
        let o = oddeven(&args);
        assert!(o.status.success(), "{args:?}");
    }
    let o = oddeven(&["train", "--help"]);
    let text = String::from_utf8_lossy(&o.stdout);
    for flag in [
        "--task",
        "--data-dir",
        "--out",
        "--epochs",
        "--lr",
        "--hidden",
        "--batch-size",
        "--seed",
        "--limit",
        "--output",
        "--transfer-mode",
        "--threshold",
        "--device",
        "--seeds",
        "--from",
        "[default: 300]",
        "[default: 0.01]",
    ] {
        assert!(text.contains(flag), "train --help lacks {flag}");
    }
}

/// Without XDG_RUNTIME_DIR (containers, CI) the Vulkan driver would print
/// `error: XDG_RUNTIME_DIR is invalid…` on a good run; the CLI gives it a private one.
#[test]
fn no_false_error_without_xdg_runtime_dir() {
    if !adapter_available() {
        return;
    }
    let o = Command::new(env!("CARGO_BIN_EXE_oddeven"))
        .arg("devices")
        .env_remove("XDG_RUNTIME_DIR")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let all = format!("{}{}", String::from_utf8_lossy(&o.stdout), stderr(&o));
    assert!(!all.contains("XDG_RUNTIME_DIR"), "{all}");
    assert!(all.contains("llvmpipe") || all.contains("vulkan"), "{all}");
}
