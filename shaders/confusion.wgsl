// confusion.wgsl — counts[true_class · K + predicted_class] += 1 for every row, where the
// true class is the argmax of the target row and the prediction the argmax of the logits
// (first maximum wins, as in cpu::argmax). CPU reference: cpu::confusion.

struct Params {
    rows: u32,
    classes: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<f32>;
@group(0) @binding(3) var<storage, read_write> counts: array<atomic<u32>>;

fn argmax_logits(base: u32) -> u32 {
    var best = logits[base];
    var arg = 0u;
    for (var j = 1u; j < p.classes; j++) {
        if logits[base + j] > best {
            best = logits[base + j];
            arg = j;
        }
    }
    return arg;
}

fn argmax_targets(base: u32) -> u32 {
    var best = targets[base];
    var arg = 0u;
    for (var j = 1u; j < p.classes; j++) {
        if targets[base + j] > best {
            best = targets[base + j];
            arg = j;
        }
    }
    return arg;
}

@compute @workgroup_size(256)
fn confusion(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    for (var row = gid.x; row < p.rows; row += nwg.x * 256u) {
        let base = row * p.classes;
        atomicAdd(&counts[argmax_targets(base) * p.classes + argmax_logits(base)], 1u);
    }
}
