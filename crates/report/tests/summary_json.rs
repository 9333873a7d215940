mod common;

use common::{fake_run, study_summary};
use oddeven_report::{
    compute_seed_stats, study_result, transfer_seed_stats, ReportError, Summary, STUDY_RESULTS,
    SUMMARY_FILE,
};
use serde_json::Value;

#[test]
fn write_atomic_then_read_round_trips_and_leaves_no_tmp() {
    let dir = tempfile::tempdir().unwrap();
    let s = study_summary();
    let path = s.write_atomic(dir.path()).unwrap();
    assert_eq!(path, dir.path().join(SUMMARY_FILE));
    assert_eq!(Summary::read(dir.path()).unwrap(), s);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec![SUMMARY_FILE.to_string()]);
    // Writing again replaces the file.
    s.write_atomic(dir.path()).unwrap();
    assert_eq!(Summary::read(dir.path()).unwrap(), s);
}

#[test]
fn json_uses_the_schema_field_names() {
    let mut s = study_summary();
    s.runs[5].transfer_mode = Some("new-head".into());
    s.runs[0].batch_size = Some(128);
    let v: Value = serde_json::to_value(&s).unwrap();
    assert_eq!(v["task"], "study");
    assert_eq!(v["seed"], 42);
    assert_eq!(v["adapter"]["backend"], "Vulkan");
    assert_eq!(v["adapter"]["device_type"], "Cpu");
    let r = &v["runs"][2];
    for key in [
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
        "hidden",
        "output",
        "ms_per_epoch",
    ] {
        assert!(r.get(key).is_some(), "run field {key} missing");
    }
    assert_eq!(r["model"], "mlp");
    assert_eq!(v["runs"][0]["model"], "softmax");
    assert_eq!(r["dataset"], "even");
    assert_eq!(r["digits"], serde_json::json!([0, 2, 4, 6, 8]));
    assert_eq!(r["init"], "random");
    assert!(r["transfer_mode"].is_null());
    assert!(r["batch_size"].is_null());
    assert_eq!(v["runs"][0]["batch_size"], 128);
    assert!(v["runs"][0]["hidden"].is_null());
    assert_eq!(r["hidden"], 300);
    assert_eq!(r["output"], "sigmoid");
    assert_eq!(v["runs"][4]["transfer_mode"], "full");
    assert_eq!(v["runs"][5]["transfer_mode"], "new-head");
    assert_eq!(v["runs"][4]["init"], "mlp-odd");
    assert_eq!(r["loss_history"].as_array().unwrap().len(), 300);
    assert_eq!(r["train_accuracy_history"].as_array().unwrap().len(), 301);
    assert_eq!(r["confusion_matrix"][0][0], 1340);
    let t = &v["transfer"][0];
    for key in [
        "source",
        "target",
        "mode",
        "scratch_run",
        "transfer_run",
        "jumpstart",
        "threshold",
        "epochs_to_threshold",
        "seconds_to_threshold",
        "final_gain",
        "negative_transfer",
    ] {
        assert!(t.get(key).is_some(), "transfer field {key} missing");
    }
    assert_eq!(t["epochs_to_threshold"]["scratch"], 78);
    assert!(t["seconds_to_threshold"]["transfer"].is_null());
    // A gain of -0.0012 with 14 against 10 discordant examples is noise, not negative
    // transfer: McNemar decides.
    assert_eq!(t["negative_transfer"], false);
    assert_eq!(t["mcnemar"]["b"], 14);
    assert_eq!(t["mcnemar"]["verdict"], "no-significant-difference");
    assert_eq!(v["seeds"], serde_json::json!([42]));
    assert!(v["seed_stats"].as_array().unwrap().is_empty());
}

#[test]
fn files_without_the_added_fields_still_parse() {
    let s = study_summary();
    let mut v: Value = serde_json::to_value(&s).unwrap();
    let obj = v.as_object_mut().unwrap();
    obj.remove("seeds");
    obj.remove("seed_stats");
    for run in obj["runs"].as_array_mut().unwrap() {
        let run = run.as_object_mut().unwrap();
        for key in ["seed", "hidden", "output", "ms_per_epoch"] {
            run.remove(key);
        }
    }
    for t in obj["transfer"].as_array_mut().unwrap() {
        t.as_object_mut().unwrap().remove("seed_stats");
    }
    let old: Summary = serde_json::from_value(v).unwrap();
    assert!(old.seeds.is_empty() && old.seed_stats.is_empty());
    let r = &old.runs[2];
    assert_eq!(
        (r.seed, r.hidden, r.output.clone(), r.ms_per_epoch),
        (None, None, None, None)
    );
    // ms/epoch falls back to seconds / epochs.
    assert!((r.ms_per_epoch().unwrap() - 4200.0 / 300.0).abs() < 1e-9);
}

#[test]
fn non_finite_numbers_survive_as_nan() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = study_summary();
    s.runs[0].loss_history[10] = f64::NAN;
    s.runs[0].loss_history[11] = f64::INFINITY;
    s.runs[0].final_loss = f64::NAN;
    s.transfer[0].jumpstart = f64::NAN;
    s.write_atomic(dir.path()).unwrap();
    let back = Summary::read(dir.path()).unwrap();
    assert!(back.runs[0].final_loss.is_nan());
    assert!(back.runs[0].loss_history[10].is_nan());
    assert!(back.runs[0].loss_history[11].is_nan());
    assert_eq!(back.runs[0].loss_history[12], s.runs[0].loss_history[12]);
    assert!(back.transfer[0].jumpstart.is_nan());
}

#[test]
fn missing_summary_says_not_a_run_directory() {
    let dir = tempfile::tempdir().unwrap();
    let err = Summary::read(dir.path()).unwrap_err();
    assert!(
        matches!(err, ReportError::NotARunDirectory { .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("summary.json"), "{msg}");
    assert!(msg.contains("not an oddeven run directory"), "{msg}");
    assert!(msg.contains("incomplete"), "{msg}");
    assert!(msg.contains(&dir.path().display().to_string()), "{msg}");

    let nowhere = dir.path().join("does-not-exist");
    let err = Summary::read(&nowhere).unwrap_err();
    assert!(
        matches!(err, ReportError::NotARunDirectory { .. }),
        "{err:?}"
    );
}

#[test]
fn garbage_summary_names_file_and_serde_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(SUMMARY_FILE);
    std::fs::write(&path, "{\"task\": \"study\", \"seed\": ").unwrap();
    let err = Summary::read(dir.path()).unwrap_err();
    assert!(matches!(err, ReportError::Json { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains("line 1"), "{msg}");

    std::fs::write(&path, "{\"task\": \"study\"}").unwrap();
    let msg = Summary::read(dir.path()).unwrap_err().to_string();
    assert!(msg.contains("missing field"), "{msg}");

    std::fs::write(&path, [0xff, 0xfe, 0x00]).unwrap();
    assert!(matches!(
        Summary::read(dir.path()),
        Err(ReportError::Json { .. })
    ));
}

#[test]
fn write_into_unwritable_place_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, "x").unwrap();
    let err = study_summary().write_atomic(file.join("run")).unwrap_err();
    assert!(matches!(err, ReportError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("plain-file"), "{err}");
}

#[test]
fn study_results_map_to_our_run_names() {
    let names: Vec<&str> = STUDY_RESULTS.iter().map(|s| s.run).collect();
    assert_eq!(
        names,
        [
            "softmax-even",
            "softmax-odd",
            "mlp-even",
            "mlp-odd",
            "transfer-odd-even",
            "transfer-even-odd"
        ]
    );
    let r = study_result("mlp-odd").unwrap();
    assert_eq!((r.train_accuracy, r.seconds), (0.9792, 237.65));
    assert_eq!(
        study_result("transfer-even-odd").unwrap().train_accuracy,
        0.95
    );
    assert_eq!(study_result("softmax-even").unwrap().seconds, 16.69);
    assert!(study_result("mlp-0123").is_none());
}

#[test]
fn seed_stats_group_runs_by_name() {
    let mut runs = Vec::new();
    for (seed, acc) in [(1u64, 0.97), (2, 0.98), (3, 0.99)] {
        let mut r = fake_run("mlp-odd", "mlp", true, "random", 3);
        r.seed = Some(seed);
        r.test_accuracy = acc;
        runs.push(r);
    }
    runs.push(fake_run("softmax-odd", "softmax", true, "random", 3));
    let stats = compute_seed_stats(&runs);
    assert_eq!(stats.len(), 2);
    assert_eq!((stats[0].name.as_str(), stats[0].n), ("mlp-odd", 3));
    assert!((stats[0].test_accuracy.mean - 0.98).abs() < 1e-12);
    assert!((stats[0].test_accuracy.sd - 0.01).abs() < 1e-12);
    assert_eq!(stats[1].n, 1);
    assert_eq!(stats[1].train_seconds.sd, 0.0);

    let s = study_summary();
    let mut entries = vec![s.transfer[0].clone(), s.transfer[0].clone()];
    entries[1].jumpstart = 0.45;
    entries[0].negative_transfer = true;
    entries[1].epochs_to_threshold.transfer = None;
    let t = transfer_seed_stats(&entries);
    assert_eq!((t.n, t.negative_transfer_count), (2, 1));
    assert!((t.jumpstart.mean - 0.4).abs() < 1e-12);
    assert_eq!(t.epochs_to_threshold.transfer.unwrap().sd, 0.0);
    assert!(t.seconds_to_threshold.transfer.is_none());
}
