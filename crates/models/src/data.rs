//! Examples in host memory, and their upload to a backend.

use oddeven_core::Backend;

use crate::arch::ModelSpec;
use crate::error::{invalid, Result};

/// Examples in host memory: features [rows, input values] in [0, 1] (images NHWC), labels
/// as class indices.
#[derive(Debug, Clone, Copy)]
pub struct DataRef<'a> {
    pub features: &'a [f32],
    pub labels: &'a [u32],
    pub classes: usize,
}

impl DataRef<'_> {
    pub fn rows(&self) -> usize {
        self.labels.len()
    }

    /// One-hot rows; a label outside 0..classes is an error, not a silent zero row.
    pub fn one_hot(&self) -> Result<Vec<f32>> {
        let mut y = vec![0.0; self.rows() * self.classes];
        for (r, &l) in self.labels.iter().enumerate() {
            if l as usize >= self.classes {
                return Err(invalid(
                    "labels",
                    format!(
                        "row {r} has class {l}, but the model has {} classes",
                        self.classes
                    ),
                ));
            }
            y[r * self.classes + l as usize] = 1.0;
        }
        Ok(y)
    }

    /// Checks that the data fits `spec`: rows, features per row, class count.
    pub fn check(&self, spec: &ModelSpec, what: &str) -> Result<()> {
        let rows = self.rows();
        if rows == 0 {
            return Err(invalid("data", format!("the {what} set is empty")));
        }
        let per_row = spec.input.len();
        if self.features.len() != rows * per_row {
            return Err(invalid(
                "data",
                format!(
                    "the {what} set has {} feature values for {rows} rows of {per_row}",
                    self.features.len()
                ),
            ));
        }
        if self.classes != spec.classes() {
            return Err(invalid(
                "data",
                format!(
                    "the {what} set has {} classes but the model {spec} has {}",
                    self.classes,
                    spec.classes()
                ),
            ));
        }
        Ok(())
    }

    /// (features [rows, …input], one-hot targets [rows, classes]) on `backend`.
    pub fn upload<B: Backend>(
        &self,
        backend: &B,
        spec: &ModelSpec,
        what: &str,
    ) -> Result<(B::Tensor, B::Tensor)> {
        self.check(spec, what)?;
        let rows = self.rows();
        let x = backend.upload(
            &spec.input.with_rows(rows),
            self.features,
            &format!("{what} x"),
        )?;
        let y = backend.upload(
            &[rows, self.classes],
            &self.one_hot()?,
            &format!("{what} y"),
        )?;
        Ok((x, y))
    }
}
