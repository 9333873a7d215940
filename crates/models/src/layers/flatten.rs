//! Flatten: an image [h, w, c] becomes a vector of h·w·c values in NHWC order. No data
//! moves: the output is the input's storage with another shape, and so is the gradient.

use oddeven_core::Backend;

use super::{BackwardIn, ForwardOut, Recorder, Shape};
use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Flatten {
    pub input: Shape,
}

impl Flatten {
    pub(super) fn forward<B: Backend>(
        &self,
        rec: &mut Recorder<'_, B>,
        input: &B::Tensor,
        rows: usize,
    ) -> Result<ForwardOut<B>> {
        Ok(ForwardOut {
            output: rec.backend.reshape(input, &[rows, self.input.len()])?,
            saved: None,
        })
    }

    pub(super) fn backward<B: Backend>(
        &self,
        rec: &mut Recorder<'_, B>,
        rows: usize,
        io: BackwardIn<'_, B>,
    ) -> Result<Option<B::Tensor>> {
        if !io.need_input_grad {
            return Ok(None);
        }
        let shape = self.input.with_rows(rows);
        Ok(Some(rec.backend.reshape(io.grad_output, &shape)?))
    }
}
