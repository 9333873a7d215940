//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

pub mod server;

/// The real MNIST files: `shared/mnist` beside the repository. Falls back to
/// `ODDEVEN_DATA` only when that copy is absent, so a developer's own
/// setting cannot swap in another data set under the count assertions.
pub fn real_data_dir() -> PathBuf {
    let shared = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/mnist"
    ));
    if shared.is_dir() {
        return shared;
    }
    match std::env::var_os("ODDEVEN_DATA") {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => shared,
    }
}
