// step.wgsl — the per-step values (core::StepValues, one entry of the step table read
// through a dynamic uniform offset as @group(1) @binding(0)). Prepended to every shader
// that reads them (adam.wgsl, metrics.wgsl, gather.wgsl): those files alone are not
// complete shaders.

struct Step {
    lr: f32,
    beta1: f32,
    beta2: f32,
    eps: f32,
    c1: f32,
    c2: f32,
    metrics_slot: u32,
    accumulate_metrics: u32,
    row_offset: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

