//! Transfer experiments of the user's own, the second source's recipe, and using a
//! trained model (eval, predict) — end to end through the binary on real MNIST subsets and
//! a fixture data set the test writes.

mod common;

use std::path::Path;
use std::process::Output;

use common::{adapter_available, mnist_dir, names, stderr, summary};
use serde_json::Value;

fn oddeven(args: &[&str]) -> Output {
    common::oddeven_on(None, args)
}

fn run_ok(args: &[&str]) -> Output {
    common::check_ok(args, oddeven(args))
}

/// A tiny IDX data set of 28×28 "images" (a bright bar whose row is the label), in the
/// four MNIST file names.
fn write_fixture(dir: &Path, per_class: usize) {
    std::fs::create_dir_all(dir).unwrap();
    let n = per_class * 10;
    let mut images = vec![0, 0, 8, 3];
    images.extend((n as u32).to_be_bytes());
    images.extend(28u32.to_be_bytes());
    images.extend(28u32.to_be_bytes());
    let mut labels = vec![0, 0, 8, 1];
    labels.extend((n as u32).to_be_bytes());
    for i in 0..n {
        let label = (i % 10) as u8;
        let mut img = [0u8; 784];
        for c in 0..28 {
            img[(2 + 2 * label as usize) * 28 + c] = 200 + (i % 50) as u8;
        }
        images.extend(img);
        labels.push(label);
    }
    let half = |bytes: &[u8], header: usize, item: usize, count: usize, first: usize| {
        let mut out = bytes[..header].to_vec();
        out[4..8].copy_from_slice(&(count as u32).to_be_bytes());
        out.extend(&bytes[header + first * item..header + (first + count) * item]);
        out
    };
    let train = n * 6 / 10;
    std::fs::write(
        dir.join("train-images-idx3-ubyte"),
        half(&images, 16, 784, train, 0),
    )
    .unwrap();
    std::fs::write(
        dir.join("train-labels-idx1-ubyte"),
        half(&labels, 8, 1, train, 0),
    )
    .unwrap();
    std::fs::write(
        dir.join("t10k-images-idx3-ubyte"),
        half(&images, 16, 784, n - train, train),
    )
    .unwrap();
    std::fs::write(
        dir.join("t10k-labels-idx1-ubyte"),
        half(&labels, 8, 1, n - train, train),
    )
    .unwrap();
}

#[test]
fn experiments_from_flags_and_cross_data_set_transfer() {
    if !adapter_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lo-hi");
    run_ok(&[
        "train",
        "--source",
        "0-4",
        "--target",
        "5-9",
        "--transfer-mode",
        "new-head,frozen",
        "--limit",
        "400",
        "--epochs",
        "3",
        "--hidden",
        "32",
        "--out",
        out.to_str().unwrap(),
    ]);
    let s = summary(&out);
    assert_eq!(
        names(&s),
        [
            "mlp-0-4",
            "mlp-5-9",
            "transfer-0-4-to-5-9-new-head",
            "transfer-0-4-to-5-9-frozen"
        ]
    );
    assert_eq!(s["task"], "transfer-0-4-to-5-9-frozen");
    let t = &s["transfer"][0];
    assert_eq!(
        (
            t["source"].as_str(),
            t["target"].as_str(),
            t["mode"].as_str()
        ),
        (Some("0-4"), Some("5-9"), Some("new-head"))
    );
    let m = &t["mcnemar"];
    assert!(
        m["p_value"].as_f64().unwrap() <= 1.0 && m["method"].is_string(),
        "{m}"
    );
    assert_eq!(
        s["significance"].as_array().unwrap().len(),
        2,
        "one McNemar row per comparison"
    );
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("Is the difference real?") && report.contains("McNemar"),
        "{report}"
    );

    // Full transfer between sets of different sizes is refused before anything trains.
    let o = oddeven(&[
        "train",
        "--source",
        "0-2",
        "--target",
        "3-9",
        "--limit",
        "100",
        "--out",
        dir.path().join("no").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("3 classes") && stderr(&o).contains("new-head"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("no").exists());

    // Cross-data-set: a fixture data set (bars) as the source, MNIST digits as the target.
    let fixture = dir.path().join("bars");
    write_fixture(&fixture, 30);
    let out = dir.path().join("cross");
    run_ok(&[
        "train",
        "--source",
        "all",
        "--source-data",
        fixture.to_str().unwrap(),
        "--target",
        "0-4",
        "--transfer-mode",
        "new-head",
        "--limit",
        "300",
        "--epochs",
        "3",
        "--hidden",
        "16",
        "--out",
        out.to_str().unwrap(),
    ]);
    let s = summary(&out);
    assert_eq!(
        names(&s),
        [
            "mlp-bars-all",
            "mlp-mnist-0-4",
            "transfer-bars-all-to-mnist-0-4"
        ]
    );
    assert_eq!(s["runs"][0]["dataset"], "bars-all");
    assert!(
        s["runs"][0]["test_accuracy"].as_f64().unwrap() > 0.9,
        "bars are easy"
    );
}

#[test]
fn the_finetune_recipe_on_the_cnn() {
    if !adapter_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cnn");
    run_ok(&[
        "train",
        "--task",
        "cnn-transfer-odd-even",
        "--limit",
        "400",
        "--epochs",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    let s = summary(&out);
    assert_eq!(names(&s), ["cnn-odd", "cnn-even", "transfer-odd-even"]);
    for run in s["runs"].as_array().unwrap() {
        assert_eq!(run["batch_size"], 64, "recipe default");
        assert_eq!(run["lr"], 0.001);
        let history = run["test_accuracy_history"].as_array().unwrap();
        assert_eq!(history[0][0], 0, "epoch 0: the initial weights");
        assert!(history.len() >= 2, "evaluated every epoch: {history:?}");
    }
    assert_eq!(s["transfer"][0]["mode"], "new-head");
    assert_eq!(s["runs"][2]["transfer_mode"], "new-head");
    // Recipe defaults give way to flags.
    let out2 = dir.path().join("cnn2");
    run_ok(&[
        "train",
        "--task",
        "cnn-transfer-even-odd",
        "--limit",
        "300",
        "--epochs",
        "1",
        "--batch-size",
        "32",
        "--transfer-mode",
        "frozen",
        "--out",
        out2.to_str().unwrap(),
    ]);
    let s = summary(&out2);
    assert_eq!(s["runs"][0]["batch_size"], 32);
    assert_eq!(s["transfer"][0]["mode"], "frozen");
}

#[test]
fn eval_and_predict_use_a_trained_model() {
    if !adapter_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    run_ok(&[
        "train",
        "--task",
        "mlp-odd",
        "--limit",
        "1000",
        "--epochs",
        "15",
        "--hidden",
        "64",
        "--stratify",
        "--out",
        out.to_str().unwrap(),
    ]);
    let s = summary(&out);
    let ckpt = out.join("mlp-odd.safetensors");
    let ckpt_s = ckpt.to_str().unwrap();

    // eval redraws the held-out split: the run's own test accuracy, exactly.
    let o = run_ok(&[
        "eval",
        ckpt_s,
        "--json",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    let e: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(e["accuracy"], s["runs"][0]["test_accuracy"]);
    assert_eq!(e["confusion_matrix"], s["runs"][0]["confusion_matrix"]);
    assert!(dir.path().join("confusion-mlp-odd-eval.png").is_file());
    let o = run_ok(&[
        "eval",
        ckpt_s,
        "--digits",
        "0,2,4,6,8",
        "--all",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("accuracy"));
    let o = oddeven(&["eval", ckpt_s, "--digits", "0-2"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("5 classes"), "{}", stderr(&o));

    // predict: a real MNIST test digit as PNG (upscaled, RGB) and JPEG, and an IDX file.
    let raw = oddeven_data::load_mnist(&mnist_dir()).unwrap();
    let (i, label) = raw
        .labels
        .iter()
        .enumerate()
        .rev()
        .find(|(_, &l)| l == 7)
        .map(|(i, &l)| (i, l))
        .unwrap();
    let pixels = raw.image(i).unwrap();
    let big = image::RgbImage::from_fn(56, 56, |x, y| {
        let v = pixels[(y / 2 * 28 + x / 2) as usize];
        image::Rgb([v, v, v])
    });
    let png = dir.path().join("seven.png");
    big.save(&png).unwrap();
    let jpg = dir.path().join("seven.jpg");
    big.save(&jpg).unwrap();
    let idx = mnist_dir().join("t10k-images-idx3-ubyte.gz");
    let idx = if idx.exists() {
        idx
    } else {
        mnist_dir().join("t10k-images-idx3-ubyte")
    };
    let o = run_ok(&[
        "predict",
        ckpt_s,
        png.to_str().unwrap(),
        jpg.to_str().unwrap(),
        "--json",
    ]);
    let p: Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = p.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for row in rows {
        assert_eq!(row["predicted"], label, "{row}");
        let probs = row["probabilities"].as_object().unwrap();
        assert_eq!(probs.keys().collect::<Vec<_>>(), ["1", "3", "5", "7", "9"]);
        let sum: f64 = probs.values().map(|v| v.as_f64().unwrap()).sum();
        assert!((sum - 1.0).abs() < 1e-6);
    }
    let o = run_ok(&["predict", ckpt_s, idx.to_str().unwrap()]);
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 10_000);
    // A reader that stops early (`| head`): the run ends quietly, without a panic.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_oddeven"))
        .args(["predict", ckpt_s, idx.to_str().unwrap(), "--device", "cpu"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));

    // Bad images: a clear error naming the file, exit 1.
    let bad = dir.path().join("notes.png");
    std::fs::write(&bad, b"not a picture").unwrap();
    let o = oddeven(&[
        "predict",
        ckpt_s,
        png.to_str().unwrap(),
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("notes.png"), "{}", stderr(&o));
    let o = oddeven(&[
        "predict",
        dir.path().join("missing.safetensors").to_str().unwrap(),
        png.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("missing.safetensors"), "{}", stderr(&o));
}

#[test]
fn several_seeds_give_paired_statistics() {
    if !adapter_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("seeds");
    run_ok(&[
        "train",
        "--task",
        "transfer-odd-even",
        "--seeds",
        "3",
        "--limit",
        "300",
        "--epochs",
        "3",
        "--hidden",
        "16",
        "--out",
        out.to_str().unwrap(),
    ]);
    let s = summary(&out);
    assert_eq!(s["transfer"].as_array().unwrap().len(), 3);
    let sig = s["significance"].as_array().unwrap();
    assert_eq!(sig.len(), 3, "final gain, jumpstart, epochs to threshold");
    let gain = &sig[0]["result"]["paired"];
    assert_eq!(gain["n"], 3);
    let diffs: Vec<f64> = s["transfer"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["final_gain"].as_f64().unwrap())
        .collect();
    let mean = diffs.iter().sum::<f64>() / 3.0;
    assert!((gain["mean"].as_f64().unwrap() - mean).abs() < 1e-12);
    assert!(out.join("transfer-odd-even-seed43.safetensors").is_file());
}
