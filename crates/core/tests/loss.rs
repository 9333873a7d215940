//! loss.wgsl vs the CPU references; the references' gradients vs finite differences;
//! stability at logits of ±1e4.

mod common;

use common::{assert_close, gpu, one_hot, random};
use oddeven_core::cpu::{self, LossOutput};
use oddeven_core::kernels::loss::{loss, OutputKind};
use oddeven_core::kernels::run;
use oddeven_core::Tensor;

const KINDS: [OutputKind; 2] = [OutputKind::Softmax, OutputKind::Sigmoid];

fn reference(kind: OutputKind, z: &[f32], y: &[f32], k: usize, scale: f32) -> LossOutput {
    match kind {
        OutputKind::Softmax => cpu::softmax_cross_entropy(z, y, k, scale),
        OutputKind::Sigmoid => cpu::sigmoid_bce(z, y, k, scale),
    }
}

fn gpu_loss(
    kind: OutputKind,
    z: &[f32],
    y: &[f32],
    rows: usize,
    k: usize,
    scale: f32,
) -> Option<LossOutput> {
    let gpu = gpu()?;
    let tz = Tensor::from_slice(&gpu, &[rows, k], z, "z").unwrap();
    let ty = Tensor::from_slice(&gpu, &[rows, k], y, "y").unwrap();
    let tg = Tensor::zeros(&gpu, &[rows, k], "g").unwrap();
    let ts = Tensor::zeros(&gpu, &[rows, 2], "s").unwrap();
    run(
        &gpu,
        &[&loss(&gpu, kind, &tz, &ty, &tg, &ts, scale).unwrap()],
    )
    .unwrap();
    Some(LossOutput {
        grad: tg.read(&gpu).unwrap(),
        stats: ts.read(&gpu).unwrap(),
    })
}

#[test]
fn losses_match_reference() {
    for kind in KINDS {
        for (rows, k) in [(1usize, 1usize), (1, 5), (7, 5), (1000, 10), (300, 3)] {
            let z = random(rows * k, rows as u64, -5.0, 5.0);
            let y = one_hot(rows, k, 11);
            let scale = 1.0 / rows as f32;
            let Some(got) = gpu_loss(kind, &z, &y, rows, k, scale) else {
                return;
            };
            let want = reference(kind, &z, &y, k, scale);
            assert_close(
                &format!("{kind:?} grad {rows}x{k}"),
                &got.grad,
                &want.grad,
                1e-5,
            );
            assert_close(
                &format!("{kind:?} stats {rows}x{k}"),
                &got.stats,
                &want.stats,
                1e-5,
            );
        }
    }
}

#[test]
fn huge_logits_give_finite_loss_and_gradient() {
    for kind in KINDS {
        let z = vec![1e4, -1e4, 0.0, 1e4, 5.0, -1e4, -1e4, -1e4, -1e4, -1e4];
        let y = vec![0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0];
        let Some(got) = gpu_loss(kind, &z, &y, 2, 5, 0.5) else {
            return;
        };
        let want = reference(kind, &z, &y, 5, 0.5);
        assert!(
            got.grad.iter().chain(&got.stats).all(|v| v.is_finite()),
            "{kind:?}: {got:?}"
        );
        assert_close(&format!("{kind:?} huge grad"), &got.grad, &want.grad, 1e-5);
        assert_close(
            &format!("{kind:?} huge stats"),
            &got.stats,
            &want.stats,
            1e-5,
        );
        // The first row is confidently wrong: a loss of order 1e4, not inf.
        assert!(got.stats[0] > 1e3, "{kind:?}: {}", got.stats[0]);
    }
}

/// The analytic gradients of the references agree with central differences of their loss.
#[test]
fn reference_gradients_match_finite_differences() {
    for kind in KINDS {
        let (rows, k) = (3, 4);
        let z = random(rows * k, 5, -3.0, 3.0);
        let y = one_hot(rows, k, 6);
        let total = |z: &[f32]| -> f64 {
            let out = reference(kind, z, &y, k, 1.0);
            out.stats.chunks(2).map(|s| s[0] as f64).sum()
        };
        let grad = reference(kind, &z, &y, k, 1.0).grad;
        let h = 1e-2f32;
        for i in 0..z.len() {
            let mut zp = z.clone();
            zp[i] += h;
            let mut zm = z.clone();
            zm[i] -= h;
            let numeric = (total(&zp) - total(&zm)) / (2.0 * h as f64);
            assert!(
                (numeric - grad[i] as f64).abs() < 1e-3,
                "{kind:?} dz[{i}]: analytic {} numeric {numeric}",
                grad[i]
            );
        }
    }
}

#[test]
fn correct_flags_follow_argmax() {
    let z = vec![0.1, 0.9, 0.0, 2.0, 1.0, 0.5];
    let y = vec![0.0, 1.0, 0.0, 0.0, 1.0, 0.0];
    let Some(got) = gpu_loss(OutputKind::Softmax, &z, &y, 2, 3, 1.0) else {
        return;
    };
    assert_eq!(got.stats[1], 1.0);
    assert_eq!(got.stats[3], 0.0);
}
