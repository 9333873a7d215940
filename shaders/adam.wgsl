// adam.wgsl — one Adam step in place over one parameter tensor (PyTorch's formulation):
//   m ← β1·m + (1−β1)·g        v ← β2·v + (1−β2)·g²
//   θ ← θ − lr · (m / c1) / (√(v / c2) + ε),   c1 = 1 − β1^t, c2 = 1 − β2^t
// The hyper-parameters come from the per-step uniform (core::StepValues, struct Step in
// step.wgsl, which is compiled in front of this file) shared by every
// kernel that changes from step to step, so the step counter never needs a readback.
// CPU reference: cpu::adam_step.


@group(1) @binding(0) var<uniform> h: Step;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(256)
fn adam_step(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let n = arrayLength(&param);
    for (var i = gid.x; i < n; i += nwg.x * 256u) {
        let g = grad[i];
        let mi = h.beta1 * m[i] + (1.0 - h.beta1) * g;
        let vi = h.beta2 * v[i] + (1.0 - h.beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        param[i] -= h.lr * (mi / h.c1) / (sqrt(vi / h.c2) + h.eps);
    }
}

// The same update four values at a time, for tensors whose length is a multiple of 4:
// lavapipe pays per load instruction, so vec4 loads cut its cost about fourfold. Bindings
// 5–8 are the same buffers as 1–4, seen as vec4s.
@group(0) @binding(5) var<storage, read_write> param4: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> grad4: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> m4: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> v4: array<vec4<f32>>;

@compute @workgroup_size(256)
fn adam_step4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let n = arrayLength(&param4);
    for (var i = gid.x; i < n; i += nwg.x * 256u) {
        let g = grad4[i];
        let mi = h.beta1 * m4[i] + (1.0 - h.beta1) * g;
        let vi = h.beta2 * v4[i] + (1.0 - h.beta2) * g * g;
        m4[i] = mi;
        v4[i] = vi;
        param4[i] -= h.lr * (mi / h.c1) / (sqrt(vi / h.c2) + h.eps);
    }
}
