//! dense_head.wgsl (the fused output layer) vs `cpu::dense_head` on awkward shapes: one row,
//! rows around the 64-row block, one and many inputs, 2 to 16 classes, both losses, with
//! and without dh and the ReLU mask; and the shapes it declines.

mod common;

use common::{assert_close, gpu, one_hot, random};
use oddeven_core::kernels::dense_head::{dense_head, MAX_CLASSES};
use oddeven_core::kernels::loss::OutputKind;
use oddeven_core::kernels::run;
use oddeven_core::{cpu, DenseHead, Tensor};

#[allow(clippy::too_many_arguments)]
fn check(rows: usize, hidden: usize, classes: usize, output: OutputKind, dh: bool, mask: bool) {
    let Some(gpu) = gpu() else { return };
    let seed = (rows * 1000 + hidden * 10 + classes) as u64;
    // h as a ReLU output: about half the entries exactly 0.
    let h: Vec<f32> = random(rows * hidden, seed, -1.0, 1.0)
        .into_iter()
        .map(|v| v.max(0.0))
        .collect();
    let w = random(hidden * classes, seed + 1, -0.5, 0.5);
    let b = random(classes, seed + 2, -0.5, 0.5);
    let y = one_hot(rows, classes, seed + 3);
    let t = |shape: &[usize], data: &[f32]| Tensor::from_slice(&gpu, shape, data, "t").unwrap();
    let (th, tw, tb, ty) = (
        t(&[rows, hidden], &h),
        t(&[hidden, classes], &w),
        t(&[classes], &b),
        t(&[rows, classes], &y),
    );
    // Non-zero starting values: every output must be overwritten.
    let stats = t(&[rows, 2], &vec![7.0; rows * 2]);
    let dw = t(&[hidden, classes], &vec![7.0; hidden * classes]);
    let db = t(&[classes], &vec![7.0; classes]);
    let tdh = t(&[rows, hidden], &vec![7.0; rows * hidden]);
    let grad_scale = 1.0 / rows as f32;
    let head = DenseHead {
        h: &th,
        w: &tw,
        b: &tb,
        targets: &ty,
        output,
        grad_scale,
        stats: &stats,
        dw: &dw,
        db: &db,
        dh: dh.then_some(&tdh),
        relu_mask: mask,
    };
    let op = dense_head(&gpu, &head)
        .unwrap()
        .expect("this shape is fused");
    // Twice: the shared partial sums are refilled, not accumulated.
    run(&gpu, &[&op, &op]).unwrap();
    let want = cpu::dense_head(&h, &w, &b, &y, rows, output, grad_scale, mask);
    let what = format!("{rows}x{hidden}x{classes} {output} dh={dh} mask={mask}");
    assert_close(
        &format!("{what} stats"),
        &stats.read(&gpu).unwrap(),
        &want.stats,
        1e-4,
    );
    assert_close(
        &format!("{what} dw"),
        &dw.read(&gpu).unwrap(),
        &want.dw,
        1e-4,
    );
    assert_close(
        &format!("{what} db"),
        &db.read(&gpu).unwrap(),
        &want.db,
        1e-4,
    );
    if dh {
        assert_close(
            &format!("{what} dh"),
            &tdh.read(&gpu).unwrap(),
            &want.dh,
            1e-4,
        );
    } else {
        assert_eq!(
            tdh.read(&gpu).unwrap(),
            vec![7.0; rows * hidden],
            "{what}: dh untouched"
        );
    }
}

#[test]
fn matches_reference_on_awkward_shapes() {
    use OutputKind::{Sigmoid, Softmax};
    check(1, 1, 2, Softmax, true, true);
    check(1, 7, 3, Sigmoid, true, false);
    check(63, 9, 5, Softmax, true, true);
    check(64, 300, 5, Softmax, true, true);
    check(65, 300, 10, Sigmoid, true, true);
    check(130, 17, MAX_CLASSES, Softmax, false, false);
    check(200, 784, 5, Sigmoid, false, false);
}

/// The MLP's full odd batch: 445 blocks of partial sums.
#[test]
fn matches_reference_at_the_mlp_full_batch() {
    check(28465, 300, 5, OutputKind::Softmax, true, true);
}

#[test]
fn declines_what_it_does_not_fuse_and_rejects_bad_shapes() {
    let Some(gpu) = gpu() else { return };
    let z = |shape: &[usize]| Tensor::zeros(&gpu, shape, "z").unwrap();
    let k = MAX_CLASSES + 1;
    let (h, w, b, y, stats, dw, db) = (
        z(&[4, 3]),
        z(&[3, k]),
        z(&[k]),
        z(&[4, k]),
        z(&[4, 2]),
        z(&[3, k]),
        z(&[k]),
    );
    let head = DenseHead {
        h: &h,
        w: &w,
        b: &b,
        targets: &y,
        output: OutputKind::Softmax,
        grad_scale: 1.0,
        stats: &stats,
        dw: &dw,
        db: &db,
        dh: None,
        relu_mask: false,
    };
    assert!(dense_head(&gpu, &head).unwrap().is_none(), "{k} classes");
    let wrong = z(&[2, k]);
    let e = dense_head(&gpu, &DenseHead { w: &wrong, ..head }).unwrap_err();
    assert!(e.to_string().contains("expected [3, 17]"), "{e}");
}
