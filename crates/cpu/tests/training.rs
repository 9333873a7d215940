//! End to end through `oddeven_models::train`: three epochs on the CPU backend against the
//! same three on the reference backend (full batch and minibatches, MLP and a small CNN,
//! frozen layers); the same seed twice gives identical bytes; and real MNIST training
//! reaches accuracies an untrained or broken model cannot (chance is 0.2 for 5 classes).

mod common;

use std::sync::OnceLock;

use common::{cpu, random};
use oddeven_core::{Backend, ReferenceBackend};
use oddeven_data::{split_subset, DigitSet, MnistRaw, Split, SplitConfig};
use oddeven_models::{
    train, Architecture, DataRef, ModelSpec, OutputKind, Params, Shape, TrainConfig, TrainReport,
    MNIST_INPUT,
};

fn model(arch: &str, input: Shape, classes: usize, output: OutputKind) -> ModelSpec {
    arch.parse::<Architecture>()
        .expect("architecture")
        .resolve(input, classes, output)
        .expect("model resolves")
}

/// A stride-2 conv, both paddings, an overlapping pool, a ReLU after a pool.
const SMALL_CNN: &str = "conv3k3p1,relu,pool3s2,conv4k2s2p2,relu,flatten,linear5,relu,linear";

fn specs() -> Vec<ModelSpec> {
    let image = Shape::Image { h: 6, w: 7, c: 2 };
    vec![
        model("softmax", Shape::Flat(6), 3, OutputKind::Softmax),
        model(
            "flatten,linear5,relu,linear",
            Shape::Flat(6),
            3,
            OutputKind::Sigmoid,
        ),
        model(SMALL_CNN, image, 3, OutputKind::Softmax),
        model(
            "pool2,relu,conv3k1,flatten,linear",
            image,
            4,
            OutputKind::Sigmoid,
        ),
    ]
}

fn run<B: Backend>(
    b: &B,
    start: &Params,
    data: DataRef<'_>,
    cfg: &TrainConfig,
) -> (Params, TrainReport) {
    let mut p = start.clone();
    let report = train(b, &mut p, data, data, cfg, &mut |_| {}).expect("training runs");
    (p, report)
}

fn compare(spec: &ModelSpec, batch: Option<usize>, first_trained: usize) {
    let rows = 37;
    let x = random(rows * spec.input.len(), 2, 0.0, 1.0);
    let labels: Vec<u32> = (0..rows)
        .map(|r| ((r * 7 + 3) % spec.classes()) as u32)
        .collect();
    let data = DataRef {
        features: &x,
        labels: &labels,
        classes: spec.classes(),
    };
    let cfg = TrainConfig {
        epochs: 3,
        batch_size: batch,
        first_trained_layer: first_trained,
        ..TrainConfig::default()
    };
    let start = Params::init(spec.clone(), 9).unwrap();
    let (pc, rc) = run(&cpu(), &start, data, &cfg);
    let (pr, rr) = run(&ReferenceBackend, &start, data, &cfg);
    let what = format!("{spec} batch {batch:?} first trained {first_trained}");
    assert_eq!(rc.loss_history.len(), 3, "{what}");
    for (e, (a, b)) in rc.loss_history.iter().zip(&rr.loss_history).enumerate() {
        assert!(
            (a - b).abs() < 1e-4 * (1.0 + b.abs()),
            "{what}: epoch {e} loss {a} vs {b}"
        );
    }
    assert_eq!(
        rc.train_accuracy_history, rr.train_accuracy_history,
        "{what}"
    );
    assert_eq!(rc.test_confusion, rr.test_confusion, "{what}");
    let mut moved = false;
    for (l, (c, r)) in pc.layers.iter().zip(&pr.layers).enumerate() {
        let (Some(c), Some(r)) = (c, r) else { continue };
        let s = start.layers[l].as_ref().unwrap();
        let values = c.weight.iter().chain(&c.bias);
        for ((a, b), s) in values
            .zip(r.weight.iter().chain(&r.bias))
            .zip(s.weight.iter().chain(&s.bias))
        {
            assert!(
                (a - b).abs() < 1e-4,
                "{what} layer {}: cpu {a} reference {b}",
                l + 1
            );
            moved |= a != s;
            if l < first_trained {
                assert_eq!(a, s, "{what}: frozen layer {} changed", l + 1);
            }
        }
    }
    assert!(moved, "{what}: training changed nothing");
}

#[test]
fn full_batch_steps_match_reference() {
    for spec in specs() {
        compare(&spec, None, 0);
        compare(&spec, None, spec.head());
    }
}

#[test]
fn minibatch_epochs_match_reference() {
    for spec in specs() {
        // 37 rows in batches of 16: two full batches and a remainder of 5, reshuffled.
        compare(&spec, Some(16), 0);
    }
}

fn mnist() -> &'static MnistRaw {
    static RAW: OnceLock<MnistRaw> = OnceLock::new();
    RAW.get_or_init(|| {
        let dir = oddeven_data::announce_test_data_dir().expect("MNIST for the tests");
        oddeven_data::load_mnist(&dir).expect("MNIST loads")
    })
}

fn subset(digits: &str, limit: usize) -> Split {
    let digits: DigitSet = digits.parse().expect("digit set");
    let cfg = SplitConfig {
        seed: 1,
        limit: Some(limit),
        ..SplitConfig::default()
    };
    split_subset(mnist(), &digits, &cfg).expect("split")
}

fn data(ex: &oddeven_data::Examples) -> DataRef<'_> {
    DataRef {
        features: &ex.features,
        labels: &ex.labels,
        classes: ex.num_classes(),
    }
}

#[test]
fn mlp_learns_odd_digits_and_repeats_bit_for_bit() {
    let split = subset("odd", 2000);
    let spec = model("mlp", MNIST_INPUT, 5, OutputKind::Softmax);
    let start = Params::init(spec, 1).unwrap();
    let cfg = TrainConfig {
        epochs: 30,
        ..TrainConfig::default()
    };
    let train_on = |b: &oddeven_cpu::CpuBackend| {
        let mut p = start.clone();
        let r = train(
            b,
            &mut p,
            data(&split.train),
            data(&split.test),
            &cfg,
            &mut |_| {},
        )
        .unwrap();
        (p, r)
    };
    let (p1, r1) = train_on(&cpu());
    assert!(
        r1.test_accuracy >= 0.9,
        "test accuracy {}",
        r1.test_accuracy
    );
    assert!(
        r1.train_accuracy >= 0.95,
        "train accuracy {}",
        r1.train_accuracy
    );
    // A second backend, the same seed: the same bits everywhere.
    let (p2, r2) = train_on(&cpu());
    assert_eq!(p1, p2, "parameters differ between two identical runs");
    let strip = |r: &TrainReport| TrainReport {
        train_seconds: 0.0,
        ..r.clone()
    };
    assert_eq!(
        strip(&r1),
        strip(&r2),
        "reports differ between two identical runs"
    );
}

#[test]
fn cnn_learns_with_minibatches_and_repeats_bit_for_bit() {
    let split = subset("odd", 1000);
    let spec = model(
        "conv8k3p1,relu,pool2,conv16k3p1,relu,pool2,flatten,linear32,relu,linear",
        MNIST_INPUT,
        5,
        OutputKind::Softmax,
    );
    let start = Params::init(spec, 2).unwrap();
    let cfg = TrainConfig {
        epochs: 3,
        batch_size: Some(64),
        adam: oddeven_core::kernels::adam::AdamConfig {
            lr: 0.003,
            ..Default::default()
        },
        ..TrainConfig::default()
    };
    let train_on = || {
        let mut p = start.clone();
        let r = train(
            &cpu(),
            &mut p,
            data(&split.train),
            data(&split.test),
            &cfg,
            &mut |_| {},
        )
        .unwrap();
        (p, r)
    };
    let (p1, r1) = train_on();
    assert!(
        r1.test_accuracy >= 0.8,
        "test accuracy {}",
        r1.test_accuracy
    );
    let (p2, r2) = train_on();
    assert_eq!(p1, p2, "parameters differ between two identical runs");
    assert_eq!(r1.loss_history, r2.loss_history);
    assert_eq!(r1.test_correct, r2.test_correct);
}
