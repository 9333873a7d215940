// matmul_tiled.wgsl — the "tiled" version of matmul.wgsl (read that header first), built
// for hardware GPUs: C[M,N] = op(A)·op(B) (+ bias[col]) (then ReLU), f32, row-major.
//
// A 16×16 workgroup computes a 128×128 tile of C, each invocation an 8×8 block held in
// 16 vec4 registers. K is walked in slices of 8: each slice of A (128×8) and B (8×128) is
// staged through workgroup memory as vec4s, k-major, so an invocation reads 2 vec4 of A
// and 2 of B per k for 64 FMAs. The stage is double-buffered: slice t+1 is loaded from
// global memory into registers while slice t is multiplied, then stored into the other
// buffer, so one barrier per slice suffices.
//
// Split-K: grid z picks a range of K (SPLIT_K > 1). Each range writes its partial sums to
// its own M×N slice of `c` (the dispatch binds a scratch buffer there) with no epilogue,
// and matmul_reduce.wgsl adds the slices and applies bias and ReLU. This keeps products
// with a long K and a small C (the weight gradient Xᵀ·dH sums over every example) from
// leaving most of a large GPU idle.
//
// Workgroups whose tile lies inside C and whose K range is whole slices take the interior
// path: no bounds checks on loads or stores. The others load out-of-range values as zero
// and mask their stores, so any M, K, N works.

struct Params {
    m: u32,
    n: u32,
    k: u32,
    // K per split (a multiple of BK); = k without split-K.
    k_split: u32,
}

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
override RELU: bool = false;
// Store the transpose: the dispatch computes Cᵀ = op(B)ᵀ·op(A)ᵀ when C is skinny.
override TRANS_C: bool = false;
// Write raw partial sums for matmul_reduce.wgsl (split-K).
override PARTIAL: bool = false;

const BM: u32 = 128u;
const BN: u32 = 128u;
const BK: u32 = 8u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

// [buffer · BK + kk][i]: vec4 i holds rows (or columns) 4i..4i+3 of the tile at depth kk.
var<workgroup> tile_a: array<array<vec4<f32>, 32>, 16>;
var<workgroup> tile_b: array<array<vec4<f32>, 32>, 16>;

fn load_a(row: u32, kk: u32, check: bool) -> f32 {
    if check && (row >= p.m || kk >= p.k) {
        return 0.0;
    }
    if TRANS_A {
        return a[kk * p.m + row];
    }
    return a[row * p.k + kk];
}

fn load_b(kk: u32, col: u32, check: bool) -> f32 {
    if check && (kk >= p.k || col >= p.n) {
        return 0.0;
    }
    if TRANS_B {
        return b[col * p.k + kk];
    }
    return b[kk * p.n + col];
}

// This invocation's 4 values of A and 4 of B for the slice at depth t: element e = lidx·4
// + i of the 128×8 slice, laid out so that neighbouring invocations read neighbouring
// addresses of each operand's storage order.
struct Stage {
    av: vec4<f32>,
    bv: vec4<f32>,
}

fn fetch(lidx: u32, row0: u32, col0: u32, t: u32, check: bool) -> Stage {
    var s: Stage;
    for (var i = 0u; i < 4u; i++) {
        let e = lidx * 4u + i;
        var r: u32;
        var ka: u32;
        if TRANS_A {
            r = e % BM;
            ka = e / BM;
        } else {
            ka = e % BK;
            r = e / BK;
        }
        s.av[i] = load_a(row0 + r, t + ka, check);
        var cc: u32;
        var kb: u32;
        if TRANS_B {
            kb = e % BK;
            cc = e / BK;
        } else {
            cc = e % BN;
            kb = e / BN;
        }
        s.bv[i] = load_b(t + kb, col0 + cc, check);
    }
    return s;
}

fn stash(lidx: u32, buf: u32, s: Stage) {
    for (var i = 0u; i < 4u; i++) {
        let e = lidx * 4u + i;
        var r: u32;
        var ka: u32;
        if TRANS_A {
            r = e % BM;
            ka = e / BM;
        } else {
            ka = e % BK;
            r = e / BK;
        }
        tile_a[buf * BK + ka][r / 4u][r % 4u] = s.av[i];
        var cc: u32;
        var kb: u32;
        if TRANS_B {
            kb = e % BK;
            cc = e / BK;
        } else {
            cc = e % BN;
            kb = e / BN;
        }
        tile_b[buf * BK + kb][cc / 4u][cc % 4u] = s.bv[i];
    }
}

fn store(row: u32, col: u32, value: f32, z: u32, check: bool) {
    if check && (row >= p.m || col >= p.n) {
        return;
    }
    if PARTIAL {
        c[z * p.m * p.n + row * p.n + col] = value;
        return;
    }
    var v = value;
    if HAS_BIAS {
        v += bias[select(col, row, TRANS_C)];
    }
    if RELU {
        v = max(v, 0.0);
    }
    c[select(row * p.n + col, col * p.m + row, TRANS_C)] = v;
}

@compute @workgroup_size(16, 16)
fn main(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(local_invocation_index) lidx: u32,
) {
    let row0 = wg.y * BM;
    let col0 = wg.x * BN;
    let k_begin = wg.z * p.k_split;
    let k_end = min(p.k, k_begin + p.k_split);
    // Uniform per workgroup: every branch on it is taken by all invocations alike.
    let interior = row0 + BM <= p.m && col0 + BN <= p.n && (k_end - k_begin) % BK == 0u;
    var acc: array<vec4<f32>, 16>;
    for (var i = 0u; i < 16u; i++) {
        acc[i] = vec4<f32>(0.0);
    }
    var next = fetch(lidx, row0, col0, k_begin, !interior);
    stash(lidx, 0u, next);
    workgroupBarrier();
    var buf = 0u;
    for (var t = k_begin; t < k_end; t += BK) {
        let more = t + BK < k_end;
        if more {
            next = fetch(lidx, row0, col0, t + BK, !interior);
        }
        for (var kk = 0u; kk < BK; kk++) {
            let slot = buf * BK + kk;
            let a0 = tile_a[slot][lid.y * 2u];
            let a1 = tile_a[slot][lid.y * 2u + 1u];
            let b0 = tile_b[slot][lid.x * 2u];
            let b1 = tile_b[slot][lid.x * 2u + 1u];
            for (var i = 0u; i < 4u; i++) {
                acc[2u * i] = fma(vec4<f32>(a0[i]), b0, acc[2u * i]);
                acc[2u * i + 1u] = fma(vec4<f32>(a0[i]), b1, acc[2u * i + 1u]);
                acc[8u + 2u * i] = fma(vec4<f32>(a1[i]), b0, acc[8u + 2u * i]);
                acc[8u + 2u * i + 1u] = fma(vec4<f32>(a1[i]), b1, acc[8u + 2u * i + 1u]);
            }
        }
        if more {
            stash(lidx, 1u - buf, next);
        }
        workgroupBarrier();
        buf = 1u - buf;
    }
    // acc[2r + h] holds row r of this invocation's 8 rows, columns 4h..4h+3.
    for (var r = 0u; r < 8u; r++) {
        let row = row0 + lid.y * 8u + r;
        for (var h = 0u; h < 2u; h++) {
            let v = acc[2u * r + h];
            let col = col0 + lid.x * 8u + 4u * h;
            store(row, col, v.x, wg.z, !interior);
            store(row, col + 1u, v.y, wg.z, !interior);
            store(row, col + 2u, v.z, wg.z, !interior);
            store(row, col + 3u, v.w, wg.z, !interior);
        }
    }
}
