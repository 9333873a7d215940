//! Shared helpers: the adapter, real MNIST subsets from ../shared/mnist.
#![allow(dead_code)]

pub use oddeven_core::testing::gpu_or_skip as gpu;

use std::path::PathBuf;
use std::sync::OnceLock;

use oddeven_data::{split_subset, DigitSet, MnistRaw, Split, SplitConfig};
use oddeven_models::DataRef;

pub fn mnist_dir() -> PathBuf {
    std::env::var_os("ODDEVEN_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/mnist"
            ))
        })
}

pub fn mnist() -> &'static MnistRaw {
    static RAW: OnceLock<MnistRaw> = OnceLock::new();
    RAW.get_or_init(|| {
        oddeven_data::load_mnist(&mnist_dir()).expect("MNIST in ../shared/mnist (or ODDEVEN_DATA)")
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

/// Uniform values in [lo, hi) from a seeded ChaCha8 stream.
pub fn random(n: usize, seed: u64, lo: f32, hi: f32) -> Vec<f32> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| rng.random_range(lo..hi)).collect()
}
