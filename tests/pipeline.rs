//! The whole study pipeline through the library crates, without the CLI: MNIST (found as
//! the CLI finds it) → odd/even splits → the MLP on odd → transfer to even against scratch →
//! a summary, pictures and report on disk.

use oddeven_data::{load_mnist, split_subset, DigitSet, SplitConfig};
use oddeven_models::{
    measures, train, transfer, Architecture, DataRef, OutputKind, Params, RunOutcome, TrainConfig,
    TrainReport, TransferMode, MNIST_INPUT,
};

fn data(ex: &oddeven_data::Examples) -> DataRef<'_> {
    DataRef {
        features: &ex.features,
        labels: &ex.labels,
        classes: ex.num_classes(),
    }
}

#[test]
fn odd_to_even_transfer_end_to_end() {
    let gpu = match oddeven_core::Gpu::from_env() {
        Ok(gpu) => gpu,
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") => {
            panic!("CI=true and no adapter: {e}")
        }
        Err(e) => return eprintln!("NOT RUN: {e}"),
    };
    let dir = oddeven_data::announce_test_data_dir().expect("MNIST for the tests");
    let raw = load_mnist(&dir).expect("MNIST");
    let cfg = SplitConfig {
        limit: Some(1500),
        ..SplitConfig::default()
    };
    let odd = split_subset(&raw, &DigitSet::odd(), &cfg).unwrap();
    let even = split_subset(&raw, &DigitSet::even(), &cfg).unwrap();
    let spec = Architecture::mlp(100)
        .resolve(MNIST_INPUT, 5, OutputKind::Sigmoid)
        .unwrap();
    let train_cfg = TrainConfig {
        epochs: 20,
        ..TrainConfig::default()
    };

    let mut source = Params::init(spec.clone(), 1).unwrap();
    let rs = train(
        &gpu,
        &mut source,
        data(&odd.train),
        data(&odd.test),
        &train_cfg,
        &mut |_| {},
    )
    .unwrap();
    assert!(rs.test_accuracy > 0.85, "odd source: {}", rs.test_accuracy);

    let mut scratch = Params::init(spec.clone(), 2).unwrap();
    let r_scratch = train(
        &gpu,
        &mut scratch,
        data(&even.train),
        data(&even.test),
        &train_cfg,
        &mut |_| {},
    )
    .unwrap();
    let mut started = transfer(&source, &spec, TransferMode::NewHead, 2).unwrap();
    let r_transfer = train(
        &gpu,
        &mut started,
        data(&even.train),
        data(&even.test),
        &train_cfg,
        &mut |_| {},
    )
    .unwrap();
    assert!(
        r_transfer.test_accuracy > 0.85,
        "even after transfer: {}",
        r_transfer.test_accuracy
    );
    let m = measures(
        RunOutcome::from(&r_scratch),
        RunOutcome::from(&r_transfer),
        0.97,
    );
    assert!((m.final_gain - (r_transfer.test_accuracy - r_scratch.test_accuracy)).abs() < 1e-12);

    let out = tempfile::tempdir().unwrap();
    let run =
        |name: &str, r: &TrainReport, digits: &DigitSet, init: &str| oddeven_report::RunSummary {
            name: name.into(),
            model: "mlp".into(),
            layers: Some(spec.layer_string()),
            dataset: digits.name(),
            digits: digits.digits().to_vec(),
            init: init.into(),
            transfer_mode: (init != "random").then(|| "new-head".to_string()),
            epochs: r.epochs_run,
            lr: 0.01,
            batch_size: None,
            train_size: 1200,
            test_size: 300,
            initial_train_accuracy: r.initial_train_accuracy,
            initial_test_accuracy: r.initial_test_accuracy,
            train_accuracy: r.train_accuracy,
            test_accuracy: r.test_accuracy,
            final_loss: r.final_loss as f64,
            loss_history: r.loss_history.iter().map(|&v| v as f64).collect(),
            train_accuracy_history: r.train_accuracy_history.clone(),
            train_seconds: r.train_seconds,
            confusion_matrix: r.test_confusion.clone(),
            seed: Some(1),
            hidden: Some(100),
            output: Some("sigmoid".into()),
            ms_per_epoch: None,
            test_accuracy_history: Vec::new(),
        };
    let summary = oddeven_report::Summary {
        task: "pipeline".into(),
        seed: 1,
        seeds: Vec::new(),
        adapter: oddeven_report::AdapterInfo {
            name: gpu.summary().name.clone(),
            backend: gpu.summary().backend.clone(),
            device_type: gpu.summary().device_type.clone(),
        },
        runs: vec![
            run("mlp-odd", &rs, &DigitSet::odd(), "random"),
            run("mlp-even", &r_scratch, &DigitSet::even(), "random"),
            run(
                "transfer-odd-even",
                &r_transfer,
                &DigitSet::even(),
                "mlp-odd",
            ),
        ],
        transfer: Vec::new(),
        seed_stats: Vec::new(),
        significance: Vec::new(),
    };
    let written = oddeven_report::render(out.path(), &summary).unwrap();
    assert!(written
        .iter()
        .all(|p| p.metadata().map(|m| m.len() > 0).unwrap_or(false)));
    summary.write_atomic(out.path()).unwrap();
    assert_eq!(oddeven_report::Summary::read(out.path()).unwrap(), summary);
}
