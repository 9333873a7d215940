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

    /// The examples on `backend`, in as many shards as the backend's per-tensor limit
    /// needs (one when they fit).
    pub fn upload_sharded<B: Backend>(
        &self,
        backend: &B,
        spec: &ModelSpec,
        what: &str,
    ) -> Result<DeviceData<B>> {
        self.check(spec, what)?;
        let rows = self.rows();
        let per_row = spec.input.len();
        let row_bytes = (per_row.max(self.classes) * 4) as u64;
        let max_rows = (backend.max_tensor_bytes() / row_bytes).max(1) as usize;
        // Equal shards rather than full ones and a sliver.
        let count = rows.div_ceil(max_rows);
        let shard_rows = rows.div_ceil(count);
        let y_all = self.one_hot()?;
        let mut shards = Vec::with_capacity(count);
        for first in (0..rows).step_by(shard_rows) {
            let n = shard_rows.min(rows - first);
            let x = backend.upload(
                &spec.input.with_rows(n),
                &self.features[first * per_row..(first + n) * per_row],
                &format!("{what} x rows {first}.."),
            )?;
            let y = backend.upload(
                &[n, self.classes],
                &y_all[first * self.classes..(first + n) * self.classes],
                &format!("{what} y rows {first}.."),
            )?;
            shards.push(Shard {
                x,
                y,
                first_row: first,
                rows: n,
            });
        }
        Ok(DeviceData { shards, rows })
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

/// Rows `first_row..first_row + rows` of a data set on a backend.
pub struct Shard<B: Backend> {
    pub x: B::Tensor,
    pub y: B::Tensor,
    pub first_row: usize,
    pub rows: usize,
}

/// A data set on a backend, in shards that each fit one tensor.
pub struct DeviceData<B: Backend> {
    pub shards: Vec<Shard<B>>,
    pub rows: usize,
}

impl<B: Backend> DeviceData<B> {
    /// The whole set as one (x, y) pair, when it is one shard.
    pub fn whole(&self) -> Option<(&B::Tensor, &B::Tensor)> {
        match &self.shards[..] {
            [only] => Some((&only.x, &only.y)),
            _ => None,
        }
    }

    /// Ops gathering rows `index[row_offset..row_offset + rows]` of this set into `x`, `y`
    /// (one pair per shard).
    pub fn gathers(
        &self,
        backend: &B,
        index: &B::Indices,
        x: &B::Tensor,
        y: &B::Tensor,
    ) -> Result<Vec<B::Op>> {
        let mut ops = Vec::with_capacity(2 * self.shards.len());
        for s in &self.shards {
            ops.push(backend.gather_rows(&s.x, index, x, s.first_row)?);
            ops.push(backend.gather_rows(&s.y, index, y, s.first_row)?);
        }
        Ok(ops)
    }
}
