//! Per-kernel GPU time of a list of ops, from timestamp queries (where the adapter has
//! `TIMESTAMP_QUERY`): every launch in its own compute pass, with a timestamp written at
//! the start and end of the pass. For `cargo xtask bench --profile`; the extra passes
//! make the total a little slower than a normal run.

use crate::error::{CoreError, Result};
use crate::gpu::Gpu;
use crate::gpu_backend::GpuOp;
use crate::step::StepValues;

/// The GPU time of one kernel launch.
#[derive(Debug, Clone, PartialEq)]
pub struct KernelTime {
    pub label: String,
    pub workgroups: [u32; 3],
    pub ms: f64,
}

impl Gpu {
    /// Runs `ops` once with `step` and returns each launch's GPU time, or `None` where the
    /// adapter cannot write timestamps.
    pub fn profile(&self, ops: &[&GpuOp], step: &StepValues) -> Result<Option<Vec<KernelTime>>> {
        if !self
            .device()
            .features()
            .contains(wgpu::Features::TIMESTAMP_QUERY)
        {
            return Ok(None);
        }
        let launches: Vec<&crate::Dispatch> = ops
            .iter()
            .filter_map(|op| match op {
                GpuOp::Kernel(d) => Some(d.launches()),
                GpuOp::Clear(..) => None,
            })
            .flatten()
            .collect();
        if launches.is_empty() {
            return Ok(Some(Vec::new()));
        }
        for d in &launches {
            d.check_step(step)?;
        }
        let count = 2 * launches.len() as u32;
        let queries = self.device().create_query_set(&wgpu::QuerySetDescriptor {
            label: Some("profile"),
            ty: wgpu::QueryType::Timestamp,
            count,
        });
        let bytes = count as u64 * 8;
        let resolved = self.device().create_buffer(&wgpu::BufferDescriptor {
            label: Some("profile resolve"),
            size: bytes,
            usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let readback = crate::tensor::U32Array::zeros(self, &[2 * count as usize], "profile")?;
        self.submit_with_steps(std::slice::from_ref(step), |encoder| {
            for (i, d) in launches.iter().enumerate() {
                let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some(d.label()),
                    timestamp_writes: Some(wgpu::ComputePassTimestampWrites {
                        query_set: &queries,
                        beginning_of_pass_write_index: Some(2 * i as u32),
                        end_of_pass_write_index: Some(2 * i as u32 + 1),
                    }),
                });
                d.record_one(&mut pass, 0);
            }
            encoder.resolve_query_set(&queries, 0..count, &resolved, 0);
            encoder.copy_buffer_to_buffer(&resolved, 0, readback.buffer(), 0, bytes);
        });
        let words = readback.read(self)?;
        let period_ns = self.queue().get_timestamp_period() as f64;
        let ticks: Vec<u64> = words
            .chunks(2)
            .map(|w| w[0] as u64 | (w[1] as u64) << 32)
            .collect();
        if ticks.len() != count as usize {
            return Err(CoreError::Readback("timestamp count mismatch".into()));
        }
        Ok(Some(
            launches
                .iter()
                .enumerate()
                .map(|(i, d)| KernelTime {
                    label: d.label().to_string(),
                    workgroups: d.groups(),
                    ms: ticks[2 * i + 1].saturating_sub(ticks[2 * i]) as f64 * period_ns / 1e6,
                })
                .collect(),
        ))
    }
}
