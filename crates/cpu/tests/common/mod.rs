//! Shared helpers: the two backends, seeded data, tolerant comparison, and a runner that
//! builds one op on a backend from host data and reads its outputs back.
#![allow(dead_code)]

use oddeven_core::{Backend, Result, StepValues};
use oddeven_cpu::CpuBackend;
use rand::{Rng, SeedableRng};

/// A CPU backend with two threads, so the parallel paths run even on one core.
pub fn cpu() -> CpuBackend {
    CpuBackend::new(Some(2)).expect("a CPU backend")
}

/// Uniform values in [lo, hi) from a seeded ChaCha8 stream.
pub fn random(n: usize, seed: u64, lo: f32, hi: f32) -> Vec<f32> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| rng.random_range(lo..hi)).collect()
}

/// One-hot rows with labels spread over the classes.
pub fn one_hot(rows: usize, classes: usize) -> Vec<f32> {
    let mut y = vec![0.0; rows * classes];
    for r in 0..rows {
        y[r * classes + (r * 7 + 3) % classes] = 1.0;
    }
    y
}

/// |got − want| ≤ rtol·(1 + |want|) everywhere, else a message naming the first miss.
pub fn assert_close(what: &str, got: &[f32], want: &[f32], rtol: f32) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= rtol * (1.0 + w.abs()),
            "{what}[{i}]: cpu {g} vs reference {w}"
        );
    }
}

/// Tensors of one op: inputs uploaded from host data, outputs zero (or given values).
pub struct Operands<'a> {
    pub inputs: Vec<(&'a [usize], &'a [f32])>,
    pub outputs: Vec<(&'a [usize], Option<&'a [f32]>)>,
}

/// Builds an op with `build` over uploaded operands, runs it with `step`, and returns
/// every output's values.
pub fn run_op<B: Backend>(
    b: &B,
    ops: &Operands<'_>,
    step: &StepValues,
    build: impl Fn(&B, &[B::Tensor], &[B::Tensor]) -> Result<B::Op>,
) -> Vec<Vec<f32>> {
    let ins: Vec<_> = ops
        .inputs
        .iter()
        .map(|(s, v)| b.upload(s, v, "in").expect("upload"))
        .collect();
    let outs: Vec<_> = ops
        .outputs
        .iter()
        .map(|(s, v)| {
            let t = b.zeros(s, "out").expect("zeros");
            if let Some(v) = v {
                b.write(&t, v).expect("write");
            }
            t
        })
        .collect();
    let op = build(b, &ins, &outs).expect("op builds");
    b.run(&[&op], step).expect("op runs");
    outs.iter().map(|t| b.read(t).expect("read")).collect()
}
