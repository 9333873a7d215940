//! The adapter under test and seeded random data (as in oddeven-core's tests).
#![allow(dead_code)]

use std::sync::OnceLock;

use oddeven_core::{DeviceChoice, Gpu};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The adapter the tests run on (`ODDEVEN_DEVICE`, default auto). Under `CI=true` a
/// missing adapter fails the test; elsewhere the test says why it did not run and passes.
pub fn gpu() -> Option<Gpu> {
    static GPU: OnceLock<Result<Gpu, String>> = OnceLock::new();
    let result = GPU.get_or_init(|| {
        DeviceChoice::from_env()
            .and_then(Gpu::new)
            .map_err(|e| e.to_string())
    });
    match result {
        Ok(gpu) => Some(gpu.clone()),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") => {
            panic!("CI=true and no GPU adapter: {e}")
        }
        Err(e) => {
            eprintln!("NOT RUN (no adapter; set CI=true to make this a failure): {e}");
            None
        }
    }
}

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

/// Asserts |got − want| ≤ rtol · max(1, max |want|) element-wise, naming the first miss.
pub fn assert_close(what: &str, got: &[f32], want: &[f32], rtol: f32) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let scale = want.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(g.is_finite(), "{what}: element {i} is {g}");
        assert!(
            (g - w).abs() <= rtol * scale,
            "{what}: element {i}: got {g}, want {w} (tolerance {})",
            rtol * scale
        );
    }
}
