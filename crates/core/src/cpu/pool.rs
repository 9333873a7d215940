//! References for `shaders/maxpool.wgsl` ([`crate::kernels::pool`]): NHWC images, square
//! window, no padding (see [`Pool2dGeometry`]).

use crate::geometry::Pool2dGeometry;

/// Index of x[n, ih, iw, c].
fn input_index(g: &Pool2dGeometry, n: usize, ih: usize, iw: usize, c: usize) -> usize {
    ((n * g.in_h + ih) * g.in_w + iw) * g.channels + c
}

/// Calls `f(output_index, window)` for every output element, where `window` lists the
/// flat input indices of its window in scan order (kh outer, kw inner).
fn for_each_window(g: &Pool2dGeometry, mut f: impl FnMut(usize, &[usize])) {
    let mut window = Vec::with_capacity(g.size * g.size);
    for n in 0..g.batch {
        for oh in 0..g.out_h() {
            for ow in 0..g.out_w() {
                for c in 0..g.channels {
                    window.clear();
                    for kh in 0..g.size {
                        for kw in 0..g.size {
                            let (ih, iw) = (oh * g.stride + kh, ow * g.stride + kw);
                            window.push(input_index(g, n, ih, iw, c));
                        }
                    }
                    let o = ((n * g.out_h() + oh) * g.out_w() + ow) * g.channels + c;
                    f(o, &window);
                }
            }
        }
    }
}

/// (out, argmax): the maximum of each window and the flat index into x (over the whole
/// batch) of its first maximum in scan order, as `max_pool2d`.
pub fn max_pool2d(x: &[f32], g: &Pool2dGeometry) -> (Vec<f32>, Vec<u32>) {
    assert_eq!(
        x.len(),
        g.input_len(),
        "cpu::max_pool2d: x has the wrong size"
    );
    let mut out = vec![0.0f32; g.output_len()];
    let mut argmax = vec![0u32; g.output_len()];
    for_each_window(g, |o, window| {
        let mut best = window[0];
        for &i in window {
            // Strictly greater: ties keep the earlier element.
            if x[i] > x[best] {
                best = i;
            }
        }
        out[o] = x[best];
        argmax[o] = best as u32;
    });
    (out, argmax)
}

/// dx[i] = Σ dy[o] over the outputs o whose argmax is i, as `max_pool2d_backward`.
pub fn max_pool2d_backward(dy: &[f32], argmax: &[u32], g: &Pool2dGeometry) -> Vec<f32> {
    assert_eq!(
        dy.len(),
        g.output_len(),
        "cpu::max_pool2d_backward: dy size"
    );
    assert_eq!(
        argmax.len(),
        g.output_len(),
        "cpu::max_pool2d_backward: argmax size"
    );
    let mut dx = vec![0.0f64; g.input_len()];
    for (&d, &i) in dy.iter().zip(argmax) {
        dx[i as usize] += d as f64;
    }
    dx.iter().map(|&v| v as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Overlapping 3×3 windows at stride 2 on an odd image, two channels, two images.
    const G: Pool2dGeometry = Pool2dGeometry {
        batch: 2,
        in_h: 7,
        in_w: 5,
        channels: 2,
        size: 3,
        stride: 2,
    };

    /// Distinct values 0.1 apart in a scrambled order: a step of h = 0.01 cannot change
    /// any window's maximum, so the pooled sum is linear around x.
    fn spread_values(n: usize) -> Vec<f64> {
        (0..n).map(|i| ((i * 37 + 11) % n) as f64 * 0.1).collect()
    }

    fn pool_f64(x: &[f64], g: &Pool2dGeometry) -> Vec<f64> {
        let mut out = vec![0.0; g.output_len()];
        for_each_window(g, |o, window| {
            out[o] = window
                .iter()
                .map(|&i| x[i])
                .fold(f64::NEG_INFINITY, f64::max);
        });
        out
    }

    #[test]
    fn backward_matches_finite_differences() {
        let x = spread_values(G.input_len());
        let r: Vec<f64> = (0..G.output_len()).map(|i| 1.0 + (i % 5) as f64).collect();
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let r32: Vec<f32> = r.iter().map(|&v| v as f32).collect();
        let (_, argmax) = max_pool2d(&x32, &G);
        let got = max_pool2d_backward(&r32, &argmax, &G);
        let h = 0.01;
        let loss = |x: &[f64]| {
            pool_f64(x, &G)
                .iter()
                .zip(&r)
                .map(|(a, b)| a * b)
                .sum::<f64>()
        };
        for i in 0..x.len() {
            let (mut up, mut down) = (x.clone(), x.clone());
            up[i] += h;
            down[i] -= h;
            let want = (loss(&up) - loss(&down)) / (2.0 * h);
            assert!(
                (got[i] as f64 - want).abs() < 1e-6,
                "dx[{i}]: {} vs {want}",
                got[i]
            );
        }
    }

    #[test]
    fn ties_pick_the_first_in_scan_order() {
        let g = Pool2dGeometry {
            batch: 1,
            in_h: 2,
            in_w: 2,
            channels: 1,
            size: 2,
            stride: 1,
        };
        let (out, argmax) = max_pool2d(&[1.0, 3.0, 3.0, 2.0], &g);
        assert_eq!((out, argmax), (vec![3.0], vec![1]));
    }
}
