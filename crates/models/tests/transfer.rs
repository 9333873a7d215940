//! Transfer modes for any stack, and checkpoints, on real MNIST subsets.

mod common;

use common::{data_ref, gpu, mnist_model, model, subset};
use oddeven_models::checkpoint::{self, CheckpointInfo};
use oddeven_models::transfer::epochs_to_threshold;
use oddeven_models::{
    measures, train, transfer, Architecture, OutputKind, Params, RunOutcome, Shape, TrainConfig,
    TransferMode, MNIST_INPUT,
};

fn mlp(classes: usize) -> oddeven_models::ModelSpec {
    Architecture::mlp(48)
        .resolve(MNIST_INPUT, classes, OutputKind::Softmax)
        .unwrap()
}

#[test]
fn transfer_modes_do_what_they_say() {
    let Some(gpu) = gpu() else { return };
    let odd = subset("odd", 800, 7);
    let even = subset("even", 800, 7);
    let mut source = Params::init(mlp(5), 7).unwrap();
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

    let full = transfer(&source, &mlp(5), TransferMode::Full, 8).unwrap();
    assert_eq!(full, source, "full transfer starts from the source exactly");

    let new_head = transfer(&source, &mlp(5), TransferMode::NewHead, 8).unwrap();
    assert_eq!(new_head.layers[1], source.layers[1], "hidden layer copied");
    assert_ne!(new_head.layers[3], source.layers[3], "new head drawn");

    let mut frozen = transfer(&source, &mlp(5), TransferMode::Frozen, 8).unwrap();
    // Only the head trains, which takes longer from a random start: 40 cheap epochs.
    let frozen_cfg = TrainConfig {
        epochs: 40,
        first_trained_layer: TransferMode::Frozen.first_trained_layer(&frozen.spec),
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
        frozen.layers[1], source.layers[1],
        "frozen hidden layer changed"
    );
    assert_ne!(
        frozen.layers[3], new_head.layers[3],
        "the new head did not train"
    );
    assert!(
        r.test_accuracy > 0.6,
        "odd features + trained head on even (chance 0.2): {}",
        r.test_accuracy
    );

    // Scratch vs full transfer on even digits: the measures are what the reports say.
    let mut scratch = Params::init(mlp(5), 9).unwrap();
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
    assert_eq!(
        m.epochs_to_threshold_transfer,
        epochs_to_threshold(&rt.train_accuracy_history, 0.9)
    );
    // The odd model's features start the even task far above chance once fine-tuned a
    // little, but its output layer answers in odd classes: the jumpstart is measured,
    // whatever its sign.
    assert!(m.jumpstart.is_finite());
}

/// The three measures on hand-made histories, computed by hand.
#[test]
fn measures_match_hand_computed_values() {
    let scratch = RunOutcome {
        initial_test_accuracy: 0.21,
        test_accuracy: 0.95,
        train_accuracy_history: &[0.2, 0.5, 0.8, 0.91, 0.97],
        train_seconds: 8.0,
    };
    let transfer = RunOutcome {
        initial_test_accuracy: 0.6,
        test_accuracy: 0.96,
        train_accuracy_history: &[0.55, 0.92, 0.95],
        train_seconds: 3.0,
    };
    let m = measures(scratch, transfer, 0.9);
    assert!((m.jumpstart - 0.39).abs() < 1e-12);
    assert_eq!(m.epochs_to_threshold_scratch, Some(3));
    assert_eq!(m.epochs_to_threshold_transfer, Some(1));
    // 8 s over 4 epochs = 2 s/epoch → 6 s; 3 s over 2 epochs → 1.5 s.
    assert_eq!(m.seconds_to_threshold_scratch, Some(6.0));
    assert_eq!(m.seconds_to_threshold_transfer, Some(1.5));
    assert!((m.final_gain - 0.01).abs() < 1e-12);
    let never = measures(scratch, transfer, 0.99);
    assert_eq!(
        (
            never.epochs_to_threshold_scratch,
            never.seconds_to_threshold_transfer
        ),
        (None, None)
    );
}

#[test]
fn cnn_transfer_keeps_every_layer_but_the_head() {
    let source = Params::init(mnist_model("cnn", 5), 1).unwrap();
    let target = mnist_model("cnn", 3);
    let t = transfer(&source, &target, TransferMode::NewHead, 2).unwrap();
    let head = target.head();
    assert_eq!(t.layers[..head], source.layers[..head]);
    assert_eq!(t.layers[head].as_ref().unwrap().bias.len(), 3);
    assert_eq!(TransferMode::Frozen.first_trained_layer(&target), head);
    assert_eq!(TransferMode::NewHead.first_trained_layer(&target), 0);
}

#[test]
fn transfer_refusals_are_clear() {
    let source = Params::init(mlp(5), 1).unwrap();
    let err = transfer(&source, &mlp(3), TransferMode::Full, 1)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("5 classes") && err.contains("new-head"),
        "{err}"
    );
    let ok = transfer(&source, &mlp(3), TransferMode::NewHead, 1).unwrap();
    assert_eq!(ok.layers[3].as_ref().unwrap().bias.len(), 3);
    let soft = Params::init(mnist_model("softmax", 5), 1).unwrap();
    let err = transfer(&soft, &mnist_model("softmax", 5), TransferMode::Frozen, 1)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("nothing would be kept") && err.contains("use full"),
        "{err}"
    );
    let other = Architecture::mlp(10)
        .resolve(MNIST_INPUT, 5, OutputKind::Softmax)
        .unwrap();
    let err = transfer(&source, &other, TransferMode::Full, 1)
        .unwrap_err()
        .to_string();
    assert!(err.contains("only the class count may differ"), "{err}");
    let err = transfer(&source, &mnist_model("cnn", 5), TransferMode::NewHead, 1)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("linear48") && err.contains("conv32k3p1"),
        "{err}"
    );
}

#[test]
fn checkpoints_round_trip_byte_identical_and_refuse_other_networks() {
    let dir = tempfile::tempdir().unwrap();
    let info = CheckpointInfo {
        digits: vec![1, 3, 5, 7, 9],
        seed: 4,
        dataset: "mnist".into(),
        stratify: true,
        limit: Some(1000),
    };
    for spec in [
        mlp(5),
        mnist_model("cnn", 5),
        model(
            "conv2k3s2,relu,flatten,linear",
            Shape::Image { h: 9, w: 7, c: 3 },
            4,
            OutputKind::Sigmoid,
        ),
    ] {
        let path = dir.path().join(format!("{}.safetensors", spec.name));
        let params = Params::init(spec.clone(), 4).unwrap();
        checkpoint::save(&path, &params, &info).unwrap();
        assert!(!dir
            .path()
            .join(format!("{}.safetensors.tmp", spec.name))
            .exists());
        let (loaded, loaded_info) = checkpoint::load(&path).unwrap();
        assert_eq!(loaded, params, "{spec}");
        assert_eq!(loaded_info, info);
        // Same weights, same bytes: nothing in the file depends on hash order or time.
        let again = dir.path().join("again.safetensors");
        checkpoint::save(&again, &loaded, &loaded_info).unwrap();
        assert_eq!(
            std::fs::read(&path).unwrap(),
            std::fs::read(&again).unwrap(),
            "{spec}"
        );
    }

    let path = dir.path().join("mlp.safetensors");
    let other = Architecture::mlp(300)
        .resolve(MNIST_INPUT, 5, OutputKind::Softmax)
        .unwrap();
    let err = checkpoint::load_expecting(&path, &other)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("linear48") && err.contains("linear300"),
        "{err}"
    );

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

/// Checkpoints written before layer stacks (format 1: kind, inputs, hidden) still load.
#[test]
fn format_one_checkpoints_load() {
    use safetensors::tensor::{Dtype, TensorView};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.safetensors");
    let (inputs, hidden, classes) = (784usize, 3usize, 2usize);
    let w1: Vec<u8> = (0..inputs * hidden)
        .flat_map(|i| (i as f32).to_le_bytes())
        .collect();
    let b1: Vec<u8> = [1.0f32, 2.0, 3.0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let w2: Vec<u8> = (0..hidden * classes)
        .flat_map(|i| (i as f32).to_le_bytes())
        .collect();
    let b2: Vec<u8> = [0.5f32, -0.5]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let views = vec![
        (
            "layer1.weight",
            TensorView::new(Dtype::F32, vec![inputs, hidden], &w1).unwrap(),
        ),
        (
            "layer1.bias",
            TensorView::new(Dtype::F32, vec![hidden], &b1).unwrap(),
        ),
        (
            "layer2.weight",
            TensorView::new(Dtype::F32, vec![hidden, classes], &w2).unwrap(),
        ),
        (
            "layer2.bias",
            TensorView::new(Dtype::F32, vec![classes], &b2).unwrap(),
        ),
    ];
    let meta = std::collections::HashMap::from(
        [
            ("format", "oddeven-1"),
            ("kind", "mlp"),
            ("inputs", "784"),
            ("hidden", "3"),
            ("classes", "2"),
            ("output", "sigmoid"),
            ("digits", "4,7"),
            ("seed", "9"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    std::fs::write(&path, safetensors::serialize(views, Some(meta)).unwrap()).unwrap();
    let (params, info) = checkpoint::load(&path).unwrap();
    assert_eq!(params.spec.layer_string(), "flatten,linear3,relu,linear2");
    assert_eq!(params.spec.output, OutputKind::Sigmoid);
    assert_eq!(params.layers[3].as_ref().unwrap().bias, vec![0.5, -0.5]);
    assert_eq!((info.digits, info.seed), (vec![4, 7], 9));
}
