//! Max-pool over NHWC images (square window, no padding) and its backward pass.
//!
//! Forward: parallel over output rows (n, oh); the channels are the inner loop, so each
//! window tap compares a contiguous run of channels. Ties keep the first maximum in scan
//! order (kh outer, kw inner), as the reference and the WGSL kernel. Backward: parallel
//! over images, each summing its outputs' gradients into its own slice of dx in output
//! order; an argmax that points outside its own image (possible only for indices a
//! caller wrote by hand) sends the whole op down a sequential path with the same meaning.

use oddeven_core::{Handle, Pool2dGeometry, Result};
use rayon::prelude::*;

use crate::op::CpuOp;
use crate::ops::shape_err;
use crate::storage::{check_distinct, check_lens, id_of, CpuIndices, CpuTensor};

fn check(op: &'static str, g: &Pool2dGeometry, indices: &CpuIndices) -> Result<()> {
    g.validate()?;
    if indices.len() != g.output_len() {
        return Err(shape_err(
            op,
            format!(
                "argmax {:?}, expected {} entries",
                indices.shape(),
                g.output_len()
            ),
        ));
    }
    if g.input_len() > u32::MAX as usize {
        return Err(shape_err(
            op,
            format!(
                "{} input values do not fit u32 argmax indices",
                g.input_len()
            ),
        ));
    }
    Ok(())
}

/// One output row (n, oh): for each window, the channels compared tap by tap in scan
/// order with branch-free selects (so they vectorise); strictly greater wins, so ties
/// keep the earlier element.
#[inline(always)]
fn pool_row(x: &[f32], g: &Pool2dGeometry, row: usize, out: &mut [f32], arg: &mut [u32]) {
    let (oh_n, c) = (g.out_h(), g.channels);
    let (n, oh) = (row / oh_n, row % oh_n);
    let at = |kh: usize, ow: usize, kw: usize| {
        ((n * g.in_h + oh * g.stride + kh) * g.in_w + ow * g.stride + kw) * c
    };
    for (ow, (best, idx)) in out
        .chunks_exact_mut(c)
        .zip(arg.chunks_exact_mut(c))
        .enumerate()
    {
        let first = at(0, ow, 0);
        best.copy_from_slice(&x[first..first + c]);
        for (ch, i) in idx.iter_mut().enumerate() {
            *i = (first + ch) as u32;
        }
        for kh in 0..g.size {
            for kw in 0..g.size {
                let base = at(kh, ow, kw);
                let taps = &x[base..base + c];
                for (ch, ((b, i), &v)) in best.iter_mut().zip(idx.iter_mut()).zip(taps).enumerate()
                {
                    let greater = v > *b;
                    *b = if greater { v } else { *b };
                    *i = if greater { (base + ch) as u32 } else { *i };
                }
            }
        }
    }
}

pub(crate) fn max_pool2d(
    x: &CpuTensor,
    out: &CpuTensor,
    argmax: &CpuIndices,
    g: &Pool2dGeometry,
) -> Result<CpuOp> {
    check("max_pool2d", g, argmax)?;
    check_lens(
        "max_pool2d",
        &[(x.shape(), g.input_len()), (out.shape(), g.output_len())],
    )?;
    check_distinct("max_pool2d", &[id_of(x)], &[id_of(out), id_of(argmax)])?;
    let (x, out, argmax, g) = (x.clone(), out.clone(), argmax.clone(), *g);
    Ok(CpuOp::new("max_pool2d", move |_| {
        let x = x.read();
        let (mut out, mut argmax) = (out.write(), argmax.write());
        let (ow_n, c) = (g.out_w(), g.channels);
        let arch = pulp::Arch::new();
        out.par_chunks_mut(ow_n * c)
            .zip(argmax.par_chunks_mut(ow_n * c))
            .enumerate()
            .for_each(|(row, (out, arg))| {
                arch.dispatch(|| pool_row(&x, &g, row, out, arg));
            });
        Ok(())
    }))
}

pub(crate) fn max_pool2d_backward(
    dy: &CpuTensor,
    argmax: &CpuIndices,
    dx: &CpuTensor,
    g: &Pool2dGeometry,
) -> Result<CpuOp> {
    check("max_pool2d_backward", g, argmax)?;
    check_lens(
        "max_pool2d_backward",
        &[(dy.shape(), g.output_len()), (dx.shape(), g.input_len())],
    )?;
    check_distinct("max_pool2d_backward", &[id_of(dy)], &[id_of(dx)])?;
    let (dy, argmax, dx, g) = (dy.clone(), argmax.clone(), dx.clone(), *g);
    Ok(CpuOp::new("max_pool2d_backward", move |_| {
        let (dy, argmax) = (dy.read(), argmax.read());
        let mut dx = dx.write();
        let image_in = g.in_h * g.in_w * g.channels;
        let image_out = g.out_h() * g.out_w() * g.channels;
        let local = dx
            .par_chunks_mut(image_in)
            .zip(dy.par_chunks(image_out).zip(argmax.par_chunks(image_out)))
            .enumerate()
            .map(|(n, (dx, (dy, argmax)))| {
                dx.fill(0.0);
                let base = n * image_in;
                let mut ok = true;
                for (&d, &i) in dy.iter().zip(argmax) {
                    match (i as usize).checked_sub(base).filter(|&i| i < image_in) {
                        Some(i) => dx[i] += d,
                        None => ok = false,
                    }
                }
                ok
            })
            .reduce(|| true, |a, b| a && b);
        if local {
            return Ok(());
        }
        dx.fill(0.0);
        for (&d, &i) in dy.iter().zip(argmax.iter()) {
            let slot = dx.get_mut(i as usize).ok_or_else(|| {
                shape_err(
                    "max_pool2d_backward",
                    format!(
                        "argmax {i} is outside the {} input values",
                        image_in * g.batch
                    ),
                )
            })?;
            *slot += d;
        }
        Ok(())
    }))
}
