//! `loss.svg/png` (log-scale training loss per epoch) and `accuracy.svg/png` (training
//! accuracy from epoch 0, the initial weights, to the last epoch).

use std::path::{Path, PathBuf};

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    colour, ellipsize, run_labels, text, write_figure, Figure, HPos, OrMsg, Pos, VPos, CURVE_SIZE,
};
use crate::summary::{RunSummary, Summary};
use crate::ReportError;

const LEGEND_WIDTH: u32 = 270;
/// Widest span of the log-scale loss axis, in decades.
const MAX_DECADES: f64 = 12.0;

/// Writes `loss.svg` and `loss.png` into `dir`.
pub fn plot_loss(dir: &Path, summary: &Summary) -> Result<Vec<PathBuf>, ReportError> {
    write_figure(dir, "loss", &Curves::new(summary, Kind::Loss))
}

/// Writes `accuracy.svg` and `accuracy.png` into `dir`.
pub fn plot_accuracy(dir: &Path, summary: &Summary) -> Result<Vec<PathBuf>, ReportError> {
    write_figure(dir, "accuracy", &Curves::new(summary, Kind::Accuracy))
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Loss,
    Accuracy,
}

#[derive(Clone, Copy, PartialEq)]
enum Line {
    Solid(u32),
    Dashed,
}

/// One run's curve: unbroken stretches of drawable points.
struct Curve {
    label: String,
    colour: RGBColor,
    line: Line,
    segments: Vec<Vec<(f64, f64)>>,
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
    thresholds: &[f64],
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

    for &t in thresholds {
        let grey = RGBColor(110, 110, 110);
        let style = ShapeStyle::from(&grey).stroke_width(1);
        (chart.draw_series(DashedLineSeries::new([(0.0, t), (x_max, t)], 4, 4, style))).msg()?;
        let label = Text::new(
            format!("threshold {t:.4}"),
            (x_max * 0.01, t),
            text(13.0, grey),
        );
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

/// The legend, drawn by hand in its own column so that any number of runs fits.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    curves: &[Curve],
    notes: &[String],
) -> Result<(), String> {
    let (_, h) = area.dim_in_pixel();
    let row = 22i32;
    let top = 56i32;
    let note_rows = notes.len() as i32 + 1;
    let capacity = ((h as i32 - top - 20 - note_rows * 18) / row).max(1) as usize;
    let shown = if curves.len() > capacity {
        capacity - 1
    } else {
        curves.len()
    };
    area.draw(&Text::new("runs", (10, top - 28), text(16.0, BLACK)))
        .msg()?;
    let mut y = top;
    for c in &curves[..shown] {
        let mid = y + row / 2;
        let (x0, x1) = (10, 48);
        match c.line {
            Line::Solid(w) => {
                let style = ShapeStyle::from(&c.colour).stroke_width(w);
                area.draw(&PathElement::new(vec![(x0, mid), (x1, mid)], style))
                    .msg()?;
            }
            Line::Dashed => {
                let style = ShapeStyle::from(&c.colour).stroke_width(2);
                for x in (x0..x1).step_by(14) {
                    area.draw(&PathElement::new(
                        vec![(x, mid), ((x + 8).min(x1), mid)],
                        style,
                    ))
                    .msg()?;
                }
            }
        }
        let style = text(14.0, BLACK).pos(Pos::new(HPos::Left, VPos::Center));
        area.draw(&Text::new(ellipsize(&c.label, 28), (x1 + 8, mid), style))
            .msg()?;
        y += row;
    }
    if shown < curves.len() {
        let more = format!("… and {} more", curves.len() - shown);
        let style = text(14.0, BLACK).pos(Pos::new(HPos::Left, VPos::Center));
        area.draw(&Text::new(more, (10, y + row / 2), style))
            .msg()?;
        y += row;
    }
    y += 12;
    for note in notes {
        area.draw(&Text::new(
            note.as_str(),
            (10, y),
            text(12.0, RGBColor(90, 90, 90)),
        ))
        .msg()?;
        y += 18;
    }
    Ok(())
}

/// Tick labels: integers without decimals, small or large numbers in exponent form.
fn fmt_tick(v: f64) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    let a = v.abs();
    if !(1e-3..1e5).contains(&a) {
        return format!("{v:.0e}");
    }
    if (v - v.round()).abs() < 1e-9 {
        return format!("{v:.0}");
    }
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
