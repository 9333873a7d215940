//! conv2d and its two gradients as im2col + GEMM (NHWC activations, HWIO weights, so the
//! im2col matrix [pixels, kh·kw·ic] times the weight [kh·kw·ic, oc] is the NHWC output).
//! A 1×1 stride-1 unpadded conv is already a GEMM over the input: no im2col at all.
//!
//! Each op owns its im2col scratch, allocated when it is built. The weight gradient
//! recomputes the im2col matrix of its input rather than sharing the forward pass's: ops
//! may not assume what ran between them, and the copy is cheap next to the GEMM.

use std::sync::Mutex;

use oddeven_core::{Conv2dGeometry, Result};
use rayon::prelude::*;

use crate::gemm::{Epilogue, GemmPlan, GemmShape};
use crate::op::CpuOp;
use crate::ops::{column_sum_into, column_sum_scratch};
use crate::storage::{check_distinct, check_lens, id_of, CpuTensor, Reads};
use oddeven_core::Handle;

/// The conv is a plain GEMM over its input (1×1 kernel, stride 1, no padding).
fn is_pointwise(g: &Conv2dGeometry) -> bool {
    g.kernel == 1 && g.stride == 1 && g.padding == 0
}

/// The input column (ih or iw) tap `k` of output position `o` reads, or None in the
/// padding.
fn source(o: usize, k: usize, g: &Conv2dGeometry, size: usize) -> Option<usize> {
    (o * g.stride + k)
        .checked_sub(g.padding)
        .filter(|&i| i < size)
}

/// cols[(n,oh,ow), (kh,kw,ic)] = x[n, oh·s+kh−p, ow·s+kw−p, ic], 0 in the padding;
/// parallel over output rows (n, oh).
fn im2col(x: &[f32], g: &Conv2dGeometry, cols: &mut [f32]) {
    let (oh_n, ow_n, c, k) = (g.out_h(), g.out_w(), g.in_c, g.kernel);
    let patch = g.patch_len();
    cols.par_chunks_mut(ow_n * patch)
        .enumerate()
        .for_each(|(row, out)| {
            let (n, oh) = (row / oh_n, row % oh_n);
            let image = &x[n * g.in_h * g.in_w * c..(n + 1) * g.in_h * g.in_w * c];
            for (ow, patch_out) in out.chunks_exact_mut(patch).enumerate() {
                for kh in 0..k {
                    let ih = source(oh, kh, g, g.in_h);
                    for kw in 0..k {
                        let dst = &mut patch_out[(kh * k + kw) * c..(kh * k + kw + 1) * c];
                        match (ih, source(ow, kw, g, g.in_w)) {
                            (Some(ih), Some(iw)) => {
                                let at = (ih * g.in_w + iw) * c;
                                dst.copy_from_slice(&image[at..at + c]);
                            }
                            _ => dst.fill(0.0),
                        }
                    }
                }
            }
        });
}

/// dx = the adjoint of im2col applied to dcols (overlapping taps summed), parallel over
/// images; within an image the sums run in a fixed order.
fn col2im(dcols: &[f32], g: &Conv2dGeometry, dx: &mut [f32]) {
    let (oh_n, ow_n, c, k) = (g.out_h(), g.out_w(), g.in_c, g.kernel);
    let patch = g.patch_len();
    dx.par_chunks_mut(g.in_h * g.in_w * c)
        .zip(dcols.par_chunks(oh_n * ow_n * patch))
        .for_each(|(image, dcols)| {
            image.fill(0.0);
            for (pixel, taps) in dcols.chunks_exact(patch).enumerate() {
                let (oh, ow) = (pixel / ow_n, pixel % ow_n);
                for kh in 0..k {
                    let Some(ih) = source(oh, kh, g, g.in_h) else {
                        continue;
                    };
                    for kw in 0..k {
                        let Some(iw) = source(ow, kw, g, g.in_w) else {
                            continue;
                        };
                        let at = (ih * g.in_w + iw) * c;
                        let src = &taps[(kh * k + kw) * c..(kh * k + kw + 1) * c];
                        image[at..at + c]
                            .iter_mut()
                            .zip(src)
                            .for_each(|(d, &s)| *d += s);
                    }
                }
            }
        });
}

fn scratch(g: &Conv2dGeometry) -> Mutex<Vec<f32>> {
    let len = if is_pointwise(g) { 0 } else { g.cols_len() };
    Mutex::new(vec![0.0; len])
}

pub(crate) fn conv2d(
    threads: usize,
    x: &CpuTensor,
    w: &CpuTensor,
    bias: &CpuTensor,
    out: &CpuTensor,
    g: &Conv2dGeometry,
    relu: bool,
) -> Result<CpuOp> {
    g.validate()?;
    let lens = [
        (x.shape(), g.input_len()),
        (w.shape(), g.weight_len()),
        (bias.shape(), g.out_c),
        (out.shape(), g.output_len()),
    ];
    check_lens("conv2d", &lens)?;
    check_distinct("conv2d", &[id_of(x), id_of(w), id_of(bias)], &[id_of(out)])?;
    let (x, w, bias, out, g) = (x.clone(), w.clone(), bias.clone(), out.clone(), *g);
    let cols = scratch(&g);
    let shape = GemmShape {
        m: g.out_pixels(),
        k: g.patch_len(),
        n: g.out_c,
        trans_a: false,
        trans_b: false,
    };
    let plan = GemmPlan::new(shape, threads);
    Ok(CpuOp::new("conv2d", move |_| {
        let inputs = Reads::new([&x, &w, &bias]);
        let epi = Epilogue {
            bias: Some(inputs.get(2)),
            relu,
        };
        let mut out = out.write();
        if is_pointwise(&g) {
            plan.run(threads, inputs.get(0), inputs.get(1), &mut out, epi);
        } else {
            let mut cols = cols.lock().unwrap_or_else(|e| e.into_inner());
            im2col(inputs.get(0), &g, &mut cols);
            plan.run(threads, &cols, inputs.get(1), &mut out, epi);
        }
        Ok(())
    }))
}

pub(crate) fn conv2d_input_backward(
    threads: usize,
    dy: &CpuTensor,
    w: &CpuTensor,
    dx: &CpuTensor,
    g: &Conv2dGeometry,
) -> Result<CpuOp> {
    g.validate()?;
    let lens = [
        (dy.shape(), g.output_len()),
        (w.shape(), g.weight_len()),
        (dx.shape(), g.input_len()),
    ];
    check_lens("conv2d_input_backward", &lens)?;
    check_distinct(
        "conv2d_input_backward",
        &[id_of(dy), id_of(w)],
        &[id_of(dx)],
    )?;
    let (dy, w, dx, g) = (dy.clone(), w.clone(), dx.clone(), *g);
    let dcols = scratch(&g);
    // dcols [pixels, patch] = dy [pixels, oc] · wᵀ, w stored [patch, oc].
    let shape = GemmShape {
        m: g.out_pixels(),
        k: g.out_c,
        n: g.patch_len(),
        trans_a: false,
        trans_b: true,
    };
    let plan = GemmPlan::new(shape, threads);
    Ok(CpuOp::new("conv2d_input_backward", move |_| {
        let inputs = Reads::new([&dy, &w]);
        let (dy, w) = (inputs.get(0), inputs.get(1));
        let mut dx = dx.write();
        if is_pointwise(&g) {
            plan.run(threads, dy, w, &mut dx, Epilogue::default());
        } else {
            let mut dcols = dcols.lock().unwrap_or_else(|e| e.into_inner());
            plan.run(threads, dy, w, &mut dcols, Epilogue::default());
            col2im(&dcols, &g, &mut dx);
        }
        Ok(())
    }))
}

pub(crate) fn conv2d_weight_backward(
    threads: usize,
    x: &CpuTensor,
    dy: &CpuTensor,
    dw: &CpuTensor,
    db: &CpuTensor,
    g: &Conv2dGeometry,
) -> Result<CpuOp> {
    g.validate()?;
    let lens = [
        (x.shape(), g.input_len()),
        (dy.shape(), g.output_len()),
        (dw.shape(), g.weight_len()),
        (db.shape(), g.out_c),
    ];
    check_lens("conv2d_weight_backward", &lens)?;
    let ins = [id_of(x), id_of(dy)];
    check_distinct("conv2d_weight_backward", &ins, &[id_of(dw), id_of(db)])?;
    let (x, dy, dw, db, g) = (x.clone(), dy.clone(), dw.clone(), db.clone(), *g);
    let cols = scratch(&g);
    let partials = Mutex::new(column_sum_scratch(g.out_pixels(), g.out_c));
    // dW [patch, oc] = colsᵀ · dy, cols stored [pixels, patch].
    let shape = GemmShape {
        m: g.patch_len(),
        k: g.out_pixels(),
        n: g.out_c,
        trans_a: true,
        trans_b: false,
    };
    let plan = GemmPlan::new(shape, threads);
    Ok(CpuOp::new("conv2d_weight_backward", move |_| {
        let inputs = Reads::new([&x, &dy]);
        let (x, dy) = (inputs.get(0), inputs.get(1));
        let (mut dw, mut db) = (dw.write(), db.write());
        if is_pointwise(&g) {
            plan.run(threads, x, dy, &mut dw, Epilogue::default());
        } else {
            let mut cols = cols.lock().unwrap_or_else(|e| e.into_inner());
            im2col(x, &g, &mut cols);
            plan.run(threads, &cols, dy, &mut dw, Epilogue::default());
        }
        let mut partials = partials.lock().unwrap_or_else(|e| e.into_inner());
        column_sum_into(dy, g.out_c, &mut db, &mut partials);
        Ok(())
    }))
}
