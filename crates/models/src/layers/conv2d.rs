//! Conv2d over NHWC images with an HWIO weight [k, k, in_c, out_c] and a bias [out_c]: a
//! Linear over image patches. Backward: `conv2d_weight_backward` (dW, db) and
//! `conv2d_input_backward` (dX), the two pieces burn also splits a conv's backward into.

use oddeven_core::{Backend, Conv2dGeometry};

use super::{BackwardIn, ForwardOut, ParamShapes, Recorder, Shape, WeightBias};
use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Conv2d {
    pub in_h: usize,
    pub in_w: usize,
    pub in_c: usize,
    pub out_channels: usize,
    pub kernel: usize,
    pub stride: usize,
    pub padding: usize,
}

impl Conv2d {
    pub fn geometry(&self, batch: usize) -> Conv2dGeometry {
        Conv2dGeometry {
            batch,
            in_h: self.in_h,
            in_w: self.in_w,
            in_c: self.in_c,
            out_c: self.out_channels,
            kernel: self.kernel,
            stride: self.stride,
            padding: self.padding,
        }
    }

    pub fn output_shape(&self) -> Shape {
        let g = self.geometry(1);
        Shape::Image {
            h: g.out_h(),
            w: g.out_w(),
            c: self.out_channels,
        }
    }

    /// Values of the im2col matrix per example (the GEMM path's scratch).
    pub fn cols_per_example(&self) -> usize {
        self.geometry(1).cols_len()
    }

    pub fn params(&self) -> ParamShapes {
        let fan_in = self.kernel * self.kernel * self.in_c;
        ParamShapes {
            weight: vec![self.kernel, self.kernel, self.in_c, self.out_channels],
            bias: self.out_channels,
            fan_in,
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
        let g = self.geometry(rows);
        let output = b.zeros(&self.output_shape().with_rows(rows), "conv out")?;
        rec.push(b.conv2d(input, &params.weight, &params.bias, &output, &g, fuse_relu)?);
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
        let g = self.geometry(rows);
        if let Some(grads) = io.grads {
            rec.push(b.conv2d_weight_backward(
                io.input,
                io.grad_output,
                &grads.weight,
                &grads.bias,
                &g,
            )?);
        }
        if !io.need_input_grad {
            return Ok(None);
        }
        let params = super::need(io.params)?;
        let input_shape = Shape::Image {
            h: self.in_h,
            w: self.in_w,
            c: self.in_c,
        };
        let grad_input = b.zeros(&input_shape.with_rows(rows), "conv dinput")?;
        rec.push(b.conv2d_input_backward(io.grad_output, &params.weight, &grad_input, &g)?);
        Ok(Some(grad_input))
    }
}
