//! The per-step values on the GPU: a table of [`StepValues`] entries, one per step of a
//! submission, that step-dependent kernels (Adam, the metrics reduction, row gathers) read
//! through a dynamic uniform offset. A whole epoch of minibatches — or many full-batch
//! epochs — is one table write and one submission; each step's launches are recorded with
//! their entry's offset.

use crate::step::StepValues;

/// Size of the WGSL `Step` struct (12 × 4 bytes).
const STEP_BYTES: u64 = 48;

/// Steps per submission; a longer run is split into several submissions.
pub const STEPS_PER_SUBMISSION: usize = 1024;

/// The table buffer, its bind group (group 1 of every stepped pipeline) and layout.
#[derive(Debug)]
pub(crate) struct StepTable {
    buffer: wgpu::Buffer,
    pub layout: wgpu::BindGroupLayout,
    pub group: wgpu::BindGroup,
    /// Bytes between entries: the device's uniform offset alignment.
    pub stride: u64,
}

impl StepTable {
    pub fn new(device: &wgpu::Device) -> Self {
        let stride = (device.limits().min_uniform_buffer_offset_alignment as u64)
            .max(STEP_BYTES)
            .next_multiple_of(16);
        let buffer = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("step table"),
            size: stride * STEPS_PER_SUBMISSION as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("step table"),
            entries: &[wgpu::BindGroupLayoutEntry {
                binding: 0,
                visibility: wgpu::ShaderStages::COMPUTE,
                ty: wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Uniform,
                    has_dynamic_offset: true,
                    min_binding_size: std::num::NonZeroU64::new(STEP_BYTES),
                },
                count: None,
            }],
        });
        let group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("step table"),
            layout: &layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                    buffer: &buffer,
                    offset: 0,
                    size: std::num::NonZeroU64::new(STEP_BYTES),
                }),
            }],
        });
        StepTable {
            buffer,
            layout,
            group,
            stride,
        }
    }

    /// Writes `steps` (at most [`STEPS_PER_SUBMISSION`]) as entries 0.. for the next
    /// submission.
    pub fn write(&self, queue: &wgpu::Queue, steps: &[StepValues]) {
        let stride = self.stride as usize / 4;
        let mut words = vec![0u32; stride * steps.len()];
        for (i, s) in steps.iter().enumerate() {
            words[i * stride..i * stride + 12].copy_from_slice(&s.to_uniform());
        }
        if !words.is_empty() {
            queue.write_buffer(&self.buffer, 0, bytemuck::cast_slice(&words));
        }
    }

    /// The dynamic offset of entry `i`.
    pub fn offset(&self, i: usize) -> u32 {
        (i as u64 * self.stride) as u32
    }
}
