//! `loss.svg/png` (log-scale training loss per epoch), `accuracy.svg/png` (training
//! accuracy from epoch 0, the initial weights, to the last epoch) and `error.svg/png`
//! (the same accuracy as an error rate, 1 − accuracy, on a log axis: the accuracy plot's
//! linear 0.1–1 axis squeezes 0.98 vs 0.99 into a few pixels, the log axis spreads the
//! last percent over decades).

use std::path::{Path, PathBuf};

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::legend::{draw_legend, fmt_tick};
use super::{colour, run_labels, text, write_figure, Figure, HPos, OrMsg, Pos, VPos, CURVE_SIZE};
use crate::summary::{RunSummary, Summary};
use crate::ReportError;

const LEGEND_WIDTH: u32 = 270;
/// Widest span of the log-scale loss axis, in decades.
const MAX_DECADES: f64 = 12.0;
/// Widest span of the log-scale error axis, in decades: rates come from counts over at
/// most some 10⁵ examples, so anything finer is float noise.
const ERROR_DECADES: f64 = 7.0;
/// Where an error of exactly 0 is drawn when no run has a nonzero error to go by.
const ZERO_ERROR: f64 = 1e-5;

/// Writes `loss.svg` and `loss.png` into `dir`.
pub fn plot_loss(dir: &Path, summary: &Summary) -> Result<Vec<PathBuf>, ReportError> {
    write_figure(dir, "loss", &Curves::new(summary, Kind::Loss))
}

/// Writes `accuracy.svg` and `accuracy.png` into `dir`.
pub fn plot_accuracy(dir: &Path, summary: &Summary) -> Result<Vec<PathBuf>, ReportError> {
    write_figure(dir, "accuracy", &Curves::new(summary, Kind::Accuracy))
}

/// Writes `error.svg` and `error.png` into `dir`: training error rate (1 − accuracy)
/// per epoch on a log axis, with the runs, colours and line styles of the accuracy plot.
pub fn plot_error(dir: &Path, summary: &Summary) -> Result<Vec<PathBuf>, ReportError> {
    write_figure(dir, "error", &Curves::new(summary, Kind::Error))
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Loss,
    Accuracy,
    Error,
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Line {
    Solid(u32),
    Dashed,
}

/// One run's curve: unbroken stretches of drawable points.
pub(super) struct Curve {
    pub(super) label: String,
    pub(super) colour: RGBColor,
    pub(super) line: Line,
    pub(super) segments: Vec<Vec<(f64, f64)>>,
}

struct Curves<'a> {
    summary: &'a Summary,
    kind: Kind,
}

impl<'a> Curves<'a> {
    fn new(summary: &'a Summary, kind: Kind) -> Self {
        Curves { summary, kind }
    }

    /// Largest epoch any run reached (at least 1, so the x axis is never empty).
    fn max_epoch(&self) -> f64 {
        let e = self.summary.runs.iter().map(|r| {
            r.loss_history
                .len()
                .max(r.train_accuracy_history.len().saturating_sub(1))
                .max(r.epochs)
        });
        e.max().unwrap_or(0).max(1) as f64
    }

    /// (epoch, value) pairs of a run, `None` where the value cannot be drawn.
    fn points(&self, run: &RunSummary, floor: f64, ceiling: f64) -> Vec<Option<(f64, f64)>> {
        match self.kind {
            // loss_history[i] is the loss of epoch i + 1. Log scale: 0 sits on the floor,
            // negative or non-finite values leave a gap.
            Kind::Loss => (run.loss_history.iter().enumerate())
                .map(|(i, &v)| {
                    let y = if v == 0.0 { floor } else { v };
                    (y.is_finite() && y > 0.0).then_some(((i + 1) as f64, y.clamp(floor, ceiling)))
                })
                .collect(),
            Kind::Accuracy => (run.train_accuracy_history.iter().enumerate())
                .map(|(i, &v)| v.is_finite().then_some((i as f64, v)))
                .collect(),
            // Same log treatment as the loss, with `floor` the place for an error of 0.
            Kind::Error => (run.train_accuracy_history.iter().enumerate())
                .map(|(i, &v)| {
                    let e = 1.0 - v;
                    let y = if e <= 0.0 { floor } else { e };
                    v.is_finite().then_some((i as f64, y.clamp(floor, ceiling)))
                })
                .collect(),
        }
    }

    fn curves(&self, floor: f64, ceiling: f64) -> Vec<Curve> {
        let scratch_baselines: Vec<&str> = (self.summary.transfer.iter())
            .map(|t| t.scratch_run.as_str())
            .collect();
        let labels = run_labels(&self.summary.runs);
        (self.summary.runs.iter().zip(labels).enumerate())
            .map(|(i, (run, label))| {
                let line = if !run.is_scratch() {
                    Line::Solid(3)
                } else if scratch_baselines.contains(&run.name.as_str()) {
                    Line::Dashed
                } else {
                    Line::Solid(2)
                };
                let mut segments = vec![Vec::new()];
                for p in self.points(run, floor, ceiling) {
                    match p {
                        Some(p) => segments.last_mut().expect("non-empty").push(p),
                        None if segments.last().is_some_and(|s| !s.is_empty()) => {
                            segments.push(Vec::new())
                        }
                        None => {}
                    }
                }
                segments.retain(|s| !s.is_empty());
                Curve {
                    label,
                    colour: colour(i),
                    line,
                    segments,
                }
            })
            .collect()
    }

    /// Log-scale y range rounded out to powers of ten, from the finite positive losses;
    /// values outside it are drawn on its edges.
    fn loss_range(&self) -> (f64, f64) {
        let vals = (self.summary.runs.iter())
            .flat_map(|r| r.loss_history.iter().copied())
            .filter(|v| v.is_finite() && *v > 0.0);
        let (lo, hi) = vals.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        if hi == 0.0 {
            return (0.01, 1.0);
        }
        // Powers of ten, at most MAX_DECADES apart and inside ±1e30: plotters lays out
        // log axes decade by decade, and a span of hundreds of decades never finishes.
        let hi_exp = hi.log10().ceil().clamp(-29.0, 30.0);
        let lo_exp = lo.log10().floor().clamp(hi_exp - MAX_DECADES, hi_exp - 1.0);
        (10f64.powf(lo_exp), 10f64.powf(hi_exp))
    }

    /// Error rates (1 − accuracy) of every finite accuracy, negatives (accuracy above 1)
    /// counted as 0.
    fn errors(&self) -> impl Iterator<Item = f64> + '_ {
        (self.summary.runs.iter())
            .flat_map(|r| r.train_accuracy_history.iter())
            .filter(|v| v.is_finite())
            .map(|v| (1.0 - v).max(0.0))
    }

    /// Log-scale y range of the error rate, in powers of ten, and where an error of 0 is
    /// drawn: half the smallest nonzero error (or [`ZERO_ERROR`] if there is none), so
    /// that a perfect epoch sits visibly below every imperfect one.
    fn error_range(&self) -> (f64, f64, f64) {
        let (lo, hi) = (self.errors())
            .filter(|e| *e > 0.0)
            .fold((f64::INFINITY, 0.0f64), |(lo, hi), e| {
                (lo.min(e), hi.max(e))
            });
        let zero_at = if hi > 0.0 { lo / 2.0 } else { ZERO_ERROR };
        let hi_exp = if hi > 0.0 {
            hi.log10().ceil().min(0.0)
        } else {
            -1.0
        };
        let lo_exp = zero_at
            .log10()
            .floor()
            .clamp(hi_exp - ERROR_DECADES, hi_exp - 1.0);
        let (lo, hi) = (10f64.powf(lo_exp), 10f64.powf(hi_exp));
        (lo, hi, zero_at.clamp(lo, hi))
    }

    /// Linear y range: from the lowest accuracy rounded down to a tenth, up to 1.
    fn accuracy_range(&self) -> (f64, f64) {
        let lo = (self.summary.runs.iter())
            .flat_map(|r| r.train_accuracy_history.iter().copied())
            .filter(|v| v.is_finite())
            .fold(1.0f64, f64::min);
        (((lo * 10.0).floor() / 10.0).clamp(0.0, 0.9), 1.0)
    }
}

impl Figure for Curves<'_> {
    fn size(&self) -> (u32, u32) {
        CURVE_SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).msg()?;
        let (w, _) = self.size();
        let (plot, legend) = root.split_horizontally(w - LEGEND_WIDTH);
        let x_max = self.max_epoch();
        let mut notes = Vec::new();
        let curves = match self.kind {
            Kind::Loss => {
                let (lo, hi) = self.loss_range();
                let curves = self.curves(lo, hi);
                // A hair below the floor so that plotters labels the floor decade too.
                let y = (lo * 0.999_999..hi).log_scale();
                let caption = "Training loss per epoch (log scale)";
                draw_chart(&plot, caption, x_max, y, "mean training loss", &curves, &[])?;
                if (self.summary.runs.iter()).any(|r| r.loss_history.contains(&0.0)) {
                    notes.push("a loss of 0 is drawn on the axis floor".to_string());
                }
                if (self.summary.runs.iter()).any(|r| r.loss_history.iter().any(|v| !v.is_finite()))
                {
                    notes.push("gaps: NaN or infinite loss".to_string());
                }
                curves
            }
            Kind::Accuracy => {
                let (lo, hi) = self.accuracy_range();
                let curves = self.curves(0.0, f64::INFINITY);
                let mut thresholds: Vec<f64> = (self.summary.transfer.iter())
                    .map(|t| t.threshold)
                    .filter(|t| t.is_finite() && *t >= lo && *t <= hi)
                    .collect();
                thresholds.sort_by(f64::total_cmp);
                thresholds.dedup();
                let thresholds: Vec<(f64, String)> = (thresholds.into_iter())
                    .map(|t| (t, format!("threshold {t:.4}")))
                    .collect();
                let caption = "Training accuracy per epoch (0 = initial weights)";
                draw_chart(
                    &plot,
                    caption,
                    x_max,
                    lo..hi,
                    "training accuracy",
                    &curves,
                    &thresholds,
                )?;
                curves
            }
            Kind::Error => {
                let (lo, hi, zero_at) = self.error_range();
                let curves = self.curves(zero_at, hi);
                // Accuracy thresholds become error levels 1 − t.
                let mut levels: Vec<(f64, String)> = (self.summary.transfer.iter())
                    .map(|t| (1.0 - t.threshold, t.threshold))
                    .filter(|(e, _)| e.is_finite() && *e >= lo && *e <= hi)
                    .map(|(e, t)| (e, format!("threshold: accuracy {t:.4}")))
                    .collect();
                levels.sort_by(|a, b| a.0.total_cmp(&b.0));
                levels.dedup_by(|a, b| a.0 == b.0);
                let caption = "Training error rate per epoch (1 − accuracy, log scale)";
                let y = (lo * 0.999_999..hi).log_scale();
                let desc = "training error rate (1 − accuracy)";
                draw_chart(&plot, caption, x_max, y, desc, &curves, &levels)?;
                if self.errors().any(|e| e == 0.0) {
                    notes.push(format!(
                        "error 0 (accuracy 1) drawn at {}",
                        fmt_tick(zero_at)
                    ));
                }
                notes.push("epoch 0 = initial weights".to_string());
                curves
            }
        };
        if curves.iter().any(|c| c.line == Line::Dashed) {
            notes.push("dashed: trained from scratch,".to_string());
            notes.push("  baseline of a transfer run".to_string());
        }
        draw_legend(&legend, &curves, &notes)
    }
}

/// Draws axes, curves and (accuracy only) threshold lines into `area`.
fn draw_chart<DB, Y>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
    x_max: f64,
    y: Y,
    y_desc: &str,
    curves: &[Curve],
    thresholds: &[(f64, String)],
) -> Result<(), String>
where
    DB: DrawingBackend,
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(area)
        .caption(caption, text(22.0, BLACK))
        .margin(14)
        .x_label_area_size(48)
        .y_label_area_size(76)
        .build_cartesian_2d(0f64..x_max, y)
        .msg()?;
    let x_labels = (x_max as usize + 1).clamp(2, 11);
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc(y_desc)
        .x_labels(x_labels)
        .y_labels(10)
        .x_label_formatter(&|v| fmt_tick(*v))
        .y_label_formatter(&|v| fmt_tick(*v))
        .label_style(text(14.0, BLACK))
        .axis_desc_style(text(16.0, BLACK))
        .light_line_style(RGBColor(238, 238, 238))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .msg()?;

    for (t, label) in thresholds {
        let (t, grey) = (*t, RGBColor(110, 110, 110));
        let style = ShapeStyle::from(&grey).stroke_width(1);
        (chart.draw_series(DashedLineSeries::new([(0.0, t), (x_max, t)], 4, 4, style))).msg()?;
        let label = Text::new(label.clone(), (x_max * 0.01, t), text(13.0, grey));
        chart.plotting_area().draw(&label).msg()?;
    }

    let mut drawn = 0usize;
    for c in curves {
        for seg in &c.segments {
            drawn += seg.len();
            let style = match c.line {
                Line::Solid(width) => ShapeStyle::from(&c.colour).stroke_width(width),
                Line::Dashed => ShapeStyle::from(&c.colour).stroke_width(2),
            };
            if seg.len() == 1 {
                let marker = Circle::new(seg[0], 4, c.colour.filled());
                chart.plotting_area().draw(&marker).msg()?;
            } else if c.line == Line::Dashed {
                let series = DashedLineSeries::new(seg.iter().copied(), 9, 6, style);
                chart.draw_series(series).msg()?;
            } else {
                chart
                    .draw_series(LineSeries::new(seg.iter().copied(), style))
                    .msg()?;
            }
        }
    }
    if drawn == 0 {
        let (w, h) = chart.plotting_area().dim_in_pixel();
        let msg = if curves.is_empty() {
            "no runs"
        } else {
            "no finite values to draw"
        };
        let style = text(18.0, RGBColor(120, 120, 120)).pos(Pos::new(HPos::Center, VPos::Center));
        let centre = chart.plotting_area().strip_coord_spec();
        centre
            .draw(&Text::new(msg, (w as i32 / 2, h as i32 / 2), style))
            .msg()?;
    }
    Ok(())
}
