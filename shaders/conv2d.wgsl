// conv2d.wgsl — 2-D convolution over NHWC images (geometry: crates/core/src/geometry.rs).
// Dispatch: crates/core/src/kernels/conv.rs. CPU references: cpu::im2col, cpu::col2im,
// cpu::conv2d. Tests: crates/core/tests/conv.rs. Bench: benches/conv.rs.
//
//   im2col         cols[(n,oh,ow), (kh,kw,ic)] = x[n, oh·s+kh−p, ow·s+kw−p, ic] (0 outside),
//                  so a conv is one GEMM cols·W (the weight is HWIO = [patch_len, out_c]).
//   col2im         the adjoint of im2col in gather form: each dx element sums the dcols
//                  entries it was copied to. No atomics, so the order (and result) is fixed.
//   conv2d_direct  out = x ⊛ w + bias (ReLU) without the cols matrix: an implicit GEMM
//                  whose A rows are read straight from the image.
//
// Every entry uses its own binding numbers, so each auto-derived layout holds only what
// that entry reads. Loops are grid-stride, so any size fits the 65,535-group grid limit.

struct Params {
    batch: u32,
    in_h: u32,
    in_w: u32,
    in_c: u32,
    out_h: u32,
    out_w: u32,
    out_c: u32,
    kernel: u32,
    stride: u32,
    padding: u32,
    patch_len: u32,
    out_pixels: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

// x[n, ih, iw, ·] and cols rows are runs of in_c values, so when in_c % 4 == 0 the fast
// entries (im2col_vec4, col2im_vec4, conv2d_direct) move vec4s: lavapipe runs each
// storage access as a per-lane loop, so one vec4 access costs about what one f32 does.
// Integer division is scalarised on a CPU (no SIMD divide), so items are whole pixels:
// a few divisions per pixel, none per element.

// Decomposes a pixel index over a [batch, rows, cols] grid into (n, row, col).
fn split_pixel(pixel: u32, rows: u32, cols: u32) -> vec3<u32> {
    return vec3<u32>(pixel / (rows * cols), (pixel / cols) % rows, pixel % cols);
}

// Row and column in x of tap (0, 0) of output pixel q = (n, oh, ow); may be negative.
fn tap_origin(q: vec3<u32>) -> vec2<i32> {
    return vec2<i32>(i32(q.y * p.stride), i32(q.z * p.stride)) - vec2<i32>(i32(p.padding));
}

fn inside(ih: i32, iw: i32) -> bool {
    return ih >= 0 && ih < i32(p.in_h) && iw >= 0 && iw < i32(p.in_w);
}

// ---- im2col: one item per output pixel, writing its row of cols.
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> cols: array<f32>;
@group(0) @binding(12) var<storage, read> x_v: array<vec4<f32>>;
@group(0) @binding(13) var<storage, read_write> cols_v: array<vec4<f32>>;

@compute @workgroup_size(64)
fn im2col(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    for (var pixel = gid.x; pixel < p.out_pixels; pixel += nwg.x * 64u) {
        let q = split_pixel(pixel, p.out_h, p.out_w);
        let o = tap_origin(q);
        var dst = pixel * p.patch_len;
        for (var kh = 0u; kh < p.kernel; kh++) {
            for (var kw = 0u; kw < p.kernel; kw++) {
                let ih = o.x + i32(kh);
                let iw = o.y + i32(kw);
                let ok = inside(ih, iw);
                let src = ((q.x * p.in_h + u32(max(ih, 0))) * p.in_w + u32(max(iw, 0))) * p.in_c;
                for (var ic = 0u; ic < p.in_c; ic++) {
                    cols[dst + ic] = select(0.0, x[src + ic], ok);
                }
                dst += p.in_c;
            }
        }
    }
}

@compute @workgroup_size(64)
fn im2col_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let c4 = p.in_c / 4u;
    for (var pixel = gid.x; pixel < p.out_pixels; pixel += nwg.x * 64u) {
        let q = split_pixel(pixel, p.out_h, p.out_w);
        let o = tap_origin(q);
        var dst = pixel * (p.patch_len / 4u);
        for (var kh = 0u; kh < p.kernel; kh++) {
            for (var kw = 0u; kw < p.kernel; kw++) {
                let ih = o.x + i32(kh);
                let iw = o.y + i32(kw);
                let ok = inside(ih, iw);
                let src = ((q.x * p.in_h + u32(max(ih, 0))) * p.in_w + u32(max(iw, 0))) * c4;
                for (var i = 0u; i < c4; i++) {
                    cols_v[dst + i] = select(vec4<f32>(0.0), x_v[src + i], ok);
                }
                dst += c4;
            }
        }
    }
}

// ---- col2im: dx[n,ih,iw,ic] = Σ dcols[(n,oh,ow), (kh,kw,ic)] over the taps that read it.
// Tap kh of output row oh reads input row oh·s + kh − p, so input row ih is read by the
// output rows oh with 0 ≤ ih + p − oh·s < kernel: ⌈(ih + p − kernel + 1)/s⌉ ≤ oh ≤ ⌊(ih + p)/s⌋.
@group(0) @binding(3) var<storage, read> dcols: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
@group(0) @binding(14) var<storage, read> dcols_v: array<vec4<f32>>;
@group(0) @binding(15) var<storage, read_write> dx_v: array<vec4<f32>>;

// The output rows (or columns, with out = out_w) that read input row (column) i, as
// [first, end).
fn readers(i: u32, out: u32) -> vec2<u32> {
    let pi = i + p.padding;
    let first = select(0u, (pi + 1u - p.kernel + p.stride - 1u) / p.stride, pi + 1u > p.kernel);
    return vec2<u32>(first, min(pi / p.stride + 1u, out));
}

@compute @workgroup_size(64)
fn col2im(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let pixels = p.batch * p.in_h * p.in_w;
    for (var pixel = gid.x; pixel < pixels; pixel += nwg.x * 64u) {
        let q = split_pixel(pixel, p.in_h, p.in_w);
        let oh_range = readers(q.y, p.out_h);
        let ow_range = readers(q.z, p.out_w);
        for (var ic = 0u; ic < p.in_c; ic++) {
            var s = 0.0;
            for (var oh = oh_range.x; oh < oh_range.y; oh++) {
                let kh = q.y + p.padding - oh * p.stride;
                for (var ow = ow_range.x; ow < ow_range.y; ow++) {
                    let kw = q.z + p.padding - ow * p.stride;
                    let row = (q.x * p.out_h + oh) * p.out_w + ow;
                    s += dcols[row * p.patch_len + (kh * p.kernel + kw) * p.in_c + ic];
                }
            }
            dx[pixel * p.in_c + ic] = s;
        }
    }
}

@compute @workgroup_size(64)
fn col2im_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let pixels = p.batch * p.in_h * p.in_w;
    let c4 = p.in_c / 4u;
    let patch4 = p.patch_len / 4u;
    for (var pixel = gid.x; pixel < pixels; pixel += nwg.x * 64u) {
        let q = split_pixel(pixel, p.in_h, p.in_w);
        let oh_range = readers(q.y, p.out_h);
        let ow_range = readers(q.z, p.out_w);
        for (var i = 0u; i < c4; i++) {
            var s = vec4<f32>(0.0);
            for (var oh = oh_range.x; oh < oh_range.y; oh++) {
                let kh = q.y + p.padding - oh * p.stride;
                for (var ow = ow_range.x; ow < ow_range.y; ow++) {
                    let kw = q.z + p.padding - ow * p.stride;
                    let row = (q.x * p.out_h + oh) * p.out_w + ow;
                    s += dcols_v[row * patch4 + (kh * p.kernel + kw) * c4 + i];
                }
            }
            dx_v[pixel * c4 + i] = s;
        }
    }
}
