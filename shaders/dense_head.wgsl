// dense_head.wgsl — the output layer's training step in two launches instead of seven.
// CPU reference: cpu::dense_head. Tests: crates/core/tests/dense_head.rs.
//
// The last layer of every model is a small Linear (hidden H → K classes, K ≤ 16) followed
// by the loss. Unfused that is: logits = h·W + b, the loss kernel, the row-stats reduction,
// dW = hᵀ·dz, db = Σ dz, dh = dz·Wᵀ and the ReLU mask — seven launches that each move a
// few kilobytes at batch 64. Here:
//
// dense_head, one workgroup per block of 64 rows:
//   1. each invocation computes one row's K logits, its loss (softmax + cross-entropy, or
//      sigmoid + binary cross-entropy, as loss.wgsl), the gradient dz = dL/dz · grad_scale
//      into workgroup memory, and the row's (loss, correct) stats (reduced afterwards by
//      metrics.wgsl, which owns the per-step metrics slot);
//   2. (HAS_DH) dh = dz·Wᵀ for the block's rows, zeroed where h ≤ 0 under RELU_MASK (h is a
//      ReLU's output: the ReLU's backward folded in);
//   3. the block's partial sums of dW (H·K entries) and db (K), written to its slice of
//      `partials`.
// dense_head_reduce: dW and db = the sum of the blocks' partials, in block order (so a seed
// gives the same bits run after run).

struct Params {
    rows: u32,
    hidden: u32,
    classes: u32,
    // Workgroups of the first pass: ceil(rows / 64).
    blocks: u32,
    grad_scale: f32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

override SIGMOID: bool = false;
override HAS_DH: bool = false;
override RELU_MASK: bool = false;

const ROWS: u32 = 64u;
const MAX_K: u32 = 16u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> h: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> targets: array<f32>;
@group(0) @binding(5) var<storage, read_write> stats: array<f32>;
@group(0) @binding(6) var<storage, read_write> dh: array<f32>;
@group(0) @binding(7) var<storage, read_write> partials: array<f32>;
@group(0) @binding(8) var<storage, read_write> dw: array<f32>;
@group(0) @binding(9) var<storage, read_write> db: array<f32>;

// dz of the block's rows, MAX_K per row.
var<workgroup> dz: array<f32, 1024>;

// The row's loss; fills dz[lid·MAX_K + k] and z (the logits, consumed).
fn row_loss(lid: u32, tb: u32, z: ptr<function, array<f32, 16>>) -> f32 {
    let k_count = p.classes;
    var loss = 0.0;
    if SIGMOID {
        for (var k = 0u; k < k_count; k++) {
            let zk = (*z)[k];
            let y = targets[tb + k];
            let e = exp(-abs(zk));
            loss += max(zk, 0.0) - zk * y + log(1.0 + e);
            let s = select(e / (1.0 + e), 1.0 / (1.0 + e), zk >= 0.0);
            dz[lid * MAX_K + k] = (s - y) * p.grad_scale;
        }
    } else {
        var zmax = (*z)[0];
        for (var k = 1u; k < k_count; k++) {
            zmax = max(zmax, (*z)[k]);
        }
        var sum = 0.0;
        for (var k = 0u; k < k_count; k++) {
            sum += exp((*z)[k] - zmax);
        }
        let log_sum = log(sum);
        for (var k = 0u; k < k_count; k++) {
            let shifted = (*z)[k] - zmax;
            let y = targets[tb + k];
            loss -= y * (shifted - log_sum);
            dz[lid * MAX_K + k] = (exp(shifted - log_sum) - y) * p.grad_scale;
        }
    }
    return loss;
}

@compute @workgroup_size(64)
fn dense_head(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let first = wg.x * ROWS;
    let n = min(ROWS, p.rows - first);
    let k_count = p.classes;
    let hidden = p.hidden;

    // 1. One row per invocation: logits, loss, gradient, stats.
    if lid < n {
        let row = first + lid;
        var z: array<f32, 16>;
        for (var k = 0u; k < k_count; k++) {
            z[k] = bias[k];
        }
        let hb = row * hidden;
        for (var j = 0u; j < hidden; j++) {
            let hv = h[hb + j];
            let wb = j * k_count;
            for (var k = 0u; k < k_count; k++) {
                z[k] = fma(hv, w[wb + k], z[k]);
            }
        }
        // Correct: the first maximum of the logits sits where the targets' first one does.
        let tb = row * k_count;
        var arg_z = 0u;
        var arg_y = 0u;
        for (var k = 1u; k < k_count; k++) {
            if z[k] > z[arg_z] {
                arg_z = k;
            }
            if targets[tb + k] > targets[tb + arg_y] {
                arg_y = k;
            }
        }
        stats[2u * row] = row_loss(lid, tb, &z);
        stats[2u * row + 1u] = select(0.0, 1.0, arg_z == arg_y);
    }
    workgroupBarrier();

    // 2. dh = dz·Wᵀ over the block's rows (masked by the ReLU that produced h).
    if HAS_DH {
        let total = n * hidden;
        for (var i = lid; i < total; i += ROWS) {
            let r = i / hidden;
            let j = i - r * hidden;
            let at = (first + r) * hidden + j;
            var v = 0.0;
            for (var k = 0u; k < k_count; k++) {
                v = fma(dz[r * MAX_K + k], w[j * k_count + k], v);
            }
            if RELU_MASK && h[at] <= 0.0 {
                v = 0.0;
            }
            dh[at] = v;
        }
    }

    // 3. This block's share of dW = hᵀ·dz (entry j·K + k) and db = Σ dz.
    let entries = hidden * k_count;
    let stride = entries + k_count;
    let base = wg.x * stride;
    for (var e = lid; e < stride; e += ROWS) {
        var s = 0.0;
        if e < entries {
            let j = e / k_count;
            let k = e - j * k_count;
            for (var r = 0u; r < n; r++) {
                s = fma(h[(first + r) * hidden + j], dz[r * MAX_K + k], s);
            }
        } else {
            let k = e - entries;
            for (var r = 0u; r < n; r++) {
                s += dz[r * MAX_K + k];
            }
        }
        partials[base + e] = s;
    }
}

// dW and db: the sum over the blocks of their partials, block by block.
@compute @workgroup_size(256)
fn dense_head_reduce(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let entries = p.hidden * p.classes;
    let stride = entries + p.classes;
    for (var e = gid.x; e < stride; e += nwg.x * 256u) {
        var s = 0.0;
        for (var g = 0u; g < p.blocks; g++) {
            s += partials[g * stride + e];
        }
        if e < entries {
            dw[e] = s;
        } else {
            db[e - entries] = s;
        }
    }
}
