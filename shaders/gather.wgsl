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

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> index: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(1) @binding(0) var<uniform> step: Step;

// One invocation per row (grid-stride over rows), copying the row's columns in order: no
// integer division per element, which software adapters run one lane at a time.
@compute @workgroup_size(256)
fn gather_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    for (var row = gid.x; row < p.rows; row += nwg.x * 256u) {
        let global = index[step.row_offset + row];
        if global >= p.first_row && global - p.first_row < p.src_rows {
            let first = (global - p.first_row) * p.cols;
            let to = row * p.cols;
            for (var c = 0u; c < p.cols; c++) {
                out[to + c] = src[first + c];
            }
        }
    }
}

// The same for rows of whole vec4s (cols % 4 == 0; `cols` still counts floats). Bindings
// 5 and 6 are src and out seen as vec4s.
@group(0) @binding(5) var<storage, read> src4: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> out4: array<vec4<f32>>;

@compute @workgroup_size(256)
fn gather_rows4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let c4 = p.cols / 4u;
    for (var row = gid.x; row < p.rows; row += nwg.x * 256u) {
        let global = index[step.row_offset + row];
        if global >= p.first_row && global - p.first_row < p.src_rows {
            let first = (global - p.first_row) * c4;
            let to = row * c4;
            for (var c = 0u; c < c4; c++) {
                out4[to + c] = src4[first + c];
            }
        }
    }
}
