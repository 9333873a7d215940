mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{fake_run, study_summary};
use oddeven_report::plots::{confusion_stems, CONFUSION_SIZE, CURVE_SIZE};
use oddeven_report::{render, render_dir, ReportError, Summary, REPORT_FILE};

/// Decodes a PNG, checks its size, and returns its RGB(A) pixels.
fn decode_png(path: &Path, size: (u32, u32)) -> (Vec<u8>, usize) {
    let bytes = std::fs::read(path).unwrap();
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is not a PNG",
        path.display()
    );
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), size, "{}", path.display());
    buf.truncate(info.buffer_size());
    (buf, info.color_type.samples())
}

/// Number of distinct colours in a pixel buffer.
fn distinct_colours(buf: &[u8], samples: usize) -> usize {
    buf.chunks(samples)
        .map(|p| p.to_vec())
        .collect::<BTreeSet<_>>()
        .len()
}

fn check_svg(path: &Path, must_contain: &[&str]) {
    // plotters puts text content on its own line: compare without line breaks.
    let svg = std::fs::read_to_string(path).unwrap().replace('\n', "");
    let head = svg.trim_start();
    assert!(
        head.starts_with("<svg") || head.starts_with("<?xml"),
        "{}",
        path.display()
    );
    assert!(svg.trim_end().ends_with("</svg>"), "{}", path.display());
    for s in must_contain {
        assert!(svg.contains(s), "{} lacks {s:?}", path.display());
    }
}

fn file_names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn study_renders_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let s = study_summary();
    let written = render(dir.path(), &s).unwrap();

    let mut expected: BTreeSet<String> = [
        "loss.svg",
        "loss.png",
        "accuracy.svg",
        "accuracy.png",
        "error.svg",
        "error.png",
        REPORT_FILE,
    ]
    .into_iter()
    .map(String::from)
    .collect();
    for r in &s.runs {
        expected.insert(format!("confusion-{}.svg", r.name));
        expected.insert(format!("confusion-{}.png", r.name));
    }
    assert_eq!(
        file_names(dir.path()),
        expected,
        "no .tmp files, nothing missing"
    );
    let returned: BTreeSet<String> = written
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(returned, expected);
    for p in &written {
        assert!(
            std::fs::metadata(p).unwrap().len() > 100,
            "{} is empty",
            p.display()
        );
    }

    let names: Vec<&str> = s.runs.iter().map(|r| r.name.as_str()).collect();
    check_svg(&dir.path().join("loss.svg"), &names);
    check_svg(&dir.path().join("accuracy.svg"), &names);
    check_svg(
        &dir.path().join("accuracy.svg"),
        &["threshold 0.9500", "epoch"],
    );
    check_svg(
        &dir.path().join("confusion-mlp-odd.svg"),
        &["mlp-odd", ">1<", ">3<", ">9<", ">1380<"],
    );
    check_svg(
        &dir.path().join("confusion-softmax-even.svg"),
        &[">0<", ">8<"],
    );

    check_svg(
        &dir.path().join("error.svg"),
        &names
            .iter()
            .copied()
            .chain(["threshold: accuracy 0.9500", "error rate"])
            .collect::<Vec<_>>(),
    );
    for stem in ["loss", "accuracy", "error"] {
        let (buf, n) = decode_png(&dir.path().join(format!("{stem}.png")), CURVE_SIZE);
        assert!(distinct_colours(&buf, n) > 20, "{stem}.png looks flat");
        // The legend column (right 270 px) holds text: dark, anti-aliased pixels.
        let w = CURVE_SIZE.0 as usize;
        let dark_in_legend = buf
            .chunks(n)
            .enumerate()
            .filter(|(i, p)| i % w > w - 250 && p[..3].iter().all(|&c| c < 60))
            .count();
        assert!(
            dark_in_legend > 200,
            "{stem}.png legend has no text ({dark_in_legend})"
        );
    }
    let (buf, n) = decode_png(&dir.path().join("confusion-mlp-odd.png"), CONFUSION_SIZE);
    assert!(distinct_colours(&buf, n) > 10);

    if let Ok(keep) = std::env::var("ODDEVEN_REPORT_DEMO_DIR") {
        render(Path::new(&keep), &s).unwrap();
    }
}

#[test]
fn report_lists_runs_transfer_and_study_table() {
    let dir = tempfile::tempdir().unwrap();
    let s = study_summary();
    render(dir.path(), &s).unwrap();
    let md = std::fs::read_to_string(dir.path().join(REPORT_FILE)).unwrap();
    assert!(md.starts_with("# oddeven report: study"));
    assert!(md.contains("llvmpipe") && md.contains("Vulkan") && md.contains("Seed: 42"));
    for r in &s.runs {
        assert!(
            md.contains(&format!("| {} |", r.name)),
            "run {} missing",
            r.name
        );
        assert!(md.contains(&format!("(confusion-{}.svg)", r.name)));
    }
    assert!(md.contains("## Study vs oddeven"));
    for value in [
        "0.9641", "16.69", "0.9804", "26.07", "0.9807", "202.24", "0.9792", "237.65",
    ] {
        assert!(md.contains(value), "study value {value} missing");
    }
    assert!(md.contains("0.9707") && md.contains("113.00") && md.contains("97.92"));
    assert!(md.contains("## Transfer"));
    assert!(md.contains("| odd → even | full | mlp-even | transfer-odd-even | +0.3500 | 0.9500 | 78 / 65 | 1.09 / not reached | -0.0012 | no significant difference (p = 0.541) |"), "{md}");
    assert!(md.contains("![loss](loss.svg)") && md.contains("![accuracy](accuracy.svg)"));
    assert!(md.contains("![error rate](error.svg)") && md.contains("(error.png)"));
    // Accuracy 4 decimals, seconds 2, ms/epoch 2.
    assert!(
        md.contains("| 0.9790 |") && md.contains("| 4.20 | 14.00 |"),
        "{md}"
    );
    assert!(!md.contains("Over seeds"));
}

#[test]
fn report_shows_seed_statistics() {
    let mut s = study_summary();
    s.seeds = vec![1, 2];
    let mut extra = s.runs[3].clone();
    extra.seed = Some(2);
    extra.test_accuracy -= 0.01;
    s.runs[3].seed = Some(1);
    s.runs.push(extra);
    s.seed_stats = oddeven_report::compute_seed_stats(&s.runs);
    let entries = [s.transfer[0].clone(), s.transfer[0].clone()];
    s.transfer[0].seed_stats = Some(oddeven_report::transfer_seed_stats(&entries));
    let md = oddeven_report::render_markdown(&s);
    assert!(md.contains("Seeds: 1, 2"));
    assert!(md.contains("## Over seeds (mean ± sd)"));
    assert!(md.contains("| mlp-odd | 2 | 0.9740 ± 0.0071 |"), "{md}");
    assert!(md.contains("mlp-odd (mean of 2)"));
    assert!(md.contains("### Transfer over seeds"));
    assert!(md.contains("0 of 2"), "{md}");

    let dir = tempfile::tempdir().unwrap();
    let written = render(dir.path(), &s).unwrap();
    let names = file_names(dir.path());
    assert!(
        names.contains("confusion-mlp-odd-s1.png") && names.contains("confusion-mlp-odd-s2.svg")
    );
    assert!(md.contains("(confusion-mlp-odd-s2.svg)"));
    assert_eq!(written.len(), names.len());
}

#[test]
fn render_dir_rerenders_from_summary_json() {
    let dir = tempfile::tempdir().unwrap();
    let s = study_summary();
    s.write_atomic(dir.path()).unwrap();
    let written = render_dir(dir.path()).unwrap();
    assert_eq!(written.len(), 6 + 2 * 6 + 1);
    assert!(dir.path().join("summary.json").exists());
    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(
        render_dir(empty.path()),
        Err(ReportError::NotARunDirectory { .. })
    ));
}

#[test]
fn unwritable_output_directory_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let err = render(&file, &study_summary()).unwrap_err();
    assert!(matches!(err, ReportError::Io { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("not-a-dir") && msg.starts_with("cannot"),
        "{msg}"
    );
}

/// Renders `s` and checks every picture exists, is an image, and nothing panicked.
fn render_ok(s: &Summary) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let written = render(dir.path(), s).unwrap();
    for p in &written {
        assert!(std::fs::metadata(p).unwrap().len() > 0, "{}", p.display());
    }
    decode_png(&dir.path().join("loss.png"), CURVE_SIZE);
    decode_png(&dir.path().join("accuracy.png"), CURVE_SIZE);
    decode_png(&dir.path().join("error.png"), CURVE_SIZE);
    for stem in confusion_stems(&s.runs) {
        let (buf, n) = decode_png(&dir.path().join(format!("{stem}.png")), CONFUSION_SIZE);
        assert!(distinct_colours(&buf, n) > 2, "{stem} is flat");
    }
    assert!(!file_names(dir.path()).iter().any(|n| n.ends_with(".tmp")));
    dir
}

fn single(run: oddeven_report::RunSummary) -> Summary {
    let mut s = study_summary();
    s.runs = vec![run];
    s.transfer.clear();
    s
}

#[test]
fn edge_zero_and_one_epoch() {
    render_ok(&single(fake_run("zero", "mlp", true, "random", 0)));
    render_ok(&single(fake_run("one", "softmax", false, "random", 1)));
    let mut s = study_summary();
    for r in &mut s.runs {
        *r = fake_run(
            &r.name.clone(),
            &r.model.clone(),
            r.dataset == "odd",
            &r.init.clone(),
            1,
        );
    }
    render_ok(&s);
}

#[test]
fn edge_zero_nan_and_infinite_losses() {
    let mut s = study_summary();
    s.runs[0].loss_history[5] = 0.0;
    s.runs[1].loss_history[10] = f64::NAN;
    s.runs[2].loss_history[11] = f64::INFINITY;
    s.runs[3].loss_history[12] = -1.0;
    s.runs[3].train_accuracy_history[3] = f64::NAN;
    s.runs[4].final_loss = f64::NAN;
    let dir = render_ok(&s);
    check_svg(
        &dir.path().join("loss.svg"),
        &["gaps: NaN or infinite loss", "axis floor"],
    );

    let mut all_zero = fake_run("zero-loss", "mlp", true, "random", 20);
    all_zero.loss_history.iter_mut().for_each(|v| *v = 0.0);
    render_ok(&single(all_zero));
    let mut all_nan = fake_run("nan-loss", "mlp", true, "random", 20);
    all_nan.loss_history.iter_mut().for_each(|v| *v = f64::NAN);
    all_nan
        .train_accuracy_history
        .iter_mut()
        .for_each(|v| *v = f64::NAN);
    let dir = render_ok(&single(all_nan));
    check_svg(&dir.path().join("loss.svg"), &["no finite values to draw"]);
    let mut huge = fake_run("huge", "mlp", true, "random", 5);
    huge.loss_history = vec![1e300, f64::MAX, 1e-300, f64::MIN_POSITIVE, 5e-324];
    render_ok(&single(huge));
}

#[test]
fn edge_many_runs_and_odd_names() {
    let mut s = study_summary();
    s.runs = (0..25)
        .map(|i| fake_run(&format!("run-{i}"), "mlp", i % 2 == 0, "random", 30))
        .collect();
    s.runs[3].name = "a/b|c d".to_string();
    s.runs[4].name = String::new();
    s.runs[5].name = "x".repeat(80);
    let dir = render_ok(&s);
    // 25 runs do not fit the legend: it ends with "… and N more".
    check_svg(&dir.path().join("loss.svg"), &["more", "run-0"]);
    assert!(dir.path().join("confusion-a_b_c_d.svg").exists());
    assert!(dir.path().join("confusion-run.svg").exists());
}

#[test]
fn edge_empty_and_ragged_confusion_matrices() {
    let mut s = study_summary();
    s.runs[0].confusion_matrix.clear();
    s.runs[1].confusion_matrix = vec![vec![]];
    s.runs[2].confusion_matrix = vec![vec![5, 1], vec![2]];
    s.runs[3].digits.clear();
    s.runs[4].confusion_matrix = (0..10)
        .map(|r| (0..10).map(|c| if r == c { 99_999 } else { 0 }).collect())
        .collect();
    let dir = render_ok(&s);
    check_svg(
        &dir.path().join("confusion-softmax-even.svg"),
        &["no confusion matrix recorded"],
    );
    check_svg(&dir.path().join("confusion-mlp-odd.svg"), &["#0", "#4"]);
}

#[test]
fn edge_no_runs_at_all() {
    let mut s = study_summary();
    s.runs.clear();
    s.transfer.clear();
    let dir = render_ok(&s);
    check_svg(&dir.path().join("loss.svg"), &["no runs"]);
    let md = std::fs::read_to_string(dir.path().join(REPORT_FILE)).unwrap();
    assert!(md.contains("No runs.") && !md.contains("Study vs oddeven"));
}

#[test]
fn per_epoch_test_accuracy_and_only_the_studys_models_beside_the_study() {
    let mut s = study_summary();
    s.runs[4].test_accuracy_history = vec![(0, 0.2), (1, 0.9512), (2, 0.98)];
    let md = oddeven_report::render_markdown(&s);
    assert!(md.contains("### Test accuracy during training"), "{md}");
    assert!(
        md.contains("| transfer-odd-even | 0.2000 | 0.9512 | 0.9800 |"),
        "{md}"
    );
    // A CNN run named like a study run is not the study's network.
    for r in &mut s.runs {
        r.model = "cnn".into();
    }
    assert!(!oddeven_report::render_markdown(&s).contains("## Study vs oddeven"));
}
