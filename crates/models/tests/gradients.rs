//! The hand-derived backward pass (CPU reference) vs finite differences, and one GPU
//! training step vs one CPU reference step.

mod common;

use common::{gpu, random};
use oddeven_core::kernels::adam::AdamConfig;
use oddeven_models::reference::{self, AdamState};
use oddeven_models::{train, DataRef, ModelSpec, OutputKind, Params, TrainConfig};

fn tiny_problem(rows: usize, inputs: usize, classes: usize) -> (Vec<f32>, Vec<u32>, Vec<f32>) {
    let x = random(rows * inputs, 1, 0.0, 1.0);
    let labels: Vec<u32> = (0..rows).map(|r| (r * 7 % classes) as u32).collect();
    let mut y = vec![0.0; rows * classes];
    for (r, &l) in labels.iter().enumerate() {
        y[r * classes + l as usize] = 1.0;
    }
    (x, labels, y)
}

fn specs() -> Vec<ModelSpec> {
    vec![
        ModelSpec::softmax(6, 3),
        ModelSpec::mlp(6, 5, 3, OutputKind::Softmax),
        ModelSpec::mlp(6, 5, 3, OutputKind::Sigmoid),
    ]
}

#[test]
fn backward_matches_finite_differences() {
    let rows = 4;
    for spec in specs() {
        let (x, _, y) = tiny_problem(rows, spec.inputs, spec.classes);
        let params = Params::init(spec, 3).unwrap();
        let analytic = reference::batch(&params, &x, &y, rows);
        let h = 1e-2f32;
        for (li, layer) in params.layers.iter().enumerate() {
            for (which, len) in [("weight", layer.weight.len()), ("bias", layer.bias.len())] {
                for i in 0..len {
                    let loss_at = |delta: f32| {
                        let mut p = params.clone();
                        let v = if which == "weight" {
                            &mut p.layers[li].weight
                        } else {
                            &mut p.layers[li].bias
                        };
                        v[i] += delta;
                        reference::batch(&p, &x, &y, rows).loss as f64
                    };
                    let numeric = (loss_at(h) - loss_at(-h)) / (2.0 * h as f64);
                    let g = &analytic.grads[li];
                    let a = if which == "weight" {
                        g.weight[i]
                    } else {
                        g.bias[i]
                    } as f64;
                    assert!(
                        (numeric - a).abs() < 2e-3,
                        "{spec} layer{} {which}[{i}]: analytic {a}, numeric {numeric}",
                        li + 1
                    );
                }
            }
        }
    }
}

#[test]
fn gpu_steps_match_cpu_steps() {
    let Some(gpu) = gpu() else { return };
    let rows = 37;
    for spec in specs() {
        for first_trained in 0..spec.layers().len() {
            let (x, labels, y) = tiny_problem(rows, spec.inputs, spec.classes);
            let data = DataRef {
                features: &x,
                labels: &labels,
                classes: spec.classes,
            };
            let start = Params::init(spec, 9).unwrap();
            let cfg = TrainConfig {
                epochs: 3,
                first_trained_layer: first_trained,
                ..TrainConfig::default()
            };
            let mut on_gpu = start.clone();
            let report = train(&gpu, &mut on_gpu, data, data, &cfg, &mut |_| {}).unwrap();
            let mut on_cpu = start.clone();
            let mut state = AdamState::new(&on_cpu);
            let mut losses = Vec::new();
            for _ in 0..3 {
                losses.push(
                    reference::step(
                        &mut on_cpu,
                        &mut state,
                        &AdamConfig::default(),
                        &x,
                        &y,
                        rows,
                        first_trained,
                    )
                    .loss,
                );
            }
            for (l, (g, c)) in on_gpu.layers.iter().zip(&on_cpu.layers).enumerate() {
                for (a, b) in g
                    .weight
                    .iter()
                    .zip(&c.weight)
                    .chain(g.bias.iter().zip(&c.bias))
                {
                    assert!(
                        (a - b).abs() < 1e-4,
                        "{spec} frozen<{first_trained} layer{}: gpu {a} cpu {b}",
                        l + 1
                    );
                }
            }
            for (a, b) in report.loss_history.iter().zip(&losses) {
                assert!(
                    (a - b).abs() < 1e-4 * b.abs().max(1.0),
                    "{spec}: loss gpu {a} cpu {b}"
                );
            }
            if first_trained == 1 {
                assert_eq!(on_gpu.layers[0], start.layers[0], "frozen layer moved");
            }
        }
    }
}

/// Minibatches (16 + 16 + a tail of 5, reshuffled each epoch) on the GPU equal the same
/// steps on the CPU with the same permutations.
#[test]
fn gpu_minibatch_epochs_match_cpu_steps() {
    let Some(gpu) = gpu() else { return };
    let (rows, batch, epochs, seed) = (37, 16, 2, 11);
    let spec = ModelSpec::mlp(6, 5, 3, OutputKind::Softmax);
    let (x, labels, y) = tiny_problem(rows, spec.inputs, spec.classes);
    let data = DataRef {
        features: &x,
        labels: &labels,
        classes: spec.classes,
    };
    let start = Params::init(spec, 2).unwrap();
    let cfg = TrainConfig {
        epochs,
        batch_size: Some(batch),
        seed,
        ..TrainConfig::default()
    };
    let mut on_gpu = start.clone();
    train(&gpu, &mut on_gpu, data, data, &cfg, &mut |_| {}).unwrap();

    let mut on_cpu = start;
    let mut state = AdamState::new(&on_cpu);
    let mut shuffler = oddeven_models::shuffle::Shuffler::new(seed);
    for _ in 0..epochs {
        let perm = shuffler.permutation(rows);
        for chunk in perm.chunks(batch) {
            let xb: Vec<f32> = chunk
                .iter()
                .flat_map(|&r| x[r as usize * spec.inputs..(r as usize + 1) * spec.inputs].to_vec())
                .collect();
            let yb: Vec<f32> = chunk
                .iter()
                .flat_map(|&r| {
                    y[r as usize * spec.classes..(r as usize + 1) * spec.classes].to_vec()
                })
                .collect();
            reference::step(
                &mut on_cpu,
                &mut state,
                &AdamConfig::default(),
                &xb,
                &yb,
                chunk.len(),
                0,
            );
        }
    }
    for (g, c) in on_gpu.layers.iter().zip(&on_cpu.layers) {
        for (a, b) in g
            .weight
            .iter()
            .zip(&c.weight)
            .chain(g.bias.iter().zip(&c.bias))
        {
            assert!((a - b).abs() < 1e-4, "gpu {a} cpu {b}");
        }
    }
}
