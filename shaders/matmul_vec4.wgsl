// matmul_vec4.wgsl — the "vec4" version of matmul.wgsl (read that header first):
// C[M,N] = op(A)·B (+ bias[col]) (then ReLU), f32, row-major, for shapes whose rows are
// whole vec4s: N % 4 == 0, and K % 4 == 0 (A·B) or M % 4 == 0 (Aᵀ·B).
//
// Same 8 rows × 8 columns per invocation as "register", but every load fetches a vec4:
// lavapipe runs each storage-buffer load as a per-lane loop whose overhead is paid once
// per load instruction, not per component, so four times fewer load instructions per FMA
// is what makes this version faster there. Each invocation owns 8 *contiguous* columns
// (two vec4s of a row of B).
//   A·B:  per 4 steps of k, 8 vec4s of A (a row each, along k) and 8 of B: 256 FMAs.
//   Aᵀ·B: per step of k, 2 vec4s of A (8 consecutive rows of the stored [K, M]) and 2 of B.
// The dispatch (kernels/matmul.rs) uses it only where the shape allows, else "register".

struct Params {
    m: u32,
    n: u32,
    k: u32,
    blocks_per_z: u32,
    // The k range of this launch. Aᵀ·B with a long K (the weight gradient sums over every
    // example) runs as several launches over k chunks that fit in cache, each adding to C.
    k_begin: u32,
    k_end: u32,
}

override TRANS_A: bool = false;
// Add to C instead of overwriting it (every k chunk after the first).
override ACCUMULATE: bool = false;
override HAS_BIAS: bool = false;
override RELU: bool = false;

const WG: u32 = 8u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

fn store(row: u32, col: u32, value: f32) {
    if row >= p.m || col >= p.n {
        return;
    }
    var v = value;
    if ACCUMULATE {
        v += c[row * p.n + col];
    }
    if HAS_BIAS {
        v += bias[col];
    }
    if RELU {
        v = max(v, 0.0);
    }
    c[row * p.n + col] = v;
}

fn store_row(row: u32, col0: u32, lo: vec4<f32>, hi: vec4<f32>) {
    store(row, col0, lo.x);
    store(row, col0 + 1u, lo.y);
    store(row, col0 + 2u, lo.z);
    store(row, col0 + 3u, lo.w);
    store(row, col0 + 4u, hi.x);
    store(row, col0 + 5u, hi.y);
    store(row, col0 + 6u, hi.z);
    store(row, col0 + 7u, hi.w);
}

// Written out by hand, as in matmul.wgsl: llvmpipe keeps these accumulators in registers.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
    let row0 = (wg.z * p.blocks_per_z + wg.y) * 8u;
    if row0 >= p.m {
        return;
    }
    let col0 = wg.x * (WG * 8u) + lane * 8u;
    // vec4 indices into a row of B, clamped so loads stay in bounds (results not stored).
    let n4 = p.n / 4u;
    let b_lo = min(col0 / 4u, n4 - 1u);
    let b_hi = min(col0 / 4u + 1u, n4 - 1u);
    var lo0 = vec4<f32>(0.0);
    var hi0 = vec4<f32>(0.0);
    var lo1 = vec4<f32>(0.0);
    var hi1 = vec4<f32>(0.0);
    var lo2 = vec4<f32>(0.0);
    var hi2 = vec4<f32>(0.0);
    var lo3 = vec4<f32>(0.0);
    var hi3 = vec4<f32>(0.0);
    var lo4 = vec4<f32>(0.0);
    var hi4 = vec4<f32>(0.0);
    var lo5 = vec4<f32>(0.0);
    var hi5 = vec4<f32>(0.0);
    var lo6 = vec4<f32>(0.0);
    var hi6 = vec4<f32>(0.0);
    var lo7 = vec4<f32>(0.0);
    var hi7 = vec4<f32>(0.0);
    if TRANS_A {
        // A is stored [K, M]: rows row0..row0+7 of op(A) at step k are 2 vec4s.
        let m4 = p.m / 4u;
        let a_lo = min(row0 / 4u, m4 - 1u);
        let a_hi = min(row0 / 4u + 1u, m4 - 1u);
        for (var kk = p.k_begin; kk < p.k_end; kk++) {
            let x = a[kk * m4 + a_lo];
            let y = a[kk * m4 + a_hi];
            let bl = b[kk * n4 + b_lo];
            let bh = b[kk * n4 + b_hi];
            lo0 = fma(vec4<f32>(x.x), bl, lo0); hi0 = fma(vec4<f32>(x.x), bh, hi0);
            lo1 = fma(vec4<f32>(x.y), bl, lo1); hi1 = fma(vec4<f32>(x.y), bh, hi1);
            lo2 = fma(vec4<f32>(x.z), bl, lo2); hi2 = fma(vec4<f32>(x.z), bh, hi2);
            lo3 = fma(vec4<f32>(x.w), bl, lo3); hi3 = fma(vec4<f32>(x.w), bh, hi3);
            lo4 = fma(vec4<f32>(y.x), bl, lo4); hi4 = fma(vec4<f32>(y.x), bh, hi4);
            lo5 = fma(vec4<f32>(y.y), bl, lo5); hi5 = fma(vec4<f32>(y.y), bh, hi5);
            lo6 = fma(vec4<f32>(y.z), bl, lo6); hi6 = fma(vec4<f32>(y.z), bh, hi6);
            lo7 = fma(vec4<f32>(y.w), bl, lo7); hi7 = fma(vec4<f32>(y.w), bh, hi7);
        }
    } else {
        // A is stored [M, K]: each row gives a vec4 along k, used for 4 steps.
        let k4 = p.k / 4u;
        let last = p.m - 1u;
        let ra0 = row0 * k4;
        let ra1 = min(row0 + 1u, last) * k4;
        let ra2 = min(row0 + 2u, last) * k4;
        let ra3 = min(row0 + 3u, last) * k4;
        let ra4 = min(row0 + 4u, last) * k4;
        let ra5 = min(row0 + 5u, last) * k4;
        let ra6 = min(row0 + 6u, last) * k4;
        let ra7 = min(row0 + 7u, last) * k4;
        for (var k4i = 0u; k4i < k4; k4i++) {
            let a0 = a[ra0 + k4i];
            let a1 = a[ra1 + k4i];
            let a2 = a[ra2 + k4i];
            let a3 = a[ra3 + k4i];
            let a4 = a[ra4 + k4i];
            let a5 = a[ra5 + k4i];
            let a6 = a[ra6 + k4i];
            let a7 = a[ra7 + k4i];
            let bl0 = b[(4u * k4i + 0u) * n4 + b_lo];
            let bh0 = b[(4u * k4i + 0u) * n4 + b_hi];
            let bl1 = b[(4u * k4i + 1u) * n4 + b_lo];
            let bh1 = b[(4u * k4i + 1u) * n4 + b_hi];
            let bl2 = b[(4u * k4i + 2u) * n4 + b_lo];
            let bh2 = b[(4u * k4i + 2u) * n4 + b_hi];
            let bl3 = b[(4u * k4i + 3u) * n4 + b_lo];
            let bh3 = b[(4u * k4i + 3u) * n4 + b_hi];
            lo0 = fma(vec4<f32>(a0.x), bl0, lo0); hi0 = fma(vec4<f32>(a0.x), bh0, hi0);
            lo0 = fma(vec4<f32>(a0.y), bl1, lo0); hi0 = fma(vec4<f32>(a0.y), bh1, hi0);
            lo0 = fma(vec4<f32>(a0.z), bl2, lo0); hi0 = fma(vec4<f32>(a0.z), bh2, hi0);
            lo0 = fma(vec4<f32>(a0.w), bl3, lo0); hi0 = fma(vec4<f32>(a0.w), bh3, hi0);
            lo1 = fma(vec4<f32>(a1.x), bl0, lo1); hi1 = fma(vec4<f32>(a1.x), bh0, hi1);
            lo1 = fma(vec4<f32>(a1.y), bl1, lo1); hi1 = fma(vec4<f32>(a1.y), bh1, hi1);
            lo1 = fma(vec4<f32>(a1.z), bl2, lo1); hi1 = fma(vec4<f32>(a1.z), bh2, hi1);
            lo1 = fma(vec4<f32>(a1.w), bl3, lo1); hi1 = fma(vec4<f32>(a1.w), bh3, hi1);
            lo2 = fma(vec4<f32>(a2.x), bl0, lo2); hi2 = fma(vec4<f32>(a2.x), bh0, hi2);
            lo2 = fma(vec4<f32>(a2.y), bl1, lo2); hi2 = fma(vec4<f32>(a2.y), bh1, hi2);
            lo2 = fma(vec4<f32>(a2.z), bl2, lo2); hi2 = fma(vec4<f32>(a2.z), bh2, hi2);
            lo2 = fma(vec4<f32>(a2.w), bl3, lo2); hi2 = fma(vec4<f32>(a2.w), bh3, hi2);
            lo3 = fma(vec4<f32>(a3.x), bl0, lo3); hi3 = fma(vec4<f32>(a3.x), bh0, hi3);
            lo3 = fma(vec4<f32>(a3.y), bl1, lo3); hi3 = fma(vec4<f32>(a3.y), bh1, hi3);
            lo3 = fma(vec4<f32>(a3.z), bl2, lo3); hi3 = fma(vec4<f32>(a3.z), bh2, hi3);
            lo3 = fma(vec4<f32>(a3.w), bl3, lo3); hi3 = fma(vec4<f32>(a3.w), bh3, hi3);
            lo4 = fma(vec4<f32>(a4.x), bl0, lo4); hi4 = fma(vec4<f32>(a4.x), bh0, hi4);
            lo4 = fma(vec4<f32>(a4.y), bl1, lo4); hi4 = fma(vec4<f32>(a4.y), bh1, hi4);
            lo4 = fma(vec4<f32>(a4.z), bl2, lo4); hi4 = fma(vec4<f32>(a4.z), bh2, hi4);
            lo4 = fma(vec4<f32>(a4.w), bl3, lo4); hi4 = fma(vec4<f32>(a4.w), bh3, hi4);
            lo5 = fma(vec4<f32>(a5.x), bl0, lo5); hi5 = fma(vec4<f32>(a5.x), bh0, hi5);
            lo5 = fma(vec4<f32>(a5.y), bl1, lo5); hi5 = fma(vec4<f32>(a5.y), bh1, hi5);
            lo5 = fma(vec4<f32>(a5.z), bl2, lo5); hi5 = fma(vec4<f32>(a5.z), bh2, hi5);
            lo5 = fma(vec4<f32>(a5.w), bl3, lo5); hi5 = fma(vec4<f32>(a5.w), bh3, hi5);
            lo6 = fma(vec4<f32>(a6.x), bl0, lo6); hi6 = fma(vec4<f32>(a6.x), bh0, hi6);
            lo6 = fma(vec4<f32>(a6.y), bl1, lo6); hi6 = fma(vec4<f32>(a6.y), bh1, hi6);
            lo6 = fma(vec4<f32>(a6.z), bl2, lo6); hi6 = fma(vec4<f32>(a6.z), bh2, hi6);
            lo6 = fma(vec4<f32>(a6.w), bl3, lo6); hi6 = fma(vec4<f32>(a6.w), bh3, hi6);
            lo7 = fma(vec4<f32>(a7.x), bl0, lo7); hi7 = fma(vec4<f32>(a7.x), bh0, hi7);
            lo7 = fma(vec4<f32>(a7.y), bl1, lo7); hi7 = fma(vec4<f32>(a7.y), bh1, hi7);
            lo7 = fma(vec4<f32>(a7.z), bl2, lo7); hi7 = fma(vec4<f32>(a7.z), bh2, hi7);
            lo7 = fma(vec4<f32>(a7.w), bl3, lo7); hi7 = fma(vec4<f32>(a7.w), bh3, hi7);
        }
    }
    store_row(row0 + 0u, col0, lo0, hi0);
    store_row(row0 + 1u, col0, lo1, hi1);
    store_row(row0 + 2u, col0, lo2, hi2);
    store_row(row0 + 3u, col0, lo3, hi3);
    store_row(row0 + 4u, col0, lo4, hi4);
    store_row(row0 + 5u, col0, lo5, hi5);
    store_row(row0 + 6u, col0, lo6, hi6);
    store_row(row0 + 7u, col0, lo7, hi7);
}
