//! One training step's ops — forward, loss, backward — over given batch tensors.
//!
//! Where the backend fuses the output layer ([`Backend::dense_head`]: the GPU does), the
//! last Linear's forward, the loss, its backward and the ReLU's backward before it are
//! one op, and backward goes on below that ReLU; elsewhere each is recorded on its own.
//! Both give the same step within float rounding (the GPU-vs-reference step tests run
//! the fused path against the unfused reference).

use oddeven_core::{Backend, DenseHead};

use crate::error::Result;
use crate::graph::{LayerTensors, LossStage, Network};
use crate::layers::Layer;

/// The ops of one step on `x` with one-hot `targets`: the gradients (the batch mean)
/// into `grads` for the layers from `first_trained` on, and the batch's (loss ×
/// `loss_scale`, correct) into the metrics slot of the step values.
pub fn record<B: Backend>(
    net: &Network<'_, B>,
    x: &B::Tensor,
    targets: &B::Tensor,
    metrics: &B::Tensor,
    loss_scale: f32,
    grads: &LayerTensors<B>,
    first_trained: usize,
) -> Result<Vec<B::Op>> {
    let b = net.backend;
    let layers = &net.spec.layers;
    let last = layers.len().saturating_sub(1);
    let fusable = b.fuses_dense_head()
        && first_trained <= last
        && matches!(layers.get(last), Some(Layer::Linear(_)));
    let mut fwd = net.forward_until(x, last)?;
    if let (true, Some(params), Some(grad)) = (
        fusable,
        net.weights.get(last).and_then(Option::as_ref),
        grads.get(last).and_then(Option::as_ref),
    ) {
        let h = fwd.activations[last].clone();
        let rows = fwd.rows.max(1);
        let hidden = oddeven_core::Handle::len(&h) / rows;
        // h's gradient is needed only when a trained layer lies below the head.
        let trained_below = (first_trained..last).any(|i| layers[i].params().is_some());
        let relu_below = last > 0 && matches!(layers[last - 1], Layer::Relu(_));
        let dh = match trained_below {
            true => Some(b.zeros(&[rows, hidden], "head dh")?),
            false => None,
        };
        let stats = b.zeros(&[rows, 2], "row stats")?;
        let head = DenseHead {
            h: &h,
            w: &params.weight,
            b: &params.bias,
            targets,
            output: net.spec.output,
            grad_scale: 1.0 / rows as f32,
            stats: &stats,
            dw: &grad.weight,
            db: &grad.bias,
            dh: dh.as_ref(),
            relu_mask: relu_below,
        };
        if let Some(head_ops) = b.dense_head(&head)? {
            let mut ops = fwd.ops;
            ops.extend(head_ops);
            ops.push(b.reduce_metrics(&stats, metrics, loss_scale)?);
            if let Some(dh) = &dh {
                // The ReLU's backward is folded into the head: go on below it.
                let end = if relu_below { last - 1 } else { last };
                fwd.ops = Vec::new();
                ops.extend(net.backward_through(&fwd, dh, grads, first_trained, end)?);
            }
            return Ok(ops);
        }
    }
    let fwd = net.forward_on(fwd, layers.len())?;
    let loss = LossStage::new(
        b,
        net.spec.output,
        fwd.logits(),
        targets,
        metrics,
        loss_scale,
    )?;
    let bwd = net.backward(&fwd, &loss.grad, grads, first_trained)?;
    let mut ops = fwd.ops;
    ops.extend(loss.ops);
    ops.extend(bwd);
    Ok(ops)
}
