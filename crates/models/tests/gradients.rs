//! One graph, two backends: the backward pass on the reference backend against finite
//! differences of its own forward pass, and three training steps on the wgpu backend
//! against the same three steps on the reference backend — for softmax regression, the
//! MLP (softmax and sigmoid outputs) and a small CNN.

mod common;

use common::{gpu, loss_and_grads, model, tiny_problem};
use oddeven_core::ReferenceBackend;
use oddeven_models::{train, DataRef, ModelSpec, OutputKind, Params, Shape, TrainConfig};

const FLAT: Shape = Shape::Flat(6);
const IMAGE: Shape = Shape::Image { h: 6, w: 7, c: 2 };
/// Both conv paddings, a stride-2 conv, an overlapping pool, a ReLU after a pool.
const SMALL_CNN: &str = "conv3k3p1,relu,pool3s2,conv4k2s2p2,relu,flatten,linear5,relu,linear";

fn specs() -> Vec<ModelSpec> {
    vec![
        model("softmax", FLAT, 3, OutputKind::Softmax),
        model("flatten,linear5,relu,linear", FLAT, 3, OutputKind::Softmax),
        model("flatten,linear5,relu,linear", FLAT, 3, OutputKind::Sigmoid),
        model(SMALL_CNN, IMAGE, 3, OutputKind::Softmax),
        model(
            "pool2,relu,conv3k1,flatten,linear",
            IMAGE,
            4,
            OutputKind::Sigmoid,
        ),
    ]
}

#[test]
fn backward_matches_finite_differences() {
    let rows = 4;
    for spec in specs() {
        let (x, _, y) = tiny_problem(&spec, rows, 1);
        let params = Params::init(spec.clone(), 3).unwrap();
        let (_, analytic) = loss_and_grads(&ReferenceBackend, &params, &x, &y);
        let h = 1e-3f32;
        let mut checked = 0;
        for (li, layer) in params.layers.iter().enumerate() {
            let Some(values) = layer else {
                assert!(
                    analytic[li].is_none(),
                    "{spec}: layer {li} has no parameters"
                );
                continue;
            };
            let (gw, gb) = analytic[li].as_ref().expect("gradient of a trained layer");
            for (which, len) in [("weight", values.weight.len()), ("bias", values.bias.len())] {
                for i in 0..len {
                    let loss_at = |delta: f32| {
                        let mut p = params.clone();
                        let v = p.layers[li].as_mut().unwrap();
                        let v = if which == "weight" {
                            &mut v.weight
                        } else {
                            &mut v.bias
                        };
                        v[i] += delta;
                        loss_and_grads(&ReferenceBackend, &p, &x, &y).0 as f64
                    };
                    let numeric = (loss_at(h) - loss_at(-h)) / (2.0 * h as f64);
                    let a = if which == "weight" { gw[i] } else { gb[i] } as f64;
                    assert!(
                        (numeric - a).abs() < 2e-3 + 1e-2 * a.abs(),
                        "{spec} layer {} {which}[{i}]: analytic {a}, numeric {numeric}",
                        li + 1
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(
            checked,
            spec.param_count(),
            "{spec}: every parameter checked"
        );
    }
}

/// Trains copies of one start on both backends and compares every parameter and the
/// loss history.
fn compare(spec: &ModelSpec, rows: usize, batch: Option<usize>, first_trained: usize) {
    let Some(gpu) = gpu() else { return };
    // Both ways of running the output layer on the GPU: op by op, and fused
    // (dense_head.wgsl), whatever this adapter's default.
    for fused in [false, true] {
        gpu.set_fused_output_layer(fused);
        compare_on(&gpu, spec, rows, batch, first_trained);
    }
}

fn compare_on(
    gpu: &oddeven_core::Gpu,
    spec: &ModelSpec,
    rows: usize,
    batch: Option<usize>,
    first_trained: usize,
) {
    let (x, labels, _) = tiny_problem(spec, rows, 2);
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
    let (mut on_gpu, mut on_ref) = (start.clone(), start.clone());
    let rg = train(gpu, &mut on_gpu, data, data, &cfg, &mut |_| {}).unwrap();
    let rr = train(
        &ReferenceBackend,
        &mut on_ref,
        data,
        data,
        &cfg,
        &mut |_| {},
    )
    .unwrap();
    let what = format!(
        "{spec} batch {batch:?} first trained {first_trained} fused head {}",
        gpu.fuses_output_layer()
    );
    assert_eq!(rg.loss_history.len(), 3, "{what}");
    assert_eq!(rg.loss_history.len(), rr.loss_history.len(), "{what}");
    assert_eq!(
        rg.train_accuracy_history.len(),
        rr.train_accuracy_history.len(),
        "{what}"
    );
    for (e, (a, b)) in rg.loss_history.iter().zip(&rr.loss_history).enumerate() {
        assert!(
            (a - b).abs() < 1e-4 * (1.0 + b.abs()),
            "{what}: epoch {e} loss {a} vs {b}"
        );
    }
    let mut moved = false;
    for (l, (g, r)) in on_gpu.layers.iter().zip(&on_ref.layers).enumerate() {
        let (Some(g), Some(r)) = (g, r) else { continue };
        let s = start.layers[l].as_ref().unwrap();
        for ((a, b), s) in g
            .weight
            .iter()
            .zip(&r.weight)
            .chain(g.bias.iter().zip(&r.bias))
            .zip(s.weight.iter().chain(&s.bias))
        {
            assert!(
                (a - b).abs() < 1e-4,
                "{what} layer {}: gpu {a} reference {b}",
                l + 1
            );
            moved |= a != s;
            if l < first_trained {
                assert_eq!(a, s, "{what}: frozen layer {} changed", l + 1);
            }
        }
    }
    assert!(moved, "{what}: training changed nothing");
    assert_eq!(rg.test_confusion, rr.test_confusion, "{what}");
}

#[test]
fn gpu_steps_match_reference_steps() {
    for spec in specs() {
        compare(&spec, 37, None, 0);
        compare(&spec, 37, None, spec.head());
    }
}

#[test]
fn gpu_minibatch_epochs_match_reference() {
    for spec in specs() {
        // 37 rows in batches of 16: two full batches and a remainder of 5, reshuffled.
        compare(&spec, 37, Some(16), 0);
    }
}
