//! The CLI with layer stacks: `--model` presets and spec strings, sizes checked before
//! anything is allocated, output directories that never mix two runs.

mod common;

use std::process::{Command, Output};

use common::{adapter_available, mnist_dir, stderr, summary};

fn oddeven(args: &[&str]) -> Output {
    common::oddeven_on(None, args)
}

fn run_ok(args: &[&str]) -> Output {
    common::check_ok(args, oddeven(args))
}

#[test]
fn cnn_and_spec_string_models_train_and_name_their_runs() {
    if !adapter_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cnn");
    let o = run_ok(&[
        "train",
        "--task",
        "mlp-odd",
        "--model",
        "cnn",
        "--limit",
        "500",
        "--epochs",
        "1",
        "--batch-size",
        "64",
        "--lr",
        "0.001",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        !stderr(&o).to_lowercase().contains("error"),
        "{}",
        stderr(&o)
    );
    let s = summary(&out);
    let run = &s["runs"][0];
    assert_eq!(run["name"], "cnn-odd");
    assert_eq!(run["model"], "cnn");
    assert_eq!(
        run["layers"],
        "conv32k3p1,relu,pool2,conv64k3p1,relu,pool2,flatten,linear128,relu,linear5"
    );
    assert!(
        run["test_accuracy"].as_f64().unwrap() > 0.5,
        "one CNN epoch beats chance"
    );
    assert!(out.join("cnn-odd.safetensors").is_file());

    let out = dir.path().join("custom");
    run_ok(&[
        "train",
        "--digits",
        "0-4",
        "--model",
        "conv4k5s2p2,relu,flatten,linear16,relu,linear",
        "--limit",
        "300",
        "--epochs",
        "2",
        "--batch-size",
        "32",
        "--out",
        out.to_str().unwrap(),
    ]);
    let s = summary(&out);
    assert_eq!(s["runs"][0]["name"], "custom-0-4");
    assert_eq!(s["task"], "custom-0-4");
    assert_eq!(s["runs"][0]["digits"], serde_json::json!([0, 1, 2, 3, 4]));
}

#[test]
fn bad_models_and_sizes_are_clear_errors_before_training() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x");
    let out_s = out.to_str().unwrap();
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (
            vec!["--model", "conv16k5,relu,dense10,linear"],
            vec!["dense", "comma-separated layers"],
        ),
        (
            vec!["--model", "conv8k3,relu,linear"],
            vec!["layer 3 (linear)", "flatten"],
        ),
        (
            vec!["--model", "pool64,flatten,linear"],
            vec!["larger than its [1, 28, 28] input"],
        ),
        (
            vec!["--model", "flatten,linear32"],
            vec!["layer 2 (linear32)", "one unit per class"],
        ),
        (vec!["--model", "cnn", "--hidden", "64"], vec!["--hidden"]),
        (vec!["--epochs", "0"], vec!["--epochs"]),
        (vec!["--patience", "0"], vec!["--patience"]),
        (vec!["--lr=-1"], vec!["--lr"]),
    ];
    for (extra, needles) in cases {
        let mut args = vec![
            "train", "--task", "mlp-odd", "--limit", "100", "--out", out_s,
        ];
        args.extend(&extra);
        let o = oddeven(&args);
        assert_eq!(o.status.code(), Some(1), "{extra:?}: {}", stderr(&o));
        let e = stderr(&o);
        for n in needles {
            assert!(e.contains(n), "{extra:?}: {e}");
        }
        assert!(!out.exists(), "{extra:?} left its output directory");
    }
    if !adapter_available() {
        return;
    }
    // Sizes a user picks: a clear error and exit 1, never an allocation abort.
    let o = oddeven(&[
        "train",
        "--task",
        "mlp-odd",
        "--hidden",
        "100000000",
        "--epochs",
        "1",
        "--out",
        out_s,
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("linear100000000") && stderr(&o).contains("--hidden"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
    // A minibatch of 2,000 CNN images does not fit lavapipe's 128 MiB tensors (a full
    // batch would run in chunks): the error says which batch size would.
    let o = oddeven(&[
        "train",
        "--task",
        "mlp-odd",
        "--model",
        "cnn",
        "--limit",
        "3000",
        "--epochs",
        "1",
        "--batch-size",
        "2000",
        "--device",
        "software",
        "--out",
        out_s,
    ]);
    let max =
        oddeven_core::Backend::max_tensor_bytes(&oddeven_core::testing::gpu_or_skip().unwrap());
    if max < 400 << 20 {
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(stderr(&o).contains("--batch-size"), "{}", stderr(&o));
    }
    // Unknown values of the kernel switches are refused, not ignored.
    for (var, value, expected) in [
        ("ODDEVEN_MATMUL", "fastest", "vec4"),
        ("ODDEVEN_FUSED_HEAD", "sometimes", "on or off"),
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_oddeven"))
            .args([
                "train",
                "--task",
                "softmax-odd",
                "--limit",
                "100",
                "--epochs",
                "1",
                "--out",
                out_s,
            ])
            .env("ODDEVEN_DATA", mnist_dir())
            .env(var, value)
            .env("ODDEVEN_DEVICE", "software")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{var}={value}");
        assert!(
            stderr(&o).contains(var) && stderr(&o).contains(expected),
            "{}",
            stderr(&o)
        );
    }
}

#[test]
fn a_run_directory_holds_one_run() {
    if !adapter_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let args = [
        "train",
        "--task",
        "softmax-odd",
        "--limit",
        "200",
        "--epochs",
        "2",
        "--out",
        out.to_str().unwrap(),
    ];
    run_ok(&args);
    let first = std::fs::read(out.join("summary.json")).unwrap();
    let o = oddeven(&args);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--overwrite"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(out.join("summary.json")).unwrap(),
        first,
        "refused runs touch nothing"
    );
    let mut again = args.to_vec();
    again[2] = "softmax-even";
    again.push("--overwrite");
    run_ok(&again);
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().any(|n| n == "softmax-even.safetensors"),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n.contains("softmax-odd")),
        "old files cleared: {names:?}"
    );
}

/// Same seed, same bytes: checkpoints (and the losses in the summary) do not vary
/// between runs.
#[test]
fn same_seed_gives_identical_checkpoints() {
    if !adapter_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str| {
        let out = dir.path().join(name);
        run_ok(&[
            "train",
            "--task",
            "mlp-even",
            "--hidden",
            "16",
            "--limit",
            "300",
            "--epochs",
            "3",
            "--out",
            out.to_str().unwrap(),
        ]);
        (
            std::fs::read(out.join("mlp-even.safetensors")).unwrap(),
            summary(&out),
        )
    };
    let (a, sa) = run("a");
    let (b, sb) = run("b");
    assert_eq!(a, b);
    assert_eq!(sa["runs"][0]["loss_history"], sb["runs"][0]["loss_history"]);
}
