//! Seeded train/test splits that come out the same on every machine.
//!
//! Randomness comes from `ChaCha8Rng::seed_from_u64`, whose output stream is
//! fixed by the ChaCha specification and rand_chacha's value-stability
//! promise. We deliberately avoid `SliceRandom::shuffle` and `gen_range`:
//! rand documents their algorithms as free to change between versions, which
//! would silently change every split. Instead [`shuffle`] is a hand-written
//! Fisher–Yates driven by [`bounded`], which only uses `next_u64`.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{subset, DataError, DigitSet, Examples, MnistRaw};

/// How to turn a digit subset into train and test sets.
#[derive(Debug, Clone, PartialEq)]
pub struct SplitConfig {
    pub seed: u64,
    /// Share of examples that go to test; the test size is
    /// `ceil(test_fraction * n)`, as scikit-learn's `train_test_split` does.
    pub test_fraction: f64,
    /// Give each class the same share in train and test.
    pub stratify: bool,
    /// Keep only a seeded random `limit` examples of the subset before
    /// splitting (for quick runs); `None` or a limit ≥ the subset keeps all.
    pub limit: Option<usize>,
}

impl Default for SplitConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            test_fraction: 0.2,
            stratify: false,
            limit: None,
        }
    }
}

/// A train/test pair from one subset; disjoint by construction.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    pub train: Examples,
    pub test: Examples,
}

/// Unbiased integer in `0..bound` (Lemire's multiply-and-reject).
/// `bound` must be non-zero.
pub fn bounded(rng: &mut impl RngCore, bound: u64) -> u64 {
    let threshold = bound.wrapping_neg() % bound;
    loop {
        let m = u128::from(rng.next_u64()) * u128::from(bound);
        if (m as u64) >= threshold {
            return (m >> 64) as u64;
        }
    }
}

/// In-place Fisher–Yates shuffle (Durstenfeld's variant, back to front).
pub fn shuffle<T>(items: &mut [T], rng: &mut impl RngCore) {
    for i in (1..items.len()).rev() {
        let j = bounded(rng, i as u64 + 1) as usize;
        items.swap(i, j);
    }
}

/// `0..n` in the seeded random order `seed` gives.
pub fn permutation(n: usize, seed: u64) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    shuffle(&mut idx, &mut ChaCha8Rng::seed_from_u64(seed));
    idx
}

/// Test-set size for `n` examples, `ceil(test_fraction * n)`, failing when
/// either side would be empty.
pub fn test_size(n: usize, test_fraction: f64) -> Result<usize, DataError> {
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(DataError::InvalidSplit(format!(
            "test fraction {test_fraction} must be strictly between 0 and 1"
        )));
    }
    let n_test = (test_fraction * n as f64).ceil() as usize;
    if n_test == 0 || n_test >= n {
        return Err(DataError::InvalidSplit(format!(
            "{n} examples with test fraction {test_fraction} would leave {} train and {} test \
             examples; both need at least one (use more data or a larger --limit)",
            n.saturating_sub(n_test),
            n_test.min(n)
        )));
    }
    Ok(n_test)
}

/// Per-class test counts proportional to class sizes, summing to `n_test`.
///
/// Uses largest remainders in exact integer arithmetic (ties to the lower
/// class) so the allocation cannot drift with floating-point rounding.
fn stratified_counts(counts: &[usize], n_test: usize) -> Vec<usize> {
    let n: usize = counts.iter().sum();
    if n == 0 {
        return vec![0; counts.len()];
    }
    // u128 so `n_test * c` cannot overflow even on 32-bit targets.
    let (n_test_w, n_w) = (n_test as u128, n as u128);
    let mut alloc: Vec<usize> = counts
        .iter()
        .map(|&c| (n_test_w * c as u128 / n_w) as usize)
        .collect();
    let mut order: Vec<usize> = (0..counts.len()).collect();
    // Stable sort: equal remainders keep class order.
    order.sort_by_key(|&k| std::cmp::Reverse(n_test_w * counts[k] as u128 % n_w));
    let short = n_test.saturating_sub(alloc.iter().sum::<usize>());
    for &k in order.iter().take(short) {
        alloc[k] += 1;
    }
    alloc
}

/// Splits `ex` into (train, test) with `ceil(test_fraction * n)` test
/// examples, seeded by `seed`; reused for validation splits of a train set.
///
/// Both outputs come back in shuffled order, which is harmless to
/// consumers that reshuffle and saves those that don't from class-sorted
/// batches. With `stratify`, each class is shuffled and cut on its own, with
/// per-class test counts proportional to the class sizes.
pub fn split_examples(
    ex: &Examples,
    test_fraction: f64,
    seed: u64,
    stratify: bool,
) -> Result<(Examples, Examples), DataError> {
    let n = ex.len();
    let n_test = test_size(n, test_fraction)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut train_idx, mut test_idx);
    if stratify {
        if let Some(bad) = ex.labels.iter().find(|&&l| l as usize >= ex.num_classes()) {
            return Err(DataError::InvalidSplit(format!(
                "cannot stratify: label {bad} but only {} classes",
                ex.num_classes()
            )));
        }
        let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); ex.num_classes()];
        for (i, &label) in ex.labels.iter().enumerate() {
            if let Some(members) = by_class.get_mut(label as usize) {
                members.push(i);
            }
        }
        let sizes: Vec<usize> = by_class.iter().map(Vec::len).collect();
        let alloc = stratified_counts(&sizes, n_test);
        train_idx = Vec::with_capacity(n - n_test);
        test_idx = Vec::with_capacity(n_test);
        for (members, take) in by_class.iter_mut().zip(alloc) {
            shuffle(members, &mut rng);
            let (test_part, train_part) = members.split_at(take.min(members.len()));
            test_idx.extend_from_slice(test_part);
            train_idx.extend_from_slice(train_part);
        }
        shuffle(&mut train_idx, &mut rng);
        shuffle(&mut test_idx, &mut rng);
    } else {
        let mut perm: Vec<usize> = (0..n).collect();
        shuffle(&mut perm, &mut rng);
        train_idx = perm.split_off(n_test);
        test_idx = perm;
    }
    Ok((ex.select(&train_idx), ex.select(&test_idx)))
}

/// Subset of `raw` for `digits`, optionally thinned to `cfg.limit`, then split.
///
/// The limit draws from ChaCha stream 1 of the same seed while the split
/// uses stream 0, so one seed drives both without the two draws sharing
/// random numbers. Kept examples are put back in source order before the
/// split, so the split depends only on which examples were kept.
pub fn split_subset(
    raw: &MnistRaw,
    digits: &DigitSet,
    cfg: &SplitConfig,
) -> Result<Split, DataError> {
    let mut ex = subset(raw, digits);
    if let Some(limit) = cfg.limit {
        if limit < ex.len() {
            let mut idx: Vec<usize> = (0..ex.len()).collect();
            let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
            rng.set_stream(1);
            shuffle(&mut idx, &mut rng);
            idx.truncate(limit);
            idx.sort_unstable();
            ex = ex.select(&idx);
        }
        if let Err(DataError::InvalidSplit(why)) = test_size(ex.len(), cfg.test_fraction) {
            return Err(DataError::InvalidSplit(format!(
                "limit {limit} on digit set {digits} ({} examples kept): {why}",
                ex.len()
            )));
        }
    }
    let (train, test) = split_examples(&ex, cfg.test_fraction, cfg.seed, cfg.stratify)?;
    Ok(Split { train, test })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_stays_in_range() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for bound in [1u64, 2, 3, 10, 1000, u64::MAX] {
            for _ in 0..200 {
                assert!(bounded(&mut rng, bound) < bound);
            }
        }
    }

    #[test]
    fn shuffle_is_a_permutation() {
        let mut p = permutation(1000, 3);
        p.sort_unstable();
        assert_eq!(p, (0..1000).collect::<Vec<_>>());
    }

    /// Pins the exact output so a dependency bump that changed the stream
    /// (and with it every published split) fails loudly.
    #[test]
    fn permutation_is_pinned() {
        assert_eq!(permutation(10, 42), PINNED_42);
    }
    const PINNED_42: [usize; 10] = [9, 7, 2, 5, 0, 1, 4, 3, 8, 6];

    #[test]
    fn test_size_matches_sklearn_ceil() {
        assert_eq!(test_size(10, 0.2).ok(), Some(2));
        assert_eq!(test_size(11, 0.2).ok(), Some(3));
        assert_eq!(test_size(35_582, 0.2).ok(), Some(7_117));
        assert_eq!(test_size(34_418, 0.2).ok(), Some(6_884));
        assert!(test_size(1, 0.2).is_err());
        assert!(test_size(0, 0.2).is_err());
        assert!(test_size(10, 0.0).is_err());
        assert!(test_size(10, 1.0).is_err());
        assert!(test_size(10, f64::NAN).is_err());
    }

    #[test]
    fn stratified_counts_sum_and_proportion() {
        let counts = [5923, 6742, 5958, 6131, 5842];
        let n: usize = counts.iter().sum();
        let n_test = test_size(n, 0.2).unwrap();
        let alloc = stratified_counts(&counts, n_test);
        assert_eq!(alloc.iter().sum::<usize>(), n_test);
        for (&a, &c) in alloc.iter().zip(&counts) {
            let exact = n_test as f64 * c as f64 / n as f64;
            assert!((a as f64 - exact).abs() < 1.0, "{a} vs {exact}");
        }
        assert_eq!(stratified_counts(&[1, 1, 1], 2), vec![1, 1, 0]);
    }

    #[test]
    fn stratify_rejects_labels_outside_the_digit_list() {
        let ex = Examples {
            features: vec![0.0; 10 * crate::IMAGE_PIXELS],
            labels: vec![0, 1, 2, 0, 1, 0, 1, 0, 1, 0],
            digits: vec![3, 5],
            source_indices: (0..10).collect(),
        };
        let err = split_examples(&ex, 0.2, 1, true).unwrap_err().to_string();
        assert!(err.contains("label 2"), "{err}");
        assert!(split_examples(&ex, 0.2, 1, false).is_ok());
    }
}
