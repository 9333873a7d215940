//! What the CLI tests share: MNIST found as the CLI finds it, running the binary, reading a
//! run directory.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub fn mnist_dir() -> PathBuf {
    oddeven_data::announce_test_data_dir().expect("MNIST for the tests")
}

/// `oddeven ARGS` with MNIST from the tests' data directory, no `XDG_RUNTIME_DIR` (the CLI
/// must cope), and `device` as `ODDEVEN_DEVICE` when given.
pub fn oddeven_on(device: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_oddeven"));
    cmd.args(args)
        .env("ODDEVEN_DATA", mnist_dir())
        .env_remove("XDG_RUNTIME_DIR");
    if let Some(device) = device {
        cmd.env("ODDEVEN_DEVICE", device);
    }
    cmd.output().expect("run oddeven")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Skips (with a message) only when there is no adapter and CI is not set.
pub fn adapter_available() -> bool {
    oddeven_core::testing::gpu_or_skip().is_some()
}

/// A run that must succeed and print nothing that looks like an error (no Vulkan loader
/// noise either).
pub fn check_ok(args: &[&str], o: Output) -> Output {
    assert!(o.status.success(), "{args:?} failed: {}", stderr(&o));
    assert!(!stderr(&o).contains("error"), "{args:?}: {}", stderr(&o));
    o
}

pub fn summary(out: &Path) -> Value {
    let text = std::fs::read_to_string(out.join("summary.json")).expect("summary.json");
    serde_json::from_str(&text).expect("summary.json parses")
}

pub fn names(s: &Value) -> Vec<String> {
    s["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}
