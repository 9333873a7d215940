//! Column sums, the metrics reduction, the confusion matrix and the row gather vs their
//! CPU references.

mod common;

use common::{assert_close, gpu, one_hot, random};
use oddeven_core::kernels::reduce::{column_sum, confusion, gather_rows, reduce_metrics};
use oddeven_core::kernels::{run, run_step};
use oddeven_core::{cpu, StepValues, Tensor, U32Array};

#[test]
fn column_sum_matches_reference() {
    let Some(gpu) = gpu() else { return };
    for (rows, cols) in [(1usize, 1usize), (7, 13), (28465, 5), (1001, 300)] {
        let x = random(rows * cols, rows as u64, -1.0, 1.0);
        let tx = Tensor::from_slice(&gpu, &[rows, cols], &x, "x").unwrap();
        let out = Tensor::zeros(&gpu, &[cols], "out").unwrap();
        run(&gpu, &[&column_sum(&gpu, &tx, &out).unwrap()]).unwrap();
        assert_close(
            &format!("{rows}x{cols}"),
            &out.read(&gpu).unwrap(),
            &cpu::column_sum(&x, rows, cols),
            1e-4,
        );
    }
}

#[test]
fn metrics_reduce_writes_and_accumulates_slots() {
    let Some(gpu) = gpu() else { return };
    let rows = 1000;
    let mut stats = random(2 * rows, 1, 0.0, 2.0);
    for r in 0..rows {
        stats[2 * r + 1] = (r % 3 == 0) as u32 as f32;
    }
    let ts = Tensor::from_slice(&gpu, &[rows, 2], &stats, "stats").unwrap();
    let metrics = Tensor::zeros(&gpu, &[4, 2], "metrics").unwrap();
    let reduce = reduce_metrics(&gpu, &ts, &metrics, 1.0 / rows as f32).unwrap();
    let slot = |metrics_slot, accumulate_metrics| StepValues {
        metrics_slot,
        accumulate_metrics,
        ..StepValues::default()
    };
    for step in [slot(2, false), slot(3, false), slot(3, true)] {
        run_step(&gpu, &[&reduce], &step).unwrap();
    }
    let got = metrics.read(&gpu).unwrap();
    let (loss, correct) = cpu::reduce_metrics(&stats, 1.0 / rows as f32);
    assert_eq!(&got[..4], &[0.0; 4]);
    assert_close("slot 2", &got[4..6], &[loss, correct], 1e-5);
    assert_close(
        "slot 3 accumulated",
        &got[6..8],
        &[2.0 * loss, 2.0 * correct],
        1e-5,
    );
    assert_eq!(correct, 334.0);
    assert!(reduce.check_step(&slot(4, false)).is_err());
}

#[test]
fn confusion_matches_reference() {
    let Some(gpu) = gpu() else { return };
    let (rows, k) = (5000, 5);
    let z = random(rows * k, 4, -1.0, 1.0);
    let y = one_hot(rows, k, 5);
    let tz = Tensor::from_slice(&gpu, &[rows, k], &z, "z").unwrap();
    let ty = Tensor::from_slice(&gpu, &[rows, k], &y, "y").unwrap();
    let counts = U32Array::zeros(&gpu, &[k, k], "counts").unwrap();
    run(&gpu, &[&confusion(&gpu, &tz, &ty, &counts).unwrap()]).unwrap();
    let got = counts.read(&gpu).unwrap();
    assert_eq!(got, cpu::confusion(&z, &y, k));
    assert_eq!(got.iter().sum::<u32>(), rows as u32);
}

#[test]
fn gather_rows_matches_reference() {
    let Some(gpu) = gpu() else { return };
    let (rows, cols) = (50, 7);
    let src = random(rows * cols, 8, -1.0, 1.0);
    let index: Vec<u32> = vec![49, 0, 3, 3, 17];
    let ts = Tensor::from_slice(&gpu, &[rows, cols], &src, "src").unwrap();
    let ti = U32Array::from_slice(&gpu, &[index.len()], &index, "index").unwrap();
    let out = Tensor::zeros(&gpu, &[index.len(), cols], "out").unwrap();
    let offset = |row_offset| StepValues {
        row_offset,
        ..StepValues::default()
    };
    run_step(
        &gpu,
        &[&gather_rows(&gpu, &ts, &ti, &out, 0).unwrap()],
        &offset(0),
    )
    .unwrap();
    let gathered = |index: &[u32], first_row: usize, src: &[f32], start: Vec<f32>| {
        let mut out = start;
        cpu::gather_rows(src, cols, index, first_row, &mut out);
        out
    };
    assert_eq!(
        out.read(&gpu).unwrap(),
        gathered(&index, 0, &src, vec![0.0; index.len() * cols])
    );
    let tail = Tensor::zeros(&gpu, &[2, cols], "tail").unwrap();
    let gather_tail = gather_rows(&gpu, &ts, &ti, &tail, 0).unwrap();
    run_step(&gpu, &[&gather_tail], &offset(3)).unwrap();
    assert_eq!(
        tail.read(&gpu).unwrap(),
        gathered(&index[3..], 0, &src, vec![0.0; 2 * cols])
    );
    assert!(gather_tail.check_step(&offset(4)).is_err());

    // The same rows from three shards (rows 0..20, 20..40, 40..50): each gather writes
    // the rows it holds, and together they give the unsharded result.
    let sharded = Tensor::from_slice(
        &gpu,
        &[index.len(), cols],
        &vec![-9.0; index.len() * cols],
        "out",
    )
    .unwrap();
    let mut ops = Vec::new();
    for (first, last) in [(0, 20), (20, 40), (40, 50)] {
        let shard = Tensor::from_slice(
            &gpu,
            &[last - first, cols],
            &src[first * cols..last * cols],
            "shard",
        )
        .unwrap();
        ops.push(gather_rows(&gpu, &shard, &ti, &sharded, first).unwrap());
        // One shard alone leaves the other rows as they were.
        let alone = gathered(
            &index,
            first,
            &src[first * cols..last * cols],
            vec![-9.0; index.len() * cols],
        );
        assert_eq!(alone.iter().filter(|&&v| v == -9.0).count() % cols, 0);
    }
    run_step(&gpu, &ops.iter().collect::<Vec<_>>(), &offset(0)).unwrap();
    assert_eq!(sharded.read(&gpu).unwrap(), out.read(&gpu).unwrap());
}
