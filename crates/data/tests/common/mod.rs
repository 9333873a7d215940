//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

pub mod server;

/// The real MNIST files, resolved as the CLI does (see
/// `oddeven_data::test_data_dir`); the line saying where they came from is
/// printed once per test binary.
pub fn real_data_dir() -> PathBuf {
    match oddeven_data::announce_test_data_dir() {
        Ok(dir) => dir,
        Err(e) => panic!("no MNIST for the tests: {e}"),
    }
}
