//! End-to-end training on real MNIST subsets (../shared/mnist) on the adapter, with
//! thresholds an untrained or broken model cannot reach (chance is 0.2 for 5 classes).

mod common;

use common::{data_ref, gpu, subset};
use oddeven_models::{
    train, train_with_validation, EarlyStopping, ModelSpec, OutputKind, Params, Schedule,
    TrainConfig,
};

#[test]
fn mlp_learns_odd_digits() {
    let Some(gpu) = gpu() else { return };
    let split = subset("odd", 2000, 1);
    let mut params = Params::init(ModelSpec::mlp(784, 300, 5, OutputKind::Softmax), 1).unwrap();
    let cfg = TrainConfig {
        epochs: 30,
        ..TrainConfig::default()
    };
    let mut calls = 0;
    let r = train(
        &gpu,
        &mut params,
        data_ref(&split.train),
        data_ref(&split.test),
        &cfg,
        &mut |_| calls += 1,
    )
    .unwrap();
    assert!(r.test_accuracy >= 0.9, "test accuracy {}", r.test_accuracy);
    assert!(
        r.train_accuracy >= 0.95,
        "train accuracy {}",
        r.train_accuracy
    );
    assert!(
        r.initial_test_accuracy < 0.5,
        "untrained model already at {}",
        r.initial_test_accuracy
    );
    assert_eq!(r.loss_history.len(), 30);
    assert_eq!(r.train_accuracy_history.len(), 31);
    assert!(
        r.loss_history[29] < 0.5 * r.loss_history[0],
        "loss {:?}",
        r.loss_history
    );
    assert!(r.final_loss < r.loss_history[0]);
    assert_eq!(calls, 3, "progress every 10 epochs");
    let total: u64 = r.test_confusion.iter().flatten().sum();
    assert_eq!(total as usize, split.test.len());
    let diagonal: u64 = (0..5).map(|i| r.test_confusion[i][i]).sum();
    assert!((diagonal as f64 / total as f64 - r.test_accuracy).abs() < 1e-9);
}

#[test]
fn softmax_regression_and_sigmoid_mlp_learn_even_digits() {
    let Some(gpu) = gpu() else { return };
    let split = subset("even", 2000, 2);
    for (spec, want) in [
        (ModelSpec::softmax(784, 5), 0.85),
        (ModelSpec::mlp(784, 64, 5, OutputKind::Sigmoid), 0.88),
    ] {
        let mut params = Params::init(spec, 2).unwrap();
        let cfg = TrainConfig {
            epochs: 40,
            ..TrainConfig::default()
        };
        let r = train(
            &gpu,
            &mut params,
            data_ref(&split.train),
            data_ref(&split.test),
            &cfg,
            &mut |_| {},
        )
        .unwrap();
        assert!(
            r.test_accuracy >= want,
            "{spec}: test accuracy {}",
            r.test_accuracy
        );
    }
}

#[test]
fn same_seed_same_history() {
    let Some(gpu) = gpu() else { return };
    let split = subset("odd", 600, 3);
    let run = || {
        let mut params = Params::init(ModelSpec::mlp(784, 32, 5, OutputKind::Softmax), 5).unwrap();
        let cfg = TrainConfig {
            epochs: 5,
            batch_size: Some(128),
            seed: 5,
            ..TrainConfig::default()
        };
        train(
            &gpu,
            &mut params,
            data_ref(&split.train),
            data_ref(&split.test),
            &cfg,
            &mut |_| {},
        )
        .unwrap()
    };
    let (a, b) = (run(), run());
    assert_eq!(a.loss_history, b.loss_history);
    assert_eq!(a.train_accuracy_history, b.train_accuracy_history);
}

#[test]
fn minibatch_cosine_and_early_stopping() {
    let Some(gpu) = gpu() else { return };
    let split = subset("0,1,2,3,4,5,6,7,8,9", 3000, 4);
    let (train_part, val) = oddeven_data::split_examples(&split.train, 0.2, 4, true).unwrap();
    let mut params = Params::init(ModelSpec::mlp(784, 64, 10, OutputKind::Softmax), 4).unwrap();
    let mut cfg = TrainConfig {
        epochs: 30,
        batch_size: Some(64),
        schedule: Schedule::Cosine,
        early_stopping: Some(EarlyStopping { patience: 2 }),
        report_every: 1,
        ..TrainConfig::default()
    };
    cfg.adam.lr = 0.001;
    let r = train_with_validation(
        &gpu,
        &mut params,
        data_ref(&train_part),
        data_ref(&split.test),
        Some(data_ref(&val)),
        &cfg,
        &mut |_| {},
    )
    .unwrap();
    assert!(r.test_accuracy >= 0.85, "test accuracy {}", r.test_accuracy);
    assert!(
        r.epochs_run < 30,
        "early stopping never fired ({} epochs)",
        r.epochs_run
    );
    assert_eq!(r.loss_history.len(), r.epochs_run);
    assert_eq!(r.train_accuracy_history.len(), r.epochs_run + 1);
}

#[test]
fn bad_configs_are_errors() {
    let Some(gpu) = gpu() else { return };
    let split = subset("odd", 100, 1);
    let mut params = Params::init(ModelSpec::softmax(784, 5), 1).unwrap();
    for (cfg, needle) in [
        (
            TrainConfig {
                epochs: 0,
                ..TrainConfig::default()
            },
            "--epochs",
        ),
        (
            TrainConfig {
                batch_size: Some(0),
                ..TrainConfig::default()
            },
            "--batch-size",
        ),
        (
            TrainConfig {
                first_trained_layer: 1,
                ..TrainConfig::default()
            },
            "output layer",
        ),
    ] {
        let err = train(
            &gpu,
            &mut params,
            data_ref(&split.train),
            data_ref(&split.test),
            &cfg,
            &mut |_| {},
        )
        .unwrap_err();
        assert!(err.to_string().contains(needle), "{err}");
    }
    let mut wrong = Params::init(ModelSpec::softmax(784, 3), 1).unwrap();
    let err = train(
        &gpu,
        &mut wrong,
        data_ref(&split.train),
        data_ref(&split.test),
        &TrainConfig::default(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(err.to_string().contains("5 classes"), "{err}");
}
