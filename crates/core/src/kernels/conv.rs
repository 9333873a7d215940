//! 2-D convolution over NHWC images ([`Conv2dGeometry`]): `shaders/conv2d.wgsl` (im2col,
//! col2im, a direct kernel) and composites over the tuned matmul. CPU references:
//! [`crate::cpu::conv2d`] and friends. Tests: `tests/conv.rs`. Bench: `benches/conv.rs`.
//!
//! A conv is a Linear over image patches: with cols = im2col(x), `[out_pixels, patch_len]`,
//! and the HWIO weight read as `[patch_len, out_c]`,
//! - forward:          out = cols · W (+ bias, ReLU)
//! - input gradient:   dx = col2im(dy · Wᵀ)
//! - weight gradient:  dW = colsᵀ · dy, db = Σ_rows dy
//!
//! Tensors may have any shape with the right element count, except that the operands the
//! matmul reads as matrices must end in the matching axis (out_c, or patch_len for cols).

use std::str::FromStr;

use super::matmul::{matmul, MatmulSpec};
use super::reduce::column_sum;
use super::{build, shape_err, to_u32, Dispatch, MAX_GROUPS};
use crate::error::{CoreError, Result};
use crate::geometry::Conv2dGeometry;
use crate::gpu::Gpu;
use crate::tensor::Tensor;

const SRC: &str = include_str!("../../../../shaders/conv2d.wgsl");
/// The direct convolution builds on conv2d.wgsl's parameters and helpers.
const DIRECT_SRC: &str = concat!(
    include_str!("../../../../shaders/conv2d.wgsl"),
    include_str!("../../../../shaders/conv2d_direct.wgsl")
);

/// Environment variable that forces a forward variant: `im2col` or `direct`.
pub const VARIANT_ENV: &str = "ODDEVEN_CONV";

/// How [`conv2d_forward`] computes the forward pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvVariant {
    /// im2col into a scratch matrix, then the adapter's matmul with fused bias + ReLU.
    Im2col,
    /// `conv2d_direct`: an implicit GEMM reading patches straight from the image.
    Direct,
}

impl ConvVariant {
    /// The variant for this adapter, unless `ODDEVEN_CONV` names one (an unknown name is
    /// an error). Software adapters get `Direct`: on lavapipe (`benches/conv.rs`, batch 64)
    /// its forward took 5.9 vs 15.2 ms at conv1 and 29.5 vs 31.4 ms at conv2, and forward
    /// plus weight gradient (which then needs its own im2col) 87 vs 93 ms over both.
    /// Hardware GPUs get `Im2col`, whose matmul is the tuned workgroup-memory kernel.
    pub fn for_gpu(gpu: &Gpu) -> Result<Self> {
        match std::env::var(VARIANT_ENV) {
            Ok(value) if !value.trim().is_empty() => value.parse(),
            _ if gpu.summary().is_software() => Ok(ConvVariant::Direct),
            _ => Ok(ConvVariant::Im2col),
        }
    }
}

impl FromStr for ConvVariant {
    type Err = CoreError;
    /// `im2col` or `direct` (any case), as `ODDEVEN_CONV` takes them.
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "im2col" => Ok(ConvVariant::Im2col),
            "direct" => Ok(ConvVariant::Direct),
            _ => Err(CoreError::BadEnv {
                var: VARIANT_ENV,
                value: s.to_string(),
                expected: "im2col or direct",
            }),
        }
    }
}

/// The uniform every entry of conv2d.wgsl reads (`struct Params`).
fn params(op: &'static str, g: &Conv2dGeometry) -> Result<[u32; 12]> {
    g.validate()?;
    // Every flat index the shader forms stays below one of these. The direct kernel also
    // forms x offsets as i32 (a tap in the padding has a negative one).
    if i32::try_from(g.input_len()).is_err() {
        return Err(shape_err(
            op,
            format!(
                "input elements = {} do not fit 32-bit signed offsets",
                g.input_len()
            ),
        ));
    }
    to_u32(op, "output elements", g.output_len())?;
    to_u32(op, "im2col elements", g.cols_len())?;
    to_u32(op, "weight elements", g.weight_len())?;
    Ok([
        to_u32(op, "batch", g.batch)?,
        to_u32(op, "in_h", g.in_h)?,
        to_u32(op, "in_w", g.in_w)?,
        to_u32(op, "in_c", g.in_c)?,
        to_u32(op, "out_h", g.out_h())?,
        to_u32(op, "out_w", g.out_w())?,
        to_u32(op, "out_c", g.out_c)?,
        to_u32(op, "kernel", g.kernel)?,
        to_u32(op, "stride", g.stride)?,
        to_u32(op, "padding", g.padding)?,
        to_u32(op, "patch_len", g.patch_len())?,
        to_u32(op, "out_pixels", g.out_pixels())?,
    ])
}

/// Checks a tensor's element count and, for a matmul operand, its last axis.
fn expect(
    op: &'static str,
    name: &str,
    t: &Tensor,
    len: usize,
    last_axis: Option<usize>,
    g: &Conv2dGeometry,
) -> Result<()> {
    if t.len() != len {
        return Err(shape_err(
            op,
            format!(
                "{name} has shape {:?} ({} elements), expected {len} elements for {g:?}",
                t.shape(),
                t.len()
            ),
        ));
    }
    if let Some(cols) = last_axis {
        if t.cols() != cols {
            return Err(shape_err(
                op,
                format!(
                    "{name} has shape {:?}; its last axis must be {cols} so it reads as a \
                     [{}, {cols}] matrix",
                    t.shape(),
                    len / cols
                ),
            ));
        }
    }
    Ok(())
}

/// Workgroups for a grid-stride loop over `items` with `per_group` invocations each (the
/// shader loops over what one axis' 65,535 groups do not cover).
pub(crate) fn groups(items: usize, per_group: usize) -> [u32; 3] {
    [
        items.div_ceil(per_group).clamp(1, MAX_GROUPS as usize) as u32,
        1,
        1,
    ]
}

/// cols[(n,oh,ow), (kh,kw,ic)] = x[n, oh·s+kh−p, ow·s+kw−p, ic], 0 in the padding.
pub fn im2col(gpu: &Gpu, x: &Tensor, cols: &Tensor, g: &Conv2dGeometry) -> Result<Dispatch> {
    let op = "im2col";
    let params = params(op, g)?;
    expect(op, "x", x, g.input_len(), None, g)?;
    expect(op, "cols", cols, g.cols_len(), None, g)?;
    // vec4 copies need whole vec4 runs of channels (see the shader's header).
    let (entry, bindings) = if g.in_c.is_multiple_of(4) {
        ("im2col_vec4", [(12, x.binding()), (13, cols.binding())])
    } else {
        ("im2col", [(1, x.binding()), (2, cols.binding())])
    };
    let pipeline = gpu.pipeline("conv2d.wgsl", SRC, entry, &[])?;
    build(
        gpu,
        format!("{entry} {g:?}"),
        pipeline,
        Some(bytemuck::cast_slice(&params)),
        &bindings,
        groups(g.out_pixels(), 64),
    )
}

/// dx = the adjoint of im2col applied to dcols (overwrites dx; no atomics).
pub fn col2im(gpu: &Gpu, dcols: &Tensor, dx: &Tensor, g: &Conv2dGeometry) -> Result<Dispatch> {
    let op = "col2im";
    let params = params(op, g)?;
    expect(op, "dcols", dcols, g.cols_len(), None, g)?;
    expect(op, "dx", dx, g.input_len(), None, g)?;
    let (entry, bindings) = if g.in_c.is_multiple_of(4) {
        ("col2im_vec4", [(14, dcols.binding()), (15, dx.binding())])
    } else {
        ("col2im", [(3, dcols.binding()), (4, dx.binding())])
    };
    let pipeline = gpu.pipeline("conv2d.wgsl", SRC, entry, &[])?;
    build(
        gpu,
        format!("{entry} {g:?}"),
        pipeline,
        Some(bytemuck::cast_slice(&params)),
        &bindings,
        groups(g.batch * g.in_h * g.in_w, 64),
    )
}

/// out = conv(x, w) + bias (then ReLU), without an im2col matrix.
pub fn conv2d_direct(
    gpu: &Gpu,
    x: &Tensor,
    w: &Tensor,
    bias: &Tensor,
    out: &Tensor,
    g: &Conv2dGeometry,
    relu: bool,
) -> Result<Dispatch> {
    let op = "conv2d_direct";
    let params = params(op, g)?;
    expect(op, "x", x, g.input_len(), None, g)?;
    expect(op, "w", w, g.weight_len(), None, g)?;
    expect(op, "bias", bias, g.out_c, None, g)?;
    expect(op, "out", out, g.output_len(), None, g)?;
    // vec4 views need whole vec4 rows: in_c for x, out_c for w, the bias and out (see
    // the shader's header). Binding numbers name the view each entry reads.
    let (entry, [xb, wb, bb, ob]) = match (g.in_c.is_multiple_of(4), g.out_c.is_multiple_of(4)) {
        (true, true) => ("conv2d_direct", [5, 6, 10, 11]),
        (false, true) => ("conv2d_direct_x1", [1, 6, 10, 11]),
        (_, false) => ("conv2d_direct_any", [1, 7, 8, 9]),
    };
    let constants = [("RELU", if relu { 1.0 } else { 0.0 })];
    let pipeline = gpu.pipeline("conv2d_direct.wgsl", DIRECT_SRC, entry, &constants)?;
    let items = g.out_pixels().div_ceil(8) * g.out_c.div_ceil(16);
    build(
        gpu,
        format!("{entry} {g:?} relu={relu}"),
        pipeline,
        Some(bytemuck::cast_slice(&params)),
        &[
            (xb, x.binding()),
            (wb, w.binding()),
            (bb, bias.binding()),
            (ob, out.binding()),
        ],
        groups(items, 64),
    )
}

/// out = conv(x, w) + bias (then ReLU) by `variant`; `cols_scratch` (`[.., patch_len]`,
/// cols_len elements) receives im2col(x) for `Im2col` (which the weight gradient can then
/// reuse) and is not touched by `Direct`.
#[allow(clippy::too_many_arguments)]
pub fn conv2d_forward(
    gpu: &Gpu,
    x: &Tensor,
    w: &Tensor,
    bias: &Tensor,
    out: &Tensor,
    cols_scratch: &Tensor,
    g: &Conv2dGeometry,
    relu: bool,
    variant: ConvVariant,
) -> Result<Dispatch> {
    let op = "conv2d_forward";
    g.validate()?;
    expect(op, "w", w, g.weight_len(), Some(g.out_c), g)?;
    expect(op, "out", out, g.output_len(), Some(g.out_c), g)?;
    match variant {
        ConvVariant::Direct => conv2d_direct(gpu, x, w, bias, out, g, relu),
        ConvVariant::Im2col => {
            expect(
                op,
                "cols_scratch",
                cols_scratch,
                g.cols_len(),
                Some(g.patch_len()),
                g,
            )?;
            expect(op, "bias", bias, g.out_c, None, g)?;
            let spec = if relu {
                MatmulSpec::NN.with_relu()
            } else {
                MatmulSpec::NN
            };
            let gemm = matmul(gpu, cols_scratch, w, out, Some(bias), spec)?;
            Ok(im2col(gpu, x, cols_scratch, g)?.followed_by(gemm))
        }
    }
}

/// dx = col2im(dy · Wᵀ): the gradient w.r.t. the conv input (overwrites dx). `dy` is
/// `[.., out_c]` (out_pixels rows); `dcols_scratch` is `[.., patch_len]`.
pub fn conv2d_input_backward(
    gpu: &Gpu,
    dy: &Tensor,
    w: &Tensor,
    dx: &Tensor,
    dcols_scratch: &Tensor,
    g: &Conv2dGeometry,
) -> Result<Dispatch> {
    let op = "conv2d_input_backward";
    g.validate()?;
    expect(op, "dy", dy, g.output_len(), Some(g.out_c), g)?;
    expect(op, "w", w, g.weight_len(), Some(g.out_c), g)?;
    expect(
        op,
        "dcols_scratch",
        dcols_scratch,
        g.cols_len(),
        Some(g.patch_len()),
        g,
    )?;
    expect(op, "dx", dx, g.input_len(), None, g)?;
    let gemm = matmul(gpu, dy, w, dcols_scratch, None, MatmulSpec::NT)?;
    Ok(gemm.followed_by(col2im(gpu, dcols_scratch, dx, g)?))
}

/// dW = colsᵀ · dy and db = Σ_rows dy (both overwritten), where `cols` already holds
/// im2col of the forward input (the `Im2col` forward leaves it in its scratch).
pub fn conv2d_weight_backward(
    gpu: &Gpu,
    cols: &Tensor,
    dy: &Tensor,
    dw: &Tensor,
    db: &Tensor,
    g: &Conv2dGeometry,
) -> Result<Dispatch> {
    let op = "conv2d_weight_backward";
    g.validate()?;
    expect(op, "cols", cols, g.cols_len(), Some(g.patch_len()), g)?;
    expect(op, "dy", dy, g.output_len(), Some(g.out_c), g)?;
    expect(op, "dw", dw, g.weight_len(), Some(g.out_c), g)?;
    expect(op, "db", db, g.out_c, None, g)?;
    let gemm = matmul(gpu, cols, dy, dw, None, MatmulSpec::TN)?;
    Ok(gemm.followed_by(column_sum(gpu, dy, db)?))
}

/// [`conv2d_weight_backward`] after filling `cols_scratch` with im2col(x), for when the
/// forward pass did not leave it there (the `Direct` variant).
pub fn conv2d_weight_backward_from_input(
    gpu: &Gpu,
    x: &Tensor,
    cols_scratch: &Tensor,
    dy: &Tensor,
    dw: &Tensor,
    db: &Tensor,
    g: &Conv2dGeometry,
) -> Result<Dispatch> {
    let unfold = im2col(gpu, x, cols_scratch, g)?;
    Ok(unfold.followed_by(conv2d_weight_backward(gpu, cols_scratch, dy, dw, db, g)?))
}
