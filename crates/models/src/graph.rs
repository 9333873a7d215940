//! The model on the GPU: parameter tensors, and the dispatch lists of a forward pass, a
//! training step and an evaluation, each built once and recorded many times.

use oddeven_core::kernels::adam::{adam, AdamHyper};
use oddeven_core::kernels::loss::{loss, LossKind};
use oddeven_core::kernels::matmul::{matmul, MatmulSpec};
use oddeven_core::kernels::reduce::{column_sum, confusion, MetricsReduce};
use oddeven_core::kernels::{activation, Dispatch};
use oddeven_core::{wgpu, Gpu, Tensor, U32Array};

use crate::error::Result;
use crate::spec::{Linear, ModelKind, OutputKind, Params};

/// One linear layer's tensors.
#[derive(Debug, Clone)]
pub struct LayerTensors {
    pub weight: Tensor,
    pub bias: Tensor,
}

impl LayerTensors {
    fn zeros_like(gpu: &Gpu, l: &Linear, label: &str) -> Result<Self> {
        Ok(LayerTensors {
            weight: Tensor::zeros(gpu, &[l.fan_in, l.fan_out], &format!("{label} weight"))?,
            bias: Tensor::zeros(gpu, &[l.fan_out], &format!("{label} bias"))?,
        })
    }
}

/// A model's parameters on the GPU.
#[derive(Debug)]
pub struct GpuParams {
    pub layers: Vec<LayerTensors>,
}

impl GpuParams {
    pub fn upload(gpu: &Gpu, params: &Params) -> Result<Self> {
        let mut layers = Vec::new();
        for (i, l) in params.layers.iter().enumerate() {
            let t = LayerTensors::zeros_like(gpu, l, &format!("layer{}", i + 1))?;
            t.weight.write(gpu, &l.weight)?;
            t.bias.write(gpu, &l.bias)?;
            layers.push(t);
        }
        Ok(GpuParams { layers })
    }

    /// Copies the current values back into `params` (same spec).
    pub fn download_into(&self, gpu: &Gpu, params: &mut Params) -> Result<()> {
        for (t, l) in self.layers.iter().zip(params.layers.iter_mut()) {
            l.weight = t.weight.read(gpu)?;
            l.bias = t.bias.read(gpu)?;
        }
        Ok(())
    }
}

pub(crate) fn loss_kind(output: OutputKind) -> LossKind {
    match output {
        OutputKind::Softmax => LossKind::SoftmaxCrossEntropy,
        OutputKind::Sigmoid => LossKind::SigmoidBce,
    }
}

/// Forward pass over `x` [rows, inputs]: hidden = ReLU(x·W1 + b1) fused in one matmul,
/// logits = hidden·W2 + b2.
pub struct Forward {
    pub dispatches: Vec<Dispatch>,
    pub hidden: Option<Tensor>,
    pub logits: Tensor,
}

impl Forward {
    pub fn new(gpu: &Gpu, params: &Params, weights: &GpuParams, x: &Tensor) -> Result<Self> {
        let rows = x.rows();
        let spec = params.spec;
        let logits = Tensor::zeros(gpu, &[rows, spec.classes], "logits")?;
        let out = &weights.layers[weights.layers.len() - 1];
        match spec.kind {
            ModelKind::Softmax => {
                let d = matmul(
                    gpu,
                    x,
                    &out.weight,
                    &logits,
                    Some(&out.bias),
                    MatmulSpec::NN,
                )?;
                Ok(Forward {
                    dispatches: vec![d],
                    hidden: None,
                    logits,
                })
            }
            ModelKind::Mlp => {
                let first = &weights.layers[0];
                let hidden = Tensor::zeros(gpu, &[rows, spec.hidden], "hidden")?;
                let d1 = matmul(
                    gpu,
                    x,
                    &first.weight,
                    &hidden,
                    Some(&first.bias),
                    MatmulSpec::NN.with_relu(),
                )?;
                let d2 = matmul(
                    gpu,
                    &hidden,
                    &out.weight,
                    &logits,
                    Some(&out.bias),
                    MatmulSpec::NN,
                )?;
                Ok(Forward {
                    dispatches: vec![d1, d2],
                    hidden: Some(hidden),
                    logits,
                })
            }
        }
    }
}

/// Loss over a batch: gradient w.r.t. the logits, per-row stats, and their reduction
/// into a metrics buffer on the GPU.
pub struct LossStage {
    pub dispatch: Dispatch,
    pub grad: Tensor,
    pub metrics: MetricsReduce,
}

impl LossStage {
    /// `loss_scale` multiplies the summed row losses into the metrics slot (1/N for a mean
    /// over the N rows of an epoch); gradients are always the mean over this batch.
    pub fn new(
        gpu: &Gpu,
        output: OutputKind,
        logits: &Tensor,
        targets: &Tensor,
        metrics: &Tensor,
        loss_scale: f32,
    ) -> Result<Self> {
        let rows = logits.rows();
        let grad = Tensor::zeros(gpu, logits.shape(), "dlogits")?;
        let stats = Tensor::zeros(gpu, &[rows, 2], "row stats")?;
        let dispatch = loss(
            gpu,
            loss_kind(output),
            logits,
            targets,
            &grad,
            &stats,
            1.0 / rows as f32,
        )?;
        let metrics = MetricsReduce::new(gpu, &stats, metrics, loss_scale)?;
        Ok(LossStage {
            dispatch,
            grad,
            metrics,
        })
    }
}

/// Gradients of every layer (frozen layers get none) and the dispatches computing them.
pub struct Backward {
    pub dispatches: Vec<Dispatch>,
}

impl Backward {
    /// Backward through the model given dL/dlogits. Layers before `first_trained` are
    /// frozen: no gradient is computed for them, and never the input's gradient.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        gpu: &Gpu,
        params: &Params,
        weights: &GpuParams,
        grads: &GpuParams,
        x: &Tensor,
        fwd: &Forward,
        dlogits: &Tensor,
        first_trained: usize,
    ) -> Result<Self> {
        let rows = x.rows();
        let mut d = Vec::new();
        let last = weights.layers.len() - 1;
        let input_of_last = fwd.hidden.as_ref().unwrap_or(x);
        // Output layer: dW = inputᵀ·dZ, db = Σ_rows dZ.
        d.push(matmul(
            gpu,
            input_of_last,
            dlogits,
            &grads.layers[last].weight,
            None,
            MatmulSpec::TN,
        )?);
        d.push(column_sum(gpu, dlogits, &grads.layers[last].bias)?);
        if params.spec.kind == ModelKind::Mlp && first_trained == 0 {
            let (Some(hidden), out) = (&fwd.hidden, &weights.layers[last]) else {
                unreachable!("an MLP forward pass always has a hidden layer")
            };
            // dH = dZ·W2ᵀ masked by ReLU', then the hidden layer's gradients.
            let dh = Tensor::zeros(gpu, &[rows, params.spec.hidden], "dhidden")?;
            let dh_masked = Tensor::zeros(gpu, &[rows, params.spec.hidden], "dhidden masked")?;
            d.push(matmul(
                gpu,
                dlogits,
                &out.weight,
                &dh,
                None,
                MatmulSpec::NT,
            )?);
            d.push(activation::relu_backward(gpu, &dh, hidden, &dh_masked)?);
            d.push(matmul(
                gpu,
                x,
                &dh_masked,
                &grads.layers[0].weight,
                None,
                MatmulSpec::TN,
            )?);
            d.push(column_sum(gpu, &dh_masked, &grads.layers[0].bias)?);
        }
        Ok(Backward { dispatches: d })
    }
}

/// Adam state and update dispatches for the trained layers.
pub struct Optimizer {
    pub hyper: AdamHyper,
    pub grads: GpuParams,
    pub dispatches: Vec<Dispatch>,
    _moments: Vec<GpuParams>,
}

impl Optimizer {
    pub fn new(
        gpu: &Gpu,
        params: &Params,
        weights: &GpuParams,
        first_trained: usize,
    ) -> Result<Self> {
        let zeros = |label: &str| -> Result<GpuParams> {
            let layers = params
                .layers
                .iter()
                .enumerate()
                .map(|(i, l)| LayerTensors::zeros_like(gpu, l, &format!("{label} layer{}", i + 1)))
                .collect::<Result<_>>()?;
            Ok(GpuParams { layers })
        };
        let (grads, m, v) = (zeros("grad")?, zeros("adam m")?, zeros("adam v")?);
        let hyper = AdamHyper::new(gpu);
        let mut dispatches = Vec::new();
        for i in first_trained..weights.layers.len() {
            let (w, g, mi, vi) = (
                &weights.layers[i],
                &grads.layers[i],
                &m.layers[i],
                &v.layers[i],
            );
            dispatches.push(adam(
                gpu, &hyper, &w.weight, &g.weight, &mi.weight, &vi.weight,
            )?);
            dispatches.push(adam(gpu, &hyper, &w.bias, &g.bias, &mi.bias, &vi.bias)?);
        }
        Ok(Optimizer {
            hyper,
            grads,
            dispatches,
            _moments: vec![m, v],
        })
    }
}

/// Forward + loss + confusion matrix over a whole data set, for accuracy and final loss.
pub struct Evaluation {
    forward: Forward,
    loss: LossStage,
    confusion: Dispatch,
    pub counts: U32Array,
    pub metrics: Tensor,
    rows: usize,
}

/// What an evaluation measured.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalResult {
    pub loss: f32,
    pub accuracy: f64,
    /// Rows = true class, columns = predicted.
    pub confusion: Vec<Vec<u64>>,
}

impl Evaluation {
    pub fn new(
        gpu: &Gpu,
        params: &Params,
        weights: &GpuParams,
        x: &Tensor,
        y: &Tensor,
    ) -> Result<Self> {
        let rows = x.rows();
        let k = params.spec.classes;
        let forward = Forward::new(gpu, params, weights, x)?;
        let metrics = Tensor::zeros(gpu, &[1, 2], "eval metrics")?;
        let loss = LossStage::new(
            gpu,
            params.spec.output,
            &forward.logits,
            y,
            &metrics,
            1.0 / rows as f32,
        )?;
        let counts = U32Array::zeros(gpu, &[k, k], "confusion")?;
        let confusion = confusion(gpu, &forward.logits, y, &counts)?;
        Ok(Evaluation {
            forward,
            loss,
            confusion,
            counts,
            metrics,
            rows,
        })
    }

    /// Records the evaluation (the caller submits); counts must be zeroed first.
    pub fn record(&self, encoder: &mut wgpu::CommandEncoder) {
        encoder.clear_buffer(self.counts.buffer(), 0, None);
        let mut list: Vec<&Dispatch> = self.forward.dispatches.iter().collect();
        list.extend([
            &self.loss.dispatch,
            self.loss.metrics.dispatch(),
            &self.confusion,
        ]);
        oddeven_core::kernels::record_all(encoder, &list);
    }

    /// Runs the evaluation now and reads the result back (a sync: not for the epoch loop).
    pub fn run(&self, gpu: &Gpu) -> Result<EvalResult> {
        let mut encoder = gpu.encoder("evaluate");
        self.record(&mut encoder);
        gpu.submit(encoder);
        let metrics = self.metrics.read(gpu)?;
        let counts = self.counts.read(gpu)?;
        let k = (counts.len() as f64).sqrt() as usize;
        let confusion = counts
            .chunks(k.max(1))
            .map(|r| r.iter().map(|&c| c as u64).collect())
            .collect();
        Ok(EvalResult {
            loss: metrics[0],
            accuracy: metrics[1] as f64 / self.rows.max(1) as f64,
            confusion,
        })
    }
}
