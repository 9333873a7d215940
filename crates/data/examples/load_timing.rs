//! Times loading the real MNIST files (decompression included) and building
//! the odd/even subsets and split.
//!
//! `cargo run --release -p oddeven-data --example load_timing [-- DIR]`;
//! DIR defaults to where the tests find MNIST (`ODDEVEN_DATA`, `data/mnist`,
//! `../shared/mnist` beside the workspace, else a download into `data/mnist`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use oddeven_data::{load_mnist, split_subset, subset, test_data_dir, DigitSet, SplitConfig};

fn main() -> ExitCode {
    let dir = match std::env::args_os().nth(1) {
        Some(dir) => PathBuf::from(dir),
        None => match test_data_dir() {
            Ok((dir, line)) => {
                eprintln!("{line}");
                dir
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        },
    };

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
