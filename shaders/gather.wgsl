// gather.wgsl — out[i, :] = src[index[offset + i] − first_row, :] for the rows whose index
// falls in this source's range: copies a shuffled minibatch out of the data set that stays
// on the GPU, so minibatch training uploads only the permutation once per epoch. A data set
// larger than one storage binding is held in shards, one gather per shard, each writing the
// rows it holds (so every row is written by exactly one shard). CPU reference:
// cpu::gather_rows.

struct Params {
    rows: u32,
    cols: u32,
    // The global row number of src's first row, and how many rows src holds.
    first_row: u32,
    src_rows: u32,
}

// The per-step uniform (core::StepValues); `row_offset` is the first entry of `index` this
// step uses: one permutation per epoch serves every minibatch of it.
struct Step {
    lr: f32,
    beta1: f32,
    beta2: f32,
    eps: f32,
    c1: f32,
    c2: f32,
    metrics_slot: u32,
    accumulate_metrics: u32,
    row_offset: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> index: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(1) @binding(0) var<uniform> step: Step;

@compute @workgroup_size(256)
fn gather_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let n = p.rows * p.cols;
    for (var e = gid.x; e < n; e += nwg.x * 256u) {
        let row = e / p.cols;
        let col = e % p.cols;
        let global = index[step.row_offset + row];
        if global >= p.first_row && global - p.first_row < p.src_rows {
            out[e] = src[(global - p.first_row) * p.cols + col];
        }
    }
}
