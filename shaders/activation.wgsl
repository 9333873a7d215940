// activation.wgsl — elementwise activations (and the elementwise add of gradient
// accumulation). CPU reference: cpu::relu, cpu::relu_backward, cpu::sigmoid,
// cpu::add_assign. Grid-stride loops, so any length works with a capped grid.
//
// relu_backward takes the *output* of the forward ReLU: out > 0 exactly where the input
// was > 0, and the input need not be kept.

@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn relu_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let n = arrayLength(&out);
    for (var i = gid.x; i < n; i += nwg.x * 256u) {
        out[i] = max(x[i], 0.0);
    }
}

// out = grad (x) where the forward output (y) was positive, else 0.
@compute @workgroup_size(256)
fn relu_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let n = arrayLength(&out);
    for (var i = gid.x; i < n; i += nwg.x * 256u) {
        out[i] = select(0.0, x[i], y[i] > 0.0);
    }
}

// out += x: gradients accumulated over the chunks of one batch.
@compute @workgroup_size(256)
fn add_assign(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let n = arrayLength(&out);
    for (var i = gid.x; i < n; i += nwg.x * 256u) {
        out[i] += x[i];
    }
}

// Written as exp of a non-positive number on both branches so ±1e4 never overflows.
@compute @workgroup_size(256)
fn sigmoid_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let n = arrayLength(&out);
    for (var i = gid.x; i < n; i += nwg.x * 256u) {
        let z = x[i];
        let e = exp(-abs(z));
        out[i] = select(e / (1.0 + e), 1.0 / (1.0 + e), z >= 0.0);
    }
}
