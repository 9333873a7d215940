//! conv2d kernels (im2col, col2im, direct) and composites (both forward variants, input and
//! weight gradients) vs the CPU references, on awkward shapes and the CNN's shapes.

mod common;

use common::{assert_close, gpu, random};
use oddeven_core::cpu;
use oddeven_core::kernels::conv::{
    col2im, conv2d_direct, conv2d_forward, conv2d_input_backward, conv2d_weight_backward,
    conv2d_weight_backward_from_input, im2col, ConvVariant,
};
use oddeven_core::kernels::{run, Dispatch};
use oddeven_core::{Conv2dGeometry, Gpu, Tensor};

const RTOL: f32 = 1e-4;

#[allow(clippy::too_many_arguments)]
fn geom(
    batch: usize,
    in_h: usize,
    in_w: usize,
    in_c: usize,
    out_c: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
) -> Conv2dGeometry {
    Conv2dGeometry {
        batch,
        in_h,
        in_w,
        in_c,
        out_c,
        kernel,
        stride,
        padding,
    }
}

/// Host data and GPU tensors of one conv, shaped as a model would hold them.
struct Case {
    x: Vec<f32>,
    w: Vec<f32>,
    b: Vec<f32>,
    dy: Vec<f32>,
    tx: Tensor,
    tw: Tensor,
    tb: Tensor,
    tdy: Tensor,
    tout: Tensor,
    tcols: Tensor,
    tdx: Tensor,
    tdw: Tensor,
    tdb: Tensor,
}

fn case(gpu: &Gpu, g: Conv2dGeometry, seed: u64) -> Case {
    let (oh, ow) = (g.out_h(), g.out_w());
    let x_shape = [g.batch, g.in_h, g.in_w, g.in_c];
    let w_shape = [g.kernel, g.kernel, g.in_c, g.out_c];
    let y_shape = [g.batch, oh, ow, g.out_c];
    let x = random(g.input_len(), seed, -1.0, 1.0);
    let w = random(g.weight_len(), seed + 1, -1.0, 1.0);
    let b = random(g.out_c, seed + 2, -1.0, 1.0);
    let dy = random(g.output_len(), seed + 3, -1.0, 1.0);
    let t = |shape: &[usize], data: Option<&[f32]>, label: &str| match data {
        Some(d) => Tensor::from_slice(gpu, shape, d, label).unwrap(),
        None => Tensor::zeros(gpu, shape, label).unwrap(),
    };
    Case {
        tx: t(&x_shape, Some(&x), "x"),
        tw: t(&w_shape, Some(&w), "w"),
        tb: t(&[g.out_c], Some(&b), "b"),
        tdy: t(&y_shape, Some(&dy), "dy"),
        tout: t(&y_shape, None, "out"),
        tcols: t(&[g.out_pixels(), g.patch_len()], None, "cols"),
        tdx: t(&x_shape, None, "dx"),
        tdw: t(&w_shape, None, "dw"),
        tdb: t(&[g.out_c], None, "db"),
        x,
        w,
        b,
        dy,
    }
}

/// Fills `outputs` with NaN, runs `op`, and compares each output with its reference: an
/// element the kernel forgot to write fails the comparison.
fn check(gpu: &Gpu, what: &str, op: Dispatch, outputs: &[(&Tensor, &[f32])]) {
    for (t, _) in outputs {
        t.write(gpu, &vec![f32::NAN; t.len()]).unwrap();
    }
    run(gpu, &[&op]).unwrap();
    for (i, (t, want)) in outputs.iter().enumerate() {
        assert_close(
            &format!("{what} output {i}"),
            &t.read(gpu).unwrap(),
            want,
            RTOL,
        );
    }
}

/// Every conv kernel and composite on one geometry.
fn check_all(gpu: &Gpu, g: Conv2dGeometry, seed: u64) {
    let c = case(gpu, g, seed);
    let name = |op: &str| format!("{op} {g:?}");
    let cols = cpu::im2col(&c.x, &g);
    check(
        gpu,
        &name("im2col"),
        im2col(gpu, &c.tx, &c.tcols, &g).unwrap(),
        &[(&c.tcols, &cols)],
    );

    let dcols = random(g.cols_len(), seed + 4, -1.0, 1.0);
    let tdcols = Tensor::from_slice(gpu, &[g.out_pixels(), g.patch_len()], &dcols, "dcols");
    let tdcols = tdcols.unwrap();
    check(
        gpu,
        &name("col2im"),
        col2im(gpu, &tdcols, &c.tdx, &g).unwrap(),
        &[(&c.tdx, &cpu::col2im(&dcols, &g))],
    );

    for relu in [false, true] {
        let want = cpu::conv2d(&c.x, &c.w, &c.b, &g, relu);
        let op = conv2d_direct(gpu, &c.tx, &c.tw, &c.tb, &c.tout, &g, relu).unwrap();
        check(
            gpu,
            &name(&format!("direct relu={relu}")),
            op,
            &[(&c.tout, &want)],
        );
        for variant in [ConvVariant::Im2col, ConvVariant::Direct] {
            let op = conv2d_forward(
                gpu, &c.tx, &c.tw, &c.tb, &c.tout, &c.tcols, &g, relu, variant,
            );
            let what = name(&format!("forward {variant:?} relu={relu}"));
            check(gpu, &what, op.unwrap(), &[(&c.tout, &want)]);
        }
    }

    let dx = cpu::conv2d_input_backward(&c.dy, &c.w, &g);
    let op = conv2d_input_backward(gpu, &c.tdy, &c.tw, &c.tdx, &tdcols, &g).unwrap();
    check(gpu, &name("input_backward"), op, &[(&c.tdx, &dx)]);

    let (dw, db) = cpu::conv2d_weight_backward(&c.x, &c.dy, &g);
    let op = conv2d_weight_backward_from_input(gpu, &c.tx, &c.tcols, &c.tdy, &c.tdw, &c.tdb, &g);
    let grads: [(&Tensor, &[f32]); 2] = [(&c.tdw, &dw), (&c.tdb, &db)];
    check(
        gpu,
        &name("weight_backward_from_input"),
        op.unwrap(),
        &grads,
    );
    // `tcols` still holds im2col(x) from the line above: the form the Im2col forward uses.
    let op = conv2d_weight_backward(gpu, &c.tcols, &c.tdy, &c.tdw, &c.tdb, &g).unwrap();
    check(gpu, &name("weight_backward"), op, &grads);
}

#[test]
fn padding_stride_and_channel_mix() {
    let Some(gpu) = gpu() else { return };
    // One input channel, out_c 5 (the scalar direct entry), padding 1.
    check_all(&gpu, geom(1, 7, 9, 1, 5, 3, 1, 1), 1);
    // in_c 3 (scalar x, vec4 w), stride 2, padding 2.
    check_all(&gpu, geom(3, 7, 9, 3, 8, 3, 2, 2), 2);
    // vec4 x and w, out_c % 8 == 4 (half a channel block), kernel 5.
    check_all(&gpu, geom(3, 9, 7, 4, 12, 5, 2, 1), 3);
    // in_c % 4 == 0 but out_c odd: the scalar entry with wide rows.
    check_all(&gpu, geom(3, 8, 5, 8, 7, 3, 1, 0), 4);
}

#[test]
fn kernel_one_and_large_kernels() {
    let Some(gpu) = gpu() else { return };
    check_all(&gpu, geom(1, 7, 9, 3, 4, 1, 1, 0), 5);
    // Stride 2 with a 1×1 kernel: odd rows and columns feed no output (dx = 0 there).
    check_all(&gpu, geom(3, 7, 6, 4, 16, 1, 2, 0), 6);
    check_all(&gpu, geom(1, 5, 5, 1, 16, 5, 2, 2), 7);
    // A 5×5 kernel on a 3×4 image: most taps land in the padding.
    check_all(&gpu, geom(3, 3, 4, 3, 9, 5, 1, 2), 8);
}

#[test]
fn cnn_conv1_shape() {
    let Some(gpu) = gpu() else { return };
    check_all(&gpu, geom(64, 28, 28, 1, 32, 3, 1, 1), 9);
}

#[test]
fn cnn_conv2_shape() {
    let Some(gpu) = gpu() else { return };
    check_all(&gpu, geom(64, 14, 14, 32, 64, 3, 1, 1), 10);
}

#[test]
fn shape_mismatches_are_errors() {
    let Some(gpu) = gpu() else { return };
    let g = geom(2, 5, 5, 3, 4, 3, 1, 1);
    let c = case(&gpu, g, 11);
    let wrong = Tensor::zeros(&gpu, &[2, 5, 5, 2], "x with 2 channels").unwrap();
    let err = im2col(&gpu, &wrong, &c.tcols, &g).unwrap_err().to_string();
    assert!(err.contains("x has shape [2, 5, 5, 2]"), "{err}");
    let err = conv2d_direct(&gpu, &c.tx, &c.tw, &c.tb, &wrong, &g, false).unwrap_err();
    assert!(err.to_string().contains("out has shape"), "{err}");
    let err = col2im(&gpu, &c.tcols, &wrong, &g).unwrap_err();
    assert!(err.to_string().contains("dx has shape"), "{err}");

    // Right element count, but cols is not a [out_pixels, patch_len] matrix.
    let flat = Tensor::zeros(&gpu, &[g.cols_len()], "flat cols").unwrap();
    let err = conv2d_forward(
        &gpu,
        &c.tx,
        &c.tw,
        &c.tb,
        &c.tout,
        &flat,
        &g,
        true,
        ConvVariant::Im2col,
    )
    .unwrap_err();
    assert!(err.to_string().contains("last axis must be 27"), "{err}");
    let err = conv2d_weight_backward(&gpu, &c.tcols, &c.tdy, &c.tdw, &c.tx, &g).unwrap_err();
    assert!(err.to_string().contains("db has shape"), "{err}");
    let err = conv2d_input_backward(&gpu, &c.tdy, &c.tw, &c.tdx, &c.tout, &g).unwrap_err();
    assert!(err.to_string().contains("dcols_scratch"), "{err}");

    // Geometries that do not describe a conv.
    for bad in [geom(2, 5, 5, 3, 4, 3, 0, 1), geom(2, 2, 5, 3, 4, 5, 1, 1)] {
        let err = im2col(&gpu, &c.tx, &c.tcols, &bad).unwrap_err();
        assert!(err.to_string().contains("conv2d"), "{err}");
    }
}

#[test]
fn variant_names() {
    assert_eq!(
        "im2col".parse::<ConvVariant>().unwrap(),
        ConvVariant::Im2col
    );
    assert_eq!(
        " Direct ".parse::<ConvVariant>().unwrap(),
        ConvVariant::Direct
    );
    let err = "fast".parse::<ConvVariant>().unwrap_err().to_string();
    assert!(
        err.contains("ODDEVEN_CONV") && err.contains("im2col or direct"),
        "{err}"
    );
}
