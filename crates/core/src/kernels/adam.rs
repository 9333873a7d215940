//! Adam update in place: `shaders/adam.wgsl` ↔ [`crate::cpu::adam_step`].
//! Tests: `tests/adam.rs`.

use super::{build_stepped, groups_1d, layout, shape_err, Dispatch, Slot};
use crate::error::Result;
use crate::gpu::Gpu;
use crate::tensor::Tensor;

/// The step-table struct (shaders/step.wgsl) comes first.
const SRC: &str = concat!(
    include_str!("../../../../shaders/step.wgsl"),
    include_str!("../../../../shaders/adam.wgsl")
);

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

/// [lr, β1, β2, ε, 1−β1^t, 1−β2^t, 0, 0], with the corrections computed in f64 (as
/// [`crate::StepValues::bias_corrections`]).
pub fn hyper_values(cfg: &AdamConfig, lr: f32, t: u64) -> [f32; 8] {
    let t = t.max(1).min(i32::MAX as u64) as i32;
    let c1 = 1.0 - (cfg.beta1 as f64).powi(t);
    let c2 = 1.0 - (cfg.beta2 as f64).powi(t);
    [
        lr, cfg.beta1, cfg.beta2, cfg.eps, c1 as f32, c2 as f32, 0.0, 0.0,
    ]
}

/// One Adam step over `param` using `grad` and the moment buffers `m`, `v`; the learning
/// rate, constants and step counter come from the per-step values ([`crate::kernels::run_step`], [`crate::Backend::run_steps`]).
pub fn adam(gpu: &Gpu, param: &Tensor, grad: &Tensor, m: &Tensor, v: &Tensor) -> Result<Dispatch> {
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
    // Whole vec4s: the same buffers at bindings 5–8, a quarter of the load instructions.
    let (entry, first, items) = if n.is_multiple_of(4) {
        ("adam_step4", 5, n / 4)
    } else {
        ("adam_step", 1, n)
    };
    let group0 = layout(&[
        (first, Slot::ReadWrite),
        (first + 1, Slot::Read),
        (first + 2, Slot::ReadWrite),
        (first + 3, Slot::ReadWrite),
    ]);
    let pipeline = gpu.stepped_pipeline("adam.wgsl", SRC, entry, &group0)?;
    build_stepped(
        gpu,
        format!("{entry} {:?}", param.shape()),
        pipeline,
        None,
        &[
            (first, param.binding()),
            (first + 1, grad.binding()),
            (first + 2, m.binding()),
            (first + 3, v.binding()),
        ],
        groups_1d(gpu, items),
    )
}
