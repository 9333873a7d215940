// conv2d_direct.wgsl — the direct convolution, compiled after conv2d.wgsl (whose Params
// struct, bindings and pixel helpers it uses): the module is the two files concatenated
// (kernels/conv.rs), so this file alone is not a complete shader.

// ---- conv2d_direct: an implicit GEMM. Each invocation owns 8 output pixels × 16 output
// channels: 32 vec4 accumulators, written out by hand as in matmul.wgsl (llvmpipe spills
// an indexed array). lavapipe runs every storage load as a per-lane loop whose cost is per
// load instruction, not per component, so what counts is FMAs per load: the fast entry
// reads x and w as vec4s along in_c and out_c, and per 4 input channels 8 loads of x and
// 16 of w feed 512 FMAs. Measured on lavapipe (2 cores) at the CNN's shapes, batch 64:
// 8 × 16 per invocation took 3 % less time than 8 × 8 at conv2 (14×14×32 → 64, ~29 ms,
// like im2col + the vec4 matmul) and 17 % less at conv1 (28×28×1 → 32, ~5.3 ms, half
// the time of im2col + matmul).
// Entries, by which operands are whole vec4 rows:
//   conv2d_direct         in_c % 4 == 0 and out_c % 4 == 0 (vec4 x, w, bias and out)
//   conv2d_direct_x1      out_c % 4 == 0 (scalar x, e.g. one input channel)
//   conv2d_direct_any     every shape (all scalar)
@group(0) @binding(5) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> w4: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read> w: array<f32>;
@group(0) @binding(8) var<storage, read> bias: array<f32>;
@group(0) @binding(9) var<storage, read_write> out: array<f32>;
@group(0) @binding(10) var<storage, read> bias4: array<vec4<f32>>;
@group(0) @binding(11) var<storage, read_write> out4: array<vec4<f32>>;

override RELU: bool = false;

const DWG: u32 = 64u;

// 16 consecutive channels of one weight row, or of one output pixel.
struct W16 {
    a: vec4<f32>,
    b: vec4<f32>,
    c: vec4<f32>,
    d: vec4<f32>,
}

// p{i}{a,b,c,d}: pixel i, channels c0..c0+15 in vec4s.
struct Acc {
    p0a: vec4<f32>, p0b: vec4<f32>, p0c: vec4<f32>, p0d: vec4<f32>,
    p1a: vec4<f32>, p1b: vec4<f32>, p1c: vec4<f32>, p1d: vec4<f32>,
    p2a: vec4<f32>, p2b: vec4<f32>, p2c: vec4<f32>, p2d: vec4<f32>,
    p3a: vec4<f32>, p3b: vec4<f32>, p3c: vec4<f32>, p3d: vec4<f32>,
    p4a: vec4<f32>, p4b: vec4<f32>, p4c: vec4<f32>, p4d: vec4<f32>,
    p5a: vec4<f32>, p5b: vec4<f32>, p5c: vec4<f32>, p5d: vec4<f32>,
    p6a: vec4<f32>, p6b: vec4<f32>, p6c: vec4<f32>, p6d: vec4<f32>,
    p7a: vec4<f32>, p7b: vec4<f32>, p7c: vec4<f32>, p7d: vec4<f32>,
}

fn zero_acc() -> Acc {
    let z = vec4<f32>(0.0);
    return Acc(z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z);
}

// One step of k: xa/xb hold the 8 pixels' inputs (pixel i in lane i % 4), w the weights.
fn step(acc: ptr<function, Acc>, xa: vec4<f32>, xb: vec4<f32>, w: W16) {
    (*acc).p0a = fma(vec4<f32>(xa.x), w.a, (*acc).p0a); (*acc).p0b = fma(vec4<f32>(xa.x), w.b, (*acc).p0b);
    (*acc).p0c = fma(vec4<f32>(xa.x), w.c, (*acc).p0c); (*acc).p0d = fma(vec4<f32>(xa.x), w.d, (*acc).p0d);
    (*acc).p1a = fma(vec4<f32>(xa.y), w.a, (*acc).p1a); (*acc).p1b = fma(vec4<f32>(xa.y), w.b, (*acc).p1b);
    (*acc).p1c = fma(vec4<f32>(xa.y), w.c, (*acc).p1c); (*acc).p1d = fma(vec4<f32>(xa.y), w.d, (*acc).p1d);
    (*acc).p2a = fma(vec4<f32>(xa.z), w.a, (*acc).p2a); (*acc).p2b = fma(vec4<f32>(xa.z), w.b, (*acc).p2b);
    (*acc).p2c = fma(vec4<f32>(xa.z), w.c, (*acc).p2c); (*acc).p2d = fma(vec4<f32>(xa.z), w.d, (*acc).p2d);
    (*acc).p3a = fma(vec4<f32>(xa.w), w.a, (*acc).p3a); (*acc).p3b = fma(vec4<f32>(xa.w), w.b, (*acc).p3b);
    (*acc).p3c = fma(vec4<f32>(xa.w), w.c, (*acc).p3c); (*acc).p3d = fma(vec4<f32>(xa.w), w.d, (*acc).p3d);
    (*acc).p4a = fma(vec4<f32>(xb.x), w.a, (*acc).p4a); (*acc).p4b = fma(vec4<f32>(xb.x), w.b, (*acc).p4b);
    (*acc).p4c = fma(vec4<f32>(xb.x), w.c, (*acc).p4c); (*acc).p4d = fma(vec4<f32>(xb.x), w.d, (*acc).p4d);
    (*acc).p5a = fma(vec4<f32>(xb.y), w.a, (*acc).p5a); (*acc).p5b = fma(vec4<f32>(xb.y), w.b, (*acc).p5b);
    (*acc).p5c = fma(vec4<f32>(xb.y), w.c, (*acc).p5c); (*acc).p5d = fma(vec4<f32>(xb.y), w.d, (*acc).p5d);
    (*acc).p6a = fma(vec4<f32>(xb.z), w.a, (*acc).p6a); (*acc).p6b = fma(vec4<f32>(xb.z), w.b, (*acc).p6b);
    (*acc).p6c = fma(vec4<f32>(xb.z), w.c, (*acc).p6c); (*acc).p6d = fma(vec4<f32>(xb.z), w.d, (*acc).p6d);
    (*acc).p7a = fma(vec4<f32>(xb.w), w.a, (*acc).p7a); (*acc).p7b = fma(vec4<f32>(xb.w), w.b, (*acc).p7b);
    (*acc).p7c = fma(vec4<f32>(xb.w), w.c, (*acc).p7c); (*acc).p7d = fma(vec4<f32>(xb.w), w.d, (*acc).p7d);
}

// Where an invocation's 8 pixels start reading x: the flat index of (n, oh·s−p, ow·s−p, 0)
// (may be negative) and that row and column.
struct Pixels {
    base_a: vec4<i32>,
    base_b: vec4<i32>,
    ih_a: vec4<i32>,
    ih_b: vec4<i32>,
    iw_a: vec4<i32>,
    iw_b: vec4<i32>,
}

// Origin of pixel q = (n, oh, ow): (flat index of x[n, ih0, iw0, 0], ih0, iw0).
fn origin(q: vec3<u32>) -> vec3<i32> {
    let o = tap_origin(q);
    let base = ((i32(q.x * p.in_h) + o.x) * i32(p.in_w) + o.y) * i32(p.in_c);
    return vec3<i32>(base, o.x, o.y);
}

// (n, oh, ow) of `pixel`, given q of the pixel before it: a step along the row instead of
// three divisions. Past the last pixel, stay on it (loads stay in bounds; stores are
// masked).
fn next_pixel(q: vec3<u32>, pixel: u32) -> vec3<u32> {
    if pixel >= p.out_pixels {
        return q;
    }
    var r = vec3<u32>(q.x, q.y, q.z + 1u);
    if r.z == p.out_w {
        r = vec3<u32>(r.x, r.y + 1u, 0u);
        if r.y == p.out_h {
            r = vec3<u32>(r.x + 1u, 0u, 0u);
        }
    }
    return r;
}

fn pixels(pix0: u32) -> Pixels {
    let q0 = split_pixel(pix0, p.out_h, p.out_w);
    let q1 = next_pixel(q0, pix0 + 1u);
    let q2 = next_pixel(q1, pix0 + 2u);
    let q3 = next_pixel(q2, pix0 + 3u);
    let q4 = next_pixel(q3, pix0 + 4u);
    let q5 = next_pixel(q4, pix0 + 5u);
    let q6 = next_pixel(q5, pix0 + 6u);
    let q7 = next_pixel(q6, pix0 + 7u);
    let o0 = origin(q0);
    let o1 = origin(q1);
    let o2 = origin(q2);
    let o3 = origin(q3);
    let o4 = origin(q4);
    let o5 = origin(q5);
    let o6 = origin(q6);
    let o7 = origin(q7);
    return Pixels(
        vec4<i32>(o0.x, o1.x, o2.x, o3.x), vec4<i32>(o4.x, o5.x, o6.x, o7.x),
        vec4<i32>(o0.y, o1.y, o2.y, o3.y), vec4<i32>(o4.y, o5.y, o6.y, o7.y),
        vec4<i32>(o0.z, o1.z, o2.z, o3.z), vec4<i32>(o4.z, o5.z, o6.z, o7.z),
    );
}

// Offsets into x of tap (kh, kw) for 4 pixels; −1 where the tap falls in the padding.
fn tap_offsets(base: vec4<i32>, ih0: vec4<i32>, iw0: vec4<i32>, kh: u32, kw: u32) -> vec4<i32> {
    let ih = ih0 + vec4<i32>(i32(kh));
    let iw = iw0 + vec4<i32>(i32(kw));
    let zero = vec4<i32>(0);
    let h_end = vec4<i32>(i32(p.in_h));
    let w_end = vec4<i32>(i32(p.in_w));
    let ok = (ih >= zero) & (ih < h_end) & (iw >= zero) & (iw < w_end);
    let off = base + vec4<i32>(i32((kh * p.in_w + kw) * p.in_c));
    return select(vec4<i32>(-1), off, ok);
}

// x[off + ic], 0 for a padding tap (the load itself stays in bounds).
fn xs(off: i32, ic: u32) -> f32 {
    return select(0.0, x[u32(max(off, 0)) + ic], off >= 0);
}

fn xv(off: i32, ic: u32) -> vec4<f32> {
    return select(vec4<f32>(0.0), x4[(u32(max(off, 0)) + ic) / 4u], off >= 0);
}

// Weights of row k for channels c0..c0+15 (loads clamped to the last channel; the
// stores drop what lies past out_c).
fn w_vec4(c0: u32, k: u32) -> W16 {
    let oc4 = p.out_c / 4u;
    let r = k * oc4;
    let q = c0 / 4u;
    let last = oc4 - 1u;
    return W16(w4[r + q], w4[r + min(q + 1u, last)], w4[r + min(q + 2u, last)],
        w4[r + min(q + 3u, last)]);
}

fn w4_scalar(r: u32, c: u32) -> vec4<f32> {
    let last = p.out_c - 1u;
    return vec4<f32>(w[r + min(c, last)], w[r + min(c + 1u, last)], w[r + min(c + 2u, last)],
        w[r + min(c + 3u, last)]);
}

fn w_scalar(c0: u32, k: u32) -> W16 {
    let r = k * p.out_c;
    return W16(w4_scalar(r, c0), w4_scalar(r, c0 + 4u), w4_scalar(r, c0 + 8u),
        w4_scalar(r, c0 + 12u));
}

fn finish(v: vec4<f32>) -> vec4<f32> {
    if RELU {
        return max(v, vec4<f32>(0.0));
    }
    return v;
}

// Channels c..c+3 of one pixel, scalar stores masked to out_c.
fn store_scalar4(pixel: u32, c: u32, v: vec4<f32>) {
    for (var j = 0u; j < 4u; j++) {
        if c + j < p.out_c {
            var s = v[j] + bias[c + j];
            if RELU {
                s = max(s, 0.0);
            }
            out[pixel * p.out_c + c + j] = s;
        }
    }
}

fn store_scalar(pixel: u32, c0: u32, v: W16) {
    if pixel >= p.out_pixels {
        return;
    }
    store_scalar4(pixel, c0, v.a);
    store_scalar4(pixel, c0 + 4u, v.b);
    store_scalar4(pixel, c0 + 8u, v.c);
    store_scalar4(pixel, c0 + 12u, v.d);
}

// Channels c..c+3 of one pixel as one vec4 store (out_c % 4 == 0: all or none in range).
fn store_vec4(pixel: u32, c: u32, v: vec4<f32>) {
    if c < p.out_c {
        out4[(pixel * p.out_c + c) / 4u] = finish(v + bias4[c / 4u]);
    }
}

fn store_vec(pixel: u32, c0: u32, v: W16) {
    if pixel >= p.out_pixels {
        return;
    }
    store_vec4(pixel, c0, v.a);
    store_vec4(pixel, c0 + 4u, v.b);
    store_vec4(pixel, c0 + 8u, v.c);
    store_vec4(pixel, c0 + 12u, v.d);
}

fn store_all_scalar(pix0: u32, c0: u32, acc: Acc) {
    store_scalar(pix0 + 0u, c0, W16(acc.p0a, acc.p0b, acc.p0c, acc.p0d));
    store_scalar(pix0 + 1u, c0, W16(acc.p1a, acc.p1b, acc.p1c, acc.p1d));
    store_scalar(pix0 + 2u, c0, W16(acc.p2a, acc.p2b, acc.p2c, acc.p2d));
    store_scalar(pix0 + 3u, c0, W16(acc.p3a, acc.p3b, acc.p3c, acc.p3d));
    store_scalar(pix0 + 4u, c0, W16(acc.p4a, acc.p4b, acc.p4c, acc.p4d));
    store_scalar(pix0 + 5u, c0, W16(acc.p5a, acc.p5b, acc.p5c, acc.p5d));
    store_scalar(pix0 + 6u, c0, W16(acc.p6a, acc.p6b, acc.p6c, acc.p6d));
    store_scalar(pix0 + 7u, c0, W16(acc.p7a, acc.p7b, acc.p7c, acc.p7d));
}

fn store_all_vec(pix0: u32, c0: u32, acc: Acc) {
    store_vec(pix0 + 0u, c0, W16(acc.p0a, acc.p0b, acc.p0c, acc.p0d));
    store_vec(pix0 + 1u, c0, W16(acc.p1a, acc.p1b, acc.p1c, acc.p1d));
    store_vec(pix0 + 2u, c0, W16(acc.p2a, acc.p2b, acc.p2c, acc.p2d));
    store_vec(pix0 + 3u, c0, W16(acc.p3a, acc.p3b, acc.p3c, acc.p3d));
    store_vec(pix0 + 4u, c0, W16(acc.p4a, acc.p4b, acc.p4c, acc.p4d));
    store_vec(pix0 + 5u, c0, W16(acc.p5a, acc.p5b, acc.p5c, acc.p5d));
    store_vec(pix0 + 6u, c0, W16(acc.p6a, acc.p6b, acc.p6c, acc.p6d));
    store_vec(pix0 + 7u, c0, W16(acc.p7a, acc.p7b, acc.p7c, acc.p7d));
}

// Items are (pixel block of 8, channel block of 16), channel block fastest.
fn channel_blocks() -> u32 {
    return (p.out_c + 15u) / 16u;
}

fn items() -> u32 {
    return ((p.out_pixels + 7u) / 8u) * channel_blocks();
}


@compute @workgroup_size(DWG)
fn conv2d_direct(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    for (var t = gid.x; t < items(); t += nwg.x * DWG) {
        let pix0 = (t / channel_blocks()) * 8u;
        let c0 = (t % channel_blocks()) * 16u;
        let px = pixels(pix0);
        var acc = zero_acc();
        for (var kh = 0u; kh < p.kernel; kh++) {
            for (var kw = 0u; kw < p.kernel; kw++) {
                let oa = tap_offsets(px.base_a, px.ih_a, px.iw_a, kh, kw);
                let ob = tap_offsets(px.base_b, px.ih_b, px.iw_b, kh, kw);
                let k0 = (kh * p.kernel + kw) * p.in_c;
                for (var ic = 0u; ic < p.in_c; ic += 4u) {
                    let v0 = xv(oa.x, ic);
                    let v1 = xv(oa.y, ic);
                    let v2 = xv(oa.z, ic);
                    let v3 = xv(oa.w, ic);
                    let v4 = xv(ob.x, ic);
                    let v5 = xv(ob.y, ic);
                    let v6 = xv(ob.z, ic);
                    let v7 = xv(ob.w, ic);
                    let k = k0 + ic;
                    step(&acc, vec4<f32>(v0.x, v1.x, v2.x, v3.x), vec4<f32>(v4.x, v5.x, v6.x, v7.x), w_vec4(c0, k));
                    step(&acc, vec4<f32>(v0.y, v1.y, v2.y, v3.y), vec4<f32>(v4.y, v5.y, v6.y, v7.y), w_vec4(c0, k + 1u));
                    step(&acc, vec4<f32>(v0.z, v1.z, v2.z, v3.z), vec4<f32>(v4.z, v5.z, v6.z, v7.z), w_vec4(c0, k + 2u));
                    step(&acc, vec4<f32>(v0.w, v1.w, v2.w, v3.w), vec4<f32>(v4.w, v5.w, v6.w, v7.w), w_vec4(c0, k + 3u));
                }
            }
        }
        store_all_vec(pix0, c0, acc);
    }
}


@compute @workgroup_size(DWG)
fn conv2d_direct_x1(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    for (var t = gid.x; t < items(); t += nwg.x * DWG) {
        let pix0 = (t / channel_blocks()) * 8u;
        let c0 = (t % channel_blocks()) * 16u;
        let px = pixels(pix0);
        var acc = zero_acc();
        for (var kh = 0u; kh < p.kernel; kh++) {
            for (var kw = 0u; kw < p.kernel; kw++) {
                let oa = tap_offsets(px.base_a, px.ih_a, px.iw_a, kh, kw);
                let ob = tap_offsets(px.base_b, px.ih_b, px.iw_b, kh, kw);
                let k0 = (kh * p.kernel + kw) * p.in_c;
                for (var ic = 0u; ic < p.in_c; ic++) {
                    let xa = vec4<f32>(xs(oa.x, ic), xs(oa.y, ic), xs(oa.z, ic), xs(oa.w, ic));
                    let xb = vec4<f32>(xs(ob.x, ic), xs(ob.y, ic), xs(ob.z, ic), xs(ob.w, ic));
                    step(&acc, xa, xb, w_vec4(c0, k0 + ic));
                }
            }
        }
        store_all_vec(pix0, c0, acc);
    }
}


@compute @workgroup_size(DWG)
fn conv2d_direct_any(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    for (var t = gid.x; t < items(); t += nwg.x * DWG) {
        let pix0 = (t / channel_blocks()) * 8u;
        let c0 = (t % channel_blocks()) * 16u;
        let px = pixels(pix0);
        var acc = zero_acc();
        for (var kh = 0u; kh < p.kernel; kh++) {
            for (var kw = 0u; kw < p.kernel; kw++) {
                let oa = tap_offsets(px.base_a, px.ih_a, px.iw_a, kh, kw);
                let ob = tap_offsets(px.base_b, px.ih_b, px.iw_b, kh, kw);
                let k0 = (kh * p.kernel + kw) * p.in_c;
                for (var ic = 0u; ic < p.in_c; ic++) {
                    let xa = vec4<f32>(xs(oa.x, ic), xs(oa.y, ic), xs(oa.z, ic), xs(oa.w, ic));
                    let xb = vec4<f32>(xs(ob.x, ic), xs(ob.y, ic), xs(ob.z, ic), xs(ob.w, ic));
                    step(&acc, xa, xb, w_scalar(c0, k0 + ic));
                }
            }
        }
        store_all_scalar(pix0, c0, acc);
    }
}
