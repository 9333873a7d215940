//! The examples (features + local labels) drawn from a digit set.

use crate::{DigitSet, MnistRaw, IMAGE_PIXELS};

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
