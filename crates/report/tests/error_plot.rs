//! `error.svg/png`: training error rate (1 − accuracy) on a log axis, with perfect
//! epochs, NaN and out-of-range accuracies.

mod common;

use std::path::Path;

use common::{fake_run, study_summary};
use oddeven_report::plots::{plot_all, plot_error, CURVE_SIZE};
use oddeven_report::Summary;

/// Opens `path` as a PNG, checks its size and that it is not one flat colour.
fn check_png(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), CURVE_SIZE, "{}", path.display());
    buf.truncate(info.buffer_size());
    let first = &buf[..3];
    assert!(
        buf.chunks(info.color_type.samples())
            .any(|p| &p[..3] != first),
        "{} is one flat colour",
        path.display()
    );
}

fn svg_text(path: &Path) -> String {
    let svg = std::fs::read_to_string(path).unwrap().replace('\n', "");
    assert!(svg.trim_end().ends_with("</svg>"), "{}", path.display());
    svg
}

fn single(run: oddeven_report::RunSummary) -> Summary {
    let mut s = study_summary();
    s.runs = vec![run];
    s.transfer.clear();
    s
}

#[test]
fn error_plot_is_written_with_the_other_pictures() {
    let dir = tempfile::tempdir().unwrap();
    let written = plot_all(dir.path(), &study_summary()).unwrap();
    for name in ["error.svg", "error.png"] {
        assert!(written.contains(&dir.path().join(name)), "{name} missing");
    }
    check_png(&dir.path().join("error.png"));
    let svg = svg_text(&dir.path().join("error.svg"));
    for needle in [
        "1 − accuracy",
        "mlp-odd",
        "threshold: accuracy 0.9500",
        "0.001",
    ] {
        assert!(svg.contains(needle), "error.svg lacks {needle:?}");
    }
}

#[test]
fn perfect_epochs_sit_below_every_imperfect_one() {
    let mut run = fake_run("perfect", "mlp", true, "random", 30);
    // Errors 0.5, 0.02, 0.004, then 0 (accuracy 1) and edge values.
    run.train_accuracy_history[..4].copy_from_slice(&[0.5, 0.98, 0.996, 1.0]);
    run.train_accuracy_history[5] = f64::NAN;
    run.train_accuracy_history[6] = 1.0 + 1e-12;
    let dir = tempfile::tempdir().unwrap();
    plot_error(dir.path(), &single(run)).unwrap();
    check_png(&dir.path().join("error.png"));
    let svg = svg_text(&dir.path().join("error.svg"));
    assert!(
        svg.contains("error 0 (accuracy 1) drawn at"),
        "no zero note"
    );
}

#[test]
fn all_perfect_or_all_nan_still_renders() {
    let mut perfect = fake_run("all-perfect", "mlp", true, "random", 10);
    perfect.train_accuracy_history.fill(1.0);
    let dir = tempfile::tempdir().unwrap();
    plot_error(dir.path(), &single(perfect)).unwrap();
    check_png(&dir.path().join("error.png"));
    assert!(svg_text(&dir.path().join("error.svg")).contains("drawn at 1e-5"));

    let mut nan = fake_run("all-nan", "mlp", true, "random", 10);
    nan.train_accuracy_history.fill(f64::NAN);
    let dir = tempfile::tempdir().unwrap();
    plot_error(dir.path(), &single(nan)).unwrap();
    check_png(&dir.path().join("error.png"));
    assert!(svg_text(&dir.path().join("error.svg")).contains("no finite values to draw"));

    let mut tiny = fake_run("tiny", "mlp", true, "random", 10);
    tiny.train_accuracy_history = vec![0.0, 1.0 - 1e-15, 1.0 - 1e-9, 1.0];
    let dir = tempfile::tempdir().unwrap();
    plot_error(dir.path(), &single(tiny)).unwrap();
    check_png(&dir.path().join("error.png"));
}
