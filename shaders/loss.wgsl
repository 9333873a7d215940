// loss.wgsl — fused output-layer losses, one invocation per row. CPU reference:
// cpu::softmax_cross_entropy and cpu::sigmoid_bce.
//
// Both read logits z [N,K] and targets y [N,K] (one-hot, or any distribution) and write
//   grad[N,K]  = dLoss/dz · scale    (scale = 1/N for a mean over the rows)
//   stats[N,2] = (row loss, 1.0 if argmax z == argmax y else 0.0)
// Working from logits keeps both stable: softmax subtracts the row max, and the binary
// cross-entropy uses max(z,0) − z·y + log(1 + exp(−|z|)), finite for |z| = 1e4.

struct Params {
    rows: u32,
    classes: u32,
    scale: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<f32>;
@group(0) @binding(3) var<storage, read_write> grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> stats: array<f32>;

// 1.0 when the first maximum of the logits sits where the first maximum of the targets does.
fn correct(base: u32) -> f32 {
    var best_z = logits[base];
    var arg_z = 0u;
    var best_y = targets[base];
    var arg_y = 0u;
    for (var j = 1u; j < p.classes; j++) {
        let z = logits[base + j];
        if z > best_z {
            best_z = z;
            arg_z = j;
        }
        let y = targets[base + j];
        if y > best_y {
            best_y = y;
            arg_y = j;
        }
    }
    return select(0.0, 1.0, arg_z == arg_y);
}

@compute @workgroup_size(256)
fn softmax_cross_entropy(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    for (var row = gid.x; row < p.rows; row += nwg.x * 256u) {
        let base = row * p.classes;
        var zmax = logits[base];
        for (var j = 1u; j < p.classes; j++) {
            zmax = max(zmax, logits[base + j]);
        }
        var sum = 0.0;
        for (var j = 0u; j < p.classes; j++) {
            sum += exp(logits[base + j] - zmax);
        }
        let log_sum = log(sum);
        var loss = 0.0;
        for (var j = 0u; j < p.classes; j++) {
            let shifted = logits[base + j] - zmax;
            let y = targets[base + j];
            loss -= y * (shifted - log_sum);
            grad[base + j] = (exp(shifted - log_sum) - y) * p.scale;
        }
        stats[2u * row] = loss;
        stats[2u * row + 1u] = correct(base);
    }
}

@compute @workgroup_size(256)
fn sigmoid_bce(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    for (var row = gid.x; row < p.rows; row += nwg.x * 256u) {
        let base = row * p.classes;
        var loss = 0.0;
        for (var j = 0u; j < p.classes; j++) {
            let z = logits[base + j];
            let y = targets[base + j];
            let e = exp(-abs(z));
            loss += max(z, 0.0) - z * y + log(1.0 + e);
            let s = select(e / (1.0 + e), 1.0 / (1.0 + e), z >= 0.0);
            grad[base + j] = (s - y) * p.scale;
        }
        stats[2u * row] = loss;
        stats[2u * row + 1u] = correct(base);
    }
}
