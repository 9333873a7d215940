//! Size checks before anything is allocated: every tensor a run would create against the
//! backend's per-tensor limit, and the whole run against the host's memory. A size a user
//! picks (`--hidden 100000000`, a full batch of a CNN) gives a clear error, never an
//! allocation failure.

use crate::arch::ModelSpec;
use crate::error::{ModelError, Result};
use crate::layers::Layer;

/// Memory one evaluation chunk may use for its activations, so evaluating a CNN over a
/// whole data set runs in pieces that fit.
pub const EVAL_CHUNK_BUDGET: u64 = 256 << 20;

const F32: u64 = 4;

/// Per-example bytes of a forward + backward pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footprint {
    /// The largest single tensor per example (input, activation, gradient or scratch).
    pub largest: u64,
    /// All of them together.
    pub total: u64,
}

/// What one example costs in `spec` (input, one-hot targets, logits' gradient and stats
/// included).
pub fn footprint(spec: &ModelSpec) -> Footprint {
    let mut tensors = vec![
        spec.input.len() as u64 * F32,
        spec.classes() as u64 * F32 * 2,
        2 * F32,
    ];
    for layer in &spec.layers {
        tensors.extend(layer.bytes_per_example());
    }
    Footprint {
        largest: tensors.iter().copied().max().unwrap_or(F32),
        total: tensors.iter().sum(),
    }
}

/// Rows per evaluation chunk: as many as fit the per-tensor limit and the chunk budget
/// (at least 1; [`check_model`] has made sure one example fits).
pub fn eval_chunk_rows(spec: &ModelSpec, max_tensor_bytes: u64, rows: usize) -> usize {
    let f = footprint(spec);
    let by_tensor = max_tensor_bytes / f.largest.max(1);
    let by_budget = EVAL_CHUNK_BUDGET / f.total.max(1);
    (by_tensor.min(by_budget).max(1) as usize).min(rows.max(1))
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1u64 << 20) as f64)
}

/// Every parameter tensor within the per-tensor limit, and parameters with gradients and
/// Adam moments (×4, plus the host copy) within 80 % of the host's memory.
pub fn check_model(spec: &ModelSpec, max_tensor_bytes: u64) -> Result<()> {
    for (i, p) in spec.param_layers() {
        let bytes = p.weight_len() as u64 * F32;
        if bytes > max_tensor_bytes {
            return Err(ModelError::Shape {
                layer: format!("layer {} ({})", i + 1, spec.layers[i]),
                detail: format!(
                    "its weight has {} values ({}), more than the {} one tensor may have on this device; make the layer smaller (e.g. --hidden)",
                    p.weight_len(),
                    mib(bytes),
                    mib(max_tensor_bytes)
                ),
            });
        }
    }
    let state = spec.param_count() as u64 * F32 * 5;
    let limit = oddeven_core::host::host_memory_bytes() / 10 * 8;
    if state > limit {
        return Err(ModelError::Shape {
            layer: format!("model {}", spec.layer_string()),
            detail: format!(
                "its {} parameters need {} with gradients and Adam state, more than this machine's memory allows ({}); make it smaller",
                spec.param_count(),
                mib(state),
                mib(limit)
            ),
        });
    }
    let f = footprint(spec);
    if f.largest > max_tensor_bytes {
        return Err(ModelError::Shape {
            layer: format!("model {}", spec.layer_string()),
            detail: format!(
                "one example needs a {} tensor, more than the {} this device allows",
                mib(f.largest),
                mib(max_tensor_bytes)
            ),
        });
    }
    Ok(())
}

/// The most rows one training step may process on a device whose tensors may have
/// `max_tensor_bytes` (every tensor of the step within that, and the step within 60 % of
/// the host's memory).
pub fn rows_per_step(spec: &ModelSpec, max_tensor_bytes: u64) -> usize {
    let f = footprint(spec);
    let fits_tensor = (max_tensor_bytes / f.largest.max(1)) as usize;
    let fits_memory = (oddeven_core::host::host_memory_bytes() / 10 * 6 / f.total.max(1)) as usize;
    fits_tensor.min(fits_memory).max(1)
}

/// A training step over `rows` examples fits: every tensor of the step within the
/// per-tensor limit and the step within the host's memory. The error says which batch
/// size would fit.
pub fn check_batch(
    spec: &ModelSpec,
    rows: usize,
    max_tensor_bytes: u64,
    full_batch: bool,
) -> Result<()> {
    let f = footprint(spec);
    let fits = rows_per_step(spec, max_tensor_bytes);
    // A full batch runs in chunks that fit (see `crate::steps`).
    if rows <= fits || full_batch {
        return Ok(());
    }
    let what = if full_batch {
        format!("a full batch of {rows} examples")
    } else {
        format!("a batch of {rows} examples")
    };
    let largest = spec
        .layers
        .iter()
        .max_by_key(|l: &&Layer| l.bytes_per_example().first().copied().unwrap_or(0))
        .map_or_else(String::new, |l| format!(" (the largest tensor is {l}'s)"));
    Err(ModelError::Shape {
        layer: format!("model {}", spec.layer_string()),
        detail: format!(
            "{what} needs {} in one tensor{largest} and {} in all, more than this device allows; use --batch-size {} or less",
            mib(f.largest * rows as u64),
            mib(f.total * rows as u64),
            fits.max(1)
        ),
    })
}
