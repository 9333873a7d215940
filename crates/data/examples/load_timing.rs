//! Times loading the real MNIST files (decompression included) and building
//! the odd/even subsets and split.
//!
//! `cargo run --release -p oddeven-data --example load_timing [-- DIR]`;
//! DIR defaults to `../shared/mnist` beside the repository, then to the
//! usual `ODDEVEN_DATA` / `data/mnist` resolution.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use oddeven_data::{load_mnist, resolve_data_dir, split_subset, subset, DigitSet, SplitConfig};

fn main() -> ExitCode {
    let shared = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/mnist"
    ));
    let flag = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .or_else(|| shared.is_dir().then_some(shared));
    let dir = resolve_data_dir(flag.as_deref());

    let t = Instant::now();
    let raw = match load_mnist(&dir) {
        Ok(raw) => raw,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let load = t.elapsed();
    println!(
        "load_mnist({}): {} images in {:.1} ms",
        dir.display(),
        raw.len(),
        load.as_secs_f64() * 1e3
    );

    let t = Instant::now();
    let odd = subset(&raw, &DigitSet::odd());
    let even = subset(&raw, &DigitSet::even());
    println!(
        "odd + even subsets ({} + {}): {:.1} ms",
        odd.len(),
        even.len(),
        t.elapsed().as_secs_f64() * 1e3
    );

    let t = Instant::now();
    match split_subset(&raw, &DigitSet::odd(), &SplitConfig::default()) {
        Ok(s) => println!(
            "split_subset(odd): {} train / {} test in {:.1} ms",
            s.train.len(),
            s.test.len(),
            t.elapsed().as_secs_f64() * 1e3
        ),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
