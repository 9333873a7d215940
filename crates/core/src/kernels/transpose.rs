//! transpose: `shaders/transpose.wgsl` ↔ [`crate::cpu::transpose`]. Tests:
//! `tests/transpose.rs`. The vec4 matmul runs A·Bᵀ as A·(Bᵀ) through it
//! ([`super::matmul`]).

use super::{build, groups_1d, shape_err, to_u32, Dispatch};
use crate::error::Result;
use crate::gpu::Gpu;
use crate::tensor::Tensor;

const SRC: &str = include_str!("../../../../shaders/transpose.wgsl");

/// out ([cols, rows], any shape of that many elements) = xᵀ, x read as a row-major
/// [rows, cols] matrix.
pub fn transpose(
    gpu: &Gpu,
    x: &Tensor,
    out: &Tensor,
    rows: usize,
    cols: usize,
) -> Result<Dispatch> {
    let n = rows.saturating_mul(cols);
    if n == 0 || x.len() != n || out.len() != n {
        return Err(shape_err(
            "transpose",
            format!(
                "a {rows}×{cols} matrix needs {n} elements in and out, got {:?} and {:?}",
                x.shape(),
                out.shape()
            ),
        ));
    }
    // The shader indexes with u32: the element count must fit, not only each side.
    to_u32("transpose", "elements", n)?;
    let params = [
        to_u32("transpose", "rows", rows)?,
        to_u32("transpose", "cols", cols)?,
    ];
    let pipeline = gpu.pipeline("transpose.wgsl", SRC, "main", &[])?;
    build(
        gpu,
        format!("transpose {rows}x{cols}"),
        pipeline,
        Some(bytemuck::cast_slice(&params)),
        &[(1, x.binding()), (2, out.binding())],
        groups_1d(gpu, n),
    )
}
