//! Is a transfer effect real or noise? Paired statistics over seeds, and
//! McNemar's test for a single seed.
//!
//! With several seeds, every seed trains a scratch and a transfer model on
//! the same split, so the per-seed differences (transfer − scratch) are
//! paired: [`paired`] gives their mean ± sd, a 95 % confidence interval from
//! Student's t and the paired t-test. With one seed there is nothing to
//! average, but both models answered the same test examples: [`mcnemar`]
//! asks whether the examples only one of them got right lean to one side
//! more than chance would.
//!
//! A verdict of positive or negative transfer needs the interval to exclude 0
//! (several seeds) or McNemar's p < 0.05 (one seed); anything else is "no
//! significant difference". Undefined quantities (one seed, all differences
//! equal, NaN inputs) are NaN, written as `null` in JSON, with a note that
//! says why.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF, StudentsT};

/// Significance level of every verdict.
pub const ALPHA: f64 = 0.05;

/// Below this many discordant examples McNemar uses the exact binomial test.
pub const MCNEMAR_EXACT_BELOW: u64 = 25;

/// What a comparison of transfer against scratch concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Transfer is better, beyond noise.
    Positive,
    /// Transfer is worse, beyond noise.
    Negative,
    /// The data cannot tell the two apart (or there is too little data).
    NoSignificantDifference,
}

impl Verdict {
    /// "positive transfer", "negative transfer" or "no significant difference".
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Positive => "positive transfer",
            Verdict::Negative => "negative transfer",
            Verdict::NoSignificantDifference => "no significant difference",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Paired statistics of per-seed differences (transfer − scratch).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairedStats {
    /// Number of differences (seeds).
    pub n: usize,
    #[serde(deserialize_with = "nan_if_null")]
    pub mean: f64,
    /// Sample standard deviation (divisor n − 1).
    #[serde(deserialize_with = "nan_if_null")]
    pub sd: f64,
    /// 95 % confidence interval of the mean difference: mean ± t(0.975, n−1)·sd/√n.
    #[serde(deserialize_with = "pair_nan_if_null")]
    pub ci95: (f64, f64),
    /// mean / (sd/√n).
    #[serde(deserialize_with = "nan_if_null")]
    pub t: f64,
    /// Degrees of freedom, n − 1.
    pub df: usize,
    /// Two-sided p-value of the paired t-test.
    #[serde(deserialize_with = "nan_if_null")]
    pub p_value: f64,
    /// Always "paired t-test".
    pub test: String,
    /// Whether a larger difference means better transfer (accuracy gains)
    /// or a smaller one does (epochs or seconds to a threshold).
    pub higher_is_better: bool,
    pub verdict: Verdict,
    /// Why something is undefined (one seed, all differences equal, NaN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// NaN is written as `null` by serde_json; read it back as NaN.
fn nan_if_null<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

fn pair_nan_if_null<'de, D: Deserializer<'de>>(d: D) -> Result<(f64, f64), D::Error> {
    let (a, b) = <(Option<f64>, Option<f64>)>::deserialize(d)?;
    Ok((a.unwrap_or(f64::NAN), b.unwrap_or(f64::NAN)))
}

/// [`paired_directed`] for measures where higher is better (jumpstart,
/// final gain, accuracy differences).
pub fn paired(differences: &[f64]) -> PairedStats {
    paired_directed(differences, true)
}

/// Mean ± sd of the paired `differences` (transfer − scratch, one per seed),
/// the 95 % confidence interval of their mean from Student's t with n − 1
/// degrees of freedom, and the two-sided p-value of the paired t-test.
///
/// The verdict is positive or negative only when the interval excludes 0;
/// `higher_is_better` says which side is the good one. Edge cases, each
/// explained in `note`: fewer than two differences (no sd, interval or test:
/// use [`mcnemar`] for one seed); all differences equal (sd 0: no t or p, and
/// the interval is the single value); any NaN or infinite difference (all
/// statistics NaN, since a diverged seed must not vanish from the average).
pub fn paired_directed(differences: &[f64], higher_is_better: bool) -> PairedStats {
    let n = differences.len();
    let mut s = PairedStats {
        n,
        mean: f64::NAN,
        sd: f64::NAN,
        ci95: (f64::NAN, f64::NAN),
        t: f64::NAN,
        df: n.saturating_sub(1),
        p_value: f64::NAN,
        test: "paired t-test".to_string(),
        higher_is_better,
        verdict: Verdict::NoSignificantDifference,
        note: None,
    };
    let bad = differences.iter().filter(|d| !d.is_finite()).count();
    if bad > 0 {
        s.note = Some(format!(
            "{bad} of the {n} differences are NaN or infinite (a diverged run?); no statistics"
        ));
        return s;
    }
    if n == 0 {
        s.note = Some("no seeds".to_string());
        return s;
    }
    s.mean = differences.iter().sum::<f64>() / n as f64;
    if n == 1 {
        s.note = Some(
            "one seed: no spread, interval or t-test (McNemar's test compares a single seed)"
                .to_string(),
        );
        return s;
    }
    let ss: f64 = differences.iter().map(|d| (d - s.mean).powi(2)).sum();
    s.sd = (ss / (n - 1) as f64).sqrt();
    // Exactly equal differences can still leave rounding noise in `ss`.
    let all_equal = differences.iter().all(|&d| d == differences[0]);
    if all_equal || s.sd == 0.0 {
        s.sd = 0.0;
        s.mean = differences[0];
        s.ci95 = (s.mean, s.mean);
        s.note = Some(format!(
            "all {n} differences are equal (sd 0): no t statistic or p-value; \
             the interval is the single value"
        ));
    } else {
        let se = s.sd / (n as f64).sqrt();
        s.t = s.mean / se;
        // n ≥ 2, so df ≥ 1 and the distribution exists.
        if let Ok(dist) = StudentsT::new(0.0, 1.0, s.df as f64) {
            let half = dist.inverse_cdf(0.975) * se;
            s.ci95 = (s.mean - half, s.mean + half);
            s.p_value = (2.0 * dist.sf(s.t.abs())).min(1.0);
        }
    }
    s.verdict = verdict_from_interval(s.ci95, higher_is_better);
    s
}

/// Positive or negative only when the interval lies wholly on one side of 0
/// (a NaN bound never does).
pub fn verdict_from_interval(ci: (f64, f64), higher_is_better: bool) -> Verdict {
    let (good, bad) = if higher_is_better {
        (Verdict::Positive, Verdict::Negative)
    } else {
        (Verdict::Negative, Verdict::Positive)
    };
    if ci.0 > 0.0 {
        good
    } else if ci.1 < 0.0 {
        bad
    } else {
        Verdict::NoSignificantDifference
    }
}

/// McNemar's test of two models on the same test examples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct McNemar {
    /// Examples the scratch model got right and the transfer model wrong.
    pub b: u64,
    /// Examples the transfer model got right and the scratch model wrong.
    pub c: u64,
    /// Exact test: min(b, c); chi-square: (|b − c| − 1)² / (b + c).
    pub statistic: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Which test was used, in words.
    pub method: String,
    /// Positive (c > b) or negative (b > c) transfer at p < [`ALPHA`],
    /// otherwise no significant difference ("within noise").
    pub verdict: Verdict,
}

/// McNemar's test for one seed. `b`: test examples the scratch model got
/// right and the transfer model wrong; `c`: the reverse. Examples both got
/// right or both got wrong say nothing about which is better.
///
/// Below [`MCNEMAR_EXACT_BELOW`] discordant examples the exact two-sided
/// binomial test: p = min(1, 2·P(X ≤ min(b, c))) with X ~ Binomial(b + c, ½).
/// Otherwise the chi-square test with continuity correction:
/// χ² = (|b − c| − 1)² / (b + c) on one degree of freedom.
pub fn mcnemar(b: u64, c: u64) -> McNemar {
    let n = b + c;
    let (statistic, p_value, method) = if n < MCNEMAR_EXACT_BELOW {
        let k = b.min(c);
        // n < 25: every term is an exact integer well inside f64's range.
        let tail: f64 = (0..=k).map(|i| binomial(n, i)).sum::<f64>() / 2f64.powi(n as i32);
        let method = if n == 0 {
            "exact binomial test (no examples where the models disagree)"
        } else {
            "exact binomial test (fewer than 25 discordant examples)"
        };
        (k as f64, (2.0 * tail).min(1.0), method)
    } else {
        let diff = (b.abs_diff(c) as f64 - 1.0).max(0.0);
        let chi2 = diff * diff / n as f64;
        let p = ChiSquared::new(1.0).map_or(f64::NAN, |d| d.sf(chi2));
        (chi2, p, "chi-square test with continuity correction")
    };
    let verdict = if p_value < ALPHA && c > b {
        Verdict::Positive
    } else if p_value < ALPHA && b > c {
        Verdict::Negative
    } else {
        Verdict::NoSignificantDifference
    };
    McNemar {
        b,
        c,
        statistic,
        p_value,
        method: method.to_string(),
        verdict,
    }
}

/// C(n, k) as f64, exact for the small n used here.
fn binomial(n: u64, k: u64) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binomial_coefficients() {
        assert_eq!(binomial(12, 0), 1.0);
        assert_eq!(binomial(12, 2), 66.0);
        assert_eq!(binomial(24, 12), 2_704_156.0);
    }

    #[test]
    fn interval_verdicts_respect_direction() {
        use Verdict::*;
        assert_eq!(verdict_from_interval((0.001, 0.01), true), Positive);
        assert_eq!(verdict_from_interval((-0.01, -0.001), true), Negative);
        assert_eq!(
            verdict_from_interval((-0.01, 0.01), true),
            NoSignificantDifference
        );
        assert_eq!(
            verdict_from_interval((0.0, 0.01), true),
            NoSignificantDifference
        );
        assert_eq!(verdict_from_interval((-5.0, -1.0), false), Positive);
        assert_eq!(
            verdict_from_interval((f64::NAN, 1.0), true),
            NoSignificantDifference
        );
    }
}
