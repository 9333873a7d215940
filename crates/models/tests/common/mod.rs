//! Shared helpers: the adapter, real MNIST subsets (found as the CLI finds them), models.
#![allow(dead_code)]

pub use oddeven_core::testing::gpu_or_skip as gpu;

use std::sync::OnceLock;

use oddeven_core::{Backend, StepValues};
use oddeven_data::{split_subset, DigitSet, MnistRaw, Split, SplitConfig};
use oddeven_models::graph::{LossStage, Network};
use oddeven_models::{Architecture, DataRef, ModelSpec, OutputKind, Params, Shape, MNIST_INPUT};

pub fn mnist() -> &'static MnistRaw {
    static RAW: OnceLock<MnistRaw> = OnceLock::new();
    RAW.get_or_init(|| {
        let dir = oddeven_data::announce_test_data_dir().expect("MNIST for the tests");
        oddeven_data::load_mnist(&dir).expect("MNIST loads")
    })
}

/// A seeded subset of `limit` examples split 80/20.
pub fn subset(digits: &str, limit: usize, seed: u64) -> Split {
    let digits: DigitSet = digits.parse().expect("digit set");
    let cfg = SplitConfig {
        seed,
        limit: Some(limit),
        ..SplitConfig::default()
    };
    split_subset(mnist(), &digits, &cfg).expect("split")
}

pub fn data_ref(ex: &oddeven_data::Examples) -> DataRef<'_> {
    DataRef {
        features: &ex.features,
        labels: &ex.labels,
        classes: ex.num_classes(),
    }
}

/// `arch` (a preset or spec string) on MNIST images with `classes` outputs.
pub fn mnist_model(arch: &str, classes: usize) -> ModelSpec {
    model(arch, MNIST_INPUT, classes, OutputKind::Softmax)
}

pub fn model(arch: &str, input: Shape, classes: usize, output: OutputKind) -> ModelSpec {
    arch.parse::<Architecture>()
        .expect("architecture")
        .resolve(input, classes, output)
        .expect("model resolves")
}

/// Uniform values in [lo, hi) from a seeded ChaCha8 stream.
pub fn random(n: usize, seed: u64, lo: f32, hi: f32) -> Vec<f32> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| rng.random_range(lo..hi)).collect()
}

/// Per layer: (weight gradient, bias gradient), None for layers without parameters.
pub type Grads = Vec<Option<(Vec<f32>, Vec<f32>)>>;

/// Loss (mean over the rows) and every layer's parameter gradients of one batch, through
/// the real graph on `backend`.
pub fn loss_and_grads<B: Backend>(
    backend: &B,
    params: &Params,
    x: &[f32],
    y: &[f32],
) -> (f32, Grads) {
    let spec = &params.spec;
    let rows = y.len() / spec.classes();
    let net = Network::upload(backend, params).unwrap();
    let tx = backend.upload(&spec.input.with_rows(rows), x, "x").unwrap();
    let ty = backend.upload(&[rows, spec.classes()], y, "y").unwrap();
    let metrics = backend.zeros(&[1, 2], "metrics").unwrap();
    let grads = net.zeros_like(0, "grad").unwrap();
    let fwd = net.forward(&tx).unwrap();
    let loss = LossStage::new(
        backend,
        spec.output,
        fwd.logits(),
        &ty,
        &metrics,
        1.0 / rows as f32,
    )
    .unwrap();
    let bwd = net.backward(&fwd, &loss.grad, &grads, 0).unwrap();
    let ops: Vec<&B::Op> = fwd.ops.iter().chain(&loss.ops).chain(&bwd).collect();
    backend.run(&ops, &StepValues::default()).unwrap();
    let l = backend.read(&metrics).unwrap()[0];
    let g = grads
        .iter()
        .map(|g| {
            g.as_ref().map(|g| {
                (
                    backend.read(&g.weight).unwrap(),
                    backend.read(&g.bias).unwrap(),
                )
            })
        })
        .collect();
    (l, g)
}

/// Random inputs and one-hot targets for `rows` examples of `spec`.
pub fn tiny_problem(spec: &ModelSpec, rows: usize, seed: u64) -> (Vec<f32>, Vec<u32>, Vec<f32>) {
    let k = spec.classes();
    let x = random(rows * spec.input.len(), seed, 0.0, 1.0);
    let labels: Vec<u32> = (0..rows).map(|r| ((r * 7 + 3) % k) as u32).collect();
    let mut y = vec![0.0; rows * k];
    for (r, &l) in labels.iter().enumerate() {
        y[r * k + l as usize] = 1.0;
    }
    (x, labels, y)
}
