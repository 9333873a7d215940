//! Linear: Y = X·W + b, W stored [fan_in, fan_out] (so the forward pass is one NN matmul).
//! Backward: dW = Xᵀ·dY, db = Σ_rows dY, dX = dY·Wᵀ.

use oddeven_core::kernels::matmul::MatmulSpec;
use oddeven_core::Backend;

use super::{BackwardIn, ForwardOut, ParamShapes, Recorder, WeightBias};
use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Linear {
    pub fan_in: usize,
    pub fan_out: usize,
}

impl Linear {
    pub fn params(&self) -> ParamShapes {
        ParamShapes {
            weight: vec![self.fan_in, self.fan_out],
            bias: self.fan_out,
            fan_in: self.fan_in,
        }
    }

    pub(super) fn forward<B: Backend>(
        &self,
        rec: &mut Recorder<'_, B>,
        input: &B::Tensor,
        rows: usize,
        params: &WeightBias<B::Tensor>,
        fuse_relu: bool,
    ) -> Result<ForwardOut<B>> {
        let b = rec.backend;
        let output = b.zeros(&[rows, self.fan_out], "linear out")?;
        let spec = if fuse_relu {
            MatmulSpec::NN.with_relu()
        } else {
            MatmulSpec::NN
        };
        rec.push(b.matmul(input, &params.weight, &output, Some(&params.bias), spec)?);
        Ok(ForwardOut {
            output,
            saved: None,
        })
    }

    pub(super) fn backward<B: Backend>(
        &self,
        rec: &mut Recorder<'_, B>,
        rows: usize,
        io: BackwardIn<'_, B>,
    ) -> Result<Option<B::Tensor>> {
        let b = rec.backend;
        if let Some(grads) = io.grads {
            rec.push(b.matmul(
                io.input,
                io.grad_output,
                &grads.weight,
                None,
                MatmulSpec::TN,
            )?);
            rec.push(b.column_sum(io.grad_output, &grads.bias)?);
        }
        if !io.need_input_grad {
            return Ok(None);
        }
        let params = super::need(io.params)?;
        let grad_input = b.zeros(&[rows, self.fan_in], "linear dinput")?;
        rec.push(b.matmul(
            io.grad_output,
            &params.weight,
            &grad_input,
            None,
            MatmulSpec::NT,
        )?);
        Ok(Some(grad_input))
    }
}
