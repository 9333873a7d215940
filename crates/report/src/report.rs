//! `report.md`: the human-readable report of a run directory.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::plots::confusion_stems;
use crate::stats::{seed_stats, MeanSd};
use crate::summary::{RunSummary, Summary, TransferSummary, STUDY_RESULTS};
use crate::ReportError;

/// File name of the report inside a run directory.
pub const REPORT_FILE: &str = "report.md";

/// Writes `dir/report.md` atomically; returns its path.
pub fn write_report(dir: &Path, summary: &Summary) -> Result<PathBuf, ReportError> {
    crate::fsutil::ensure_dir(dir)?;
    let path = dir.join(REPORT_FILE);
    crate::fsutil::write_atomic(&path, render_markdown(summary).as_bytes())?;
    Ok(path)
}

/// The Markdown text of the report (pictures are referenced by their file names).
pub fn render_markdown(s: &Summary) -> String {
    let mut md = String::new();
    // Writing into a String cannot fail.
    let _ = write_all(&mut md, s);
    md
}

fn write_all(md: &mut String, s: &Summary) -> std::fmt::Result {
    writeln!(md, "# oddeven report: {}\n", s.task)?;
    let a = &s.adapter;
    writeln!(
        md,
        "- Adapter: {} ({}, {})",
        a.name, a.backend, a.device_type
    )?;
    if s.seeds.len() > 1 {
        let seeds: Vec<String> = s.seeds.iter().map(u64::to_string).collect();
        writeln!(md, "- Seeds: {}", seeds.join(", "))?;
    } else {
        writeln!(md, "- Seed: {}", s.seeds.first().copied().unwrap_or(s.seed))?;
    }
    writeln!(md, "- Runs: {}\n", s.runs.len())?;
    runs_table(md, s)?;
    test_history_table(md, &s.runs)?;
    transfer_tables(md, &s.transfer, &s.significance)?;
    study_table(md, &s.runs)?;
    seed_table(md, s)?;
    figures(md, s)
}

fn runs_table(md: &mut String, s: &Summary) -> std::fmt::Result {
    writeln!(md, "## Runs\n")?;
    if s.runs.is_empty() {
        return writeln!(md, "No runs.\n");
    }
    let with_seed = s.runs.iter().any(|r| r.seed.is_some()) && s.seeds.len() > 1;
    let seed_head = if with_seed { " seed |" } else { "" };
    writeln!(
        md,
        "| run |{seed_head} model | dataset | init | transfer mode | epochs | batch | lr | \
         train size | test size | initial test acc | train acc | test acc | final loss | \
         seconds | ms/epoch |"
    )?;
    writeln!(md, "|{}", "---|".repeat(if with_seed { 17 } else { 16 }))?;
    for r in &s.runs {
        let seed = match (with_seed, r.seed) {
            (true, Some(v)) => format!(" {v} |"),
            (true, None) => " — |".to_string(),
            (false, _) => String::new(),
        };
        let batch = r.batch_size.map_or("full".to_string(), |b| b.to_string());
        let mode = r.transfer_mode.clone().unwrap_or_else(|| "—".to_string());
        writeln!(
            md,
            "| {} |{seed} {} | {} | {} | {mode} | {} | {batch} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&r.name),
            model(r),
            dataset(r),
            cell(&r.init),
            r.epochs,
            r.lr,
            r.train_size,
            r.test_size,
            acc(r.initial_test_accuracy),
            acc(r.train_accuracy),
            acc(r.test_accuracy),
            loss(r.final_loss),
            secs(r.train_seconds),
            r.ms_per_epoch().map_or("—".to_string(), secs),
        )?;
    }
    writeln!(md)
}

/// Test accuracy after each evaluated epoch (`--eval-every`): with few epochs, the speed of
/// learning only shows here.
fn test_history_table(md: &mut String, runs: &[RunSummary]) -> std::fmt::Result {
    let with: Vec<&RunSummary> = runs
        .iter()
        .filter(|r| !r.test_accuracy_history.is_empty())
        .collect();
    let mut epochs: Vec<usize> = with
        .iter()
        .flat_map(|r| r.test_accuracy_history.iter().map(|&(e, _)| e))
        .collect();
    epochs.sort_unstable();
    epochs.dedup();
    if with.is_empty() || epochs.len() > 40 {
        return Ok(());
    }
    writeln!(
        md,
        "### Test accuracy during training
"
    )?;
    let head: Vec<String> = epochs.iter().map(|e| format!("epoch {e}")).collect();
    writeln!(md, "| run | {} |", head.join(" | "))?;
    writeln!(md, "|---|{}", "---|".repeat(epochs.len()))?;
    for r in with {
        let cells: Vec<String> = epochs
            .iter()
            .map(|e| {
                r.test_accuracy_history
                    .iter()
                    .find(|(x, _)| x == e)
                    .map_or("—".to_string(), |&(_, a)| acc(a))
            })
            .collect();
        writeln!(md, "| {} | {} |", cell(&r.name), cells.join(" | "))?;
    }
    writeln!(md)
}

fn transfer_tables(
    md: &mut String,
    transfer: &[TransferSummary],
    summary_significance: &[crate::significance_md::SignificanceRow],
) -> std::fmt::Result {
    if transfer.is_empty() {
        return Ok(());
    }
    writeln!(md, "## Transfer\n")?;
    writeln!(
        md,
        "Jumpstart: initial accuracy of the transfer run minus that of the run from scratch. \
         Time to threshold: first epoch (and training seconds) at which the training \
         accuracy reaches the threshold. Final gain: final accuracy of the transfer run \
         minus that of the run from scratch. Verdict: McNemar's test of the two models on \
         the shared test set (α = 0.05); a negative gain alone may be noise.\n"
    )?;
    writeln!(
        md,
        "| source → target | mode | scratch run | transfer run | jumpstart | threshold | \
         epochs to threshold (scratch / transfer) | seconds to threshold (scratch / transfer) | \
         final gain | verdict (McNemar p) |"
    )?;
    writeln!(md, "|{}", "---|".repeat(10))?;
    for t in transfer {
        let e = &t.epochs_to_threshold;
        let sec = &t.seconds_to_threshold;
        writeln!(
            md,
            "| {} → {} | {} | {} | {} | {} | {} | {} / {} | {} / {} | {} | {} |",
            cell(&t.source),
            cell(&t.target),
            t.mode,
            cell(&t.scratch_run),
            cell(&t.transfer_run),
            signed(t.jumpstart),
            acc(t.threshold),
            opt(e.scratch.map(|v| v.to_string())),
            opt(e.transfer.map(|v| v.to_string())),
            opt(sec.scratch.map(secs)),
            opt(sec.transfer.map(secs)),
            signed(t.final_gain),
            t.mcnemar.as_ref().map_or_else(
                || if t.negative_transfer {
                    "negative transfer".to_string()
                } else {
                    "—".to_string()
                },
                |m| format!("{} (p = {:.3})", m.verdict, m.p_value)
            ),
        )?;
    }
    writeln!(md)?;
    if !summary_significance.is_empty() {
        writeln!(md, "### Is the difference real?\n")?;
        md.push_str(&crate::significance_md::significance_markdown(
            summary_significance,
        ));
    }

    if transfer.iter().all(|t| t.seed_stats.is_none()) {
        return Ok(());
    }
    writeln!(md, "### Transfer over seeds (mean ± sd)\n")?;
    writeln!(
        md,
        "| source → target | mode | seeds | jumpstart | epochs to threshold (scratch / transfer) | \
         seconds to threshold (scratch / transfer) | final gain | negative transfer |"
    )?;
    writeln!(md, "|{}", "---|".repeat(8))?;
    for t in transfer {
        let Some(st) = &t.seed_stats else { continue };
        let ms = |m: Option<MeanSd>, f: fn(f64) -> String| opt(m.map(|m| pm(m, f)));
        writeln!(
            md,
            "| {} → {} | {} | {} | {} | {} / {} | {} / {} | {} | {} of {} |",
            cell(&t.source),
            cell(&t.target),
            t.mode,
            st.n,
            pm(st.jumpstart, signed),
            ms(st.epochs_to_threshold.scratch, |v| format!("{v:.1}")),
            ms(st.epochs_to_threshold.transfer, |v| format!("{v:.1}")),
            ms(st.seconds_to_threshold.scratch, secs),
            ms(st.seconds_to_threshold.transfer, secs),
            pm(st.final_gain, signed),
            st.negative_transfer_count,
            st.n,
        )?;
    }
    writeln!(md)
}

fn study_table(md: &mut String, runs: &[RunSummary]) -> std::fmt::Result {
    let rows: Vec<_> = (STUDY_RESULTS.iter())
        .filter_map(|st| {
            // The study trained softmax regression and the MLP: other networks that reuse
            // a run name (the CNN recipe's transfer-odd-even) are not its runs.
            let ours: Vec<&RunSummary> = runs
                .iter()
                .filter(|r| r.name == st.run && matches!(r.model.as_str(), "mlp" | "softmax"))
                .collect();
            (!ours.is_empty()).then_some((st, ours))
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    writeln!(md, "## Study vs oddeven\n")?;
    writeln!(
        md,
        "The study reports training-set accuracy and training seconds on unknown hardware. \
         Held-out test accuracy is the number that matters; the study did not report it.\n"
    )?;
    writeln!(
        md,
        "| run | study | study train acc | oddeven train acc | oddeven test acc | \
         study seconds | oddeven seconds |"
    )?;
    writeln!(md, "|{}", "---|".repeat(7))?;
    for (st, ours) in rows {
        let mean = |f: fn(&RunSummary) -> f64| {
            seed_stats(&ours.iter().map(|r| f(r)).collect::<Vec<_>>()).mean
        };
        let name = if ours.len() > 1 {
            format!("{} (mean of {})", st.run, ours.len())
        } else {
            st.run.to_string()
        };
        writeln!(
            md,
            "| {name} | {} | {} | {} | {} | {} | {} |",
            st.description,
            acc(st.train_accuracy),
            acc(mean(|r| r.train_accuracy)),
            acc(mean(|r| r.test_accuracy)),
            secs(st.seconds),
            secs(mean(|r| r.train_seconds)),
        )?;
    }
    writeln!(md)
}

fn seed_table(md: &mut String, s: &Summary) -> std::fmt::Result {
    if s.seed_stats.is_empty() {
        return Ok(());
    }
    writeln!(md, "## Over seeds (mean ± sd)\n")?;
    writeln!(md, "| run | seeds | test acc | train acc | seconds |")?;
    writeln!(md, "|{}", "---|".repeat(5))?;
    for st in &s.seed_stats {
        writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            cell(&st.name),
            st.n,
            pm(st.test_accuracy, acc),
            pm(st.train_accuracy, acc),
            pm(st.train_seconds, secs),
        )?;
    }
    writeln!(md)
}

fn figures(md: &mut String, s: &Summary) -> std::fmt::Result {
    writeln!(md, "## Figures\n")?;
    writeln!(
        md,
        "Training loss per epoch (log scale; PNG: [loss.png](loss.png)):\n"
    )?;
    writeln!(md, "![loss](loss.svg)\n")?;
    writeln!(
        md,
        "Training accuracy per epoch, epoch 0 = initial weights \
         (PNG: [accuracy.png](accuracy.png)):\n"
    )?;
    writeln!(md, "![accuracy](accuracy.svg)\n")?;
    writeln!(
        md,
        "Training error rate (1 − accuracy) per epoch on a log axis, where the last \
         percent shows (PNG: [error.png](error.png)):\n\n![error rate](error.svg)\n"
    )?;
    if s.runs.is_empty() {
        return Ok(());
    }
    writeln!(
        md,
        "### Confusion matrices (test set; rows = true, columns = predicted)\n"
    )?;
    for (r, stem) in s.runs.iter().zip(confusion_stems(&s.runs)) {
        let label = match (s.seeds.len() > 1, r.seed) {
            (true, Some(seed)) => format!("{} (seed {seed})", r.name),
            _ => r.name.clone(),
        };
        writeln!(md, "#### {label}\n")?;
        writeln!(
            md,
            "![confusion matrix of {label}]({stem}.svg) ([PNG]({stem}.png))\n"
        )?;
    }
    Ok(())
}

/// Text safe inside a table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn model(r: &RunSummary) -> String {
    let mut parts = Vec::new();
    match (&r.layers, r.hidden) {
        // The MLP's one width says it all; other stacks show their layers.
        (_, Some(h)) if r.model == "mlp" => parts.push(format!("{h} hidden")),
        (Some(layers), _) if r.model != "softmax" => parts.push(format!("`{layers}`")),
        (None, Some(h)) => parts.push(format!("{h} hidden")),
        _ => {}
    }
    if let Some(o) = &r.output {
        parts.push(format!("{o} out"));
    }
    if parts.is_empty() {
        r.model.to_string()
    } else {
        format!("{} ({})", r.model, parts.join(", "))
    }
}

fn dataset(r: &RunSummary) -> String {
    let digits: Vec<String> = r.digits.iter().map(u8::to_string).collect();
    if digits.concat() == r.dataset || digits.is_empty() {
        cell(&r.dataset)
    } else {
        format!("{} ({})", cell(&r.dataset), digits.join(","))
    }
}

fn opt(v: Option<String>) -> String {
    v.unwrap_or_else(|| "not reached".to_string())
}

/// Accuracy: 4 decimals.
pub(crate) fn acc(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_string()
    } else {
        format!("{v:.4}")
    }
}

/// Signed difference of accuracies: 4 decimals with sign.
fn signed(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_string()
    } else {
        format!("{v:+.4}")
    }
}

/// Seconds: 2 decimals.
fn secs(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_string()
    } else {
        format!("{v:.2}")
    }
}

/// Loss: 4 decimals, or 3 significant digits in exponent form when tiny or huge.
fn loss(v: f64) -> String {
    let a = v.abs();
    if v.is_nan() {
        "NaN".to_string()
    } else if v == 0.0 || (1e-3..1e4).contains(&a) || a.is_infinite() {
        format!("{v:.4}")
    } else {
        format!("{v:.2e}")
    }
}

fn pm(m: MeanSd, f: fn(f64) -> String) -> String {
    format!("{} ± {}", f(m.mean), f(m.sd).trim_start_matches('+'))
}
