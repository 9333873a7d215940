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
    /// The parameters of the layers from `packed_from` on, as one flat tensor, where the
    /// backend packs them (see [`Backend::zeros_packed`]): Adam updates them in one launch.
    trained_whole: Option<B::Tensor>,
    packed_from: usize,
}

/// Tensors of the layers from `first` on, packed in one buffer where the backend can:
/// the parts (None for layers before `first` or without parameters) and the whole.
pub struct Packed<B: Backend> {
    pub parts: LayerTensors<B>,
    pub whole: Option<B::Tensor>,
}

/// Zero tensors shaped like the parameters of `spec`'s layers `layers`, packed in layer
/// order (weight, then bias): equal calls give equal layouts.
fn pack<B: Backend>(
    backend: &B,
    spec: &ModelSpec,
    layers: std::ops::Range<usize>,
    label: &str,
) -> Result<Packed<B>> {
    let trained: Vec<(usize, crate::layers::ParamShapes)> = spec
        .param_layers()
        .into_iter()
        .filter(|(i, _)| layers.contains(i))
        .collect();
    let shapes: Vec<Vec<usize>> = trained
        .iter()
        .flat_map(|(_, p)| [p.weight.clone(), vec![p.bias]])
        .collect();
    let (whole, tensors) = backend.zeros_packed(&shapes, label)?;
    let mut tensors = tensors.into_iter();
    let mut parts: LayerTensors<B> = (0..spec.layers.len()).map(|_| None).collect();
    for (i, _) in &trained {
        match (tensors.next(), tensors.next()) {
            (Some(weight), Some(bias)) => parts[*i] = Some(WeightBias { weight, bias }),
            _ => return Err(invalid("parameters", "the backend packed too few tensors")),
        }
    }
    Ok(Packed { parts, whole })
}

impl<'b, B: Backend> Network<'b, B> {
    /// The parameters on `backend`, all of them trained.
    pub fn upload(backend: &'b B, params: &Params) -> Result<Self> {
        Self::upload_trained_from(backend, params, 0)
    }

    /// The parameters on `backend`, with the layers from `first_trained` on packed
    /// together (the frozen ones apart), so the optimizer can update them in one launch.
    pub fn upload_trained_from(
        backend: &'b B,
        params: &Params,
        first_trained: usize,
    ) -> Result<Self> {
        params.validate()?;
        let spec = &params.spec;
        let all = spec.layers.len();
        let frozen = pack(
            backend,
            spec,
            0..first_trained.min(all),
            "frozen parameters",
        )?;
        let trained = pack(backend, spec, first_trained..all, "parameters")?;
        let mut weights: LayerTensors<B> = Vec::with_capacity(spec.layers.len());
        for (i, values) in params.layers.iter().enumerate() {
            let tensors = if i >= first_trained {
                &trained.parts[i]
            } else {
                &frozen.parts[i]
            };
            weights.push(match (tensors, values) {
                (Some(t), Some(v)) => {
                    backend.write(&t.weight, &v.weight)?;
                    backend.write(&t.bias, &v.bias)?;
                    Some(t.clone())
                }
                _ => None,
            });
        }
        Ok(Network {
            backend,
            spec: spec.clone(),
            weights,
            trained_whole: trained.whole,
            packed_from: first_trained,
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
        Ok(self.zeros_like_packed(first_trained, label)?.parts)
    }

    /// As [`Network::zeros_like`], with the whole packed buffer where there is one.
    pub fn zeros_like_packed(&self, first_trained: usize, label: &str) -> Result<Packed<B>> {
        pack(
            self.backend,
            &self.spec,
            first_trained..self.spec.layers.len(),
            label,
        )
    }

    /// The forward pass over `x` ([rows, …input shape]).
    pub fn forward(&self, x: &B::Tensor) -> Result<ForwardPass<B>> {
        self.forward_until(x, self.spec.layers.len())
    }

    /// The forward pass through the first `end` layers (the last activation is then the
    /// input of layer `end`).
    pub fn forward_until(&self, x: &B::Tensor, end: usize) -> Result<ForwardPass<B>> {
        let start = ForwardPass {
            ops: Vec::new(),
            activations: vec![x.clone()],
            saved: Vec::new(),
            rows: oddeven_core::Handle::shape(x).first().copied().unwrap_or(0),
        };
        self.forward_on(start, end)
    }

    /// `pass` continued through the layers after those it covers, up to layer `end`.
    pub fn forward_on(&self, pass: ForwardPass<B>, end: usize) -> Result<ForwardPass<B>> {
        let ForwardPass {
            ops,
            mut activations,
            mut saved,
            rows,
        } = pass;
        let fused = self.spec.fused_relu();
        let mut rec = Recorder {
            backend: self.backend,
            ops,
        };
        let done = saved.len();
        for (i, layer) in self.spec.layers.iter().enumerate().take(end).skip(done) {
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
        self.backward_through(fwd, dlogits, grads, first_trained, self.spec.layers.len())
    }

    /// [`Network::backward`] from the gradient of layer `end`'s input, through layers
    /// `end - 1` down to the first (the layers from `end` on were handled already).
    pub fn backward_through(
        &self,
        fwd: &ForwardPass<B>,
        grad_output: &B::Tensor,
        grads: &LayerTensors<B>,
        first_trained: usize,
        end: usize,
    ) -> Result<Vec<B::Op>> {
        let mut rec = Recorder::new(self.backend);
        let trained = |i: usize| i >= first_trained && self.spec.layers[i].params().is_some();
        let mut grad = grad_output.clone();
        for (i, layer) in self.spec.layers.iter().enumerate().take(end).rev() {
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
    /// The gradients as one flat tensor, when they and the parameters are packed alike.
    pub grads_whole: Option<B::Tensor>,
    pub ops: Vec<B::Op>,
    _moments: [Packed<B>; 2],
}

impl<B: Backend> Optimizer<B> {
    pub fn new(net: &Network<'_, B>, first_trained: usize) -> Result<Self> {
        let grads = net.zeros_like_packed(first_trained, "grad")?;
        let m = net.zeros_like_packed(first_trained, "adam m")?;
        let v = net.zeros_like_packed(first_trained, "adam v")?;
        let b = net.backend;
        let mut ops = Vec::new();
        let packed = (net.packed_from == first_trained)
            .then_some(())
            .and(net.trained_whole.as_ref())
            .zip(grads.whole.as_ref())
            .zip(m.whole.as_ref())
            .zip(v.whole.as_ref());
        match packed {
            // One launch over every trained parameter: the packs share one layout, and
            // their zero padding stays zero (a zero gradient moves nothing).
            Some((((w, g), m), v)) => ops.push(b.adam(w, g, m, v)?),
            None => {
                for i in 0..net.weights.len() {
                    if let (Some(w), Some(g), Some(m), Some(v)) =
                        (&net.weights[i], &grads.parts[i], &m.parts[i], &v.parts[i])
                    {
                        ops.push(b.adam(&w.weight, &g.weight, &m.weight, &v.weight)?);
                        ops.push(b.adam(&w.bias, &g.bias, &m.bias, &v.bias)?);
                    }
                }
            }
        }
        Ok(Optimizer {
            grads_whole: grads.whole,
            grads: grads.parts,
            ops,
            _moments: [m, v],
        })
    }
}
