//! The GPU context: one instance, adapter, device and queue, plus a cache of compiled
//! compute pipelines so each kernel variant is built once per process.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::adapter::{pick_adapter, AdapterSummary, DeviceChoice};
use crate::error::{CoreError, Result};
use crate::step::StepValues;
use crate::step_table::StepTable;
use crate::tensor::{GpuArray, Staging, Tensor};

/// Shader files compiled without wgpu's runtime checks (bounds clamps, loop guards,
/// division guards): each guards its own indices, tested on awkward shapes.
const TRUSTED_SHADERS: [&str; 12] = [
    "matmul.wgsl",
    "matmul_vec4.wgsl",
    "matmul_tiled.wgsl",
    "matmul_reduce.wgsl",
    "adam.wgsl",
    "activation.wgsl",
    "gather.wgsl",
    "metrics.wgsl",
    "loss.wgsl",
    "confusion.wgsl",
    "reduce.wgsl",
    "transpose.wgsl",
];

/// The device everything runs on. Cheap to clone (shared inside).
#[derive(Clone)]
pub struct Gpu {
    inner: Arc<GpuInner>,
}

struct GpuInner {
    adapter: wgpu::Adapter,
    device: wgpu::Device,
    queue: wgpu::Queue,
    summary: AdapterSummary,
    pipelines: Mutex<HashMap<String, wgpu::ComputePipeline>>,
    modules: Mutex<HashMap<&'static str, wgpu::ShaderModule>>,
    /// The per-step values ([`StepValues`]) every step-dependent kernel binds.
    steps: StepTable,
    /// Held from writing the step table to submitting the work that reads it, so threads
    /// sharing this device never see each other's step values.
    step_lock: Mutex<()>,
    /// Reused for readbacks, so periodic progress reads allocate nothing.
    staging: Mutex<Option<Staging>>,
    /// Scratch tensors by element count, shared by ops that use them only within
    /// themselves (e.g. im2col matrices); ops run one after another, so sharing is safe.
    scratch: Mutex<HashMap<usize, Tensor>>,
    /// Whether training steps run the output layer as `dense_head.wgsl` (see
    /// [`Gpu::set_fused_output_layer`]).
    fused_output_layer: AtomicBool,
}

impl fmt::Debug for Gpu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gpu")
            .field("adapter", &self.inner.summary)
            .finish()
    }
}

impl Gpu {
    /// Opens the adapter `choice` asks for, with the adapter's own buffer-size limits.
    pub fn new(choice: DeviceChoice) -> Result<Self> {
        Self::with_binding_limit(choice, None)
    }

    /// As [`Gpu::new`], with the storage-binding limit lowered to `max_binding` bytes (a
    /// multiple of 4) where given: a real device limit, for testing what happens to data
    /// and batches that do not fit one binding on small adapters.
    pub fn with_binding_limit(choice: DeviceChoice, max_binding: Option<u64>) -> Result<Self> {
        let adapter = pick_adapter(choice)?;
        let summary = AdapterSummary::from_info(&adapter.get_info());
        let available = adapter.limits();
        // WebGPU's defaults cap storage bindings at 128 MiB; the full odd training set
        // alone is 89 MB, so ask for what the adapter really has.
        let limits = wgpu::Limits {
            max_storage_buffer_binding_size: match max_binding {
                Some(limit) => available
                    .max_storage_buffer_binding_size
                    .min(limit.next_multiple_of(4)),
                None => available.max_storage_buffer_binding_size,
            },
            max_buffer_size: available.max_buffer_size,
            max_storage_buffers_per_shader_stage: available
                .max_storage_buffers_per_shader_stage
                .min(16),
            max_compute_workgroup_storage_size: available.max_compute_workgroup_storage_size,
            ..wgpu::Limits::default()
        };
        let desc = wgpu::DeviceDescriptor {
            label: Some("oddeven"),
            // Timestamps are only read by `cargo xtask bench --profile`; ask for them
            // where the adapter has them.
            required_features: adapter.features() & wgpu::Features::TIMESTAMP_QUERY,
            required_limits: limits,
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        };
        let (device, queue) = pollster::block_on(adapter.request_device(&desc)).map_err(|e| {
            CoreError::RequestDevice {
                adapter: summary.to_string(),
                message: e.to_string(),
            }
        })?;
        let steps = StepTable::new(&device);
        let fused_output_layer = crate::kernels::dense_head::on_by_default(&summary)?;
        let gpu = Gpu {
            inner: Arc::new(GpuInner {
                adapter,
                device,
                queue,
                summary,
                pipelines: Mutex::new(HashMap::new()),
                modules: Mutex::new(HashMap::new()),
                steps,
                step_lock: Mutex::new(()),
                staging: Mutex::new(None),
                scratch: Mutex::new(HashMap::new()),
                fused_output_layer: AtomicBool::new(fused_output_layer),
            }),
        };
        Ok(gpu)
    }

    /// Whether training steps run the output layer fused (`dense_head.wgsl`: 3 launches
    /// instead of 7). On by default on GPUs; off on software adapters, where its
    /// per-lane gathers made the full-batch MLP head 3× slower than unfused (266 vs 87 ms).
    /// `ODDEVEN_FUSED_HEAD=on|off` overrides the default; tests set it per device.
    pub fn fuses_output_layer(&self) -> bool {
        self.inner.fused_output_layer.load(Ordering::Relaxed)
    }

    /// Turns the fused output layer on or off for ops built from now on.
    pub fn set_fused_output_layer(&self, on: bool) {
        self.inner.fused_output_layer.store(on, Ordering::Relaxed);
    }

    /// Like [`Gpu::new`] with the choice from `ODDEVEN_DEVICE` (default auto).
    pub fn from_env() -> Result<Self> {
        Self::new(DeviceChoice::from_env()?)
    }

    pub fn device(&self) -> &wgpu::Device {
        &self.inner.device
    }
    pub fn queue(&self) -> &wgpu::Queue {
        &self.inner.queue
    }
    pub fn adapter(&self) -> &wgpu::Adapter {
        &self.inner.adapter
    }
    pub fn summary(&self) -> &AdapterSummary {
        &self.inner.summary
    }
    pub fn limits(&self) -> wgpu::Limits {
        self.inner.device.limits()
    }

    /// A compute pipeline for `entry` of `source`, specialised by `constants`; built once.
    pub(crate) fn pipeline(
        &self,
        file: &'static str,
        source: &'static str,
        entry: &str,
        constants: &[(&str, f64)],
    ) -> Result<wgpu::ComputePipeline> {
        let key = format!("{file}:{entry}:{constants:?}");
        if let Some(p) = lock(&self.inner.pipelines).get(&key) {
            return Ok(p.clone());
        }
        let module = self.module(file, source)?;
        let pipeline = self.checked(&key, || {
            self.device()
                .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(&key),
                    layout: None,
                    module: &module,
                    entry_point: Some(entry),
                    compilation_options: wgpu::PipelineCompilationOptions {
                        constants,
                        zero_initialize_workgroup_memory: false,
                    },
                    cache: None,
                })
        })?;
        lock(&self.inner.pipelines).insert(key, pipeline.clone());
        Ok(pipeline)
    }

    /// A compute pipeline whose group 0 has the `group0` layout and whose group 1 is the
    /// step table (a dynamic uniform offset per step); built once.
    pub(crate) fn stepped_pipeline(
        &self,
        file: &'static str,
        source: &'static str,
        entry: &str,
        group0: &[wgpu::BindGroupLayoutEntry],
    ) -> Result<wgpu::ComputePipeline> {
        let key = format!("{file}:{entry}:stepped");
        if let Some(p) = lock(&self.inner.pipelines).get(&key) {
            return Ok(p.clone());
        }
        let module = self.module(file, source)?;
        let pipeline = self.checked(&key, || {
            let g0 = self
                .device()
                .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                    label: Some(&key),
                    entries: group0,
                });
            let layout = self
                .device()
                .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                    label: Some(&key),
                    bind_group_layouts: &[Some(&g0), Some(&self.inner.steps.layout)],
                    immediate_size: 0,
                });
            self.device()
                .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(&key),
                    layout: Some(&layout),
                    module: &module,
                    entry_point: Some(entry),
                    compilation_options: wgpu::PipelineCompilationOptions {
                        constants: &[],
                        zero_initialize_workgroup_memory: false,
                    },
                    cache: None,
                })
        })?;
        lock(&self.inner.pipelines).insert(key, pipeline.clone());
        Ok(pipeline)
    }

    /// The compiled module of a shader file, built once.
    fn module(&self, file: &'static str, source: &'static str) -> Result<wgpu::ShaderModule> {
        let mut modules = lock(&self.inner.modules);
        if let Some(m) = modules.get(file) {
            return Ok(m.clone());
        }
        let m = self.checked(file, || {
            let desc = wgpu::ShaderModuleDescriptor {
                label: Some(file),
                source: wgpu::ShaderSource::Wgsl(source.into()),
            };
            if TRUSTED_SHADERS.contains(&file) {
                // SAFETY: these shaders guard every index themselves (loops bounded by
                // their uniforms' sizes, which the dispatch checks against the bound
                // buffers; per-step values checked by `Dispatch::check_step`), and their
                // tests run them on awkward shapes against the CPU references. Without
                // naga's clamps, Adam runs about twice as fast on lavapipe.
                unsafe {
                    self.device()
                        .create_shader_module_trusted(desc, wgpu::ShaderRuntimeChecks::unchecked())
                }
            } else {
                self.device().create_shader_module(desc)
            }
        })?;
        modules.insert(file, m.clone());
        Ok(m)
    }

    /// Runs `f` inside a validation error scope so a mistake becomes a `CoreError`
    /// instead of wgpu's default panic handler.
    pub(crate) fn checked<T>(&self, context: &str, f: impl FnOnce() -> T) -> Result<T> {
        let validation = self
            .device()
            .push_error_scope(wgpu::ErrorFilter::Validation);
        let oom = self
            .device()
            .push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let value = f();
        let oom_err = pollster::block_on(oom.pop());
        let val_err = pollster::block_on(validation.pop());
        match val_err.or(oom_err) {
            Some(e) => Err(CoreError::Gpu {
                context: context.to_string(),
                message: e.to_string(),
            }),
            None => Ok(value),
        }
    }

    /// Submits recorded work and returns without waiting.
    pub fn submit(&self, encoder: wgpu::CommandEncoder) -> wgpu::SubmissionIndex {
        self.queue().submit(Some(encoder.finish()))
    }

    /// Blocks until all submitted work has finished.
    pub fn wait(&self) -> Result<()> {
        self.device()
            .poll(wgpu::PollType::wait_indefinitely())
            .map(|_| ())
            .map_err(|e| CoreError::Readback(e.to_string()))
    }

    pub fn encoder(&self, label: &str) -> wgpu::CommandEncoder {
        self.device()
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(label) })
    }

    /// The step table that step-dependent kernels bind as group 1.
    pub(crate) fn step_table(&self) -> &StepTable {
        &self.inner.steps
    }

    /// Submits the work `record` puts into a fresh encoder, with `steps` (at most
    /// [`crate::step_table::STEPS_PER_SUBMISSION`]) as the table entries its
    /// step-dependent kernels read (entry i at [`StepTable::offset`]`(i)`).
    pub(crate) fn submit_with_steps(
        &self,
        steps: &[StepValues],
        record: impl FnOnce(&mut wgpu::CommandEncoder),
    ) -> wgpu::SubmissionIndex {
        let mut encoder = self.encoder("steps");
        record(&mut encoder);
        let _guard = lock(&self.inner.step_lock);
        // Queue writes land before the next submission, and the lock keeps another
        // thread's write from slipping in between.
        self.inner.steps.write(self.queue(), steps);
        self.submit(encoder)
    }

    /// Copies `src` to the host through the shared staging buffer (waits for the GPU).
    pub fn read_array<T: bytemuck::Pod>(&self, src: &GpuArray<T>) -> Result<Vec<T>> {
        let mut staging = lock(&self.inner.staging);
        let staging = staging.get_or_insert_with(|| Staging::new(self, src.byte_len()));
        staging.read(self, src)
    }

    /// A scratch tensor of `len` elements shared by every op that asks for that size (see
    /// `GpuInner::scratch`).
    pub(crate) fn scratch(&self, len: usize) -> Result<Tensor> {
        let mut cache = lock(&self.inner.scratch);
        if let Some(t) = cache.get(&len) {
            return Ok(t.clone());
        }
        let t = Tensor::zeros(self, &[len], "scratch")?;
        cache.insert(len, t.clone());
        Ok(t)
    }

    /// What the matmul planner needs to know about this device.
    pub fn device_profile(&self) -> crate::kernels::matmul_plan::DeviceProfile {
        let limits = self.limits();
        let info = self.adapter().get_info();
        let compute_units = std::env::var("ODDEVEN_COMPUTE_UNITS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| match info.device_type {
                wgpu::DeviceType::Cpu => {
                    std::thread::available_parallelism().map_or(1, |n| n.get() as u32)
                }
                t => crate::kernels::matmul_plan::DeviceProfile::estimate_compute_units(
                    &info.name,
                    t == wgpu::DeviceType::DiscreteGpu,
                ),
            });
        crate::kernels::matmul_plan::DeviceProfile {
            software: self.summary().is_software(),
            compute_units,
            max_groups_per_dim: limits.max_compute_workgroups_per_dimension,
            max_binding_bytes: self.max_binding_bytes(),
        }
    }

    /// The largest buffer this device can bind as one storage binding.
    pub fn max_binding_bytes(&self) -> u64 {
        let l = self.limits();
        l.max_storage_buffer_binding_size.min(l.max_buffer_size)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned cache only means another thread panicked mid-insert; the map is still usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}
