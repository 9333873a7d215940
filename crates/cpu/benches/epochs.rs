//! Training epochs on the CPU backend at full size, the protocols of
//! `cargo xtask bench --compare pytorch` (bench/pytorch_reference.py runs the same in
//! PyTorch): odd digits, the default 80/20 split (28,465 training images), Adam.
//!
//! - `mlp epoch`: 784→300→5, full batch, lr 0.01.
//! - `softmax epoch`: 784→5, full batch, lr 0.01.
//! - `cnn epoch`: conv32-conv64-fc128 (the `cnn` preset), batches of 64, lr 0.001.
//!
//! Each sample trains through `oddeven_models::train` and counts the epoch loop's own time
//! (`TrainReport::train_seconds`: evaluation and uploads excluded), so a criterion
//! "iteration" is one epoch. Run: `cargo bench -p oddeven-cpu --bench epochs [-- mlp]`.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use oddeven_core::kernels::adam::AdamConfig;
use oddeven_cpu::CpuBackend;
use oddeven_data::{split_subset, DigitSet, Split, SplitConfig};
use oddeven_models::{train, Architecture, DataRef, OutputKind, Params, TrainConfig, MNIST_INPUT};

fn data(ex: &oddeven_data::Examples) -> DataRef<'_> {
    DataRef {
        features: &ex.features,
        labels: &ex.labels,
        classes: ex.num_classes(),
    }
}

/// Seconds per epoch over `epochs` epochs of `model`.
fn epochs(backend: &CpuBackend, split: &Split, model: &str, epochs: u64) -> Duration {
    let spec = Architecture::parse(model, 300)
        .and_then(|a| a.resolve(MNIST_INPUT, 5, OutputKind::Softmax))
        .expect("model");
    let mut params = Params::init(spec, 0).expect("init");
    let cnn = model == "cnn";
    let cfg = TrainConfig {
        epochs: epochs as usize,
        batch_size: cnn.then_some(64),
        adam: AdamConfig {
            lr: if cnn { 0.001 } else { 0.01 },
            ..AdamConfig::default()
        },
        progress_interval: None,
        ..TrainConfig::default()
    };
    let report = train(
        backend,
        &mut params,
        data(&split.train),
        data(&split.test),
        &cfg,
        &mut |_| {},
    )
    .expect("training");
    Duration::from_secs_f64(report.train_seconds)
}

fn bench(c: &mut Criterion) {
    let dir = oddeven_data::announce_test_data_dir().expect("MNIST (ODDEVEN_DATA)");
    let raw = oddeven_data::load_mnist(&dir).expect("MNIST loads");
    let odd: DigitSet = "odd".parse().expect("digits");
    let split = split_subset(&raw, &odd, &SplitConfig::default()).expect("split");
    let backend = CpuBackend::new(None).expect("CPU backend");
    eprintln!("{}", oddeven_core::Backend::summary(&backend).name);
    let mut group = c.benchmark_group("odd digits, 28465 images");
    // Each iteration is a whole epoch: flat sampling, few samples.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    for (model, seconds) in [("mlp", 10), ("softmax", 5), ("cnn", 60)] {
        group.measurement_time(Duration::from_secs(seconds));
        group.bench_function(format!("{model} epoch"), |b| {
            b.iter_custom(|iters| epochs(&backend, &split, model, iters))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500));
    targets = bench
}
criterion_main!(benches);
