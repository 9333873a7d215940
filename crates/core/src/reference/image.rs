//! The reference backend's image ops: conv2d (forward, input and weight gradients) and
//! max-pool (forward, backward), each the plain reference of `crate::cpu`.

use super::host::{check_lens, op, shape_err, HostIndices, HostOp, HostTensor};
use crate::backend::Handle;
use crate::cpu;
use crate::error::Result;
use crate::geometry::{Conv2dGeometry, Pool2dGeometry};

pub(super) fn conv2d(
    x: &HostTensor,
    w: &HostTensor,
    bias: &HostTensor,
    out: &HostTensor,
    g: &Conv2dGeometry,
    relu: bool,
) -> Result<HostOp> {
    g.validate()?;
    check_lens(
        "conv2d",
        &[
            (x, g.input_len()),
            (w, g.weight_len()),
            (bias, g.out_c),
            (out, g.output_len()),
        ],
    )?;
    let (x, w, bias, out, g) = (x.clone(), w.clone(), bias.clone(), out.clone(), *g);
    Ok(op("conv2d", move |_| {
        out.set(cpu::conv2d(&x.get(), &w.get(), &bias.get(), &g, relu));
        Ok(())
    }))
}
pub(super) fn conv2d_input_backward(
    dy: &HostTensor,
    w: &HostTensor,
    dx: &HostTensor,
    g: &Conv2dGeometry,
) -> Result<HostOp> {
    g.validate()?;
    check_lens(
        "conv2d_input_backward",
        &[
            (dy, g.output_len()),
            (w, g.weight_len()),
            (dx, g.input_len()),
        ],
    )?;
    let (dy, w, dx, g) = (dy.clone(), w.clone(), dx.clone(), *g);
    Ok(op("conv2d_input_backward", move |_| {
        dx.set(cpu::conv2d_input_backward(&dy.get(), &w.get(), &g));
        Ok(())
    }))
}
pub(super) fn conv2d_weight_backward(
    x: &HostTensor,
    dy: &HostTensor,
    dw: &HostTensor,
    db: &HostTensor,
    g: &Conv2dGeometry,
) -> Result<HostOp> {
    g.validate()?;
    check_lens(
        "conv2d_weight_backward",
        &[
            (x, g.input_len()),
            (dy, g.output_len()),
            (dw, g.weight_len()),
            (db, g.out_c),
        ],
    )?;
    let (x, dy, dw, db, g) = (x.clone(), dy.clone(), dw.clone(), db.clone(), *g);
    Ok(op("conv2d_weight_backward", move |_| {
        let (w_grad, b_grad) = cpu::conv2d_weight_backward(&x.get(), &dy.get(), &g);
        dw.set(w_grad);
        db.set(b_grad);
        Ok(())
    }))
}
pub(super) fn max_pool2d(
    x: &HostTensor,
    out: &HostTensor,
    argmax: &HostIndices,
    g: &Pool2dGeometry,
) -> Result<HostOp> {
    g.validate()?;
    check_lens("max_pool2d", &[(x, g.input_len()), (out, g.output_len())])?;
    if argmax.len() != g.output_len() {
        return Err(shape_err(
            "max_pool2d",
            format!(
                "argmax {:?}, expected {} entries",
                argmax.shape,
                g.output_len()
            ),
        ));
    }
    let (x, out, argmax, g) = (x.clone(), out.clone(), argmax.clone(), *g);
    Ok(op("max_pool2d", move |_| {
        let (values, index) = cpu::max_pool2d(&x.get(), &g);
        out.set(values);
        argmax.set(index);
        Ok(())
    }))
}
pub(super) fn max_pool2d_backward(
    dy: &HostTensor,
    argmax: &HostIndices,
    dx: &HostTensor,
    g: &Pool2dGeometry,
) -> Result<HostOp> {
    g.validate()?;
    check_lens(
        "max_pool2d_backward",
        &[(dy, g.output_len()), (dx, g.input_len())],
    )?;
    if argmax.len() != g.output_len() {
        return Err(shape_err(
            "max_pool2d_backward",
            format!(
                "argmax {:?}, expected {} entries",
                argmax.shape,
                g.output_len()
            ),
        ));
    }
    let (dy, argmax, dx, g) = (dy.clone(), argmax.clone(), dx.clone(), *g);
    Ok(op("max_pool2d_backward", move |_| {
        dx.set(cpu::max_pool2d_backward(&dy.get(), &argmax.get(), &g));
        Ok(())
    }))
}
