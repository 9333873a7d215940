//! transpose.wgsl vs `cpu::transpose` on awkward shapes, and the A·Bᵀ products the vec4
//! matmul runs through it (`tests/matmul.rs` covers the rest of the matmul variants).

mod common;

use common::{assert_close, gpu, random};
use oddeven_core::kernels::matmul::{matmul_variant, MatmulSpec, MatmulVariant};
use oddeven_core::kernels::{run, transpose};
use oddeven_core::{cpu, Tensor};

#[test]
fn transpose_matches_reference() {
    let Some(gpu) = gpu() else { return };
    for (rows, cols) in [(1, 1), (1, 7), (7, 1), (7, 9), (64, 288), (300, 257)] {
        let x = random(rows * cols, (rows * 31 + cols) as u64, -1.0, 1.0);
        let tx = Tensor::from_slice(&gpu, &[rows, cols], &x, "x").unwrap();
        let tout = Tensor::zeros(&gpu, &[cols, rows], "out").unwrap();
        run(
            &gpu,
            &[&transpose::transpose(&gpu, &tx, &tout, rows, cols).unwrap()],
        )
        .unwrap();
        // A move, not arithmetic: exact.
        assert_eq!(
            tout.read(&gpu).unwrap(),
            cpu::transpose(&x, rows, cols),
            "{rows}x{cols}"
        );
    }
}

#[test]
fn transpose_rejects_wrong_sizes() {
    let Some(gpu) = gpu() else { return };
    let x = Tensor::zeros(&gpu, &[6], "x").unwrap();
    let out = Tensor::zeros(&gpu, &[5], "out").unwrap();
    let e = transpose::transpose(&gpu, &x, &out, 2, 3).unwrap_err();
    assert!(e.to_string().contains("2×3"), "{e}");
    assert!(transpose::transpose(&gpu, &x, &x, 0, 6).is_err());
}

/// dY·Wᵀ shapes of the CNN (conv2's dcols at a small batch, fc1's input gradient) and
/// awkward ones on the vec4 variant, which transposes B first from 128 rows on (fewer rows
/// take the register kernel), run twice in a row so the shared scratch copy of Bᵀ is
/// refilled by each run.
#[test]
fn vec4_a_times_b_transposed_matches_reference() {
    let Some(gpu) = gpu() else { return };
    for (m, k, n) in [
        (128, 4, 4),
        (129, 8, 12),
        (196, 64, 288),
        (64, 128, 3136),
        (130, 4, 300),
    ] {
        let a = random(m * k, m as u64, -1.0, 1.0);
        let b = random(n * k, n as u64 + 1, -1.0, 1.0);
        let bias = random(n, 3, -1.0, 1.0);
        let ta = Tensor::from_slice(&gpu, &[m, k], &a, "a").unwrap();
        let tb = Tensor::from_slice(&gpu, &[n, k], &b, "b").unwrap();
        let tbias = Tensor::from_slice(&gpu, &[n], &bias, "bias").unwrap();
        let tc = Tensor::zeros(&gpu, &[m, n], "c").unwrap();
        let spec = MatmulSpec::NT.with_relu();
        let op =
            matmul_variant(&gpu, &ta, &tb, &tc, Some(&tbias), spec, MatmulVariant::Vec4).unwrap();
        run(&gpu, &[&op, &op]).unwrap();
        let want = cpu::matmul(&a, &b, m, k, n, spec, Some(&bias));
        assert_close(
            &format!("{m}x{k}x{n}"),
            &tc.read(&gpu).unwrap(),
            &want,
            1e-4,
        );
    }
}
