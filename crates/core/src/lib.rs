//! oddeven-core: the wgpu runtime and the hand-written WGSL kernels of oddeven.
//!
//! - [`Gpu`]: adapter choice (auto / hardware / software lavapipe), device, pipeline cache.
//! - [`Tensor`]: f32 arrays in storage buffers, allocated once and reused.
//! - [`kernels`]: each WGSL kernel in `shaders/` built into a [`kernels::Dispatch`] that a
//!   training step records into one compute pass.
//! - [`cpu`]: a plain-Rust reference for every kernel, the oracle of the tests.

pub mod adapter;
pub mod backend;
pub mod cpu;
pub mod error;
pub mod geometry;
pub mod gpu;
pub mod gpu_backend;
pub mod host;
pub mod kernels;
pub mod profile;
pub mod reference;
pub mod step;
pub mod step_table;
pub mod tensor;
pub mod testing;

pub use adapter::{list_adapters, AdapterSummary, DeviceChoice, DEVICE_ENV};
pub use backend::{Backend, DenseHead, Handle};
pub use error::{CoreError, Result};
pub use geometry::{Conv2dGeometry, Pool2dGeometry};
pub use gpu::Gpu;
pub use gpu_backend::GpuOp;
pub use kernels::Dispatch;
pub use reference::ReferenceBackend;
pub use step::StepValues;
pub use tensor::{GpuArray, Staging, Tensor, U32Array};
/// The wgpu this crate was built against, so users name the same types.
pub use wgpu;
