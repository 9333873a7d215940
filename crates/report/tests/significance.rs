//! The transfer statistics against values computed by hand (derivations in
//! the comments), not against the implementation's own formulas.

use oddeven_report::{
    mcnemar, paired, paired_directed, significance_markdown, McNemar, PairedStats, Significance,
    SignificanceRow, Verdict, SIGNIFICANCE_EXPLANATION,
};

fn assert_close(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, want {want} (±{tol})"
    );
}

/// Differences [0.01, 0.02, −0.005, 0.015, 0.0], n = 5:
///   mean = 0.04 / 5 = 0.008
///   deviations 0.002, 0.012, −0.013, 0.007, −0.008; squares (×1e-6)
///   4 + 144 + 169 + 49 + 64 = 430, so ss = 4.30e-4
///   sd = √(4.30e-4 / 4) = √1.075e-4 = 0.0103682
///   se = sd / √5 = 0.0046368
///   t = 0.008 / 0.0046368 = 1.72532, df = 4
///   t(0.975, 4) = 2.7764 (t table), half-width 2.7764 · 0.0046368 = 0.0128738
///   CI = [0.008 − 0.0128738, 0.008 + 0.0128738] = [−0.0048738, 0.0208738]
///   p: for 4 degrees of freedom the t CDF has the closed form
///   F(t) = ½ + (3/8)·u·(1 − t²/(12(1 + t²/4))) with u = t/√(1 + t²/4);
///   t² = 2.97672, 1 + t²/4 = 1.74418, u = 1.30640, bracket = 0.85778,
///   F = 0.5 + 0.375 · 1.30640 · 0.85778 = 0.92022, p = 2(1 − F) = 0.15955.
/// The interval contains 0: no significant difference.
#[test]
fn paired_t_by_hand() {
    let s = paired(&[0.01, 0.02, -0.005, 0.015, 0.0]);
    assert_eq!((s.n, s.df), (5, 4));
    assert_close("mean", s.mean, 0.008, 1e-12);
    assert_close("sd", s.sd, 0.0103682, 1e-7);
    assert_close("t", s.t, 1.72532, 1e-5);
    assert_close("ci low", s.ci95.0, -0.0048738, 1e-7);
    assert_close("ci high", s.ci95.1, 0.0208738, 1e-7);
    assert_close("p", s.p_value, 0.15955, 1e-5);
    assert_eq!(s.test, "paired t-test");
    assert_eq!(s.verdict, Verdict::NoSignificantDifference);
    assert!(s.note.is_none());
}

/// Differences [1, 3], n = 2: mean 2, sd √2, se = √2/√2 = 1, t = 2, df = 1.
/// With one degree of freedom t is Cauchy: p = 1 − (2/π)·atan(2) = 0.295167,
/// and t(0.975, 1) = tan(0.475π) = 12.7062, so CI = [2 − 12.7062, 2 + 12.7062].
#[test]
fn paired_t_one_degree_of_freedom() {
    let s = paired(&[1.0, 3.0]);
    assert_close("t", s.t, 2.0, 1e-12);
    assert_close("p", s.p_value, 0.295167, 1e-6);
    assert_close("ci low", s.ci95.0, -10.7062, 1e-4);
    assert_close("ci high", s.ci95.1, 14.7062, 1e-4);
}

/// Five seeds, all gains positive and close: [0.010, 0.012, 0.011, 0.009, 0.013]
/// mean 0.011, deviations −1, 1, 0, −2, 2 (×1e-3), ss = 1e-5, sd = √2.5e-6
/// = 0.00158114, se = 0.000707107, t = 15.5563; CI = 0.011 ± 2.7764·0.000707107
/// = [0.0090368, 0.0129632] excludes 0: positive. Negated: negative; and for
/// a lower-is-better measure (epochs to threshold) the signs swap.
#[test]
fn consistent_gains_are_significant() {
    let gains = [0.010, 0.012, 0.011, 0.009, 0.013];
    let s = paired(&gains);
    assert_close("t", s.t, 15.5563, 1e-4);
    assert_close("ci low", s.ci95.0, 0.0090368, 1e-7);
    assert!(s.p_value < 0.001, "{}", s.p_value);
    assert_eq!(s.verdict, Verdict::Positive);
    let losses: Vec<f64> = gains.iter().map(|g| -g).collect();
    assert_eq!(paired(&losses).verdict, Verdict::Negative);
    let fewer_epochs = paired_directed(&losses, false);
    assert_eq!(fewer_epochs.verdict, Verdict::Positive);
    assert!(!fewer_epochs.higher_is_better);
}

#[test]
fn degenerate_inputs_say_why() {
    let none = paired(&[]);
    assert!(none.mean.is_nan() && none.p_value.is_nan());
    assert_eq!(none.verdict, Verdict::NoSignificantDifference);

    let one = paired(&[0.02]);
    assert_eq!((one.n, one.mean), (1, 0.02));
    assert!(one.sd.is_nan() && one.ci95.0.is_nan() && one.t.is_nan());
    assert!(one.note.as_deref().unwrap().contains("McNemar"));
    assert_eq!(one.verdict, Verdict::NoSignificantDifference);

    let zeros = paired(&[0.0, 0.0, 0.0]);
    assert_eq!((zeros.sd, zeros.ci95), (0.0, (0.0, 0.0)));
    assert!(
        zeros.t.is_nan() && zeros.p_value.is_nan(),
        "no division by 0"
    );
    assert!(zeros.note.as_deref().unwrap().contains("sd 0"));
    assert_eq!(zeros.verdict, Verdict::NoSignificantDifference);

    // Equal but non-zero: the interval is the single value, which excludes 0.
    let same = paired(&[0.1, 0.1]);
    assert_eq!((same.sd, same.mean, same.ci95), (0.0, 0.1, (0.1, 0.1)));
    assert_eq!(same.verdict, Verdict::Positive);

    let nan = paired(&[0.01, f64::NAN, 0.02]);
    assert!(nan.mean.is_nan() && nan.sd.is_nan() && nan.p_value.is_nan());
    assert!(nan.note.as_deref().unwrap().contains("1 of the 3"));
    assert_eq!(nan.verdict, Verdict::NoSignificantDifference);
    assert!(paired(&[f64::INFINITY, 1.0]).mean.is_nan());
}

/// b = 10, c = 2: 12 discordant < 25, exact. X ~ Bin(12, ½):
/// P(X ≤ 2) = (C(12,0) + C(12,1) + C(12,2)) / 2¹² = (1 + 12 + 66) / 4096,
/// p = 2 · 79 / 4096 = 0.0385742. Scratch won more often: negative.
#[test]
fn mcnemar_exact_by_hand() {
    let m = mcnemar(10, 2);
    assert_close("p", m.p_value, 158.0 / 4096.0, 1e-15);
    assert_close("p", m.p_value, 0.0385742, 1e-7);
    assert_eq!(m.statistic, 2.0);
    assert!(m.method.contains("exact binomial"), "{}", m.method);
    assert_eq!(m.verdict, Verdict::Negative);
    assert_eq!(mcnemar(2, 10).verdict, Verdict::Positive);
    assert_eq!(mcnemar(2, 10).p_value, m.p_value);

    // b = 6, c = 2: P(X ≤ 2 | 8) = (1 + 8 + 28)/256, p = 74/256 = 0.2890625.
    let m = mcnemar(6, 2);
    assert_close("p", m.p_value, 0.2890625, 1e-15);
    assert_eq!(m.verdict, Verdict::NoSignificantDifference);
    // Equal counts: the doubled tail exceeds 1 and is capped.
    assert_eq!(mcnemar(5, 5).p_value, 1.0);
    let none = mcnemar(0, 0);
    assert_eq!(
        (none.p_value, none.verdict),
        (1.0, Verdict::NoSignificantDifference)
    );
}

/// b = 30, c = 15: 45 ≥ 25, chi-square with continuity correction:
/// χ² = (|30 − 15| − 1)² / 45 = 196 / 45 = 4.35556; with one degree of
/// freedom p = erfc(√(χ²/2)) = erfc(1.47573) = 0.036888 (table: χ²₁ = 3.841
/// at 0.05, 5.024 at 0.025, so 0.025 < p < 0.05).
#[test]
fn mcnemar_chi_square_by_hand() {
    let m = mcnemar(30, 15);
    assert_close("chi2", m.statistic, 196.0 / 45.0, 1e-12);
    assert_close("p", m.p_value, 0.036888, 1e-6);
    assert!(m.method.contains("continuity correction"), "{}", m.method);
    assert_eq!(m.verdict, Verdict::Negative);
    // 24 discordant is still exact, 25 is chi-square.
    assert!(mcnemar(12, 12).method.contains("exact"));
    assert!(mcnemar(13, 12).method.contains("chi-square"));
    // |b − c| = 1: the corrected statistic is 0, p = 1.
    assert_eq!(mcnemar(13, 12).p_value, 1.0);
}

#[test]
fn results_round_trip_through_json_with_nan_as_null() {
    let one = paired(&[0.02]);
    let json = serde_json::to_string(&one).unwrap();
    assert!(json.contains("\"sd\":null") && json.contains("\"ci95\":[null,null]"));
    let back: PairedStats = serde_json::from_str(&json).unwrap();
    assert!(back.sd.is_nan() && back.ci95.1.is_nan() && back.mean == 0.02);
    assert_eq!(back.note, one.note);
    let full = paired(&[0.01, 0.02, -0.005, 0.015, 0.0]);
    let back: PairedStats = serde_json::from_str(&serde_json::to_string(&full).unwrap()).unwrap();
    assert_eq!(back, full);
    assert!(serde_json::to_string(&full.verdict).unwrap() == "\"no-significant-difference\"");
    let m = mcnemar(10, 2);
    let back: McNemar = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
    assert_eq!(back, m);
}

#[test]
fn markdown_has_the_sentence_both_tables_and_notes() {
    assert_eq!(significance_markdown(&[]), "");
    let row = |comparison: &str, measure: &str, result| SignificanceRow {
        comparison: comparison.to_string(),
        measure: measure.to_string(),
        result,
    };
    let rows = [
        row(
            "odd → even",
            "final gain",
            Significance::Paired(paired(&[0.01, 0.02, -0.005, 0.015, 0.0])),
        ),
        row(
            "odd → even",
            "jumpstart",
            Significance::Paired(paired(&[0.0, 0.0])),
        ),
        row(
            "even → odd",
            "test accuracy",
            Significance::Mcnemar(mcnemar(6, 2)),
        ),
        row(
            "a|b",
            "test accuracy",
            Significance::Mcnemar(mcnemar(10, 2)),
        ),
    ];
    assert_eq!(rows[3].result.verdict(), Verdict::Negative);
    let md = significance_markdown(&rows);
    assert!(md.starts_with(SIGNIFICANCE_EXPLANATION), "{md}");
    assert!(SIGNIFICANCE_EXPLANATION.contains("excludes 0"));
    for line in [
        "| odd → even | final gain | 5 | +0.0080 ± 0.0104 | [-0.0049, +0.0209] | 1.73 (4) | 0.1596 | no significant difference |",
        "| odd → even | jumpstart | 2 | +0.0000 ± 0.0000 | [+0.0000, +0.0000] | n/a (1) | n/a | no significant difference |",
        "| even → odd | test accuracy | 6 | 2 | exact binomial test (fewer than 25 discordant examples) | 2.00 | 0.2891 | within noise |",
        "| a\\|b | test accuracy | 10 | 2 |",
        "- odd → even, jumpstart: all 2 differences are equal (sd 0)",
    ] {
        assert!(md.contains(line), "missing {line:?} in\n{md}");
    }
    assert!(md.contains("| 0.0386 | negative transfer |"), "{md}");
    assert!(md.ends_with("\n\n"));
}
