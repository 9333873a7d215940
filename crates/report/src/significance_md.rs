//! The significance section of `report.md`: one sentence on the method, a
//! table of paired statistics over seeds, a table of McNemar tests for single
//! seeds, and notes on anything undefined.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::significance::{McNemar, PairedStats, Verdict};

/// The sentence that explains how verdicts are reached; [`significance_markdown`]
/// starts with it.
pub const SIGNIFICANCE_EXPLANATION: &str = "Transfer is called positive or negative only when \
    the 95 % confidence interval of the paired difference (transfer − scratch over seeds, \
    same seed and split; Student's t, with the paired t-test's two-sided p) excludes 0; with \
    one seed, McNemar's test on the shared test set decides, at α = 0.05 (exact binomial test \
    below 25 examples where the models disagree, else chi-square with continuity correction); \
    anything else is reported as no significant difference.";

/// The test behind one row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Significance {
    /// Several seeds: statistics of the paired differences.
    Paired(PairedStats),
    /// One seed: McNemar's test on the shared test set.
    Mcnemar(McNemar),
}

impl Significance {
    pub fn verdict(&self) -> Verdict {
        match self {
            Significance::Paired(p) => p.verdict,
            Significance::Mcnemar(m) => m.verdict,
        }
    }
}

/// One measured comparison of a transfer run against its scratch baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignificanceRow {
    /// Which comparison, e.g. "odd → even" or "transfer-odd-even vs mlp-even".
    pub comparison: String,
    /// Which measure, e.g. "final gain", "jumpstart", "test accuracy".
    pub measure: String,
    pub result: Significance,
}

/// Markdown for `rows`: [`SIGNIFICANCE_EXPLANATION`], then a table of the
/// paired rows, a table of the McNemar rows (each only if there are any), then
/// one bullet per note. Empty for no rows. Ends with a blank line.
pub fn significance_markdown(rows: &[SignificanceRow]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let mut md = format!("{SIGNIFICANCE_EXPLANATION}\n\n");
    let paired: Vec<(&SignificanceRow, &PairedStats)> = (rows.iter())
        .filter_map(|r| match &r.result {
            Significance::Paired(p) => Some((r, p)),
            Significance::Mcnemar(_) => None,
        })
        .collect();
    let single: Vec<(&SignificanceRow, &McNemar)> = (rows.iter())
        .filter_map(|r| match &r.result {
            Significance::Mcnemar(m) => Some((r, m)),
            Significance::Paired(_) => None,
        })
        .collect();
    if !paired.is_empty() {
        md.push_str(
            "| comparison | measure | seeds | mean ± sd | 95 % CI | t (df) | p | verdict |\n\
             |---|---|---:|---|---|---|---:|---|\n",
        );
        for (r, p) in &paired {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} ± {} | [{}, {}] | {} ({}) | {} | {} |",
                cell(&r.comparison),
                cell(&r.measure),
                p.n,
                signed(p.mean),
                plain(p.sd),
                signed(p.ci95.0),
                signed(p.ci95.1),
                plain(p.t),
                p.df,
                p_value(p.p_value),
                p.verdict,
            );
        }
        md.push('\n');
    }
    if !single.is_empty() {
        md.push_str(
            "| comparison | measure | only scratch right (b) | only transfer right (c) \
             | test | statistic | p | verdict |\n\
             |---|---|---:|---:|---|---:|---:|---|\n",
        );
        for (r, m) in &single {
            let verdict = match m.verdict {
                Verdict::NoSignificantDifference => "within noise",
                v => v.label(),
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                cell(&r.comparison),
                cell(&r.measure),
                m.b,
                m.c,
                cell(&m.method),
                plain(m.statistic),
                p_value(m.p_value),
                verdict,
            );
        }
        md.push('\n');
    }
    let notes: Vec<String> = (paired.iter())
        .filter_map(|(r, p)| {
            let note = p.note.as_deref()?;
            Some(format!("- {}, {}: {note}\n", r.comparison, r.measure))
        })
        .collect();
    if !notes.is_empty() {
        md.extend(notes);
        md.push('\n');
    }
    md
}

/// A table cell: pipes escaped, line breaks flattened.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// Differences carry a sign so that the direction is visible at a glance.
fn signed(v: f64) -> String {
    if v.is_nan() {
        "n/a".to_string()
    } else if v.abs() >= 1.0 {
        format!("{v:+.2}")
    } else {
        format!("{v:+.4}")
    }
}

fn plain(v: f64) -> String {
    if v.is_nan() {
        "n/a".to_string()
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}

fn p_value(p: f64) -> String {
    if p.is_nan() {
        "n/a".to_string()
    } else if p < 1e-4 {
        "< 0.0001".to_string()
    } else {
        format!("{p:.4}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formats() {
        assert_eq!(signed(0.008), "+0.0080");
        assert_eq!(signed(-12.5), "-12.50");
        assert_eq!(signed(f64::NAN), "n/a");
        assert_eq!(plain(1.7253), "1.73");
        assert_eq!(p_value(0.0385742), "0.0386");
        assert_eq!(p_value(1e-9), "< 0.0001");
        assert_eq!(cell("a|b\nc"), "a\\|b c");
    }
}
