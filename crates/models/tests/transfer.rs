//! Transfer modes and checkpoints on real MNIST subsets.

mod common;

use common::{data_ref, gpu, subset};
use oddeven_models::checkpoint::{self, CheckpointInfo};
use oddeven_models::transfer::epochs_to_threshold;
use oddeven_models::{
    measures, train, transfer, ModelSpec, OutputKind, Params, RunOutcome, TrainConfig, TransferMode,
};

fn spec() -> ModelSpec {
    ModelSpec::mlp(784, 48, 5, OutputKind::Softmax)
}

#[test]
fn transfer_modes_do_what_they_say() {
    let Some(gpu) = gpu() else { return };
    let odd = subset("odd", 800, 7);
    let even = subset("even", 800, 7);
    let mut source = Params::init(spec(), 7).unwrap();
    let cfg = TrainConfig {
        epochs: 10,
        ..TrainConfig::default()
    };
    train(
        &gpu,
        &mut source,
        data_ref(&odd.train),
        data_ref(&odd.test),
        &cfg,
        &mut |_| {},
    )
    .unwrap();

    let full = transfer(&source, spec(), TransferMode::Full, 8).unwrap();
    assert_eq!(full, source, "full transfer starts from the source exactly");

    let new_head = transfer(&source, spec(), TransferMode::NewHead, 8).unwrap();
    assert_eq!(new_head.layers[0], source.layers[0]);
    assert_ne!(new_head.layers[1], source.layers[1]);

    let mut frozen = transfer(&source, spec(), TransferMode::Frozen, 8).unwrap();
    // Only the head trains, which takes longer from a random start: 40 cheap epochs.
    let frozen_cfg = TrainConfig {
        epochs: 40,
        first_trained_layer: TransferMode::Frozen.first_trained_layer(),
        ..cfg.clone()
    };
    let r = train(
        &gpu,
        &mut frozen,
        data_ref(&even.train),
        data_ref(&even.test),
        &frozen_cfg,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(
        frozen.layers[0], source.layers[0],
        "frozen hidden layer changed"
    );
    assert_ne!(
        frozen.layers[1], new_head.layers[1],
        "the new head did not train"
    );
    assert!(
        r.test_accuracy > 0.6,
        "odd features + trained head on even (chance 0.2): {}",
        r.test_accuracy
    );

    // Scratch vs full transfer on even digits: the measures are computed, not guessed.
    let mut scratch = Params::init(spec(), 9).unwrap();
    let rs = train(
        &gpu,
        &mut scratch,
        data_ref(&even.train),
        data_ref(&even.test),
        &cfg,
        &mut |_| {},
    )
    .unwrap();
    let mut started = full.clone();
    let rt = train(
        &gpu,
        &mut started,
        data_ref(&even.train),
        data_ref(&even.test),
        &cfg,
        &mut |_| {},
    )
    .unwrap();
    let m = measures(RunOutcome::from(&rs), RunOutcome::from(&rt), 0.9);
    assert!((m.jumpstart - (rt.initial_test_accuracy - rs.initial_test_accuracy)).abs() < 1e-12);
    assert!((m.final_gain - (rt.test_accuracy - rs.test_accuracy)).abs() < 1e-12);
    assert_eq!(m.negative_transfer, m.final_gain < 0.0);
    assert_eq!(
        m.epochs_to_threshold_transfer,
        epochs_to_threshold(&rt.train_accuracy_history, 0.9)
    );
}

#[test]
fn transfer_refusals_are_clear() {
    let source = Params::init(spec(), 1).unwrap();
    let three = ModelSpec::mlp(784, 48, 3, OutputKind::Softmax);
    let err = transfer(&source, three, TransferMode::Full, 1)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("5 classes") && err.contains("new-head"),
        "{err}"
    );
    let ok = transfer(&source, three, TransferMode::NewHead, 1).unwrap();
    assert_eq!(ok.layers[1].fan_out, 3);
    let soft = Params::init(ModelSpec::softmax(784, 5), 1).unwrap();
    let err = transfer(&soft, ModelSpec::softmax(784, 5), TransferMode::Frozen, 1)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no hidden layer"), "{err}");
    let err = transfer(
        &source,
        ModelSpec::mlp(784, 10, 5, OutputKind::Softmax),
        TransferMode::Full,
        1,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("only the class count may differ"), "{err}");
}

#[test]
fn checkpoints_round_trip_and_refuse_other_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("odd.safetensors");
    let params = Params::init(spec(), 4).unwrap();
    let info = CheckpointInfo {
        digits: vec![1, 3, 5, 7, 9],
        seed: 4,
    };
    checkpoint::save(&path, &params, &info).unwrap();
    assert!(!dir.path().join("odd.safetensors.tmp").exists());
    let (loaded, loaded_info) = checkpoint::load(&path).unwrap();
    assert_eq!(loaded, params);
    assert_eq!(loaded_info, info);

    let other = ModelSpec::mlp(784, 300, 5, OutputKind::Softmax);
    let err = checkpoint::load_expecting(&path, other)
        .unwrap_err()
        .to_string();
    assert!(err.contains("784→48") && err.contains("784→300"), "{err}");

    let garbage = dir.path().join("garbage.safetensors");
    std::fs::write(&garbage, b"not a checkpoint").unwrap();
    let err = checkpoint::load(&garbage).unwrap_err().to_string();
    assert!(
        err.contains("garbage.safetensors") && err.contains("not a safetensors"),
        "{err}"
    );
    let err = checkpoint::load(&dir.path().join("missing.safetensors"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("missing.safetensors") && err.contains("cannot read"),
        "{err}"
    );
}
