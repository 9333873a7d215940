//! activation.wgsl kernels vs their CPU references, including huge inputs.

mod common;

use common::{assert_close, gpu, random};
use oddeven_core::kernels::{activation, run};
use oddeven_core::{cpu, Tensor};

#[test]
fn relu_forward_and_backward_match_reference() {
    let Some(gpu) = gpu() else { return };
    for n in [1usize, 7, 1000, 300 * 257] {
        let x = random(n, n as u64, -2.0, 2.0);
        let g = random(n, n as u64 + 1, -1.0, 1.0);
        let tx = Tensor::from_slice(&gpu, &[n], &x, "x").unwrap();
        let tg = Tensor::from_slice(&gpu, &[n], &g, "g").unwrap();
        let ty = Tensor::zeros(&gpu, &[n], "y").unwrap();
        let tgi = Tensor::zeros(&gpu, &[n], "gi").unwrap();
        let fwd = activation::relu(&gpu, &tx, &ty).unwrap();
        let bwd = activation::relu_backward(&gpu, &tg, &ty, &tgi).unwrap();
        run(&gpu, &[&fwd, &bwd]).unwrap();
        let y = ty.read(&gpu).unwrap();
        assert_eq!(y, cpu::relu(&x), "relu n={n}");
        assert_eq!(
            tgi.read(&gpu).unwrap(),
            cpu::relu_backward(&g, &y),
            "relu_backward n={n}"
        );
    }
}

#[test]
fn sigmoid_is_finite_and_matches_reference_for_huge_inputs() {
    let Some(gpu) = gpu() else { return };
    let mut x = random(513, 3, -30.0, 30.0);
    x.extend([1e4, -1e4, 0.0, 88.0, -88.0, 1e-8]);
    let n = x.len();
    let tx = Tensor::from_slice(&gpu, &[n], &x, "x").unwrap();
    let ty = Tensor::zeros(&gpu, &[n], "y").unwrap();
    run(&gpu, &[&activation::sigmoid(&gpu, &tx, &ty).unwrap()]).unwrap();
    let got = ty.read(&gpu).unwrap();
    assert_close("sigmoid", &got, &cpu::sigmoid(&x), 1e-6);
    assert_eq!(got[n - 6], 1.0);
    assert_eq!(got[n - 5], 0.0);
}

#[test]
fn add_assign_matches_reference() {
    let Some(gpu) = gpu() else { return };
    for n in [1usize, 999, 300 * 257] {
        let (a, b) = (random(n, 5, -1.0, 1.0), random(n, 6, -1.0, 1.0));
        let ta = Tensor::from_slice(&gpu, &[n], &a, "a").unwrap();
        let tb = Tensor::from_slice(&gpu, &[n], &b, "b").unwrap();
        let add = activation::add_assign(&gpu, &ta, &tb).unwrap();
        run(&gpu, &[&add, &add]).unwrap();
        let want = cpu::add_assign(&cpu::add_assign(&a, &b), &b);
        assert_eq!(ta.read(&gpu).unwrap(), want, "n={n}");
    }
}

#[test]
fn unequal_sizes_are_errors() {
    let Some(gpu) = gpu() else { return };
    let a = Tensor::zeros(&gpu, &[3], "a").unwrap();
    let b = Tensor::zeros(&gpu, &[4], "b").unwrap();
    let err = activation::relu(&gpu, &a, &b).unwrap_err();
    assert!(err.to_string().contains("equal sizes"), "{err}");
}
