// transpose.wgsl — out[c, r] = x[r, c] for a row-major [rows, cols] matrix.
// CPU reference: cpu::transpose. Tests: crates/core/tests/transpose.rs.
//
// Used in front of the vec4 matmul for A·Bᵀ (the input gradients dY·Wᵀ): the vec4 kernel
// reads B along its rows, so Bᵀ — a weight, small next to the product — is written out
// once per product, and the product runs as A·(Bᵀ) with four times fewer load
// instructions than the scalar kernel that reads B transposed in place.
// Grid-stride over the output, so any size works with a capped grid; each invocation
// writes consecutive output elements (reads strided by cols).

struct Params {
    rows: u32,
    cols: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let n = p.rows * p.cols;
    for (var i = gid.x; i < n; i += nwg.x * 256u) {
        // Output element i is (c, r) of the [cols, rows] result.
        let c = i / p.rows;
        let r = i - c * p.rows;
        out[i] = x[r * p.cols + c];
    }
}
