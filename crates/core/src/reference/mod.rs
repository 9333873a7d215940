//! The reference backend: every op runs the plain-Rust reference of the same name in
//! [`crate::cpu`] (f64 accumulation, written for clarity, not speed). It is the oracle the
//! other backends are tested against — "one graph, two backends" — and the CPU side of
//! the models' gradient checks. Slow by design: use it on small batches.

use crate::adapter::AdapterSummary;
use crate::backend::{Backend, Handle};
use crate::cpu;
use crate::error::Result;
use crate::geometry::{Conv2dGeometry, Pool2dGeometry};
use crate::kernels::loss::OutputKind;
use crate::kernels::matmul::{as_matrix, shape_dims, MatmulSpec};
use crate::kernels::reduce::gather_dims;
use crate::step::StepValues;

mod host;
mod image;

use host::{op, same_len, shape_err};
pub use host::{HostArray, HostIndices, HostOp, HostTensor};

/// The reference backend (no state: every op owns its operands).
#[derive(Debug, Clone, Copy, Default)]
pub struct ReferenceBackend;

impl Backend for ReferenceBackend {
    type Tensor = HostTensor;
    type Indices = HostIndices;
    type Op = HostOp;

    fn summary(&self) -> AdapterSummary {
        AdapterSummary {
            name: "reference (plain Rust, f64 accumulation)".into(),
            backend: "reference".into(),
            device_type: "cpu".into(),
            driver: String::new(),
        }
    }
    fn max_tensor_bytes(&self) -> u64 {
        u64::MAX
    }

    fn zeros(&self, shape: &[usize], _label: &str) -> Result<HostTensor> {
        Ok(HostArray::new(shape, vec![0.0; shape.iter().product()]))
    }
    fn upload(&self, shape: &[usize], data: &[f32], label: &str) -> Result<HostTensor> {
        let t = self.zeros(shape, label)?;
        self.write(&t, data)?;
        Ok(t)
    }
    fn write(&self, t: &HostTensor, data: &[f32]) -> Result<()> {
        t.write_all(data)
    }
    fn read(&self, t: &HostTensor) -> Result<Vec<f32>> {
        Ok(t.get())
    }
    fn reshape(&self, t: &HostTensor, shape: &[usize]) -> Result<HostTensor> {
        if shape.iter().product::<usize>() != t.len() {
            return Err(shape_err(
                "reshape",
                format!("{:?} cannot be viewed as {shape:?}", t.shape),
            ));
        }
        Ok(HostArray {
            data: t.data.clone(),
            shape: shape.to_vec(),
        })
    }
    fn index_zeros(&self, shape: &[usize], _label: &str) -> Result<HostIndices> {
        Ok(HostArray::new(shape, vec![0; shape.iter().product()]))
    }
    fn write_indices(&self, t: &HostIndices, data: &[u32]) -> Result<()> {
        t.write_all(data)
    }
    fn read_indices(&self, t: &HostIndices) -> Result<Vec<u32>> {
        Ok(t.get())
    }

    fn matmul(
        &self,
        a: &HostTensor,
        b: &HostTensor,
        c: &HostTensor,
        bias: Option<&HostTensor>,
        spec: MatmulSpec,
    ) -> Result<HostOp> {
        let (m, k, n) = shape_dims(&a.shape, &b.shape, &c.shape, bias.map(|b| b.len()), spec)?;
        let (a, b, c, bias) = (a.clone(), b.clone(), c.clone(), bias.cloned());
        Ok(op("matmul", move |_| {
            let bias = bias.as_ref().map(|b| b.get());
            c.set(cpu::matmul(
                &a.get(),
                &b.get(),
                m,
                k,
                n,
                spec,
                bias.as_deref(),
            ));
            Ok(())
        }))
    }
    fn relu(&self, x: &HostTensor, out: &HostTensor) -> Result<HostOp> {
        same_len("relu", &[x, out])?;
        let (x, out) = (x.clone(), out.clone());
        Ok(op("relu", move |_| {
            out.set(cpu::relu(&x.get()));
            Ok(())
        }))
    }
    fn relu_backward(
        &self,
        grad_out: &HostTensor,
        y: &HostTensor,
        grad_in: &HostTensor,
    ) -> Result<HostOp> {
        same_len("relu_backward", &[grad_out, y, grad_in])?;
        let (g, y, gi) = (grad_out.clone(), y.clone(), grad_in.clone());
        Ok(op("relu_backward", move |_| {
            gi.set(cpu::relu_backward(&g.get(), &y.get()));
            Ok(())
        }))
    }
    fn loss(
        &self,
        kind: OutputKind,
        logits: &HostTensor,
        targets: &HostTensor,
        grad: &HostTensor,
        stats: &HostTensor,
        scale: f32,
    ) -> Result<HostOp> {
        let (rows, classes) = as_matrix(&logits.shape);
        if targets.shape != logits.shape || grad.shape != logits.shape || stats.len() != 2 * rows {
            return Err(shape_err(
                "loss",
                format!(
                    "logits {:?}, targets {:?}, grad {:?}, stats {:?}",
                    logits.shape, targets.shape, grad.shape, stats.shape
                ),
            ));
        }
        let (z, y, g, s) = (logits.clone(), targets.clone(), grad.clone(), stats.clone());
        Ok(op("loss", move |_| {
            let out = match kind {
                OutputKind::Softmax => {
                    cpu::softmax_cross_entropy(&z.get(), &y.get(), classes, scale)
                }
                OutputKind::Sigmoid => cpu::sigmoid_bce(&z.get(), &y.get(), classes, scale),
            };
            g.set(out.grad);
            s.set(out.stats);
            Ok(())
        }))
    }
    fn reduce_metrics(
        &self,
        stats: &HostTensor,
        metrics: &HostTensor,
        loss_scale: f32,
    ) -> Result<HostOp> {
        if !stats.len().is_multiple_of(2) || metrics.len() < 2 || !metrics.len().is_multiple_of(2) {
            return Err(shape_err(
                "reduce_metrics",
                format!("stats {:?}, metrics {:?}", stats.shape, metrics.shape),
            ));
        }
        let (stats, metrics) = (stats.clone(), metrics.clone());
        Ok(op("reduce_metrics", move |step| {
            let slots = metrics.len() / 2;
            if step.metrics_slot >= slots {
                return Err(shape_err(
                    "reduce_metrics",
                    format!("metrics slot {} of {slots}", step.metrics_slot),
                ));
            }
            let (loss, correct) = cpu::reduce_metrics(&stats.get(), loss_scale);
            let mut m = metrics.lock();
            let slot = &mut m[2 * step.metrics_slot..2 * step.metrics_slot + 2];
            if step.accumulate_metrics {
                slot[0] += loss;
                slot[1] += correct;
            } else {
                slot.copy_from_slice(&[loss, correct]);
            }
            Ok(())
        }))
    }
    fn column_sum(&self, x: &HostTensor, out: &HostTensor) -> Result<HostOp> {
        let (rows, cols) = as_matrix(&x.shape);
        if out.len() != cols {
            return Err(shape_err(
                "column_sum",
                format!("x {:?}, out {:?}", x.shape, out.shape),
            ));
        }
        let (x, out) = (x.clone(), out.clone());
        Ok(op("column_sum", move |_| {
            out.set(cpu::column_sum(&x.get(), rows, cols));
            Ok(())
        }))
    }
    fn confusion(
        &self,
        logits: &HostTensor,
        targets: &HostTensor,
        counts: &HostIndices,
    ) -> Result<HostOp> {
        let classes = as_matrix(&logits.shape).1;
        if targets.shape != logits.shape || counts.len() != classes * classes {
            return Err(shape_err(
                "confusion",
                format!(
                    "logits {:?}, targets {:?}, counts {:?}",
                    logits.shape, targets.shape, counts.shape
                ),
            ));
        }
        let (z, y, counts) = (logits.clone(), targets.clone(), counts.clone());
        Ok(op("confusion", move |_| {
            let add = cpu::confusion(&z.get(), &y.get(), classes);
            let mut c = counts.lock();
            c.iter_mut().zip(add).for_each(|(c, a)| *c += a);
            Ok(())
        }))
    }
    fn clear_indices(&self, t: &HostIndices) -> Result<HostOp> {
        let t = t.clone();
        Ok(op("clear", move |_| {
            t.lock().iter_mut().for_each(|v| *v = 0);
            Ok(())
        }))
    }
    fn gather_rows(
        &self,
        src: &HostTensor,
        index: &HostIndices,
        out: &HostTensor,
        first_row: usize,
    ) -> Result<HostOp> {
        let (_, rows, cols) = gather_dims(&src.shape, index.len(), &out.shape)?;
        let (src, index, out) = (src.clone(), index.clone(), out.clone());
        Ok(op("gather_rows", move |step| {
            let index = index.get();
            let window = index
                .get(step.row_offset..step.row_offset + rows)
                .ok_or_else(|| {
                    shape_err("gather_rows", format!("rows from {}", step.row_offset))
                })?;
            let mut values = out.get();
            cpu::gather_rows(&src.get(), cols, window, first_row, &mut values);
            out.set(values);
            Ok(())
        }))
    }
    fn add_assign(&self, dst: &HostTensor, src: &HostTensor) -> Result<HostOp> {
        same_len("add_assign", &[dst, src])?;
        let (dst, src) = (dst.clone(), src.clone());
        Ok(op("add_assign", move |_| {
            dst.set(cpu::add_assign(&dst.get(), &src.get()));
            Ok(())
        }))
    }
    fn adam(
        &self,
        param: &HostTensor,
        grad: &HostTensor,
        m: &HostTensor,
        v: &HostTensor,
    ) -> Result<HostOp> {
        same_len("adam", &[param, grad, m, v])?;
        let (p, g, m, v) = (param.clone(), grad.clone(), m.clone(), v.clone());
        Ok(op("adam", move |step| {
            let (mut pv, mut mv, mut vv) = (p.get(), m.get(), v.get());
            let cfg = step.adam;
            cpu::adam_step(
                &mut pv,
                &g.get(),
                &mut mv,
                &mut vv,
                &cfg,
                step.lr,
                step.adam_step,
            );
            p.set(pv);
            m.set(mv);
            v.set(vv);
            Ok(())
        }))
    }

    fn conv2d(
        &self,
        x: &HostTensor,
        w: &HostTensor,
        bias: &HostTensor,
        out: &HostTensor,
        g: &Conv2dGeometry,
        relu: bool,
    ) -> Result<HostOp> {
        image::conv2d(x, w, bias, out, g, relu)
    }
    fn conv2d_input_backward(
        &self,
        dy: &HostTensor,
        w: &HostTensor,
        dx: &HostTensor,
        g: &Conv2dGeometry,
    ) -> Result<HostOp> {
        image::conv2d_input_backward(dy, w, dx, g)
    }
    fn conv2d_weight_backward(
        &self,
        x: &HostTensor,
        dy: &HostTensor,
        dw: &HostTensor,
        db: &HostTensor,
        g: &Conv2dGeometry,
    ) -> Result<HostOp> {
        image::conv2d_weight_backward(x, dy, dw, db, g)
    }
    fn max_pool2d(
        &self,
        x: &HostTensor,
        out: &HostTensor,
        argmax: &HostIndices,
        g: &Pool2dGeometry,
    ) -> Result<HostOp> {
        image::max_pool2d(x, out, argmax, g)
    }
    fn max_pool2d_backward(
        &self,
        dy: &HostTensor,
        argmax: &HostIndices,
        dx: &HostTensor,
        g: &Pool2dGeometry,
    ) -> Result<HostOp> {
        image::max_pool2d_backward(dy, argmax, dx, g)
    }

    fn run(&self, ops: &[&HostOp], step: &StepValues) -> Result<()> {
        ops.iter().try_for_each(|op| (op.run)(step))
    }
    fn sync(&self) -> Result<()> {
        Ok(())
    }
}
