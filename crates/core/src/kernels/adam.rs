//! Adam update in place: `shaders/adam.wgsl` ↔ [`crate::cpu::adam_step`].
//! Tests: `tests/adam.rs`.

use super::{build, groups_1d, shape_err, Dispatch};
use crate::error::Result;
use crate::gpu::Gpu;
use crate::tensor::Tensor;

const SRC: &str = include_str!("../../../../shaders/adam.wgsl");

/// Adam's constants (PyTorch defaults except the learning rate, which the study sets).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamConfig {
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            lr: 0.01,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }
}

/// The per-step uniform every parameter's Adam dispatch reads: learning rate and bias
/// corrections for step t. Rewritten (32 bytes) before each step's submission.
#[derive(Debug)]
pub struct AdamHyper {
    buffer: wgpu::Buffer,
}

impl AdamHyper {
    pub fn new(gpu: &Gpu) -> Self {
        let buffer = gpu.device().create_buffer(&wgpu::BufferDescriptor {
            label: Some("adam hyper"),
            size: 32,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        AdamHyper { buffer }
    }

    /// Sets the values for step `t` (1-based) with learning rate `lr` (which a schedule
    /// may vary from `cfg.lr`).
    pub fn set(&self, gpu: &Gpu, cfg: &AdamConfig, lr: f32, t: u64) {
        let values = hyper_values(cfg, lr, t);
        gpu.queue()
            .write_buffer(&self.buffer, 0, bytemuck::cast_slice(&values));
    }
}

/// [lr, β1, β2, ε, 1−β1^t, 1−β2^t, 0, 0], with the corrections computed in f64.
pub fn hyper_values(cfg: &AdamConfig, lr: f32, t: u64) -> [f32; 8] {
    let t = t.max(1).min(i32::MAX as u64) as i32;
    let c1 = 1.0 - (cfg.beta1 as f64).powi(t);
    let c2 = 1.0 - (cfg.beta2 as f64).powi(t);
    [
        lr, cfg.beta1, cfg.beta2, cfg.eps, c1 as f32, c2 as f32, 0.0, 0.0,
    ]
}

/// One Adam step over `param` using `grad` and the moment buffers `m`, `v`.
pub fn adam(
    gpu: &Gpu,
    hyper: &AdamHyper,
    param: &Tensor,
    grad: &Tensor,
    m: &Tensor,
    v: &Tensor,
) -> Result<Dispatch> {
    let n = param.len();
    if grad.len() != n || m.len() != n || v.len() != n {
        return Err(shape_err(
            "adam",
            format!(
                "param {:?}, grad {:?}, m {:?}, v {:?} must have one size",
                param.shape(),
                grad.shape(),
                m.shape(),
                v.shape()
            ),
        ));
    }
    let pipeline = gpu.pipeline("adam.wgsl", SRC, "adam_step", &[])?;
    build(
        gpu,
        format!("adam {:?}", param.shape()),
        pipeline,
        None,
        &[
            (0, hyper.buffer.as_entire_binding()),
            (1, param.binding()),
            (2, grad.binding()),
            (3, m.binding()),
            (4, v.binding()),
        ],
        groups_1d(n),
    )
}
