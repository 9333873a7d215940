//! adam.wgsl vs cpu::adam_step over 10 steps.

mod common;

use common::{assert_close, gpu, random};
use oddeven_core::kernels::adam::{adam, AdamConfig};
use oddeven_core::kernels::run_step;
use oddeven_core::{cpu, StepValues, Tensor};

#[test]
fn ten_steps_match_reference() {
    let Some(gpu) = gpu() else { return };
    let n = 1237;
    let cfg = AdamConfig::default();
    let mut p = random(n, 1, -1.0, 1.0);
    let (mut m, mut v) = (vec![0.0; n], vec![0.0; n]);
    let tp = Tensor::from_slice(&gpu, &[n], &p, "p").unwrap();
    let tg = Tensor::zeros(&gpu, &[n], "g").unwrap();
    let tm = Tensor::zeros(&gpu, &[n], "m").unwrap();
    let tv = Tensor::zeros(&gpu, &[n], "v").unwrap();
    let op = adam(&gpu, &tp, &tg, &tm, &tv).unwrap();
    for t in 1..=10u64 {
        let g = random(n, 100 + t, -0.5, 0.5);
        tg.write(&gpu, &g).unwrap();
        let lr = cfg.lr * (1.0 - 0.05 * t as f32);
        let step = StepValues {
            adam: cfg,
            lr,
            adam_step: t,
            ..StepValues::default()
        };
        run_step(&gpu, &[&op], &step).unwrap();
        cpu::adam_step(&mut p, &g, &mut m, &mut v, &cfg, lr, t);
    }
    assert_close("param", &tp.read(&gpu).unwrap(), &p, 1e-5);
    assert_close("m", &tm.read(&gpu).unwrap(), &m, 1e-5);
    assert_close("v", &tv.read(&gpu).unwrap(), &v, 1e-5);
    // Ten steps of lr ≈ 0.01 move every parameter by about 0.1 at most.
    let start = random(n, 1, -1.0, 1.0);
    assert!(p.iter().zip(&start).any(|(a, b)| (a - b).abs() > 0.01));
}

#[test]
fn size_mismatch_is_an_error() {
    let Some(gpu) = gpu() else { return };
    let a = Tensor::zeros(&gpu, &[4], "a").unwrap();
    let b = Tensor::zeros(&gpu, &[5], "b").unwrap();
    assert!(adam(&gpu, &a, &b, &a, &a).is_err());
}
