//! The models' forward and backward pass on the CPU, built from `oddeven_core::cpu`. It is
//! the oracle of the gradient checks (against finite differences) and of the check that
//! one GPU training step equals one CPU step.

use oddeven_core::cpu;
use oddeven_core::kernels::adam::AdamConfig;
use oddeven_core::kernels::matmul::MatmulSpec;

use crate::spec::{Linear, ModelKind, OutputKind, Params};

/// Loss, correct count and parameter gradients of one batch.
#[derive(Debug, Clone)]
pub struct BatchResult {
    /// Mean loss over the rows.
    pub loss: f32,
    pub correct: usize,
    /// Gradients in the shape of `Params::layers`.
    pub grads: Vec<Linear>,
}

fn linear(x: &[f32], rows: usize, layer: &Linear, relu: bool) -> Vec<f32> {
    let spec = MatmulSpec {
        relu,
        ..MatmulSpec::NN
    };
    cpu::matmul(
        x,
        &layer.weight,
        rows,
        layer.fan_in,
        layer.fan_out,
        spec,
        Some(&layer.bias),
    )
}

/// Logits of `rows` examples.
pub fn logits(params: &Params, x: &[f32], rows: usize) -> Vec<f32> {
    match params.spec.kind {
        ModelKind::Softmax => linear(x, rows, &params.layers[0], false),
        ModelKind::Mlp => {
            let h = linear(x, rows, &params.layers[0], true);
            linear(&h, rows, &params.layers[1], false)
        }
    }
}

/// Forward and backward over one batch with targets `y` (one-hot rows).
pub fn batch(params: &Params, x: &[f32], y: &[f32], rows: usize) -> BatchResult {
    let k = params.spec.classes;
    let scale = 1.0 / rows as f32;
    let loss_of = |z: &[f32]| match params.spec.output {
        OutputKind::Softmax => cpu::softmax_cross_entropy(z, y, k, scale),
        OutputKind::Sigmoid => cpu::sigmoid_bce(z, y, k, scale),
    };
    let weight_grad = |input: &[f32], layer: &Linear, dz: &[f32]| Linear {
        fan_in: layer.fan_in,
        fan_out: layer.fan_out,
        weight: cpu::matmul(
            input,
            dz,
            layer.fan_in,
            rows,
            layer.fan_out,
            MatmulSpec::TN,
            None,
        ),
        bias: cpu::column_sum(dz, rows, layer.fan_out),
    };
    let (out, grads) = match params.spec.kind {
        ModelKind::Softmax => {
            let out = loss_of(&linear(x, rows, &params.layers[0], false));
            let g = weight_grad(x, &params.layers[0], &out.grad);
            (out, vec![g])
        }
        ModelKind::Mlp => {
            let (l1, l2) = (&params.layers[0], &params.layers[1]);
            let h = linear(x, rows, l1, true);
            let out = loss_of(&linear(&h, rows, l2, false));
            let g2 = weight_grad(&h, l2, &out.grad);
            let dh = cpu::matmul(
                &out.grad,
                &l2.weight,
                rows,
                l2.fan_out,
                l2.fan_in,
                MatmulSpec::NT,
                None,
            );
            let dh = cpu::relu_backward(&dh, &h);
            let g1 = weight_grad(x, l1, &dh);
            (out, vec![g1, g2])
        }
    };
    let (loss, correct) = cpu::reduce_metrics(&out.stats, scale);
    BatchResult {
        loss,
        correct: correct as usize,
        grads,
    }
}

/// Adam moments for every parameter of a model, on the host.
#[derive(Debug, Clone)]
pub struct AdamState {
    pub m: Vec<Linear>,
    pub v: Vec<Linear>,
    pub t: u64,
}

impl AdamState {
    pub fn new(params: &Params) -> Self {
        let zeros = |l: &Linear| Linear {
            fan_in: l.fan_in,
            fan_out: l.fan_out,
            weight: vec![0.0; l.weight.len()],
            bias: vec![0.0; l.bias.len()],
        };
        let m: Vec<Linear> = params.layers.iter().map(zeros).collect();
        AdamState {
            v: m.clone(),
            m,
            t: 0,
        }
    }
}

/// One full training step on the CPU: forward, backward, Adam on the layers from
/// `first_trained` on (1 freezes the hidden layer of an MLP).
pub fn step(
    params: &mut Params,
    state: &mut AdamState,
    cfg: &AdamConfig,
    x: &[f32],
    y: &[f32],
    rows: usize,
    first_trained: usize,
) -> BatchResult {
    let result = batch(params, x, y, rows);
    state.t += 1;
    for (i, layer) in params.layers.iter_mut().enumerate().skip(first_trained) {
        let (g, m, v) = (&result.grads[i], &mut state.m[i], &mut state.v[i]);
        cpu::adam_step(
            &mut layer.weight,
            &g.weight,
            &mut m.weight,
            &mut v.weight,
            cfg,
            cfg.lr,
            state.t,
        );
        cpu::adam_step(
            &mut layer.bias,
            &g.bias,
            &mut m.bias,
            &mut v.bias,
            cfg,
            cfg.lr,
            state.t,
        );
    }
    result
}
