//! One graph over the backend seam: a model's parameters on a [`Backend`], and the op
//! lists of its forward pass, loss, backward pass and Adam update — built once, run many
//! times. Forward walks the layers; backward walks them in reverse.

use oddeven_core::kernels::loss::OutputKind;
use oddeven_core::Backend;

use crate::arch::ModelSpec;
use crate::error::{invalid, Result};
use crate::layers::{BackwardIn, Layer, Recorder, Relu, WeightBias};
use crate::params::Params;

/// Tensors per layer (None for layers without parameters, or frozen ones).
pub type LayerTensors<B> = Vec<Option<WeightBias<<B as Backend>::Tensor>>>;

/// A model's parameters on a backend.
pub struct Network<'b, B: Backend> {
    pub backend: &'b B,
    pub spec: ModelSpec,
    pub weights: LayerTensors<B>,
}

impl<'b, B: Backend> Network<'b, B> {
    pub fn upload(backend: &'b B, params: &Params) -> Result<Self> {
        params.validate()?;
        let mut weights = Vec::with_capacity(params.layers.len());
        for (i, (layer, values)) in params.spec.layers.iter().zip(&params.layers).enumerate() {
            weights.push(match (layer.params(), values) {
                (Some(p), Some(v)) => Some(WeightBias {
                    weight: backend.upload(&p.weight, &v.weight, &format!("layer{i} weight"))?,
                    bias: backend.upload(&[p.bias], &v.bias, &format!("layer{i} bias"))?,
                }),
                _ => None,
            });
        }
        Ok(Network {
            backend,
            spec: params.spec.clone(),
            weights,
        })
    }

    /// The current values (a sync).
    pub fn download(&self) -> Result<Params> {
        let layers = self
            .weights
            .iter()
            .map(|w| match w {
                Some(w) => Ok(Some(WeightBias {
                    weight: self.backend.read(&w.weight)?,
                    bias: self.backend.read(&w.bias)?,
                })),
                None => Ok(None),
            })
            .collect::<Result<_>>()?;
        Ok(Params {
            spec: self.spec.clone(),
            layers,
        })
    }

    /// Zero tensors shaped like the parameters of the layers from `first_trained` on.
    pub fn zeros_like(&self, first_trained: usize, label: &str) -> Result<LayerTensors<B>> {
        self.spec
            .layers
            .iter()
            .enumerate()
            .map(|(i, l)| match l.params() {
                Some(p) if i >= first_trained => Ok(Some(WeightBias {
                    weight: self
                        .backend
                        .zeros(&p.weight, &format!("{label} layer{i} weight"))?,
                    bias: self
                        .backend
                        .zeros(&[p.bias], &format!("{label} layer{i} bias"))?,
                })),
                _ => Ok(None),
            })
            .collect()
    }

    /// The forward pass over `x` ([rows, …input shape]).
    pub fn forward(&self, x: &B::Tensor) -> Result<ForwardPass<B>> {
        let rows = oddeven_core::Handle::shape(x).first().copied().unwrap_or(0);
        let fused = self.spec.fused_relu();
        let mut rec = Recorder::new(self.backend);
        let mut activations = vec![x.clone()];
        let mut saved = Vec::with_capacity(self.spec.layers.len());
        for (i, layer) in self.spec.layers.iter().enumerate() {
            let input = &activations[i];
            let out = match layer {
                Layer::Relu(_) if i > 0 && fused[i - 1] => Relu::fused::<B>(input),
                _ => layer.forward(&mut rec, input, rows, self.weights[i].as_ref(), fused[i])?,
            };
            activations.push(out.output);
            saved.push(out.saved);
        }
        Ok(ForwardPass {
            ops: rec.ops,
            activations,
            saved,
            rows,
        })
    }

    /// The backward pass from `dlogits`, writing parameter gradients into `grads` for the
    /// layers from `first_trained` on. No gradient is computed for frozen layers, nor for
    /// an input that no trained layer lies before.
    pub fn backward(
        &self,
        fwd: &ForwardPass<B>,
        dlogits: &B::Tensor,
        grads: &LayerTensors<B>,
        first_trained: usize,
    ) -> Result<Vec<B::Op>> {
        let mut rec = Recorder::new(self.backend);
        let trained = |i: usize| i >= first_trained && self.spec.layers[i].params().is_some();
        let mut grad = dlogits.clone();
        for (i, layer) in self.spec.layers.iter().enumerate().rev() {
            let need_input_grad = (0..i).any(trained);
            if !trained(i) && !need_input_grad {
                break;
            }
            let io = BackwardIn {
                input: &fwd.activations[i],
                output: &fwd.activations[i + 1],
                grad_output: &grad,
                params: self.weights[i].as_ref(),
                grads: if trained(i) {
                    Some(grads[i].as_ref().ok_or_else(|| {
                        invalid(
                            "gradients",
                            format!("layer {} has no gradient tensors", i + 1),
                        )
                    })?)
                } else {
                    None
                },
                saved: fwd.saved[i].as_ref(),
                need_input_grad,
            };
            match layer.backward(&mut rec, fwd.rows, io)? {
                Some(g) => grad = g,
                None => break,
            }
        }
        Ok(rec.ops)
    }
}

/// A forward pass's ops and tensors: `activations[0]` is the input, `activations[i + 1]`
/// the output of layer i, the last one the logits.
pub struct ForwardPass<B: Backend> {
    pub ops: Vec<B::Op>,
    pub activations: Vec<B::Tensor>,
    pub saved: Vec<Option<B::Indices>>,
    pub rows: usize,
}

impl<B: Backend> ForwardPass<B> {
    pub fn logits(&self) -> &B::Tensor {
        &self.activations[self.activations.len() - 1]
    }
}

/// The loss over a batch: dL/dlogits (the mean over the batch's rows), per-row stats, and
/// their reduction into a metrics slot that stays on the backend.
pub struct LossStage<B: Backend> {
    pub ops: Vec<B::Op>,
    pub grad: B::Tensor,
    /// Per row: (loss, 1.0 if classified correctly).
    pub stats: B::Tensor,
}

impl<B: Backend> LossStage<B> {
    /// `loss_scale` multiplies the summed row losses into the metrics slot (1/N for a mean
    /// over the N rows of an epoch); the gradient is the mean over this batch's rows.
    pub fn new(
        backend: &B,
        output: OutputKind,
        logits: &B::Tensor,
        targets: &B::Tensor,
        metrics: &B::Tensor,
        loss_scale: f32,
    ) -> Result<Self> {
        let rows = oddeven_core::Handle::shape(logits)
            .first()
            .copied()
            .unwrap_or(0);
        let grad_scale = 1.0 / rows.max(1) as f32;
        Self::with_grad_scale(
            backend, output, logits, targets, metrics, loss_scale, grad_scale,
        )
    }

    /// As [`LossStage::new`] with the gradient scaled by `grad_scale`: 1/N for a chunk of
    /// a batch of N rows, so that the chunks' gradients sum to the batch mean.
    pub fn with_grad_scale(
        backend: &B,
        output: OutputKind,
        logits: &B::Tensor,
        targets: &B::Tensor,
        metrics: &B::Tensor,
        loss_scale: f32,
        grad_scale: f32,
    ) -> Result<Self> {
        let shape = oddeven_core::Handle::shape(logits).to_vec();
        let rows = shape.first().copied().unwrap_or(0).max(1);
        let grad = backend.zeros(&shape, "dlogits")?;
        let stats = backend.zeros(&[rows, 2], "row stats")?;
        let ops = vec![
            backend.loss(output, logits, targets, &grad, &stats, grad_scale)?,
            backend.reduce_metrics(&stats, metrics, loss_scale)?,
        ];
        Ok(LossStage { ops, grad, stats })
    }
}

/// Gradients, Adam moments and the update ops of the trained layers.
pub struct Optimizer<B: Backend> {
    pub grads: LayerTensors<B>,
    pub ops: Vec<B::Op>,
    _moments: [LayerTensors<B>; 2],
}

impl<B: Backend> Optimizer<B> {
    pub fn new(net: &Network<'_, B>, first_trained: usize) -> Result<Self> {
        let grads = net.zeros_like(first_trained, "grad")?;
        let m = net.zeros_like(first_trained, "adam m")?;
        let v = net.zeros_like(first_trained, "adam v")?;
        let mut ops = Vec::new();
        for i in 0..net.weights.len() {
            if let (Some(w), Some(g), Some(m), Some(v)) = (&net.weights[i], &grads[i], &m[i], &v[i])
            {
                ops.push(
                    net.backend
                        .adam(&w.weight, &g.weight, &m.weight, &v.weight)?,
                );
                ops.push(net.backend.adam(&w.bias, &g.bias, &m.bias, &v.bias)?);
            }
        }
        Ok(Optimizer {
            grads,
            ops,
            _moments: [m, v],
        })
    }
}
