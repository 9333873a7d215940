// maxpool.wgsl — max-pooling over NHWC images, square window, no padding (geometry:
// Pool2dGeometry in crates/core/src/geometry.rs). Dispatch: crates/core/src/kernels/pool.rs.
// CPU references: cpu::max_pool2d, cpu::max_pool2d_backward. Tests: tests/pool.rs.
//
//   max_pool2d           out = max over the window; argmax = flat index into x (over the
//                        whole batch) of the first maximum in scan order (kh outer, kw inner).
//   max_pool2d_backward  gather form: each dx element sums dy over the windows that contain
//                        it and chose it, so overlapping windows (stride < size) need no
//                        atomics and the result does not depend on scheduling.
// Loops are grid-stride, so any size fits the 65,535-group grid limit.

struct Params {
    batch: u32,
    in_h: u32,
    in_w: u32,
    channels: u32,
    out_h: u32,
    out_w: u32,
    size: u32,
    stride: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

// Items are whole pixels, looping over the channels inside: integer division is
// scalarised on a CPU (no SIMD divide), so this keeps it to a few divisions per pixel.
// With channels % 4 == 0 the _vec4 entries move vec4s of channels: lavapipe runs each
// storage access as a per-lane loop, so a vec4 access costs about what an f32 one does.
// Measured on lavapipe at the CNN's first pool (64×28×28×32, 2×2): one element per
// invocation took 16 ms forward and 68 ms backward; pixels and vec4s, 3.0 and 3.5 ms.

// (n, row, col) of a pixel index over a [batch, rows, cols] grid.
fn split_pixel(pixel: u32, rows: u32, cols: u32) -> vec3<u32> {
    return vec3<u32>(pixel / (rows * cols), (pixel / cols) % rows, pixel % cols);
}

// The windows (output rows, or columns with out = out_w) that contain input row (column)
// i: oh·s ≤ i < oh·s + size, i.e. ⌈(i + 1 − size)/s⌉ ≤ oh ≤ ⌊i/s⌋, as [first, end).
fn windows(i: u32, n_out: u32) -> vec2<u32> {
    let first = select(0u, (i + 1u - p.size + p.stride - 1u) / p.stride, i + 1u > p.size);
    return vec2<u32>(first, min(i / p.stride + 1u, n_out));
}

@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read_write> argmax: array<u32>;
@group(0) @binding(7) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> out4: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read_write> argmax4: array<vec4<u32>>;

// Flat index into x of window (oh, ow)'s first element, channel 0.
fn window_origin(q: vec3<u32>) -> u32 {
    return ((q.x * p.in_h + q.y * p.stride) * p.in_w + q.z * p.stride) * p.channels;
}

@compute @workgroup_size(64)
fn max_pool2d(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let pixels = p.batch * p.out_h * p.out_w;
    for (var pixel = gid.x; pixel < pixels; pixel += nwg.x * 64u) {
        let first = window_origin(split_pixel(pixel, p.out_h, p.out_w));
        for (var c = 0u; c < p.channels; c++) {
            var at = first + c;
            var best = x[at];
            for (var kh = 0u; kh < p.size; kh++) {
                for (var kw = 0u; kw < p.size; kw++) {
                    let i = first + (kh * p.in_w + kw) * p.channels + c;
                    let v = x[i];
                    // Strictly greater: ties keep the earlier element.
                    if v > best {
                        best = v;
                        at = i;
                    }
                }
            }
            out[pixel * p.channels + c] = best;
            argmax[pixel * p.channels + c] = at;
        }
    }
}

@compute @workgroup_size(64)
fn max_pool2d_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let pixels = p.batch * p.out_h * p.out_w;
    let c4 = p.channels / 4u;
    let lanes = vec4<u32>(0u, 1u, 2u, 3u);
    for (var pixel = gid.x; pixel < pixels; pixel += nwg.x * 64u) {
        let first = window_origin(split_pixel(pixel, p.out_h, p.out_w));
        for (var g = 0u; g < c4; g++) {
            var at = vec4<u32>(first + 4u * g) + lanes;
            var best = x4[at.x / 4u];
            for (var kh = 0u; kh < p.size; kh++) {
                for (var kw = 0u; kw < p.size; kw++) {
                    let i = first + (kh * p.in_w + kw) * p.channels + 4u * g;
                    let v = x4[i / 4u];
                    let better = v > best;
                    best = select(best, v, better);
                    at = select(at, vec4<u32>(i) + lanes, better);
                }
            }
            out4[pixel * c4 + g] = best;
            argmax4[pixel * c4 + g] = at;
        }
    }
}

@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read> chosen: array<u32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;
@group(0) @binding(10) var<storage, read> dy4: array<vec4<f32>>;
@group(0) @binding(11) var<storage, read> chosen4: array<vec4<u32>>;
@group(0) @binding(12) var<storage, read_write> dx4: array<vec4<f32>>;

@compute @workgroup_size(64)
fn max_pool2d_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let pixels = p.batch * p.in_h * p.in_w;
    for (var pixel = gid.x; pixel < pixels; pixel += nwg.x * 64u) {
        let q = split_pixel(pixel, p.in_h, p.in_w);
        let rows = windows(q.y, p.out_h);
        let cols = windows(q.z, p.out_w);
        for (var c = 0u; c < p.channels; c++) {
            let e = pixel * p.channels + c;
            var s = 0.0;
            for (var oh = rows.x; oh < rows.y; oh++) {
                for (var ow = cols.x; ow < cols.y; ow++) {
                    let o = ((q.x * p.out_h + oh) * p.out_w + ow) * p.channels + c;
                    if chosen[o] == e {
                        s += dy[o];
                    }
                }
            }
            dx[e] = s;
        }
    }
}

@compute @workgroup_size(64)
fn max_pool2d_backward_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let pixels = p.batch * p.in_h * p.in_w;
    let c4 = p.channels / 4u;
    let lanes = vec4<u32>(0u, 1u, 2u, 3u);
    for (var pixel = gid.x; pixel < pixels; pixel += nwg.x * 64u) {
        let q = split_pixel(pixel, p.in_h, p.in_w);
        let rows = windows(q.y, p.out_h);
        let cols = windows(q.z, p.out_w);
        for (var g = 0u; g < c4; g++) {
            let e = vec4<u32>((pixel * c4 + g) * 4u) + lanes;
            var s = vec4<f32>(0.0);
            for (var oh = rows.x; oh < rows.y; oh++) {
                for (var ow = cols.x; ow < cols.y; ow++) {
                    let o = ((q.x * p.out_h + oh) * p.out_w + ow) * c4 + g;
                    s += select(vec4<f32>(0.0), dy4[o], chosen4[o] == e);
                }
            }
            dx4[pixel * c4 + g] = s;
        }
    }
}
