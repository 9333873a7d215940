//! Shared test helpers: the adapter under test and seeded random data.
#![allow(dead_code)]

#[allow(unused_imports)]
pub use oddeven_core::testing::{assert_close, gpu_or_skip as gpu};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub fn random(n: usize, seed: u64, lo: f32, hi: f32) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| rng.random_range(lo..hi)).collect()
}

/// One-hot rows with a random class each.
pub fn one_hot(rows: usize, classes: usize, seed: u64) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut y = vec![0.0; rows * classes];
    for r in 0..rows {
        y[r * classes + rng.random_range(0..classes)] = 1.0;
    }
    y
}
