//! Digit sets and the examples (features + local labels) drawn from them.

use std::fmt;
use std::str::FromStr;

use crate::{DataError, MnistRaw, IMAGE_PIXELS};

/// A sorted, duplicate-free, non-empty set of digits 0–9.
///
/// Sorting fixes the meaning of the local class index: class `k` is always
/// the `k`-th smallest digit, whichever order the user typed them in, so a
/// model trained on "3,1" and one trained on "1,3" agree on their outputs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DigitSet {
    digits: Vec<u8>,
}

impl DigitSet {
    /// Builds a set from digits in any order; rejects an empty list, digits
    /// above 9, and repeats (a repeat is more likely a typo than intent).
    pub fn new(digits: &[u8]) -> Result<Self, DataError> {
        let input = digits
            .iter()
            .map(u8::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let invalid = |reason: String| DataError::InvalidDigitSet {
            input: input.clone(),
            reason,
        };
        if digits.is_empty() {
            return Err(invalid("the set is empty".into()));
        }
        if let Some(d) = digits.iter().find(|&&d| d > 9) {
            return Err(invalid(format!("digit {d} is above 9")));
        }
        let mut sorted = digits.to_vec();
        sorted.sort_unstable();
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(invalid(format!("digit {} appears more than once", w[0])));
        }
        Ok(Self { digits: sorted })
    }

    /// {1, 3, 5, 7, 9}
    pub fn odd() -> Self {
        Self {
            digits: vec![1, 3, 5, 7, 9],
        }
    }

    /// {0, 2, 4, 6, 8}
    pub fn even() -> Self {
        Self {
            digits: vec![0, 2, 4, 6, 8],
        }
    }

    /// All ten digits.
    pub fn all() -> Self {
        Self {
            digits: (0..10).collect(),
        }
    }

    /// The digits, ascending; index = local class.
    pub fn digits(&self) -> &[u8] {
        &self.digits
    }

    /// Number of digits, i.e. of output classes.
    pub fn len(&self) -> usize {
        self.digits.len()
    }

    /// Always false (an empty set cannot be built); here for clippy's sake.
    pub fn is_empty(&self) -> bool {
        self.digits.is_empty()
    }

    pub fn contains(&self, digit: u8) -> bool {
        self.class_of(digit).is_some()
    }

    /// Local class index of `digit`, if it is in the set.
    pub fn class_of(&self, digit: u8) -> Option<usize> {
        self.digits.binary_search(&digit).ok()
    }

    /// Short label for file names and logs: "odd", "even", "all", or the
    /// digits joined by '-' (e.g. "0-1-2"), which is safe in a path.
    pub fn name(&self) -> String {
        if *self == Self::odd() {
            "odd".into()
        } else if *self == Self::even() {
            "even".into()
        } else if *self == Self::all() {
            "all".into()
        } else {
            self.digits
                .iter()
                .map(u8::to_string)
                .collect::<Vec<_>>()
                .join("-")
        }
    }
}

impl fmt::Display for DigitSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl FromStr for DigitSet {
    type Err = DataError;

    /// Accepts "odd", "even", "all" (any case) or comma-separated digits
    /// such as "0,1,2" (spaces allowed).
    fn from_str(s: &str) -> Result<Self, DataError> {
        let trimmed = s.trim();
        match trimmed.to_ascii_lowercase().as_str() {
            "odd" => return Ok(Self::odd()),
            "even" => return Ok(Self::even()),
            "all" => return Ok(Self::all()),
            _ => {}
        }
        let invalid = |reason: String| DataError::InvalidDigitSet {
            input: s.to_string(),
            reason,
        };
        if trimmed.is_empty() {
            return Err(invalid("the set is empty".into()));
        }
        let mut digits = Vec::new();
        for part in trimmed.split(',') {
            let part = part.trim();
            if part.is_empty() {
                return Err(invalid("empty entry between commas".into()));
            }
            let d: u8 = part
                .parse()
                .map_err(|_| invalid(format!("{part:?} is not a digit")))?;
            digits.push(d);
        }
        Self::new(&digits).map_err(|e| match e {
            DataError::InvalidDigitSet { reason, .. } => invalid(reason),
            other => other,
        })
    }
}

/// Examples of one digit subset, ready for training.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Examples {
    /// `len() * 784` values in [0, 1], one flattened image after another.
    pub features: Vec<f32>,
    /// Local class of each example: index into `digits`.
    pub labels: Vec<u32>,
    /// The subset's digits, ascending; kept so a label can be mapped back to
    /// the digit it stands for.
    pub digits: Vec<u8>,
    /// Position of each example in the combined 70k (train then t10k), so
    /// splits can be checked for overlap and results traced to images.
    pub source_indices: Vec<usize>,
}

impl Examples {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn num_classes(&self) -> usize {
        self.digits.len()
    }

    /// Always 784; a method so callers need not import the constant.
    pub fn feature_dim(&self) -> usize {
        IMAGE_PIXELS
    }

    /// The 784 features of example `i`, or `None` past the end.
    pub fn feature(&self, i: usize) -> Option<&[f32]> {
        let start = i.checked_mul(IMAGE_PIXELS)?;
        self.features.get(start..start.checked_add(IMAGE_PIXELS)?)
    }

    /// The digit example `i` shows.
    pub fn digit_of(&self, i: usize) -> Option<u8> {
        let label = *self.labels.get(i)?;
        self.digits.get(label as usize).copied()
    }

    /// `len() * num_classes()` one-hot targets, built on demand because only
    /// some losses want them and they would otherwise double the memory of
    /// small subsets' labels for nothing.
    pub fn one_hot(&self) -> Vec<f32> {
        let k = self.num_classes();
        let mut out = vec![0.0; self.len() * k];
        for (row, &label) in out.chunks_exact_mut(k.max(1)).zip(&self.labels) {
            if let Some(slot) = row.get_mut(label as usize) {
                *slot = 1.0;
            }
        }
        out
    }

    /// Number of examples per local class.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.num_classes()];
        for &label in &self.labels {
            if let Some(c) = counts.get_mut(label as usize) {
                *c += 1;
            }
        }
        counts
    }

    /// A new set holding the examples at `indices` (positions in `self`), in
    /// that order; out-of-range indices are skipped.
    pub fn select(&self, indices: &[usize]) -> Examples {
        let mut out = Examples {
            features: Vec::with_capacity(indices.len() * IMAGE_PIXELS),
            labels: Vec::with_capacity(indices.len()),
            digits: self.digits.clone(),
            source_indices: Vec::with_capacity(indices.len()),
        };
        for &i in indices {
            let (Some(f), Some(&l)) = (self.feature(i), self.labels.get(i)) else {
                continue;
            };
            out.features.extend_from_slice(f);
            out.labels.push(l);
            out.source_indices
                .push(self.source_indices.get(i).copied().unwrap_or(i));
        }
        out
    }
}

/// Every image of `raw` whose digit is in `digits`, in source order, scaled
/// to [0, 1] and labelled by local class.
///
/// Pairs beyond [`MnistRaw::len`] and labels above 9 (only possible in a
/// hand-built `MnistRaw`) are skipped rather than panicking.
pub fn subset(raw: &MnistRaw, digits: &DigitSet) -> Examples {
    let n = raw.len();
    let keep: Vec<(usize, u32)> = raw.labels[..n]
        .iter()
        .enumerate()
        .filter_map(|(i, &d)| digits.class_of(d).map(|c| (i, c as u32)))
        .collect();
    let mut features = Vec::with_capacity(keep.len() * IMAGE_PIXELS);
    for &(i, _) in &keep {
        if let Some(img) = raw.image(i) {
            features.extend(img.iter().map(|&p| f32::from(p) / 255.0));
        }
    }
    Examples {
        features,
        labels: keep.iter().map(|&(_, c)| c).collect(),
        digits: digits.digits().to_vec(),
        source_indices: keep.iter().map(|&(i, _)| i).collect(),
    }
}
