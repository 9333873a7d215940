//! conv2d (forward with and without ReLU, both gradients) and max-pool (forward, argmax,
//! backward) of the CPU backend against the reference backend, on awkward geometries.

mod common;

use common::{assert_close, cpu, random, run_op, Operands};
use oddeven_core::{Backend, Conv2dGeometry, Pool2dGeometry, ReferenceBackend, StepValues};

/// Batch 1 and 3, a 7×9 image, stride 1 and 2, padding 0 and 2, 1 and 3 input channels,
/// kernels 1, 3 and 5 (1×1 stride 1 unpadded is the no-im2col path).
fn geometries() -> Vec<Conv2dGeometry> {
    let mut v = Vec::new();
    for batch in [1, 3] {
        for in_c in [1, 3] {
            for (kernel, stride, padding) in [
                (1, 1, 0),
                (1, 2, 0),
                (3, 1, 0),
                (3, 2, 2),
                (5, 1, 2),
                (5, 2, 0),
                (3, 1, 1),
            ] {
                v.push(Conv2dGeometry {
                    batch,
                    in_h: 7,
                    in_w: 9,
                    in_c,
                    out_c: 4,
                    kernel,
                    stride,
                    padding,
                });
            }
        }
    }
    // The CNN's first conv at batch 3 (a 9×2352·2352×32 weight gradient).
    v.push(Conv2dGeometry {
        batch: 3,
        in_h: 28,
        in_w: 28,
        in_c: 1,
        out_c: 32,
        kernel: 3,
        stride: 1,
        padding: 1,
    });
    // The CNN's second conv at batch 2.
    v.push(Conv2dGeometry {
        batch: 2,
        in_h: 14,
        in_w: 14,
        in_c: 32,
        out_c: 64,
        kernel: 3,
        stride: 1,
        padding: 1,
    });
    v
}

/// (forward, forward with ReLU, dx, dw, db) of one geometry on a backend.
fn conv_on<B: Backend>(b: &B, g: &Conv2dGeometry) -> Vec<Vec<f32>> {
    let x = random(g.input_len(), 1, -1.0, 1.0);
    let w = random(g.weight_len(), 2, -1.0, 1.0);
    let bias = random(g.out_c, 3, -1.0, 1.0);
    let dy = random(g.output_len(), 4, -1.0, 1.0);
    let xs = [g.batch, g.in_h, g.in_w, g.in_c];
    let ws = [g.kernel, g.kernel, g.in_c, g.out_c];
    let ys = [g.batch, g.out_h(), g.out_w(), g.out_c];
    let bs = [g.out_c];
    let ops = Operands {
        inputs: vec![
            (&xs[..], &x[..]),
            (&ws[..], &w[..]),
            (&bs[..], &bias[..]),
            (&ys[..], &dy[..]),
        ],
        outputs: vec![
            (&ys[..], None),
            (&ys[..], None),
            (&xs[..], None),
            (&ws[..], None),
            (&bs[..], None),
        ],
    };
    let step = StepValues::default();
    run_op(b, &ops, &step, |b, i, o| {
        let fwd = b.conv2d(&i[0], &i[1], &i[2], &o[0], g, false)?;
        let fwd_relu = b.conv2d(&i[0], &i[1], &i[2], &o[1], g, true)?;
        let dx = b.conv2d_input_backward(&i[3], &i[1], &o[2], g)?;
        b.run(&[&fwd, &fwd_relu, &dx], &step)?;
        b.conv2d_weight_backward(&i[0], &i[3], &o[3], &o[4], g)
    })
}

#[test]
fn conv2d_and_gradients_match_reference() {
    let cpu = cpu();
    for g in geometries() {
        let got = conv_on(&cpu, &g);
        let want = conv_on(&ReferenceBackend, &g);
        for (name, (got, want)) in ["out", "out relu", "dx", "dw", "db"]
            .iter()
            .zip(got.iter().zip(&want))
        {
            assert_close(&format!("{g:?} {name}"), got, want, 2e-4);
        }
    }
}

fn pool(
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

/// (out, argmax as f32, dx) of one pool on a backend; `x` may hold ties.
fn pool_on<B: Backend>(b: &B, g: &Pool2dGeometry, x: &[f32]) -> (Vec<f32>, Vec<u32>, Vec<f32>) {
    let xs = [g.batch, g.in_h, g.in_w, g.channels];
    let ys = [g.batch, g.out_h(), g.out_w(), g.channels];
    let tx = b.upload(&xs, x, "x").unwrap();
    let out = b.zeros(&ys, "out").unwrap();
    let argmax = b.index_zeros(&ys, "argmax").unwrap();
    let dy = b
        .upload(&ys, &random(g.output_len(), 5, -1.0, 1.0), "dy")
        .unwrap();
    let dx = b.upload(&xs, &vec![7.0; g.input_len()], "dx").unwrap();
    let fwd = b.max_pool2d(&tx, &out, &argmax, g).unwrap();
    let bwd = b.max_pool2d_backward(&dy, &argmax, &dx, g).unwrap();
    b.run(&[&fwd, &bwd], &StepValues::default()).unwrap();
    (
        b.read(&out).unwrap(),
        b.read_indices(&argmax).unwrap(),
        b.read(&dx).unwrap(),
    )
}

#[test]
fn max_pool_matches_reference_with_overlaps_and_ties() {
    let cpu = cpu();
    let geometries = [
        pool(1, 1, 1, 1, 1, 1),
        pool(3, 7, 9, 3, 3, 2),
        pool(2, 7, 5, 2, 3, 1),
        pool(2, 28, 28, 32, 2, 2),
        pool(1, 6, 6, 4, 4, 3),
    ];
    for g in geometries {
        // Values on a coarse grid: many ties inside windows.
        let x: Vec<f32> = random(g.input_len(), 6, 0.0, 4.0)
            .iter()
            .map(|v| v.floor())
            .collect();
        let got = pool_on(&cpu, &g, &x);
        let want = pool_on(&ReferenceBackend, &g, &x);
        assert_eq!(got.0, want.0, "{g:?} out");
        assert_eq!(got.1, want.1, "{g:?} argmax");
        assert_close(&format!("{g:?} dx"), &got.2, &want.2, 1e-6);
    }
}

#[test]
fn pool_backward_follows_argmax_written_by_hand() {
    // Indices across images (legal for the op's meaning) take the sequential path; an
    // index past the input is an error, not a panic.
    let cpu = cpu();
    let g = pool(2, 2, 2, 1, 2, 2);
    let dy = cpu.upload(&[2, 1, 1, 1], &[1.0, 2.0], "dy").unwrap();
    let argmax = cpu.index_zeros(&[2, 1, 1, 1], "argmax").unwrap();
    let dx = cpu.zeros(&[2, 2, 2, 1], "dx").unwrap();
    let op = cpu.max_pool2d_backward(&dy, &argmax, &dx, &g).unwrap();
    cpu.write_indices(&argmax, &[5, 1]).unwrap();
    cpu.run(&[&op], &StepValues::default()).unwrap();
    assert_eq!(
        cpu.read(&dx).unwrap(),
        vec![0.0, 2.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    );
    cpu.write_indices(&argmax, &[8, 0]).unwrap();
    let err = cpu.run(&[&op], &StepValues::default()).unwrap_err();
    assert!(err.to_string().contains("argmax 8"), "{err}");
}
