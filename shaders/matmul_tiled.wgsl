// matmul_tiled.wgsl — the "tiled" version of matmul.wgsl (read that header first):
// C[M,N] = op(A)·op(B) (+ bias[col]) (then ReLU), f32, row-major.
//
// The classic hardware-GPU shape: a 16×16 workgroup computes a 64×64 tile of C, each
// invocation a 4×4 block, staging BK=16-deep slices of A and B through workgroup memory
// so each global value is read once per tile instead of once per output. Out-of-range
// rows, columns and k are loaded as zero, so any M, K, N works.

struct Params {
    m: u32,
    n: u32,
    k: u32,
    blocks_per_z: u32,
}

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
override RELU: bool = false;
// Store the transpose: the dispatch computes Cᵀ = op(B)ᵀ·op(A)ᵀ when C is skinny (few
// columns), so the wide side of the problem runs across the invocations.
override TRANS_C: bool = false;

const TS: u32 = 64u;
const BK: u32 = 16u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

// Both tiles are stored k-major: tile[kk * TS + i].
var<workgroup> tile_a: array<f32, 1024>;
var<workgroup> tile_b: array<f32, 1024>;

fn load_a(row: u32, kk: u32) -> f32 {
    if row >= p.m || kk >= p.k {
        return 0.0;
    }
    if TRANS_A {
        return a[kk * p.m + row];
    }
    return a[row * p.k + kk];
}

fn load_b(kk: u32, col: u32) -> f32 {
    if kk >= p.k || col >= p.n {
        return 0.0;
    }
    if TRANS_B {
        return b[col * p.k + kk];
    }
    return b[kk * p.n + col];
}

@compute @workgroup_size(16, 16)
fn main(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(local_invocation_index) lidx: u32,
) {
    let row_base = (wg.z * p.blocks_per_z + wg.y) * TS;
    let col_base = wg.x * TS;
    if row_base >= p.m {
        return;
    }
    var acc = array<vec4<f32>, 4>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
    for (var t = 0u; t < p.k; t += BK) {
        for (var i = 0u; i < 4u; i++) {
            let e = lidx + i * 256u;
            // Pick the in-tile coordinates so neighbouring invocations read neighbouring
            // addresses of the operand's storage order.
            var r: u32;
            var ka: u32;
            if TRANS_A {
                r = e % TS;
                ka = e / TS;
            } else {
                ka = e % BK;
                r = e / BK;
            }
            tile_a[ka * TS + r] = load_a(row_base + r, t + ka);
            var cc: u32;
            var kb: u32;
            if TRANS_B {
                kb = e % BK;
                cc = e / BK;
            } else {
                cc = e % TS;
                kb = e / TS;
            }
            tile_b[kb * TS + cc] = load_b(t + kb, col_base + cc);
        }
        workgroupBarrier();
        for (var kk = 0u; kk < BK; kk++) {
            let ao = kk * TS + lid.y * 4u;
            let bo = kk * TS + lid.x * 4u;
            let av = vec4<f32>(tile_a[ao], tile_a[ao + 1u], tile_a[ao + 2u], tile_a[ao + 3u]);
            let bv = vec4<f32>(tile_b[bo], tile_b[bo + 1u], tile_b[bo + 2u], tile_b[bo + 3u]);
            acc[0] = fma(vec4<f32>(av.x), bv, acc[0]);
            acc[1] = fma(vec4<f32>(av.y), bv, acc[1]);
            acc[2] = fma(vec4<f32>(av.z), bv, acc[2]);
            acc[3] = fma(vec4<f32>(av.w), bv, acc[3]);
        }
        workgroupBarrier();
    }
    for (var i = 0u; i < 4u; i++) {
        let row = row_base + lid.y * 4u + i;
        if row >= p.m {
            continue;
        }
        for (var j = 0u; j < 4u; j++) {
            let col = col_base + lid.x * 4u + j;
            if col >= p.n {
                continue;
            }
            var v = acc[i][j];
            if HAS_BIAS {
                v += bias[select(col, row, TRANS_C)];
            }
            if RELU {
                v = max(v, 0.0);
            }
            c[select(row * p.n + col, col * p.m + row, TRANS_C)] = v;
        }
    }
}
