//! oddeven: transfer learning on MNIST odd/even digits, trained with hand-written WGSL
//! compute shaders through wgpu.
//!
//! This root package re-exports the workspace crates and owns the end-to-end tests
//! (`tests/`) and the criterion benchmarks (`benches/`).

pub use oddeven_core;
pub use oddeven_data;
pub use oddeven_models;
pub use oddeven_report;
