//! Max-pooling over NHWC images ([`Pool2dGeometry`]): `shaders/maxpool.wgsl` ↔
//! [`crate::cpu::max_pool2d`], [`crate::cpu::max_pool2d_backward`]. Tests: `tests/pool.rs`.

use super::conv::groups;
use super::{build, shape_err, to_u32, Dispatch};
use crate::error::Result;
use crate::geometry::Pool2dGeometry;
use crate::gpu::Gpu;
use crate::tensor::{GpuArray, Tensor, U32Array};

const SRC: &str = include_str!("../../../../shaders/maxpool.wgsl");

/// The uniform both entries read (`struct Params`).
fn params(op: &'static str, g: &Pool2dGeometry) -> Result<[u32; 8]> {
    g.validate()?;
    // argmax holds flat indices into x, and the shader's flat indices stay below these.
    to_u32(op, "input elements", g.input_len())?;
    to_u32(op, "output elements", g.output_len())?;
    Ok([
        to_u32(op, "batch", g.batch)?,
        to_u32(op, "in_h", g.in_h)?,
        to_u32(op, "in_w", g.in_w)?,
        to_u32(op, "channels", g.channels)?,
        to_u32(op, "out_h", g.out_h())?,
        to_u32(op, "out_w", g.out_w())?,
        to_u32(op, "size", g.size)?,
        to_u32(op, "stride", g.stride)?,
    ])
}

fn expect<T: bytemuck::Pod>(
    op: &'static str,
    name: &str,
    t: &GpuArray<T>,
    len: usize,
    g: &Pool2dGeometry,
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
    Ok(())
}

/// out = max over each window; argmax = the flat index into x (over the whole batch) of
/// the window's first maximum in scan order (kh outer, kw inner).
pub fn max_pool2d(
    gpu: &Gpu,
    x: &Tensor,
    out: &Tensor,
    argmax: &U32Array,
    g: &Pool2dGeometry,
) -> Result<Dispatch> {
    let op = "max_pool2d";
    let params = params(op, g)?;
    expect(op, "x", x, g.input_len(), g)?;
    expect(op, "out", out, g.output_len(), g)?;
    expect(op, "argmax", argmax, g.output_len(), g)?;
    // Binding numbers name the scalar or vec4 view each entry reads.
    let (entry, [xb, ob, ab]) = if g.channels.is_multiple_of(4) {
        ("max_pool2d_vec4", [7, 8, 9])
    } else {
        ("max_pool2d", [1, 2, 3])
    };
    let pipeline = gpu.pipeline("maxpool.wgsl", SRC, entry, &[])?;
    build(
        gpu,
        format!("{entry} {g:?}"),
        pipeline,
        Some(bytemuck::cast_slice(&params)),
        &[
            (xb, x.binding()),
            (ob, out.binding()),
            (ab, argmax.binding()),
        ],
        groups(g.batch * g.out_h() * g.out_w(), 64),
    )
}

/// dx[i] = Σ dy[o] over the windows o that contain input element i and chose it as their
/// maximum (overwrites dx). `argmax` is what [`max_pool2d`] wrote.
pub fn max_pool2d_backward(
    gpu: &Gpu,
    dy: &Tensor,
    argmax: &U32Array,
    dx: &Tensor,
    g: &Pool2dGeometry,
) -> Result<Dispatch> {
    let op = "max_pool2d_backward";
    let params = params(op, g)?;
    expect(op, "dy", dy, g.output_len(), g)?;
    expect(op, "argmax", argmax, g.output_len(), g)?;
    expect(op, "dx", dx, g.input_len(), g)?;
    let (entry, [yb, ab, xb]) = if g.channels.is_multiple_of(4) {
        ("max_pool2d_backward_vec4", [10, 11, 12])
    } else {
        ("max_pool2d_backward", [4, 5, 6])
    };
    let pipeline = gpu.pipeline("maxpool.wgsl", SRC, entry, &[])?;
    build(
        gpu,
        format!("{entry} {g:?}"),
        pipeline,
        Some(bytemuck::cast_slice(&params)),
        &[
            (yb, dy.binding()),
            (ab, argmax.binding()),
            (xb, dx.binding()),
        ],
        groups(g.batch * g.in_h * g.in_w, 64),
    )
}
