//! Using a trained model: class probabilities for examples, in chunks that fit the device.

use oddeven_core::kernels::loss::OutputKind;
use oddeven_core::{Backend, StepValues};

use crate::error::{invalid, Result};
use crate::graph::Network;
use crate::params::Params;
use crate::sizes;

/// Per example, one value per class: softmax probabilities for a softmax output (they
/// sum to 1), independent per-class sigmoids for a sigmoid output (each in [0, 1]).
/// `features` holds whole examples of the model's input shape (images NHWC, in [0, 1]).
pub fn predict<B: Backend>(
    backend: &B,
    params: &Params,
    features: &[f32],
) -> Result<Vec<Vec<f64>>> {
    params.validate()?;
    let spec = &params.spec;
    sizes::check_model(spec, backend.max_tensor_bytes())?;
    let per = spec.input.len();
    if features.is_empty() || !features.len().is_multiple_of(per) {
        return Err(invalid(
            "examples",
            format!(
                "{} values are not whole examples of {} values",
                features.len(),
                per
            ),
        ));
    }
    let rows = features.len() / per;
    let chunk = sizes::eval_chunk_rows(spec, backend.max_tensor_bytes(), rows);
    let net = Network::upload(backend, params)?;
    let mut out = Vec::with_capacity(rows);
    for first in (0..rows).step_by(chunk) {
        let n = chunk.min(rows - first);
        let x = backend.upload(
            &spec.input.with_rows(n),
            &features[first * per..(first + n) * per],
            "examples",
        )?;
        let fwd = net.forward(&x)?;
        backend.run(&fwd.ops.iter().collect::<Vec<_>>(), &StepValues::default())?;
        let logits = backend.read(fwd.logits())?;
        out.extend(
            logits
                .chunks(spec.classes())
                .map(|z| probabilities(z, spec.output)),
        );
    }
    Ok(out)
}

/// Softmax (stable, in f64) or per-class sigmoid of one row of logits.
pub fn probabilities(logits: &[f32], output: OutputKind) -> Vec<f64> {
    match output {
        OutputKind::Softmax => {
            let max = logits
                .iter()
                .fold(f64::NEG_INFINITY, |m, &z| m.max(z as f64));
            let exp: Vec<f64> = logits.iter().map(|&z| (z as f64 - max).exp()).collect();
            let sum: f64 = exp.iter().sum();
            exp.into_iter().map(|e| e / sum).collect()
        }
        OutputKind::Sigmoid => logits
            .iter()
            .map(|&z| {
                let z = z as f64;
                if z >= 0.0 {
                    1.0 / (1.0 + (-z).exp())
                } else {
                    z.exp() / (1.0 + z.exp())
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probabilities_by_hand() {
        let p = probabilities(&[0.0, 0.0, f32::ln(2.0)], OutputKind::Softmax);
        assert!((p[2] - 0.5).abs() < 1e-7 && (p[0] - 0.25).abs() < 1e-7);
        let p = probabilities(&[1000.0, -1000.0], OutputKind::Softmax);
        assert_eq!(p, vec![1.0, 0.0]);
        let s = probabilities(&[0.0, 1e4, -1e4], OutputKind::Sigmoid);
        assert_eq!(s, vec![0.5, 1.0, 0.0]);
    }
}
