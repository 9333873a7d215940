//! The backend seam: everything a model needs from the machine it trains on.
//!
//! A model is built once into lists of ops (forward, loss, backward, Adam) over tensors it
//! allocated once; a training loop then only runs those lists, giving each run the
//! [`StepValues`] that change from step to step. Nothing in the op set names wgpu, so a
//! backend is one implementation of this trait:
//!
//! - [`crate::Gpu`]: the hand-written WGSL kernels in `shaders/` through wgpu.
//! - [`crate::reference::ReferenceBackend`]: the plain-Rust references in [`crate::cpu`]
//!   (f64 accumulation, written for clarity) — the oracle the others are tested against.
//!
//! Layout conventions: 2-D tensors are row-major `[rows, cols]` (a linear weight is
//! `[fan_in, fan_out]`, so a layer is X·W); images are NHWC and conv weights HWIO (see
//! [`crate::geometry`]). Every op checks its operands' shapes when it is built.

use std::fmt::Debug;

use crate::adapter::AdapterSummary;
use crate::error::Result;
use crate::geometry::{Conv2dGeometry, Pool2dGeometry};
use crate::kernels::loss::OutputKind;
use crate::kernels::matmul::MatmulSpec;
use crate::step::StepValues;

/// A handle to a tensor or index array of some backend: cheap to clone (clones share the
/// storage), and it knows its shape.
pub trait Handle: Clone + Debug {
    fn shape(&self) -> &[usize];
    /// Number of elements.
    fn len(&self) -> usize {
        self.shape().iter().product()
    }
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The output layer (a Linear of `b.len()` classes over `h`, [rows, hidden]) and its loss,
/// for one training step: logits = h·w + b are not kept; `stats` gets each row's (loss,
/// correct), `dw`/`db` the layer's gradients, and `dh` (where given) the gradient of h —
/// zero where h ≤ 0 when `relu_mask` (h is a ReLU's output, whose backward this folds in).
/// The loss gradient is dL/dlogits · `grad_scale`, as in [`Backend::loss`].
#[derive(Debug, Clone, Copy)]
pub struct DenseHead<'a, T> {
    pub h: &'a T,
    pub w: &'a T,
    pub b: &'a T,
    pub targets: &'a T,
    pub output: OutputKind,
    pub grad_scale: f32,
    pub stats: &'a T,
    pub dw: &'a T,
    pub db: &'a T,
    pub dh: Option<&'a T>,
    pub relu_mask: bool,
}

/// Tensors packed into one buffer: the whole (where the backend packs) and the parts.
pub type PackedTensors<T> = (Option<T>, Vec<T>);

/// A machine that runs oddeven's ops. See the module documentation.
pub trait Backend {
    /// f32 tensor: activations, weights, gradients, optimizer state, metrics.
    type Tensor: Handle;
    /// u32 array: row permutations, max-pool argmax, confusion counts.
    type Indices: Handle;
    /// One op, built once (shapes checked, resources bound) and run many times.
    type Op;

    /// What a report says ran the work (name, backend, device type).
    fn summary(&self) -> AdapterSummary;
    /// The largest tensor, in bytes, one op may read or write (the adapter's storage
    /// binding limit on wgpu).
    fn max_tensor_bytes(&self) -> u64;

    /// A zero-filled tensor.
    fn zeros(&self, shape: &[usize], label: &str) -> Result<Self::Tensor>;
    /// Zero tensors of the given shapes, and — where the backend packs them into one
    /// buffer — that buffer as one flat tensor (padding between the parts stays zero), so
    /// an elementwise op such as Adam can run over all of them in one launch. The default
    /// allocates them separately (no whole).
    fn zeros_packed(
        &self,
        shapes: &[Vec<usize>],
        label: &str,
    ) -> Result<PackedTensors<Self::Tensor>> {
        let parts = shapes
            .iter()
            .map(|s| self.zeros(s, label))
            .collect::<Result<_>>()?;
        Ok((None, parts))
    }
    /// A tensor holding `data` (exactly `shape`'s element count).
    fn upload(&self, shape: &[usize], data: &[f32], label: &str) -> Result<Self::Tensor>;
    /// Overwrites a tensor; takes effect before the next run.
    fn write(&self, t: &Self::Tensor, data: &[f32]) -> Result<()>;
    /// Copies a tensor to the host after all work run so far (a sync).
    fn read(&self, t: &Self::Tensor) -> Result<Vec<f32>>;
    /// The same storage seen with another shape of equal element count (a flatten).
    fn reshape(&self, t: &Self::Tensor, shape: &[usize]) -> Result<Self::Tensor>;
    /// A zero-filled index array.
    fn index_zeros(&self, shape: &[usize], label: &str) -> Result<Self::Indices>;
    /// Overwrites an index array; takes effect before the next run.
    fn write_indices(&self, t: &Self::Indices, data: &[u32]) -> Result<()>;
    /// Copies an index array to the host (a sync).
    fn read_indices(&self, t: &Self::Indices) -> Result<Vec<u32>>;

    /// C = op(A)·op(B) (+ bias) (then ReLU); see [`MatmulSpec`].
    fn matmul(
        &self,
        a: &Self::Tensor,
        b: &Self::Tensor,
        c: &Self::Tensor,
        bias: Option<&Self::Tensor>,
        spec: MatmulSpec,
    ) -> Result<Self::Op>;
    /// out = max(x, 0).
    fn relu(&self, x: &Self::Tensor, out: &Self::Tensor) -> Result<Self::Op>;
    /// grad_in = grad_out where the forward output y > 0, else 0.
    fn relu_backward(
        &self,
        grad_out: &Self::Tensor,
        y: &Self::Tensor,
        grad_in: &Self::Tensor,
    ) -> Result<Self::Op>;
    /// Output layer and loss from logits: grad = dL/dlogits · scale, stats[row] =
    /// (loss, correct).
    fn loss(
        &self,
        kind: OutputKind,
        logits: &Self::Tensor,
        targets: &Self::Tensor,
        grad: &Self::Tensor,
        stats: &Self::Tensor,
        scale: f32,
    ) -> Result<Self::Op>;
    /// Whether [`Backend::dense_head`] may fuse anything on this backend (asked before the
    /// caller allocates the fused op's tensors).
    fn fuses_dense_head(&self) -> bool {
        false
    }
    /// The output layer's training step fused, where the backend does that for this
    /// shape (see [`DenseHead`]); `Ok(None)` where it does not, and the caller records
    /// the matmul, [`Backend::loss`] and the layer's backward ops one by one.
    fn dense_head(&self, head: &DenseHead<'_, Self::Tensor>) -> Result<Option<Vec<Self::Op>>> {
        let _ = head;
        Ok(None)
    }
    /// metrics[slot] (+)= (loss_scale · Σ loss, Σ correct) over `stats`; slot and
    /// accumulation from the step values.
    fn reduce_metrics(
        &self,
        stats: &Self::Tensor,
        metrics: &Self::Tensor,
        loss_scale: f32,
    ) -> Result<Self::Op>;
    /// out[j] = Σ_i x[i, j].
    fn column_sum(&self, x: &Self::Tensor, out: &Self::Tensor) -> Result<Self::Op>;
    /// counts[true · K + predicted] += 1 for every row (counts is K×K).
    fn confusion(
        &self,
        logits: &Self::Tensor,
        targets: &Self::Tensor,
        counts: &Self::Indices,
    ) -> Result<Self::Op>;
    /// Sets every entry of `t` to 0.
    fn clear_indices(&self, t: &Self::Indices) -> Result<Self::Op>;
    /// out[i, …] = src[index[row_offset + i] − first_row, …] (rows along the first axis) for
    /// the rows whose index lies in `first_row..first_row + src rows`; other rows of `out`
    /// are left as they are. The row offset comes from the step values. A data set held in
    /// several shards is gathered with one op per shard.
    fn gather_rows(
        &self,
        src: &Self::Tensor,
        index: &Self::Indices,
        out: &Self::Tensor,
        first_row: usize,
    ) -> Result<Self::Op>;
    /// dst += src (equal lengths): gradients accumulated over the chunks of a batch.
    fn add_assign(&self, dst: &Self::Tensor, src: &Self::Tensor) -> Result<Self::Op>;
    /// One Adam step in place; lr, constants and t from the step values.
    fn adam(
        &self,
        param: &Self::Tensor,
        grad: &Self::Tensor,
        m: &Self::Tensor,
        v: &Self::Tensor,
    ) -> Result<Self::Op>;
    /// out = conv2d(x, w) + bias (then ReLU); x NHWC, w HWIO.
    fn conv2d(
        &self,
        x: &Self::Tensor,
        w: &Self::Tensor,
        bias: &Self::Tensor,
        out: &Self::Tensor,
        g: &Conv2dGeometry,
        relu: bool,
    ) -> Result<Self::Op>;
    /// dx = the gradient of conv2d's input given dy (the output's gradient).
    fn conv2d_input_backward(
        &self,
        dy: &Self::Tensor,
        w: &Self::Tensor,
        dx: &Self::Tensor,
        g: &Conv2dGeometry,
    ) -> Result<Self::Op>;
    /// dw, db = the gradients of conv2d's weight and bias given its input x and dy.
    fn conv2d_weight_backward(
        &self,
        x: &Self::Tensor,
        dy: &Self::Tensor,
        dw: &Self::Tensor,
        db: &Self::Tensor,
        g: &Conv2dGeometry,
    ) -> Result<Self::Op>;
    /// out = window maxima; argmax = flat index into x of each maximum (first in scan
    /// order).
    fn max_pool2d(
        &self,
        x: &Self::Tensor,
        out: &Self::Tensor,
        argmax: &Self::Indices,
        g: &Pool2dGeometry,
    ) -> Result<Self::Op>;
    /// dx = dy routed back to the argmax positions (summed where windows overlap).
    fn max_pool2d_backward(
        &self,
        dy: &Self::Tensor,
        argmax: &Self::Indices,
        dx: &Self::Tensor,
        g: &Pool2dGeometry,
    ) -> Result<Self::Op>;

    /// Runs `ops` in order with `step`'s values. May return before the work finishes
    /// (reads wait for it); runs are executed in the order they were given.
    fn run(&self, ops: &[&Self::Op], step: &StepValues) -> Result<()>;
    /// Runs every launch (an op list and its step values) in order: what a loop of
    /// [`Backend::run`] does, for backends that can record many steps at once (the wgpu
    /// backend puts them in one submission).
    fn run_steps(&self, launches: &[(&[&Self::Op], StepValues)]) -> Result<()> {
        launches.iter().try_for_each(|(ops, s)| self.run(ops, s))
    }
    /// Blocks until everything run so far has finished.
    fn sync(&self) -> Result<()>;
}
