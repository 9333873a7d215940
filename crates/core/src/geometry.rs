//! Shapes of the image ops (conv2d, max-pool), shared by the WGSL dispatch, the CPU
//! references and the layers that use them.
//!
//! Layout: activations are NHWC, row-major: `x[n][h][w][c]`, so one image's pixels are
//! contiguous and a conv over all images is one GEMM whose rows are (n, oh, ow). A conv
//! weight is HWIO, `w[kh][kw][ic][oc]`, i.e. the matrix `[kernel·kernel·in_c, out_c]`: a
//! conv is a Linear over image patches (the patch column order is (kh, kw, ic)).

use crate::error::{CoreError, Result};

/// A 2-D convolution over a batch of NHWC images: square kernel, equal stride and zero
/// padding on both axes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Conv2dGeometry {
    pub batch: usize,
    pub in_h: usize,
    pub in_w: usize,
    pub in_c: usize,
    pub out_c: usize,
    pub kernel: usize,
    pub stride: usize,
    pub padding: usize,
}

impl Conv2dGeometry {
    /// Output height: (in_h + 2·padding − kernel) / stride + 1.
    pub fn out_h(&self) -> usize {
        (self.in_h + 2 * self.padding - self.kernel) / self.stride + 1
    }
    /// Output width: (in_w + 2·padding − kernel) / stride + 1.
    pub fn out_w(&self) -> usize {
        (self.in_w + 2 * self.padding - self.kernel) / self.stride + 1
    }
    /// Values in one patch: kernel · kernel · in_c (the GEMM's K).
    pub fn patch_len(&self) -> usize {
        self.kernel * self.kernel * self.in_c
    }
    /// Output pixels over the batch: batch · out_h · out_w (the GEMM's M).
    pub fn out_pixels(&self) -> usize {
        self.batch * self.out_h() * self.out_w()
    }
    /// Elements of the input `[batch, in_h, in_w, in_c]`.
    pub fn input_len(&self) -> usize {
        self.batch * self.in_h * self.in_w * self.in_c
    }
    /// Elements of the output `[batch, out_h, out_w, out_c]`.
    pub fn output_len(&self) -> usize {
        self.out_pixels() * self.out_c
    }
    /// Elements of the weight `[kernel, kernel, in_c, out_c]`.
    pub fn weight_len(&self) -> usize {
        self.patch_len() * self.out_c
    }
    /// Elements of the im2col matrix `[out_pixels, patch_len]`.
    pub fn cols_len(&self) -> usize {
        self.out_pixels() * self.patch_len()
    }
    /// Floating-point operations of the forward pass (2 per multiply-add).
    pub fn flops(&self) -> f64 {
        2.0 * self.out_pixels() as f64 * self.patch_len() as f64 * self.out_c as f64
    }

    /// Every size positive, and the kernel fits the padded input.
    pub fn validate(&self) -> Result<()> {
        let bad = |detail: String| CoreError::Shape {
            op: "conv2d",
            detail,
        };
        if self.batch == 0
            || self.in_h == 0
            || self.in_w == 0
            || self.in_c == 0
            || self.out_c == 0
            || self.kernel == 0
            || self.stride == 0
        {
            return Err(bad(format!("every size must be positive: {self:?}")));
        }
        if self.kernel > self.in_h + 2 * self.padding || self.kernel > self.in_w + 2 * self.padding
        {
            return Err(bad(format!(
                "a {k}×{k} kernel does not fit a {h}×{w} input with padding {p}",
                k = self.kernel,
                h = self.in_h,
                w = self.in_w,
                p = self.padding
            )));
        }
        Ok(())
    }
}

/// Max-pooling over a batch of NHWC images: square window, no padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pool2dGeometry {
    pub batch: usize,
    pub in_h: usize,
    pub in_w: usize,
    pub channels: usize,
    pub size: usize,
    pub stride: usize,
}

impl Pool2dGeometry {
    /// (in_h − size) / stride + 1.
    pub fn out_h(&self) -> usize {
        (self.in_h - self.size) / self.stride + 1
    }
    /// (in_w − size) / stride + 1.
    pub fn out_w(&self) -> usize {
        (self.in_w - self.size) / self.stride + 1
    }
    /// Elements of the input `[batch, in_h, in_w, channels]`.
    pub fn input_len(&self) -> usize {
        self.batch * self.in_h * self.in_w * self.channels
    }
    /// Elements of the output (and of the argmax array) `[batch, out_h, out_w, channels]`.
    pub fn output_len(&self) -> usize {
        self.batch * self.out_h() * self.out_w() * self.channels
    }

    /// Every size positive, and the window fits the input.
    pub fn validate(&self) -> Result<()> {
        let bad = |detail: String| CoreError::Shape {
            op: "max_pool2d",
            detail,
        };
        if self.batch == 0
            || self.in_h == 0
            || self.in_w == 0
            || self.channels == 0
            || self.size == 0
            || self.stride == 0
        {
            return Err(bad(format!("every size must be positive: {self:?}")));
        }
        if self.size > self.in_h || self.size > self.in_w {
            return Err(bad(format!(
                "a {s}×{s} window is larger than its {h}×{w} input",
                s = self.size,
                h = self.in_h,
                w = self.in_w
            )));
        }
        Ok(())
    }
}
