//! References for `shaders/conv2d.wgsl` and the conv composites in
//! [`crate::kernels::conv`]: direct loops from the definitions (not via im2col), f64
//! accumulation. Layout: NHWC activations, HWIO weights (see [`Conv2dGeometry`]).

use crate::geometry::Conv2dGeometry;

/// Index of x[n, ih, iw, ic] if (ih, iw) lies inside the image, else `None` (padding).
fn input_index(g: &Conv2dGeometry, n: usize, ih: isize, iw: isize, ic: usize) -> Option<usize> {
    let inside = (0..g.in_h as isize).contains(&ih) && (0..g.in_w as isize).contains(&iw);
    inside.then(|| ((n * g.in_h + ih as usize) * g.in_w + iw as usize) * g.in_c + ic)
}

/// Calls `f(out_index, x_index, w_index)` for every multiply-add of the conv: output
/// element [n, oh, ow, oc] += x[n, oh·s+kh−p, ow·s+kw−p, ic] · w[kh, kw, ic, oc], skipping
/// taps in the padding. The forward pass and both gradients are this one loop nest.
fn for_each_tap(g: &Conv2dGeometry, mut f: impl FnMut(usize, usize, usize)) {
    let (oh_n, ow_n) = (g.out_h(), g.out_w());
    for n in 0..g.batch {
        for oh in 0..oh_n {
            for ow in 0..ow_n {
                let pixel = (n * oh_n + oh) * ow_n + ow;
                for kh in 0..g.kernel {
                    for kw in 0..g.kernel {
                        let ih = (oh * g.stride + kh) as isize - g.padding as isize;
                        let iw = (ow * g.stride + kw) as isize - g.padding as isize;
                        for ic in 0..g.in_c {
                            let Some(xi) = input_index(g, n, ih, iw, ic) else {
                                continue;
                            };
                            let wrow = (kh * g.kernel + kw) * g.in_c + ic;
                            for oc in 0..g.out_c {
                                f(pixel * g.out_c + oc, xi, wrow * g.out_c + oc);
                            }
                        }
                    }
                }
            }
        }
    }
}

fn widen(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&v| v as f64).collect()
}

fn narrow(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&v| v as f32).collect()
}

fn check_lengths(op: &str, g: &Conv2dGeometry, pairs: &[(&str, usize, usize)]) {
    for &(name, got, want) in pairs {
        assert_eq!(got, want, "cpu::{op}: {name} has the wrong size for {g:?}");
    }
}

/// The conv in f64 (no ReLU), for the finite-difference tests.
fn conv2d_f64(x: &[f64], w: &[f64], bias: &[f64], g: &Conv2dGeometry) -> Vec<f64> {
    let mut out: Vec<f64> = (0..g.output_len()).map(|i| bias[i % g.out_c]).collect();
    for_each_tap(g, |o, xi, wi| out[o] += x[xi] * w[wi]);
    out
}

/// cols[(n,oh,ow), (kh,kw,ic)] = x[n, oh·s+kh−p, ow·s+kw−p, ic], 0 in the padding, as
/// `im2col`. Returns `[out_pixels, patch_len]`.
pub fn im2col(x: &[f32], g: &Conv2dGeometry) -> Vec<f32> {
    check_lengths("im2col", g, &[("x", x.len(), g.input_len())]);
    let mut cols = vec![0.0f32; g.cols_len()];
    for n in 0..g.batch {
        for oh in 0..g.out_h() {
            for ow in 0..g.out_w() {
                let row = (n * g.out_h() + oh) * g.out_w() + ow;
                for kh in 0..g.kernel {
                    for kw in 0..g.kernel {
                        let ih = (oh * g.stride + kh) as isize - g.padding as isize;
                        let iw = (ow * g.stride + kw) as isize - g.padding as isize;
                        for ic in 0..g.in_c {
                            let col = (kh * g.kernel + kw) * g.in_c + ic;
                            if let Some(xi) = input_index(g, n, ih, iw, ic) {
                                cols[row * g.patch_len() + col] = x[xi];
                            }
                        }
                    }
                }
            }
        }
    }
    cols
}

/// dx[n,ih,iw,ic] = Σ of the dcols entries that im2col copied x[n,ih,iw,ic] into, as
/// `col2im` (the adjoint of [`im2col`]).
pub fn col2im(dcols: &[f32], g: &Conv2dGeometry) -> Vec<f32> {
    check_lengths("col2im", g, &[("dcols", dcols.len(), g.cols_len())]);
    let mut dx = vec![0.0f64; g.input_len()];
    for n in 0..g.batch {
        for oh in 0..g.out_h() {
            for ow in 0..g.out_w() {
                let row = (n * g.out_h() + oh) * g.out_w() + ow;
                for kh in 0..g.kernel {
                    for kw in 0..g.kernel {
                        let ih = (oh * g.stride + kh) as isize - g.padding as isize;
                        let iw = (ow * g.stride + kw) as isize - g.padding as isize;
                        for ic in 0..g.in_c {
                            let col = (kh * g.kernel + kw) * g.in_c + ic;
                            if let Some(xi) = input_index(g, n, ih, iw, ic) {
                                dx[xi] += dcols[row * g.patch_len() + col] as f64;
                            }
                        }
                    }
                }
            }
        }
    }
    narrow(&dx)
}

/// out[n,oh,ow,oc] = bias[oc] + Σ_{kh,kw,ic} x[n, oh·s+kh−p, ow·s+kw−p, ic]·w[kh,kw,ic,oc]
/// (then max(·, 0) with `relu`), as `conv2d_direct` and the `Im2col` forward.
pub fn conv2d(x: &[f32], w: &[f32], bias: &[f32], g: &Conv2dGeometry, relu: bool) -> Vec<f32> {
    check_lengths(
        "conv2d",
        g,
        &[
            ("x", x.len(), g.input_len()),
            ("w", w.len(), g.weight_len()),
            ("bias", bias.len(), g.out_c),
        ],
    );
    let out = conv2d_f64(&widen(x), &widen(w), &widen(bias), g);
    let out = if relu {
        out.iter().map(|&v| v.max(0.0)).collect()
    } else {
        out
    };
    narrow(&out)
}

/// dx = ∂(Σ dy·out)/∂x: each x element gathers dy·w over the outputs it fed.
fn conv2d_input_backward_f64(dy: &[f64], w: &[f64], g: &Conv2dGeometry) -> Vec<f64> {
    let mut dx = vec![0.0f64; g.input_len()];
    for_each_tap(g, |o, xi, wi| dx[xi] += dy[o] * w[wi]);
    dx
}

/// dx for the conv with weight `w` given the output gradient `dy`, as
/// `conv2d_input_backward`.
pub fn conv2d_input_backward(dy: &[f32], w: &[f32], g: &Conv2dGeometry) -> Vec<f32> {
    check_lengths(
        "conv2d_input_backward",
        g,
        &[
            ("dy", dy.len(), g.output_len()),
            ("w", w.len(), g.weight_len()),
        ],
    );
    narrow(&conv2d_input_backward_f64(&widen(dy), &widen(w), g))
}

fn conv2d_weight_backward_f64(x: &[f64], dy: &[f64], g: &Conv2dGeometry) -> (Vec<f64>, Vec<f64>) {
    let mut dw = vec![0.0f64; g.weight_len()];
    for_each_tap(g, |o, xi, wi| dw[wi] += x[xi] * dy[o]);
    let mut db = vec![0.0f64; g.out_c];
    for (i, d) in dy.iter().enumerate() {
        db[i % g.out_c] += d;
    }
    (dw, db)
}

/// (dW, db) for the conv of input `x` given the output gradient `dy`, as
/// `conv2d_weight_backward`: dW[kh,kw,ic,oc] = Σ x·dy over the taps it multiplied,
/// db[oc] = Σ dy[.., oc].
pub fn conv2d_weight_backward(x: &[f32], dy: &[f32], g: &Conv2dGeometry) -> (Vec<f32>, Vec<f32>) {
    check_lengths(
        "conv2d_weight_backward",
        g,
        &[
            ("x", x.len(), g.input_len()),
            ("dy", dy.len(), g.output_len()),
        ],
    );
    let (dw, db) = conv2d_weight_backward_f64(&widen(x), &widen(dy), g);
    (narrow(&dw), narrow(&db))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::matmul;
    use crate::kernels::matmul::MatmulSpec;
    use rand::{Rng, SeedableRng};

    fn random(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        (0..n).map(|_| rng.random_range(-1.0..1.0)).collect()
    }

    /// Stride 2 with padding 1 on an odd, non-square image: taps in the padding, input
    /// pixels read by several windows and pixels read by none.
    const G: Conv2dGeometry = Conv2dGeometry {
        batch: 2,
        in_h: 5,
        in_w: 4,
        in_c: 2,
        out_c: 3,
        kernel: 3,
        stride: 2,
        padding: 1,
    };

    /// Central differences of L(v) = Σ r·f(v) at `v`, one coordinate at a time. The conv
    /// is linear in each argument, so in f64 these agree with the exact gradient to
    /// rounding.
    fn numeric_gradient(v: &[f64], r: &[f64], f: impl Fn(&[f64]) -> Vec<f64>) -> Vec<f64> {
        let h = 1e-3;
        let loss = |v: &[f64]| f(v).iter().zip(r).map(|(a, b)| a * b).sum::<f64>();
        (0..v.len())
            .map(|i| {
                let (mut up, mut down) = (v.to_vec(), v.to_vec());
                up[i] += h;
                down[i] -= h;
                (loss(&up) - loss(&down)) / (2.0 * h)
            })
            .collect()
    }

    fn assert_near(what: &str, got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len(), "{what}: length");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!((g - w).abs() < 1e-8, "{what}[{i}]: {g} vs {w}");
        }
    }

    #[test]
    fn input_backward_matches_finite_differences() {
        let (x, w, b) = (
            random(G.input_len(), 1),
            random(G.weight_len(), 2),
            random(3, 3),
        );
        let r = random(G.output_len(), 4);
        let want = numeric_gradient(&x, &r, |x| conv2d_f64(x, &w, &b, &G));
        assert_near("dx", &conv2d_input_backward_f64(&r, &w, &G), &want);
    }

    #[test]
    fn weight_backward_matches_finite_differences() {
        let (x, w, b) = (
            random(G.input_len(), 5),
            random(G.weight_len(), 6),
            random(3, 7),
        );
        let r = random(G.output_len(), 8);
        let (dw, db) = conv2d_weight_backward_f64(&x, &r, &G);
        let want_dw = numeric_gradient(&w, &r, |w| conv2d_f64(&x, w, &b, &G));
        let want_db = numeric_gradient(&b, &r, |b| conv2d_f64(&x, &w, b, &G));
        assert_near("dw", &dw, &want_dw);
        assert_near("db", &db, &want_db);
    }

    #[test]
    fn im2col_times_weight_is_the_conv() {
        for g in [
            G,
            Conv2dGeometry {
                kernel: 1,
                stride: 1,
                padding: 0,
                ..G
            },
        ] {
            let narrow_all = |v: Vec<f64>| narrow(&v);
            let x = narrow_all(random(g.input_len(), 9));
            let w = narrow_all(random(g.weight_len(), 10));
            let b = narrow_all(random(g.out_c, 11));
            let cols = im2col(&x, &g);
            let (m, k, n) = (g.out_pixels(), g.patch_len(), g.out_c);
            let gemm = matmul(&cols, &w, m, k, n, MatmulSpec::NN.with_relu(), Some(&b));
            let direct = conv2d(&x, &w, &b, &g, true);
            for (i, (a, d)) in gemm.iter().zip(&direct).enumerate() {
                assert!((a - d).abs() < 1e-5, "{g:?} element {i}: {a} vs {d}");
            }
        }
    }

    #[test]
    fn col2im_is_the_adjoint_of_im2col() {
        // <im2col(x), c> = <x, col2im(c)> for every x and c.
        let x = narrow(&random(G.input_len(), 12));
        let c = narrow(&random(G.cols_len(), 13));
        let dot = |a: &[f32], b: &[f32]| {
            a.iter()
                .zip(b)
                .map(|(&a, &b)| a as f64 * b as f64)
                .sum::<f64>()
        };
        let lhs = dot(&im2col(&x, &G), &c);
        let rhs = dot(&x, &col2im(&c, &G));
        assert!((lhs - rhs).abs() < 1e-5, "{lhs} vs {rhs}");
    }
}
