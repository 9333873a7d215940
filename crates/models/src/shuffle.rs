//! Seeded per-epoch permutations for minibatches: ChaCha8 with a hand-written
//! Fisher–Yates, so the same seed gives the same batches on every machine.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub struct Shuffler {
    rng: ChaCha8Rng,
}

impl Shuffler {
    pub fn new(seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(2);
        Shuffler { rng }
    }

    /// A fresh permutation of 0..n (each call continues the stream).
    pub fn permutation(&mut self, n: usize) -> Vec<u32> {
        let mut p: Vec<u32> = (0..n as u32).collect();
        for i in (1..n).rev() {
            let j = (self.rng.next_u64() % (i as u64 + 1)) as usize;
            p.swap(i, j);
        }
        p
    }
}
