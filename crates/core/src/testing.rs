//! Support for the tests of every oddeven crate: the adapter under test, and tolerant
//! comparison with the CPU references.

use std::sync::OnceLock;

use crate::adapter::DeviceChoice;
use crate::gpu::Gpu;

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The adapter the tests run on (`ODDEVEN_DEVICE`, default auto), opened once per test
/// binary. Under `CI=true` a missing adapter fails the test; elsewhere the test prints why
/// it did not run and returns `None`.
pub fn gpu_or_skip() -> Option<Gpu> {
    static GPU: OnceLock<Result<Gpu, String>> = OnceLock::new();
    let result = GPU.get_or_init(|| {
        DeviceChoice::from_env()
            .and_then(Gpu::new)
            .map_err(|e| e.to_string())
    });
    match result {
        Ok(gpu) => Some(gpu.clone()),
        Err(e) if ci() => panic!("CI=true and no GPU adapter: {e}"),
        Err(e) => {
            eprintln!("NOT RUN (no adapter; set CI=true to make this a failure): {e}");
            None
        }
    }
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
