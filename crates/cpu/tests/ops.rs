//! Every non-image op of the CPU backend against the reference backend, on the awkward
//! shapes the core tests use; and the shape and aliasing errors.

mod common;

use common::{assert_close, cpu, one_hot, random, run_op, Operands};
use oddeven_core::kernels::loss::OutputKind;
use oddeven_core::kernels::matmul::MatmulSpec;
use oddeven_core::{Backend, CoreError, ReferenceBackend, StepValues};

const SHAPES: [(usize, usize, usize); 7] = [
    (1, 1, 1),
    (7, 13, 5),
    (33, 784, 300),
    (1000, 784, 5),
    // Tall enough for the row-block path of the GEMM (≥ 256 rows per thread).
    (1100, 37, 19),
    // A long inner dimension into a small output: split between the threads.
    (20, 2500, 30),
    // Aᵀ·B with the short side first (axpys along n).
    (9, 3000, 32),
];

/// op(A)·op(B) (+ bias) (ReLU) of one shape on a backend.
fn matmul_on<B: Backend>(
    b: &B,
    m: usize,
    k: usize,
    n: usize,
    spec: MatmulSpec,
    bias: bool,
) -> Vec<f32> {
    let a_shape = if spec.trans_a { [k, m] } else { [m, k] };
    let b_shape = if spec.trans_b { [n, k] } else { [k, n] };
    let (a, w, c) = (
        random(m * k, 1, -1.0, 1.0),
        random(k * n, 2, -1.0, 1.0),
        random(n, 3, -1.0, 1.0),
    );
    let (bias_shape, c_shape) = ([n], [m, n]);
    let mut inputs = vec![(&a_shape[..], &a[..]), (&b_shape[..], &w[..])];
    if bias {
        inputs.push((&bias_shape[..], &c[..]));
    }
    let ops = Operands {
        inputs,
        outputs: vec![(&c_shape[..], None)],
    };
    run_op(b, &ops, &StepValues::default(), |b, i, o| {
        b.matmul(&i[0], &i[1], &o[0], i.get(2), spec)
    })
    .remove(0)
}

#[test]
fn matmul_matches_reference_in_every_variant() {
    let cpu = cpu();
    let specs = [
        (MatmulSpec::NN, true),
        (MatmulSpec::NN.with_relu(), true),
        (MatmulSpec::NN.with_relu(), false),
        (MatmulSpec::TN, false),
        (MatmulSpec::NT, false),
        (MatmulSpec::NT.with_relu(), true),
    ];
    for (m, k, n) in SHAPES {
        for (spec, bias) in specs {
            let got = matmul_on(&cpu, m, k, n, spec, bias);
            let want = matmul_on(&ReferenceBackend, m, k, n, spec, bias);
            assert_close(
                &format!("{m}x{k}x{n} {spec:?} bias {bias}"),
                &got,
                &want,
                1e-4,
            );
        }
    }
}

#[test]
fn elementwise_ops_match_reference() {
    let cpu = cpu();
    let n = 40_000; // more than one parallel chunk
    let (x, y) = (random(n, 4, -1.0, 1.0), random(n, 5, -1.0, 1.0));
    let shape = [n];
    let step = StepValues::default();
    let two = |b: usize| Operands {
        inputs: vec![(&shape[..], &x[..]), (&shape[..], &y[..])][..b].to_vec(),
        outputs: vec![(&shape[..], Some(&y[..]))],
    };
    fn check(what: &str, got: Vec<Vec<f32>>, want: Vec<Vec<f32>>) {
        assert_eq!(got, want, "{what}: exact");
    }
    check(
        "relu",
        run_op(&cpu, &two(1), &step, |b, i, o| b.relu(&i[0], &o[0])),
        run_op(&ReferenceBackend, &two(1), &step, |b, i, o| {
            b.relu(&i[0], &o[0])
        }),
    );
    check(
        "relu_backward",
        run_op(&cpu, &two(2), &step, |b, i, o| {
            b.relu_backward(&i[0], &i[1], &o[0])
        }),
        run_op(&ReferenceBackend, &two(2), &step, |b, i, o| {
            b.relu_backward(&i[0], &i[1], &o[0])
        }),
    );
    check(
        "add_assign",
        run_op(&cpu, &two(1), &step, |b, i, o| b.add_assign(&o[0], &i[0])),
        run_op(&ReferenceBackend, &two(1), &step, |b, i, o| {
            b.add_assign(&o[0], &i[0])
        }),
    );
}

/// Loss (scale 0.25) then metrics (loss scale 0.5) into slot 1 of three.
fn loss_on<B: Backend>(
    b: &B,
    kind: OutputKind,
    ops: &Operands<'_>,
    step: &StepValues,
) -> Vec<Vec<f32>> {
    run_op(b, ops, step, |b, i, o| {
        let loss = b.loss(kind, &i[0], &i[1], &o[0], &o[1], 0.25)?;
        let metrics = b.reduce_metrics(&o[1], &o[2], 0.5)?;
        b.run(&[&loss], step)?;
        Ok(metrics)
    })
}

#[test]
fn losses_and_metrics_match_reference() {
    let cpu = cpu();
    for (rows, classes) in [(1, 1), (7, 5), (1000, 5), (300, 10), (50, 20)] {
        let mut z = random(rows * classes, 6, -4.0, 4.0);
        if rows > 3 {
            z[classes..2 * classes].fill(1.5); // a tied row: argmax takes the first
        }
        let y = one_hot(rows, classes);
        let (shape, stats_shape, metrics_shape) = ([rows, classes], [rows, 2], [3, 2]);
        let start = [0.5, 1.0, 2.0, 3.0, 4.0, 5.0];
        let ops = Operands {
            inputs: vec![(&shape[..], &z[..]), (&shape[..], &y[..])],
            outputs: vec![
                (&shape[..], None),
                (&stats_shape[..], None),
                (&metrics_shape[..], Some(&start[..])),
            ],
        };
        for kind in [OutputKind::Softmax, OutputKind::Sigmoid] {
            for accumulate in [false, true] {
                let step = StepValues {
                    metrics_slot: 1,
                    accumulate_metrics: accumulate,
                    ..StepValues::default()
                };
                // f64 per row and the same sequential sums: equal to f32 rounding.
                let got = loss_on(&cpu, kind, &ops, &step);
                let want = loss_on(&ReferenceBackend, kind, &ops, &step);
                for (name, (g, w)) in ["grad", "stats", "metrics"]
                    .iter()
                    .zip(got.iter().zip(&want))
                {
                    let what = format!("{kind} {rows}x{classes} accumulate {accumulate} {name}");
                    assert_close(&what, g, w, 1e-6);
                }
                // The correct counts are exact.
                assert_eq!(
                    got[1].iter().skip(1).step_by(2).collect::<Vec<_>>(),
                    want[1].iter().skip(1).step_by(2).collect::<Vec<_>>()
                );
            }
        }
    }
}

#[test]
fn column_sum_matches_reference() {
    let cpu = cpu();
    for (rows, cols) in [(1, 1), (7, 13), (1000, 5), (2049, 300)] {
        let x = random(rows * cols, 7, -1.0, 1.0);
        let (xs, os) = ([rows, cols], [cols]);
        let ops = Operands {
            inputs: vec![(&xs[..], &x[..])],
            outputs: vec![(&os[..], None)],
        };
        let step = StepValues::default();
        let got = run_op(&cpu, &ops, &step, |b, i, o| b.column_sum(&i[0], &o[0]));
        let want = run_op(&ReferenceBackend, &ops, &step, |b, i, o| {
            b.column_sum(&i[0], &o[0])
        });
        assert_close(
            &format!("column_sum {rows}x{cols}"),
            &got[0],
            &want[0],
            1e-6,
        );
    }
}

/// Confusion counts after a clear and two accumulating runs.
fn confusion_on<B: Backend>(b: &B, z: &[f32], y: &[f32], rows: usize, k: usize) -> Vec<u32> {
    let (tz, ty) = (
        b.upload(&[rows, k], z, "z").unwrap(),
        b.upload(&[rows, k], y, "y").unwrap(),
    );
    let counts = b.index_zeros(&[k, k], "counts").unwrap();
    b.write_indices(&counts, &vec![9; k * k]).unwrap();
    let clear = b.clear_indices(&counts).unwrap();
    let add = b.confusion(&tz, &ty, &counts).unwrap();
    b.run(&[&clear, &add, &add], &StepValues::default())
        .unwrap();
    b.read_indices(&counts).unwrap()
}

#[test]
fn confusion_matches_reference() {
    let cpu = cpu();
    for (rows, k) in [(1, 1), (37, 5), (1000, 10)] {
        let mut z = random(rows * k, 8, -1.0, 1.0);
        z[..k].fill(0.0); // ties
        let y = one_hot(rows, k);
        assert_eq!(
            confusion_on(&cpu, &z, &y, rows, k),
            confusion_on(&ReferenceBackend, &z, &y, rows, k),
            "{rows}x{k}"
        );
    }
}

/// Gathers 5 rows at row offset 3 from a shard starting at global row 4.
fn gather_on<B: Backend>(b: &B, src: &[f32], index: &[u32], cols: usize) -> Vec<f32> {
    let src = b.upload(&[src.len() / cols, cols], src, "src").unwrap();
    let idx = b.index_zeros(&[index.len()], "index").unwrap();
    b.write_indices(&idx, index).unwrap();
    let out = b.upload(&[5, cols], &vec![-1.0; 5 * cols], "out").unwrap();
    let op = b.gather_rows(&src, &idx, &out, 4).unwrap();
    let step = StepValues {
        row_offset: 3,
        ..StepValues::default()
    };
    b.run(&[&op], &step).unwrap();
    b.read(&out).unwrap()
}

#[test]
fn gather_rows_matches_reference_including_shards() {
    let cpu = cpu();
    let cols = 13;
    let src = random(10 * cols, 9, -1.0, 1.0);
    // Indices below the shard (0..4), inside it (4..14) and past it.
    let index = [7, 1, 2, 13, 0, 4, 20, 9, 5];
    assert_eq!(
        gather_on(&cpu, &src, &index, cols),
        gather_on(&ReferenceBackend, &src, &index, cols)
    );
}

#[test]
fn gather_rows_refuses_a_window_past_the_index() {
    let cpu = cpu();
    let src = cpu.zeros(&[4, 2], "src").unwrap();
    let idx = cpu.index_zeros(&[4], "index").unwrap();
    let out = cpu.zeros(&[3, 2], "out").unwrap();
    let op = cpu.gather_rows(&src, &idx, &out, 0).unwrap();
    let step = StepValues {
        row_offset: 2,
        ..StepValues::default()
    };
    let err = cpu.run(&[&op], &step).unwrap_err();
    assert!(
        matches!(
            err,
            CoreError::Shape {
                op: "gather_rows",
                ..
            }
        ),
        "{err}"
    );
}

/// Three Adam steps on one parameter vector.
fn adam_on<B: Backend>(b: &B, n: usize) -> Vec<Vec<f32>> {
    let (p, g) = (random(n, 10, -1.0, 1.0), random(n, 11, -1.0, 1.0));
    let shape = [n];
    let ops = Operands {
        inputs: vec![(&shape[..], &g[..])],
        outputs: vec![
            (&shape[..], Some(&p[..])),
            (&shape[..], None),
            (&shape[..], None),
        ],
    };
    run_op(b, &ops, &StepValues::default(), |b, i, o| {
        let op = b.adam(&o[0], &i[0], &o[1], &o[2])?;
        for t in 1..=2 {
            let step = StepValues {
                adam_step: t,
                lr: 0.01 * t as f32,
                ..StepValues::default()
            };
            b.run(&[&op], &step)?;
        }
        Ok(op)
    })
}

#[test]
fn adam_matches_reference_bit_for_bit() {
    let cpu = cpu();
    for n in [1, 5, 40_000] {
        assert_eq!(adam_on(&cpu, n), adam_on(&ReferenceBackend, n), "{n}");
    }
}

#[test]
fn shape_errors_are_typed_and_name_the_op() {
    let cpu = cpu();
    let t = |s: &[usize]| cpu.zeros(s, "t").unwrap();
    let shape = |r: Result<oddeven_cpu::CpuOp, CoreError>| match r {
        Err(CoreError::Shape { op, detail }) => (op, detail),
        other => panic!("expected a shape error, got {other:?}"),
    };
    let (op, _) = shape(cpu.matmul(&t(&[2, 3]), &t(&[4, 5]), &t(&[2, 5]), None, MatmulSpec::NN));
    assert_eq!(op, "matmul");
    let (op, _) = shape(cpu.matmul(
        &t(&[2, 3]),
        &t(&[3, 5]),
        &t(&[2, 5]),
        Some(&t(&[4])),
        MatmulSpec::NN,
    ));
    assert_eq!(op, "matmul");
    assert_eq!(shape(cpu.relu(&t(&[3]), &t(&[4]))).0, "relu");
    assert_eq!(shape(cpu.column_sum(&t(&[3, 4]), &t(&[3]))).0, "column_sum");
    assert_eq!(
        shape(cpu.adam(&t(&[3]), &t(&[3]), &t(&[3]), &t(&[2]))).0,
        "adam"
    );
    let z = t(&[4, 3]);
    assert_eq!(
        shape(cpu.loss(OutputKind::Softmax, &z, &z, &t(&[4, 3]), &t(&[4]), 1.0)).0,
        "loss"
    );
    // An output that aliases an input (here through a reshape) is refused up front.
    let x = t(&[2, 6]);
    let view = cpu.reshape(&x, &[12]).unwrap();
    let (op, detail) = shape(cpu.relu(&view, &x.clone()));
    assert_eq!(op, "relu");
    assert!(detail.contains("storage"), "{detail}");
    assert!(cpu.reshape(&x, &[5]).is_err());
    // Inputs may alias each other: A·Aᵀ.
    let a = cpu
        .upload(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "a")
        .unwrap();
    let c = t(&[2, 2]);
    let op = cpu.matmul(&a, &a, &c, None, MatmulSpec::NT).unwrap();
    cpu.run(&[&op], &StepValues::default()).unwrap();
    assert_eq!(cpu.read(&c).unwrap(), vec![14.0, 32.0, 32.0, 77.0]);
    let err = cpu.write(&c, &[1.0]).unwrap_err();
    assert!(matches!(
        err,
        CoreError::DataLength {
            got: 1,
            expected: 4,
            ..
        }
    ));
}

#[test]
fn summary_names_the_cpu_threads_and_simd_level() {
    let s = cpu().summary();
    assert_eq!((s.backend.as_str(), s.device_type.as_str()), ("cpu", "cpu"));
    assert!(s.name.contains("2 threads"), "{}", s.name);
    assert!(s.name.contains(oddeven_cpu::simd_level()), "{}", s.name);
    assert!(oddeven_cpu::CpuBackend::new(Some(0)).is_err());
    assert!(cpu().max_tensor_bytes() > 1 << 30);
}
