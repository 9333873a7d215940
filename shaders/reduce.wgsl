// reduce.wgsl — the reductions training needs. CPU references: cpu::column_sum,
// cpu::reduce_metrics, cpu::confusion.

struct Shape {
    rows: u32,
    cols: u32,
    _pad0: u32,
    _pad1: u32,
}

// ---- column_sum: out[j] = Σ_i x[i, j] (the bias gradient). One invocation per column;
// neighbouring invocations read neighbouring addresses of each row.
@group(0) @binding(0) var<uniform> shape: Shape;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn column_sum(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    for (var j = gid.x; j < shape.cols; j += nwg.x * 64u) {
        var s0 = 0.0;
        var s1 = 0.0;
        var i = 0u;
        // Two partial sums halve the dependency chain of the long row loop.
        for (; i + 1u < shape.rows; i += 2u) {
            s0 += x[i * shape.cols + j];
            s1 += x[(i + 1u) * shape.cols + j];
        }
        if i < shape.rows {
            s0 += x[i * shape.cols + j];
        }
        out[j] = s0 + s1;
    }
}
