//! oddeven-cpu: the native CPU backend of oddeven.
//!
//! [`CpuBackend`] implements [`oddeven_core::Backend`] on the host: the GEMMs (the three
//! transpose variants, the im2col convolutions) go through faer, whose x86 kernels pick
//! AVX-512 or AVX2 at run time, except Aᵀ·B with a small side, which streams through a
//! hand-written loop; everything else is hand-written and fused (bias + ReLU in the GEMM
//! epilogue, loss + gradient + per-row stats in one pass per row block). Work is split
//! over row blocks in one rayon pool that faer shares, and reductions are combined in a
//! fixed order, so a seed gives bit-identical results run after run (for a given thread
//! count). `ODDEVEN_CPU_PROFILE=1` prints the time per op and shape when the backend is
//! dropped.
//!
//! ```text
//! backend  CpuBackend: tensors, the trait, the pool      storage  shared arrays, locks
//! gemm     plans: faer row blocks, split-K, skinny        skinny   Aᵀ·B with a small side
//! ops      elementwise, losses, sums, gather, Adam        conv     im2col / col2im + GEMM
//! pool     max-pool and its backward                      profile  ODDEVEN_CPU_PROFILE
//! ```
//!
//! Semantics (layouts, step values, argmax ties, shape errors) are those of
//! [`oddeven_core::ReferenceBackend`], which the tests compare every op against.

mod backend;
mod conv;
mod gemm;
mod op;
mod ops;
mod pool;
mod profile;
mod skinny;
mod storage;

pub use backend::{cpu_model, simd_level, CpuBackend};
pub use op::CpuOp;
pub use profile::PROFILE_ENV;
pub use storage::{CpuIndices, CpuTensor, HostArray};
