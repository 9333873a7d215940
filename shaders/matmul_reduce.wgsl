// matmul_reduce.wgsl — the second pass of a split-K product (matmul_tiled.wgsl with
// PARTIAL): C = Σ_z partial[z] (+ bias[col]) (then ReLU), each partial an M×N slice of raw
// sums over one range of K. The slices are added in order z = 0, 1, … so the result does
// not depend on scheduling. Stored transposed for a swapped product (TRANS_C).

struct Params {
    m: u32,
    n: u32,
    splits: u32,
    _pad: u32,
}

override HAS_BIAS: bool = false;
override RELU: bool = false;
override TRANS_C: bool = false;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let size = p.m * p.n;
    for (var e = gid.x; e < size; e += nwg.x * 256u) {
        var v = 0.0;
        for (var z = 0u; z < p.splits; z++) {
            v += partial[z * size + e];
        }
        let row = e / p.n;
        let col = e % p.n;
        if HAS_BIAS {
            v += bias[select(col, row, TRANS_C)];
        }
        if RELU {
            v = max(v, 0.0);
        }
        c[select(e, col * p.m + row, TRANS_C)] = v;
    }
}
