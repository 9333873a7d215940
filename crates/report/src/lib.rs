//! Outputs of an oddeven run directory: `summary.json` (machine-readable record),
//! pictures (`loss`, `accuracy`, `error` (1 − accuracy, log axis), `confusion-<run>`, each as
//! SVG and PNG) and `report.md`.
//!
//! This crate knows nothing about GPUs or training; the CLI fills a [`Summary`] and calls
//! [`Summary::write_atomic`] and [`render`], and `oddeven report DIR` re-renders an
//! existing directory with [`render_dir`].
//!
//! Every file is written atomically: first `NAME.tmp`, then renamed to `NAME`.

mod error;
mod fsutil;
pub mod plots;
pub mod report;
pub mod significance;
mod significance_md;
pub mod stats;
pub mod summary;

use std::path::{Path, PathBuf};

pub use error::ReportError;
pub use report::{render_markdown, write_report, REPORT_FILE};
pub use significance::{
    mcnemar, paired, paired_directed, verdict_from_interval, McNemar, PairedStats, Verdict,
};
pub use significance_md::{
    significance_markdown, Significance, SignificanceRow, SIGNIFICANCE_EXPLANATION,
};
pub use stats::{
    compute_seed_stats, seed_stats, transfer_seed_stats, MeanSd, SeedStats, TransferSeedStats,
};
pub use summary::{
    study_result, AdapterInfo, RunSummary, ScratchVsTransfer, StudyResult, Summary,
    TransferSummary, STUDY_RESULTS, SUMMARY_FILE,
};

/// Writes every picture and `report.md` for `summary` into `dir` (created if missing).
/// Returns the paths written: pictures first (SVG, PNG pairs), `report.md` last.
///
/// `summary.json` itself is not written here; see [`Summary::write_atomic`].
pub fn render(dir: &Path, summary: &Summary) -> Result<Vec<PathBuf>, ReportError> {
    fsutil::ensure_dir(dir)?;
    let mut out = plots::plot_all(dir, summary)?;
    out.push(write_report(dir, summary)?);
    Ok(out)
}

/// Reads `dir/summary.json` and [`render`]s it into the same directory.
pub fn render_dir(dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let summary = Summary::read(dir)?;
    render(dir, &summary)
}
