//! ReLU: y = max(x, 0); backward masks the gradient where y > 0. After a Linear or Conv2d
//! the ReLU runs in that layer's matmul epilogue (see `crate::graph`), and this layer's
//! forward records nothing: its output is its input.

use oddeven_core::Backend;

use super::{BackwardIn, ForwardOut, Recorder, Shape};
use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Relu {
    pub shape: Shape,
}

impl Relu {
    pub(super) fn forward<B: Backend>(
        &self,
        rec: &mut Recorder<'_, B>,
        input: &B::Tensor,
        rows: usize,
    ) -> Result<ForwardOut<B>> {
        let b = rec.backend;
        let output = b.zeros(&self.shape.with_rows(rows), "relu out")?;
        rec.push(b.relu(input, &output)?);
        Ok(ForwardOut {
            output,
            saved: None,
        })
    }

    /// The forward pass when the previous layer already applied the ReLU.
    pub(crate) fn fused<B: Backend>(input: &B::Tensor) -> ForwardOut<B> {
        ForwardOut {
            output: input.clone(),
            saved: None,
        }
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
        let b = rec.backend;
        let grad_input = b.zeros(&self.shape.with_rows(rows), "relu dinput")?;
        // y > 0 exactly where x > 0, so the output (fused or not) is the mask.
        rec.push(b.relu_backward(io.grad_output, io.output, &grad_input)?);
        Ok(Some(grad_input))
    }
}
