// matmul.wgsl — C[M,N] = op(A)·op(B) (+ bias[col]) (then ReLU), f32, row-major.
//
// Versions of the matmul (see crates/core/src/kernels/matmul.rs for the dispatch):
//   matmul.wgsl        "register": this file. No workgroup memory, no barriers. A
//                      workgroup of 8 invocations (one 256-bit SIMD vector on lavapipe)
//                      owns 8 rows × 64 columns of C; each invocation keeps 8×8
//                      accumulators (16 vec4) in registers: the 8 rows, and 8 columns
//                      strided by 8 so each load of B is contiguous across the vector.
//                      Built for software adapters: lavapipe runs every storage-buffer load
//                      as a per-lane scalar loop, so what counts is FMAs per load, here
//                      64 per 16. Measured on lavapipe, 2 cores, 28465×784×300 (with other
//                      work on the machine): 4 rows × 4 cols ≈ 2.7–4.6 GFLOP/s, this
//                      8×8 ≈ 5.1–5.4, a 16×16 workgroup-memory tile ≈ 2.4. Variants that
//                      broadcast A with subgroupBroadcast were slower (2–5).
//   matmul_tiled.wgsl  "tiled": classic 64×64 workgroup-memory tiles, 4×4 per invocation,
//                      for hardware GPUs.
//
// op(A) is A or Aᵀ (TRANS_A), op(B) is B or Bᵀ (TRANS_B). Training uses A·B (forward),
// Aᵀ·B (weight gradient) and A·Bᵀ (input gradient). Any M, K, N: indices are clamped for
// loads and stores are masked, so no size has to be a tile multiple.

struct Params {
    m: u32,
    n: u32,
    k: u32,
    // Number of row blocks per z-slice of the grid (grids are limited to 65535 per axis).
    blocks_per_z: u32,
}

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
override RELU: bool = false;
// Store the transpose: the dispatch computes Cᵀ = op(B)ᵀ·op(A)ᵀ when C is skinny (few
// columns), so the wide side of the problem runs across the invocations.
override TRANS_C: bool = false;

const TM: u32 = 8u;
// Columns per invocation, strided by the workgroup width.
const TN: u32 = 8u;
const WG: u32 = 8u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

fn a_at(row: u32, kk: u32) -> f32 {
    if TRANS_A {
        return a[kk * p.m + row];
    }
    return a[row * p.k + kk];
}

fn b_at(kk: u32, col: u32) -> f32 {
    if TRANS_B {
        return b[col * p.k + kk];
    }
    return b[kk * p.n + col];
}

fn store(row: u32, col: u32, value: f32) {
    if row >= p.m || col >= p.n {
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

// Written out by hand rather than as loops over arrays: llvmpipe keeps the unrolled
// accumulators in registers, but spills indexed arrays (3.5 vs 5.1 GFLOP/s measured).
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let row0 = (wg.z * p.blocks_per_z + wg.y) * TM;
    if row0 >= p.m {
        return;
    }
    // Clamped indices keep every load in bounds without branches in the k loop; the
    // duplicated rows and columns are computed and then not stored.
    let last_row = p.m - 1u;
    let r0 = row0;
    let r1 = min(row0 + 1u, last_row);
    let r2 = min(row0 + 2u, last_row);
    let r3 = min(row0 + 3u, last_row);
    let r4 = min(row0 + 4u, last_row);
    let r5 = min(row0 + 5u, last_row);
    let r6 = min(row0 + 6u, last_row);
    let r7 = min(row0 + 7u, last_row);
    let col0 = wg.x * (WG * TN) + lane;
    let last_col = p.n - 1u;
    let c0 = min(col0, last_col);
    let c1 = min(col0 + WG, last_col);
    let c2 = min(col0 + 2u * WG, last_col);
    let c3 = min(col0 + 3u * WG, last_col);
    let c4 = min(col0 + 4u * WG, last_col);
    let c5 = min(col0 + 5u * WG, last_col);
    let c6 = min(col0 + 6u * WG, last_col);
    let c7 = min(col0 + 7u * WG, last_col);

    // Row r of the 8×8 block: columns 0..3 in lo_r, columns 4..7 in hi_r.
    var lo0 = vec4<f32>(0.0); var hi0 = vec4<f32>(0.0);
    var lo1 = vec4<f32>(0.0); var hi1 = vec4<f32>(0.0);
    var lo2 = vec4<f32>(0.0); var hi2 = vec4<f32>(0.0);
    var lo3 = vec4<f32>(0.0); var hi3 = vec4<f32>(0.0);
    var lo4 = vec4<f32>(0.0); var hi4 = vec4<f32>(0.0);
    var lo5 = vec4<f32>(0.0); var hi5 = vec4<f32>(0.0);
    var lo6 = vec4<f32>(0.0); var hi6 = vec4<f32>(0.0);
    var lo7 = vec4<f32>(0.0); var hi7 = vec4<f32>(0.0);
    for (var kk = 0u; kk < p.k; kk++) {
        let b_lo = vec4<f32>(b_at(kk, c0), b_at(kk, c1), b_at(kk, c2), b_at(kk, c3));
        let b_hi = vec4<f32>(b_at(kk, c4), b_at(kk, c5), b_at(kk, c6), b_at(kk, c7));
        let a0 = vec4<f32>(a_at(r0, kk));
        lo0 = fma(a0, b_lo, lo0); hi0 = fma(a0, b_hi, hi0);
        let a1 = vec4<f32>(a_at(r1, kk));
        lo1 = fma(a1, b_lo, lo1); hi1 = fma(a1, b_hi, hi1);
        let a2 = vec4<f32>(a_at(r2, kk));
        lo2 = fma(a2, b_lo, lo2); hi2 = fma(a2, b_hi, hi2);
        let a3 = vec4<f32>(a_at(r3, kk));
        lo3 = fma(a3, b_lo, lo3); hi3 = fma(a3, b_hi, hi3);
        let a4 = vec4<f32>(a_at(r4, kk));
        lo4 = fma(a4, b_lo, lo4); hi4 = fma(a4, b_hi, hi4);
        let a5 = vec4<f32>(a_at(r5, kk));
        lo5 = fma(a5, b_lo, lo5); hi5 = fma(a5, b_hi, hi5);
        let a6 = vec4<f32>(a_at(r6, kk));
        lo6 = fma(a6, b_lo, lo6); hi6 = fma(a6, b_hi, hi6);
        let a7 = vec4<f32>(a_at(r7, kk));
        lo7 = fma(a7, b_lo, lo7); hi7 = fma(a7, b_hi, hi7);
    }
    store_row(row0, col0, lo0, hi0);
    store_row(row0 + 1u, col0, lo1, hi1);
    store_row(row0 + 2u, col0, lo2, hi2);
    store_row(row0 + 3u, col0, lo3, hi3);
    store_row(row0 + 4u, col0, lo4, hi4);
    store_row(row0 + 5u, col0, lo5, hi5);
    store_row(row0 + 6u, col0, lo6, hi6);
    store_row(row0 + 7u, col0, lo7, hi7);
}

fn store_row(row: u32, col0: u32, lo: vec4<f32>, hi: vec4<f32>) {
    store(row, col0, lo.x);
    store(row, col0 + WG, lo.y);
    store(row, col0 + 2u * WG, lo.z);
    store(row, col0 + 3u * WG, lo.w);
    store(row, col0 + 4u * WG, hi.x);
    store(row, col0 + 5u * WG, hi.y);
    store(row, col0 + 6u * WG, hi.z);
    store(row, col0 + 7u * WG, hi.w);
}
