//! Dispatch of the hand-written WGSL kernels in `shaders/`.
//!
//! Every kernel is built into a [`Dispatch`]: pipeline, bind group and grid fixed once, when
//! a model is built. A training step then only records dispatches into one compute pass:
//! no allocation, no upload of shapes, no readback. Each module here pairs with a shader
//! file and a CPU reference of the same name in [`crate::cpu`].

pub mod activation;
pub mod adam;
pub mod conv;
pub mod dense_head;
pub mod loss;
pub mod matmul;
pub mod matmul_plan;
pub mod pool;
pub mod reduce;
pub mod transpose;

use crate::error::{CoreError, Result};
use crate::gpu::Gpu;

/// Invocations per workgroup of the 1-D (elementwise and per-row) kernels.
pub(crate) const WG_1D: u32 = 256;
/// Largest workgroup count per grid axis that every adapter accepts.
pub(crate) const MAX_GROUPS: u32 = 65_535;

/// One recorded-once kernel launch: pipeline, bindings and grid.
#[derive(Debug)]
pub struct Dispatch {
    label: String,
    pipeline: wgpu::ComputePipeline,
    bind_group: wgpu::BindGroup,
    groups: [u32; 3],
    // Kept alive with the bind group that refers to it.
    _uniform: Option<wgpu::Buffer>,
    // Launches recorded right after this one (e.g. the k chunks of a split matmul).
    then: Vec<Dispatch>,
    // What the per-step values must satisfy for this launch to stay in bounds.
    bounds: StepBounds,
    // The step table's bind group (group 1), for kernels that read per-step values.
    stepped: Option<wgpu::BindGroup>,
}

/// Limits on the per-step values ([`crate::StepValues`]) a launch reads, checked before
/// each run so a bad slot or offset is an error rather than an out-of-bounds access.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StepBounds {
    /// The metrics buffer has this many slots.
    pub metrics_slots: Option<usize>,
    /// `row_offset + rows` must not exceed the index array: (rows, index length).
    pub gathered_rows: Option<(usize, usize)>,
}

impl Dispatch {
    /// Records this launch into `pass`; step-dependent kernels read the step table entry
    /// at byte offset `step_offset` (see [`crate::step_table::StepTable::offset`]).
    pub fn record(&self, pass: &mut wgpu::ComputePass<'_>, step_offset: u32) {
        self.record_one(pass, step_offset);
        for next in &self.then {
            next.record(pass, step_offset);
        }
    }

    /// Checks that `step` keeps this launch (and those chained to it) in bounds.
    pub fn check_step(&self, step: &crate::StepValues) -> Result<()> {
        if let Some(slots) = self.bounds.metrics_slots {
            if step.metrics_slot >= slots {
                return Err(shape_err(
                    "reduce_metrics",
                    format!(
                        "metrics slot {} out of range (the buffer has {slots} slots)",
                        step.metrics_slot
                    ),
                ));
            }
        }
        if let Some((rows, len)) = self.bounds.gathered_rows {
            if step.row_offset + rows > len {
                return Err(shape_err(
                    "gather_rows",
                    format!(
                        "rows {}..{} of an index of {len} entries",
                        step.row_offset,
                        step.row_offset + rows
                    ),
                ));
            }
        }
        self.then.iter().try_for_each(|d| d.check_step(step))
    }

    pub(crate) fn with_bounds(mut self, bounds: StepBounds) -> Dispatch {
        self.bounds = bounds;
        self
    }

    /// This launch and those chained to it, in recording order.
    pub fn launches(&self) -> Vec<&Dispatch> {
        let mut all = vec![self];
        for next in &self.then {
            all.extend(next.launches());
        }
        all
    }

    /// Records this launch alone (not those chained to it).
    pub fn record_one(&self, pass: &mut wgpu::ComputePass<'_>, step_offset: u32) {
        if !self.groups.contains(&0) {
            pass.set_pipeline(&self.pipeline);
            pass.set_bind_group(0, &self.bind_group, &[]);
            if let Some(steps) = &self.stepped {
                pass.set_bind_group(1, steps, &[step_offset]);
            }
            pass.dispatch_workgroups(self.groups[0], self.groups[1], self.groups[2]);
        }
    }

    /// This launch followed by `next`, as one dispatch for callers.
    pub(crate) fn followed_by(mut self, next: Dispatch) -> Dispatch {
        self.then.push(next);
        self
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    /// Workgroups launched, for benchmarks and debugging.
    pub fn groups(&self) -> [u32; 3] {
        self.groups
    }
}

/// Records `dispatches` in order into one compute pass of `encoder`, reading step table
/// entry 0.
pub fn record_all(encoder: &mut wgpu::CommandEncoder, dispatches: &[&Dispatch]) {
    let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
        label: Some("oddeven"),
        timestamp_writes: None,
    });
    for d in dispatches {
        d.record(&mut pass, 0);
    }
}

/// Records, submits and waits: for tests, evaluation and one-off work, not training steps.
/// Step-dependent kernels read the default [`crate::StepValues`].
pub fn run(gpu: &Gpu, dispatches: &[&Dispatch]) -> Result<()> {
    run_step(gpu, dispatches, &crate::StepValues::default())
}

/// [`run`] with `step` as the values step-dependent kernels read (checked first).
pub fn run_step(gpu: &Gpu, dispatches: &[&Dispatch], step: &crate::StepValues) -> Result<()> {
    for d in dispatches {
        d.check_step(step)?;
    }
    gpu.submit_with_steps(std::slice::from_ref(step), |encoder| {
        record_all(encoder, dispatches)
    });
    gpu.wait()
}

/// Builds a [`Dispatch`]. `uniform` (if any) is bound at binding 0; `bindings` follow at
/// the binding numbers given.
pub(crate) fn build(
    gpu: &Gpu,
    label: String,
    pipeline: wgpu::ComputePipeline,
    uniform: Option<&[u8]>,
    bindings: &[(u32, wgpu::BindingResource<'_>)],
    groups: [u32; 3],
) -> Result<Dispatch> {
    let uniform_buffer = uniform.map(|bytes| {
        let buffer = gpu.device().create_buffer(&wgpu::BufferDescriptor {
            label: Some(&label),
            size: (bytes.len() as u64).next_multiple_of(16),
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        gpu.queue().write_buffer(&buffer, 0, bytes);
        buffer
    });
    let mut entries: Vec<wgpu::BindGroupEntry<'_>> = Vec::with_capacity(bindings.len() + 1);
    if let Some(buffer) = &uniform_buffer {
        entries.push(wgpu::BindGroupEntry {
            binding: 0,
            resource: buffer.as_entire_binding(),
        });
    }
    for (binding, resource) in bindings {
        entries.push(wgpu::BindGroupEntry {
            binding: *binding,
            resource: resource.clone(),
        });
    }
    let bind_group = gpu.checked(&label, || {
        gpu.device().create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(&label),
            layout: &pipeline.get_bind_group_layout(0),
            entries: &entries,
        })
    })?;
    Ok(Dispatch {
        label,
        pipeline,
        bind_group,
        groups,
        _uniform: uniform_buffer,
        then: Vec::new(),
        bounds: StepBounds::default(),
        stepped: None,
    })
}

/// [`build`] for a pipeline from [`Gpu::stepped_pipeline`]: group 1 is the step table.
pub(crate) fn build_stepped(
    gpu: &Gpu,
    label: String,
    pipeline: wgpu::ComputePipeline,
    uniform: Option<&[u8]>,
    bindings: &[(u32, wgpu::BindingResource<'_>)],
    groups: [u32; 3],
) -> Result<Dispatch> {
    let mut d = build(gpu, label, pipeline, uniform, bindings, groups)?;
    d.stepped = Some(gpu.step_table().group.clone());
    Ok(d)
}

/// How a binding of a stepped pipeline's group 0 is used.
pub(crate) enum Slot {
    Uniform,
    Read,
    ReadWrite,
}

/// Layout entries of a stepped pipeline's group 0, by binding.
pub(crate) fn layout(slots: &[(u32, Slot)]) -> Vec<wgpu::BindGroupLayoutEntry> {
    slots
        .iter()
        .map(|(binding, slot)| wgpu::BindGroupLayoutEntry {
            binding: *binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: match slot {
                    Slot::Uniform => wgpu::BufferBindingType::Uniform,
                    Slot::Read => wgpu::BufferBindingType::Storage { read_only: true },
                    Slot::ReadWrite => wgpu::BufferBindingType::Storage { read_only: false },
                },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        })
        .collect()
}

/// Workgroups of a software adapter's grid-stride loops: lavapipe pays a few µs per
/// workgroup, so a few long-running ones beat one per 256 items (measured: a ReLU over
/// 235,200 values took half the time with 16 workgroups as with 919).
const SOFTWARE_GROUPS: usize = 16;

/// Workgroups for a grid-stride loop over `n` items: enough to cover `n` on a GPU, capped
/// at one axis' limit (and at [`SOFTWARE_GROUPS`] on a software adapter); the shader loops
/// over the rest.
pub(crate) fn groups_1d(gpu: &Gpu, n: usize) -> [u32; 3] {
    let cap = if gpu.summary().is_software() {
        SOFTWARE_GROUPS
    } else {
        MAX_GROUPS as usize
    };
    let groups = n.div_ceil(WG_1D as usize).clamp(1, cap) as u32;
    [groups, 1, 1]
}

/// Converts a size to the u32 the shaders index with, or explains why it cannot be.
pub(crate) fn to_u32(op: &'static str, what: &str, n: usize) -> Result<u32> {
    u32::try_from(n).map_err(|_| CoreError::Shape {
        op,
        detail: format!("{what} = {n} does not fit the 32-bit indices the kernels use"),
    })
}

pub(crate) fn shape_err(op: &'static str, detail: String) -> CoreError {
    CoreError::Shape { op, detail }
}
