// gather.wgsl — out[i, :] = src[index[offset + i], :]: copies a shuffled minibatch out of the
// data set that stays on the GPU, so minibatch training uploads only the permutation once
// per epoch. CPU reference: cpu::gather_rows.

struct Params {
    rows: u32,
    cols: u32,
    // First entry of `index` this dispatch uses: one permutation per epoch serves every
    // minibatch of it.
    offset: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> index: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn gather_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let n = p.rows * p.cols;
    for (var e = gid.x; e < n; e += nwg.x * 256u) {
        let row = e / p.cols;
        let col = e % p.cols;
        out[e] = src[index[p.offset + row] * p.cols + col];
    }
}
