//! [`Backend`] for [`Gpu`]: every op is one of the WGSL kernels in `shaders/`, built into a
//! [`Dispatch`] once; a run writes the per-step uniform, records the ops into one command
//! encoder (compute passes broken only where a buffer is cleared) and submits it.

use crate::adapter::AdapterSummary;
use crate::backend::{Backend, DenseHead, Handle};
use crate::error::Result;
use crate::geometry::{Conv2dGeometry, Pool2dGeometry};
use crate::gpu::Gpu;
use crate::kernels::loss::OutputKind;
use crate::kernels::matmul::MatmulSpec;
use crate::kernels::{activation, adam, conv, dense_head, loss, matmul, pool, reduce, Dispatch};
use crate::step::StepValues;
use crate::step_table::STEPS_PER_SUBMISSION;
use crate::tensor::{GpuArray, Tensor, U32Array};

/// An op of the wgpu backend.
#[derive(Debug)]
pub enum GpuOp {
    /// A kernel launch (or a chain of them).
    Kernel(Dispatch),
    /// Zero a range of a buffer (recorded between compute passes): (buffer, offset, bytes).
    Clear(wgpu::Buffer, u64, u64),
}

impl<T: bytemuck::Pod + std::fmt::Debug> Handle for GpuArray<T> {
    fn shape(&self) -> &[usize] {
        GpuArray::shape(self)
    }
}

fn kernel(d: Result<Dispatch>) -> Result<GpuOp> {
    d.map(GpuOp::Kernel)
}

impl Backend for Gpu {
    type Tensor = Tensor;
    type Indices = U32Array;
    type Op = GpuOp;

    fn summary(&self) -> AdapterSummary {
        Gpu::summary(self).clone()
    }
    fn max_tensor_bytes(&self) -> u64 {
        self.max_binding_bytes()
    }

    fn zeros(&self, shape: &[usize], label: &str) -> Result<Tensor> {
        Tensor::zeros(self, shape, label)
    }
    fn zeros_packed(
        &self,
        shapes: &[Vec<usize>],
        label: &str,
    ) -> Result<crate::backend::PackedTensors<Tensor>> {
        let (whole, parts) = Tensor::packed(self, shapes, label)?;
        Ok((Some(whole), parts))
    }
    fn upload(&self, shape: &[usize], data: &[f32], label: &str) -> Result<Tensor> {
        Tensor::from_slice(self, shape, data, label)
    }
    fn write(&self, t: &Tensor, data: &[f32]) -> Result<()> {
        t.write(self, data)
    }
    fn read(&self, t: &Tensor) -> Result<Vec<f32>> {
        t.read(self)
    }
    fn reshape(&self, t: &Tensor, shape: &[usize]) -> Result<Tensor> {
        t.reshaped(shape)
    }
    fn index_zeros(&self, shape: &[usize], label: &str) -> Result<U32Array> {
        U32Array::zeros(self, shape, label)
    }
    fn write_indices(&self, t: &U32Array, data: &[u32]) -> Result<()> {
        t.write(self, data)
    }
    fn read_indices(&self, t: &U32Array) -> Result<Vec<u32>> {
        t.read(self)
    }

    fn matmul(
        &self,
        a: &Tensor,
        b: &Tensor,
        c: &Tensor,
        bias: Option<&Tensor>,
        spec: MatmulSpec,
    ) -> Result<GpuOp> {
        kernel(matmul::matmul(self, a, b, c, bias, spec))
    }
    fn relu(&self, x: &Tensor, out: &Tensor) -> Result<GpuOp> {
        kernel(activation::relu(self, x, out))
    }
    fn relu_backward(&self, grad_out: &Tensor, y: &Tensor, grad_in: &Tensor) -> Result<GpuOp> {
        kernel(activation::relu_backward(self, grad_out, y, grad_in))
    }
    fn loss(
        &self,
        kind: OutputKind,
        logits: &Tensor,
        targets: &Tensor,
        grad: &Tensor,
        stats: &Tensor,
        scale: f32,
    ) -> Result<GpuOp> {
        kernel(loss::loss(self, kind, logits, targets, grad, stats, scale))
    }
    fn fuses_dense_head(&self) -> bool {
        self.fuses_output_layer()
    }
    fn dense_head(&self, head: &DenseHead<'_, Tensor>) -> Result<Option<Vec<GpuOp>>> {
        if !self.fuses_output_layer() {
            return Ok(None);
        }
        Ok(dense_head::dense_head(self, head)?.map(|d| vec![GpuOp::Kernel(d)]))
    }
    fn reduce_metrics(&self, stats: &Tensor, metrics: &Tensor, loss_scale: f32) -> Result<GpuOp> {
        kernel(reduce::reduce_metrics(self, stats, metrics, loss_scale))
    }
    fn column_sum(&self, x: &Tensor, out: &Tensor) -> Result<GpuOp> {
        kernel(reduce::column_sum(self, x, out))
    }
    fn confusion(&self, logits: &Tensor, targets: &Tensor, counts: &U32Array) -> Result<GpuOp> {
        kernel(reduce::confusion(self, logits, targets, counts))
    }
    fn clear_indices(&self, t: &U32Array) -> Result<GpuOp> {
        Ok(GpuOp::Clear(
            t.buffer().clone(),
            t.offset(),
            t.byte_len().next_multiple_of(4),
        ))
    }
    fn gather_rows(
        &self,
        src: &Tensor,
        index: &U32Array,
        out: &Tensor,
        first_row: usize,
    ) -> Result<GpuOp> {
        kernel(reduce::gather_rows(self, src, index, out, first_row))
    }
    fn add_assign(&self, dst: &Tensor, src: &Tensor) -> Result<GpuOp> {
        kernel(activation::add_assign(self, dst, src))
    }
    fn adam(&self, param: &Tensor, grad: &Tensor, m: &Tensor, v: &Tensor) -> Result<GpuOp> {
        kernel(adam::adam(self, param, grad, m, v))
    }

    fn conv2d(
        &self,
        x: &Tensor,
        w: &Tensor,
        bias: &Tensor,
        out: &Tensor,
        g: &Conv2dGeometry,
        relu: bool,
    ) -> Result<GpuOp> {
        let variant = conv::ConvVariant::for_gpu(self)?;
        // The scratch is shared by every conv op of this size: each fills it before it
        // reads it, and ops run one after another.
        let cols = self.scratch(g.cols_len())?;
        let cols = cols.reshaped(&[g.out_pixels(), g.patch_len()])?;
        kernel(conv::conv2d_forward(
            self, x, w, bias, out, &cols, g, relu, variant,
        ))
    }
    fn conv2d_input_backward(
        &self,
        dy: &Tensor,
        w: &Tensor,
        dx: &Tensor,
        g: &Conv2dGeometry,
    ) -> Result<GpuOp> {
        let dcols = self.scratch(g.cols_len())?;
        let dcols = dcols.reshaped(&[g.out_pixels(), g.patch_len()])?;
        kernel(conv::conv2d_input_backward(self, dy, w, dx, &dcols, g))
    }
    fn conv2d_weight_backward(
        &self,
        x: &Tensor,
        dy: &Tensor,
        dw: &Tensor,
        db: &Tensor,
        g: &Conv2dGeometry,
    ) -> Result<GpuOp> {
        let cols = self.scratch(g.cols_len())?;
        let cols = cols.reshaped(&[g.out_pixels(), g.patch_len()])?;
        kernel(conv::conv2d_weight_backward_from_input(
            self, x, &cols, dy, dw, db, g,
        ))
    }
    fn max_pool2d(
        &self,
        x: &Tensor,
        out: &Tensor,
        argmax: &U32Array,
        g: &Pool2dGeometry,
    ) -> Result<GpuOp> {
        kernel(pool::max_pool2d(self, x, out, argmax, g))
    }
    fn max_pool2d_backward(
        &self,
        dy: &Tensor,
        argmax: &U32Array,
        dx: &Tensor,
        g: &Pool2dGeometry,
    ) -> Result<GpuOp> {
        kernel(pool::max_pool2d_backward(self, dy, argmax, dx, g))
    }

    fn run(&self, ops: &[&GpuOp], step: &StepValues) -> Result<()> {
        self.run_steps(&[(ops, *step)])
    }

    /// Every launch of a chunk of up to [`STEPS_PER_SUBMISSION`] goes into one command
    /// encoder — one compute pass, broken only where a buffer is cleared — with its step
    /// values as one table entry, and one submission.
    fn run_steps(&self, launches: &[(&[&GpuOp], StepValues)]) -> Result<()> {
        for chunk in launches.chunks(STEPS_PER_SUBMISSION) {
            for (ops, step) in chunk {
                for op in ops.iter() {
                    if let GpuOp::Kernel(d) = op {
                        d.check_step(step)?;
                    }
                }
            }
            let table = self.step_table();
            let flat: Vec<(u32, &GpuOp)> = chunk
                .iter()
                .enumerate()
                .flat_map(|(i, (ops, _))| ops.iter().map(move |op| (table.offset(i), *op)))
                .collect();
            let steps: Vec<StepValues> = chunk.iter().map(|(_, s)| *s).collect();
            self.submit_with_steps(&steps, |encoder| record(encoder, &flat));
        }
        Ok(())
    }

    fn sync(&self) -> Result<()> {
        self.wait()
    }
}

/// Records `(step offset, op)` pairs in order: kernels into compute passes, clears between.
fn record(encoder: &mut wgpu::CommandEncoder, ops: &[(u32, &GpuOp)]) {
    let mut i = 0;
    while i < ops.len() {
        if let (_, GpuOp::Clear(buffer, offset, bytes)) = ops[i] {
            encoder.clear_buffer(buffer, *offset, Some(*bytes));
            i += 1;
            continue;
        }
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("oddeven"),
            timestamp_writes: None,
        });
        while let Some((offset, GpuOp::Kernel(d))) = ops.get(i) {
            d.record(&mut pass, *offset);
            i += 1;
        }
    }
}
