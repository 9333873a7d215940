//! MaxPool2d over NHWC images (square window, no padding). The forward pass records the
//! index of each window's maximum, and the backward pass routes the gradient there.

use oddeven_core::{Backend, Pool2dGeometry};

use super::{BackwardIn, ForwardOut, Recorder, Shape};
use crate::error::{invalid, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MaxPool2d {
    pub in_h: usize,
    pub in_w: usize,
    pub channels: usize,
    pub size: usize,
    pub stride: usize,
}

impl MaxPool2d {
    pub fn geometry(&self, batch: usize) -> Pool2dGeometry {
        Pool2dGeometry {
            batch,
            in_h: self.in_h,
            in_w: self.in_w,
            channels: self.channels,
            size: self.size,
            stride: self.stride,
        }
    }

    pub fn output_shape(&self) -> Shape {
        let g = self.geometry(1);
        Shape::Image {
            h: g.out_h(),
            w: g.out_w(),
            c: self.channels,
        }
    }

    pub(super) fn forward<B: Backend>(
        &self,
        rec: &mut Recorder<'_, B>,
        input: &B::Tensor,
        rows: usize,
    ) -> Result<ForwardOut<B>> {
        let b = rec.backend;
        let shape = self.output_shape().with_rows(rows);
        let output = b.zeros(&shape, "pool out")?;
        let argmax = b.index_zeros(&shape, "pool argmax")?;
        rec.push(b.max_pool2d(input, &output, &argmax, &self.geometry(rows))?);
        Ok(ForwardOut {
            output,
            saved: Some(argmax),
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
        let b = rec.backend;
        let argmax = io
            .saved
            .ok_or_else(|| invalid("max-pool", "the forward pass saved no argmax"))?;
        let input_shape = Shape::Image {
            h: self.in_h,
            w: self.in_w,
            c: self.channels,
        };
        let grad_input = b.zeros(&input_shape.with_rows(rows), "pool dinput")?;
        rec.push(b.max_pool2d_backward(
            io.grad_output,
            argmax,
            &grad_input,
            &self.geometry(rows),
        )?);
        Ok(Some(grad_input))
    }
}
