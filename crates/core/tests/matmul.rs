//! matmul kernels vs `cpu::matmul` on awkward shapes, every transpose variant, both shader
//! versions, with and without the fused bias/ReLU epilogue.

mod common;

use common::{assert_close, gpu, random};
use oddeven_core::cpu;
use oddeven_core::kernels::matmul::{matmul_variant, MatmulSpec, MatmulVariant};
use oddeven_core::kernels::run;
use oddeven_core::{Gpu, Tensor};

const VARIANTS: [MatmulVariant; 3] = [
    MatmulVariant::Register,
    MatmulVariant::Vec4,
    MatmulVariant::Tiled,
];
const SPECS: [MatmulSpec; 3] = [MatmulSpec::NN, MatmulSpec::TN, MatmulSpec::NT];

struct Case {
    a: Vec<f32>,
    b: Vec<f32>,
    bias: Vec<f32>,
    ta: Tensor,
    tb: Tensor,
    tbias: Tensor,
    tc: Tensor,
}

fn case(gpu: &Gpu, m: usize, k: usize, n: usize, spec: MatmulSpec, seed: u64) -> Case {
    let a = random(m * k, seed, -1.0, 1.0);
    let b = random(k * n, seed + 1, -1.0, 1.0);
    let bias = random(n, seed + 2, -1.0, 1.0);
    let a_shape = if spec.trans_a { [k, m] } else { [m, k] };
    let b_shape = if spec.trans_b { [n, k] } else { [k, n] };
    Case {
        ta: Tensor::from_slice(gpu, &a_shape, &a, "a").unwrap(),
        tb: Tensor::from_slice(gpu, &b_shape, &b, "b").unwrap(),
        tbias: Tensor::from_slice(gpu, &[n], &bias, "bias").unwrap(),
        tc: Tensor::zeros(gpu, &[m, n], "c").unwrap(),
        a,
        b,
        bias,
    }
}

fn check(gpu: &Gpu, m: usize, k: usize, n: usize) {
    for (s, spec) in SPECS.into_iter().enumerate() {
        let c = case(gpu, m, k, n, spec, 7 * s as u64 + (m * k * n) as u64);
        for variant in VARIANTS {
            for (bias, relu) in [(false, false), (true, true)] {
                let spec = MatmulSpec { relu, ..spec };
                let op = matmul_variant(
                    gpu,
                    &c.ta,
                    &c.tb,
                    &c.tc,
                    bias.then_some(&c.tbias),
                    spec,
                    variant,
                )
                .unwrap();
                run(gpu, &[&op]).unwrap();
                let got = c.tc.read(gpu).unwrap();
                let want = cpu::matmul(&c.a, &c.b, m, k, n, spec, bias.then_some(&c.bias[..]));
                assert_close(
                    &format!("{m}x{k}x{n} {spec:?} {variant:?} bias={bias}"),
                    &got,
                    &want,
                    1e-4,
                );
            }
        }
    }
}

#[test]
fn one_by_one() {
    let Some(gpu) = gpu() else { return };
    check(&gpu, 1, 1, 1);
}

#[test]
fn small_odd_shapes() {
    let Some(gpu) = gpu() else { return };
    check(&gpu, 7, 13, 5);
    check(&gpu, 65, 3, 66);
    check(&gpu, 9, 17, 129);
    // Whole-vec4 rows, so the vec4 variant (not its fallback) runs for A·B and Aᵀ·B, with
    // row and column tails inside a tile.
    check(&gpu, 12, 8, 20);
    check(&gpu, 36, 44, 68);
}

#[test]
fn mnist_hidden_layer_shape() {
    let Some(gpu) = gpu() else { return };
    check(&gpu, 33, 784, 300);
}

#[test]
fn mnist_weight_gradient_shape() {
    let Some(gpu) = gpu() else { return };
    check(&gpu, 784, 100, 300);
    // K long enough for the chunked Aᵀ·B (1024 + 1024 + 452), bias on the first chunk and
    // ReLU on the last.
    check(&gpu, 36, 2500, 68);
}

#[test]
fn mnist_output_layer_shape() {
    let Some(gpu) = gpu() else { return };
    check(&gpu, 1000, 784, 5);
}

/// The full odd training set times W1, once, on the adapter's default variant. The
/// reference is computed for a sample of rows (every column), which catches any tiling or
/// grid-folding error without an hour of f64 loops.
#[test]
fn full_odd_training_set_forward() {
    let Some(gpu) = gpu() else { return };
    let (m, k, n) = (28465, 784, 300);
    let c = case(&gpu, m, k, n, MatmulSpec::NN, 99);
    let op = oddeven_core::kernels::matmul::matmul(
        &gpu,
        &c.ta,
        &c.tb,
        &c.tc,
        Some(&c.tbias),
        MatmulSpec::NN,
    )
    .unwrap();
    run(&gpu, &[&op]).unwrap();
    let got = c.tc.read(&gpu).unwrap();
    let rows: Vec<usize> = (0..m).step_by(997).chain([m - 8, m - 1]).collect();
    for r in rows {
        let a_row = &c.a[r * k..(r + 1) * k];
        let want = cpu::matmul(a_row, &c.b, 1, k, n, MatmulSpec::NN, Some(&c.bias));
        assert_close(&format!("row {r}"), &got[r * n..(r + 1) * n], &want, 1e-4);
    }
}

#[test]
fn mismatched_shapes_are_errors() {
    let Some(gpu) = gpu() else { return };
    let a = Tensor::zeros(&gpu, &[4, 3], "a").unwrap();
    let b = Tensor::zeros(&gpu, &[5, 2], "b").unwrap();
    let c = Tensor::zeros(&gpu, &[4, 2], "c").unwrap();
    let err = matmul_variant(
        &gpu,
        &a,
        &b,
        &c,
        None,
        MatmulSpec::NN,
        MatmulVariant::Register,
    )
    .unwrap_err();
    assert!(err.to_string().contains("inner dimensions differ"), "{err}");
    let b = Tensor::zeros(&gpu, &[3, 2], "b").unwrap();
    let wrong_c = Tensor::zeros(&gpu, &[2, 4], "c").unwrap();
    let err = matmul_variant(
        &gpu,
        &a,
        &b,
        &wrong_c,
        None,
        MatmulSpec::NN,
        MatmulVariant::Register,
    )
    .unwrap_err();
    assert!(err.to_string().contains("C has shape"), "{err}");
}

/// Split-K as an H100 would run it (the planner splits K so 264 workgroups start), on any
/// adapter: partial sums per K range, then the reduction with bias and ReLU — plain and
/// swapped (skinny C), every transpose.
#[test]
fn split_k_matches_reference() {
    use oddeven_core::kernels::matmul::matmul_planned_for;
    use oddeven_core::kernels::matmul_plan::{plan, DeviceProfile};
    let Some(gpu) = gpu() else { return };
    let h100 = DeviceProfile::h100();
    for (m, k, n) in [
        (7, 600, 5),
        (36, 2500, 68),
        (130, 1000, 129),
        (300, 3001, 784),
        (1000, 784, 5),
    ] {
        for (s, spec) in SPECS.into_iter().enumerate() {
            let p = plan(m, k, n, spec, MatmulVariant::Tiled, &h100);
            assert!(p.split > 1, "{m}x{k}x{n} {spec:?} should split: {p:?}");
            let c = case(&gpu, m, k, n, spec, 31 * s as u64 + k as u64);
            let spec = spec.with_relu();
            let op = matmul_planned_for(
                &gpu,
                &c.ta,
                &c.tb,
                &c.tc,
                Some(&c.tbias),
                spec,
                MatmulVariant::Tiled,
                &h100,
            )
            .unwrap();
            run(&gpu, &[&op]).unwrap();
            let want = cpu::matmul(&c.a, &c.b, m, k, n, spec, Some(&c.bias));
            assert_close(
                &format!("{m}x{k}x{n} {spec:?} split {}", p.split),
                &c.tc.read(&gpu).unwrap(),
                &want,
                1e-4,
            );
        }
    }
}

/// The MLP's two big products at full size on every variant (the tiled one split-K, as
/// on an H100), checked on a sample of rows of C.
#[test]
fn full_training_shapes_on_every_variant() {
    use oddeven_core::kernels::matmul::matmul_planned_for;
    use oddeven_core::kernels::matmul_plan::DeviceProfile;
    let Some(gpu) = gpu() else { return };
    let h100 = DeviceProfile::h100();
    for (m, k, n, spec) in [
        (28465, 784, 300, MatmulSpec::NN),
        (784, 28465, 300, MatmulSpec::TN),
    ] {
        let c = case(&gpu, m, k, n, spec, 5);
        for variant in VARIANTS {
            let op = matmul_planned_for(
                &gpu,
                &c.ta,
                &c.tb,
                &c.tc,
                Some(&c.tbias),
                spec,
                variant,
                &h100,
            )
            .unwrap();
            run(&gpu, &[&op]).unwrap();
            let got = c.tc.read(&gpu).unwrap();
            for r in (0..m).step_by(m / 9).chain([m - 1]) {
                // Row r of op(A) as a 1×k matrix.
                let a_row: Vec<f32> = (0..k)
                    .map(|kk| {
                        if spec.trans_a {
                            c.a[kk * m + r]
                        } else {
                            c.a[r * k + kk]
                        }
                    })
                    .collect();
                let want = cpu::matmul(&a_row, &c.b, 1, k, n, MatmulSpec::NN, Some(&c.bias));
                assert_close(
                    &format!("{m}x{k}x{n} {variant:?} row {r}"),
                    &got[r * n..(r + 1) * n],
                    &want,
                    1e-4,
                );
            }
        }
    }
}
