// metrics.wgsl — sums the per-row (loss, correct) pairs written by loss.wgsl into one slot
// of a metrics buffer that lives on the GPU for the whole run:
//   metrics[2·slot]     (+)= loss_scale · Σ loss
//   metrics[2·slot + 1] (+)= Σ correct
// One workgroup does the whole reduction, so the read-modify-write of the slot needs no
// atomics and successive dispatches (minibatches of one epoch) accumulate in order. The
// slot and whether to accumulate come from the per-step uniform (core::StepValues).
// CPU reference: cpu::reduce_metrics.

struct Params {
    rows: u32,
    loss_scale: f32,
    _pad0: u32,
    _pad1: u32,
}


@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> stats: array<f32>;
@group(0) @binding(2) var<storage, read_write> metrics: array<f32>;
@group(1) @binding(0) var<uniform> step: Step;

var<workgroup> part_loss: array<f32, 256>;
var<workgroup> part_correct: array<f32, 256>;

@compute @workgroup_size(256)
fn reduce_metrics(@builtin(local_invocation_index) lid: u32) {
    var loss = 0.0;
    var correct = 0.0;
    for (var i = lid; i < p.rows; i += 256u) {
        loss += stats[2u * i];
        correct += stats[2u * i + 1u];
    }
    part_loss[lid] = loss;
    part_correct[lid] = correct;
    workgroupBarrier();
    for (var width = 128u; width > 0u; width /= 2u) {
        if lid < width {
            part_loss[lid] += part_loss[lid + width];
            part_correct[lid] += part_correct[lid + width];
        }
        workgroupBarrier();
    }
    if lid == 0u {
        var old_loss = 0.0;
        var old_correct = 0.0;
        let slot = step.metrics_slot;
        if step.accumulate_metrics != 0u {
            old_loss = metrics[2u * slot];
            old_correct = metrics[2u * slot + 1u];
        }
        metrics[2u * slot] = old_loss + part_loss[0] * p.loss_scale;
        metrics[2u * slot + 1u] = old_correct + part_correct[0];
    }
}
