//! Elementwise activations: `shaders/activation.wgsl` ↔ [`crate::cpu::relu`],
//! [`crate::cpu::relu_backward`], [`crate::cpu::sigmoid`], [`crate::cpu::add_assign`].
//! Tests: `tests/elementwise.rs`.

use super::{build, groups_1d, shape_err, Dispatch};
use crate::error::Result;
use crate::gpu::Gpu;
use crate::tensor::Tensor;

const SRC: &str = include_str!("../../../../shaders/activation.wgsl");

fn same_len(op: &'static str, tensors: &[&Tensor]) -> Result<()> {
    let n = tensors[0].len();
    if tensors.iter().any(|t| t.len() != n) {
        let shapes: Vec<_> = tensors.iter().map(|t| t.shape().to_vec()).collect();
        return Err(shape_err(
            op,
            format!("operands must have equal sizes, got {shapes:?}"),
        ));
    }
    Ok(())
}

/// Auto-derived layouts hold only the bindings an entry point uses, so `second` (the
/// forward output for relu_backward) is bound only where the shader reads it.
fn elementwise(
    gpu: &Gpu,
    entry: &'static str,
    x: &Tensor,
    second: Option<&Tensor>,
    out: &Tensor,
) -> Result<Dispatch> {
    let pipeline = gpu.pipeline("activation.wgsl", SRC, entry, &[])?;
    let mut bindings = vec![(1, x.binding()), (3, out.binding())];
    if let Some(second) = second {
        bindings.push((2, second.binding()));
    }
    let label = format!("{entry} {:?}", out.shape());
    build(
        gpu,
        label,
        pipeline,
        None,
        &bindings,
        groups_1d(gpu, out.len()),
    )
}

/// out = max(x, 0).
pub fn relu(gpu: &Gpu, x: &Tensor, out: &Tensor) -> Result<Dispatch> {
    same_len("relu", &[x, out])?;
    elementwise(gpu, "relu_forward", x, None, out)
}

/// grad_in = grad_out where the forward output `y` > 0, else 0.
pub fn relu_backward(
    gpu: &Gpu,
    grad_out: &Tensor,
    y: &Tensor,
    grad_in: &Tensor,
) -> Result<Dispatch> {
    same_len("relu_backward", &[grad_out, y, grad_in])?;
    elementwise(gpu, "relu_backward", grad_out, Some(y), grad_in)
}

/// out = 1 / (1 + exp(−x)), stable for large |x|.
pub fn sigmoid(gpu: &Gpu, x: &Tensor, out: &Tensor) -> Result<Dispatch> {
    same_len("sigmoid", &[x, out])?;
    elementwise(gpu, "sigmoid_forward", x, None, out)
}

/// out += x (equal lengths).
pub fn add_assign(gpu: &Gpu, out: &Tensor, x: &Tensor) -> Result<Dispatch> {
    same_len("add_assign", &[x, out])?;
    elementwise(gpu, "add_assign", x, None, out)
}
