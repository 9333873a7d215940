//! max-pool kernels vs `cpu::max_pool2d` / `cpu::max_pool2d_backward`: overlapping windows
//! (stride < size), odd sizes, ties, and the CNN's shapes.

mod common;

use common::{assert_close, gpu, random};
use oddeven_core::cpu;
use oddeven_core::kernels::pool::{max_pool2d, max_pool2d_backward};
use oddeven_core::kernels::run;
use oddeven_core::{Gpu, Pool2dGeometry, Tensor, U32Array};

fn geom(
    batch: usize,
    in_h: usize,
    in_w: usize,
    channels: usize,
    size: usize,
    stride: usize,
) -> Pool2dGeometry {
    Pool2dGeometry {
        batch,
        in_h,
        in_w,
        channels,
        size,
        stride,
    }
}

/// Forward and backward on `x` (random when `None`); outputs are NaN / u32::MAX-filled
/// first, so an element the kernel forgot to write fails.
fn check_with(gpu: &Gpu, g: Pool2dGeometry, x: Option<Vec<f32>>, seed: u64) {
    let x = x.unwrap_or_else(|| random(g.input_len(), seed, -1.0, 1.0));
    let dy = random(g.output_len(), seed + 1, -1.0, 1.0);
    let x_shape = [g.batch, g.in_h, g.in_w, g.channels];
    let y_shape = [g.batch, g.out_h(), g.out_w(), g.channels];
    let tx = Tensor::from_slice(gpu, &x_shape, &x, "x").unwrap();
    let tdy = Tensor::from_slice(gpu, &y_shape, &dy, "dy").unwrap();
    let nan = |n: usize| vec![f32::NAN; n];
    let tout = Tensor::from_slice(gpu, &y_shape, &nan(g.output_len()), "out").unwrap();
    let tdx = Tensor::from_slice(gpu, &x_shape, &nan(g.input_len()), "dx").unwrap();
    let targ = U32Array::from_slice(gpu, &y_shape, &vec![u32::MAX; g.output_len()], "argmax");
    let targ = targ.unwrap();

    let (want_out, want_arg) = cpu::max_pool2d(&x, &g);
    let forward = max_pool2d(gpu, &tx, &tout, &targ, &g).unwrap();
    let backward = max_pool2d_backward(gpu, &tdy, &targ, &tdx, &g).unwrap();
    run(gpu, &[&forward, &backward]).unwrap();
    assert_close(
        &format!("max_pool2d {g:?}"),
        &tout.read(gpu).unwrap(),
        &want_out,
        0.0,
    );
    assert_eq!(targ.read(gpu).unwrap(), want_arg, "argmax {g:?}");
    let want_dx = cpu::max_pool2d_backward(&dy, &want_arg, &g);
    let what = format!("max_pool2d_backward {g:?}");
    assert_close(&what, &tdx.read(gpu).unwrap(), &want_dx, 1e-4);
}

fn check(gpu: &Gpu, g: Pool2dGeometry, seed: u64) {
    check_with(gpu, g, None, seed);
}

#[test]
fn odd_and_overlapping_windows() {
    let Some(gpu) = gpu() else { return };
    check(&gpu, geom(1, 7, 9, 1, 2, 2), 1);
    check(&gpu, geom(3, 7, 9, 3, 3, 2), 2);
    check(&gpu, geom(3, 9, 7, 5, 3, 1), 3);
    check(&gpu, geom(2, 5, 5, 2, 5, 1), 4);
    check(&gpu, geom(1, 4, 6, 3, 1, 1), 5);
    // Stride larger than the window: some inputs belong to no window (dx = 0).
    check(&gpu, geom(2, 8, 9, 2, 2, 3), 6);
}

#[test]
fn channels_in_vec4s() {
    let Some(gpu) = gpu() else { return };
    // channels % 4 == 0 takes the vec4 entries; the same awkward windows as above.
    check(&gpu, geom(3, 7, 9, 4, 3, 2), 11);
    check(&gpu, geom(1, 9, 7, 8, 3, 1), 12);
    check(&gpu, geom(2, 8, 9, 4, 2, 3), 13);
    check(&gpu, geom(2, 5, 5, 12, 5, 1), 14);
    let g = geom(2, 6, 5, 4, 3, 1);
    let x: Vec<f32> = (0..g.input_len()).map(|i| (i % 3) as f32).collect();
    check_with(&gpu, g, Some(x), 15);
}

#[test]
fn ties_take_the_first_maximum() {
    let Some(gpu) = gpu() else { return };
    // Few distinct values: most windows hold their maximum more than once, and with
    // stride 1 one element is the maximum of several windows (dy sums there).
    let g = geom(2, 6, 5, 3, 3, 1);
    let x: Vec<f32> = (0..g.input_len()).map(|i| (i % 3) as f32).collect();
    check_with(&gpu, g, Some(x), 7);
    check_with(&gpu, g, Some(vec![1.0; g.input_len()]), 8);
}

#[test]
fn cnn_shapes() {
    let Some(gpu) = gpu() else { return };
    check(&gpu, geom(64, 28, 28, 32, 2, 2), 9);
    check(&gpu, geom(64, 14, 14, 64, 2, 2), 10);
}

#[test]
fn shape_mismatches_are_errors() {
    let Some(gpu) = gpu() else { return };
    let g = geom(2, 6, 6, 3, 2, 2);
    let x = Tensor::zeros(&gpu, &[2, 6, 6, 3], "x").unwrap();
    let out = Tensor::zeros(&gpu, &[2, 3, 3, 3], "out").unwrap();
    let arg = U32Array::zeros(&gpu, &[2, 3, 3, 3], "argmax").unwrap();
    let short = U32Array::zeros(&gpu, &[2, 3, 3, 2], "argmax").unwrap();
    let err = max_pool2d(&gpu, &x, &out, &short, &g)
        .unwrap_err()
        .to_string();
    assert!(err.contains("argmax has shape [2, 3, 3, 2]"), "{err}");
    let err = max_pool2d(&gpu, &out, &out, &arg, &g)
        .unwrap_err()
        .to_string();
    assert!(err.contains("x has shape"), "{err}");
    let err = max_pool2d_backward(&gpu, &out, &arg, &out, &g).unwrap_err();
    assert!(err.to_string().contains("dx has shape"), "{err}");
    for bad in [
        geom(2, 6, 6, 3, 7, 1),
        geom(2, 6, 6, 3, 2, 0),
        geom(0, 6, 6, 3, 2, 2),
    ] {
        let err = max_pool2d(&gpu, &x, &out, &arg, &bad).unwrap_err();
        assert!(err.to_string().contains("max_pool2d"), "{err}");
    }
}
