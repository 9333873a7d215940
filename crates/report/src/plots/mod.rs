//! Pictures of a run directory: loss, accuracy and error-rate curves, one confusion matrix
//! per run.
//!
//! Every picture is written twice, as SVG and as PNG, each atomically. PNG text is
//! rasterised with an embedded DejaVu Sans (no system fonts needed); SVG text is left
//! to the viewer.

mod confusion;
mod curves;
mod legend;

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
pub(crate) use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::fsutil::write_atomic;
use crate::summary::{RunSummary, Summary};
use crate::ReportError;

pub use confusion::plot_confusion;
pub use curves::{plot_accuracy, plot_error, plot_loss};

/// Pixel size of `loss.png`, `accuracy.png` and `error.png` (and the SVG view box).
pub const CURVE_SIZE: (u32, u32) = (1100, 640);
/// Pixel size of each `confusion-<run>.png`.
pub const CONFUSION_SIZE: (u32, u32) = (640, 660);

/// The font every piece of text uses.
pub(crate) const FONT: &str = "sans-serif";
static FONT_BYTES: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// Registers the embedded DejaVu Sans with plotters (once per process).
pub(crate) fn ensure_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for family in [FONT, "serif", "monospace"] {
            // The embedded file is a valid TrueType font; a test checks that text renders.
            let _ = plotters::style::register_font(family, FontStyle::Normal, FONT_BYTES);
        }
    });
}

/// Writes every picture for `summary` into `dir`: loss, accuracy, error rate and one
/// confusion matrix per run. Returns the paths written (SVG and PNG of each).
pub fn plot_all(dir: &Path, summary: &Summary) -> Result<Vec<PathBuf>, ReportError> {
    let mut out = plot_loss(dir, summary)?;
    out.extend(plot_accuracy(dir, summary)?);
    out.extend(plot_error(dir, summary)?);
    for (run, stem) in summary.runs.iter().zip(confusion_stems(&summary.runs)) {
        out.extend(plot_confusion(dir, run, &stem)?);
    }
    Ok(out)
}

/// File stems (`confusion-<run>`) of the confusion pictures, one per run, in run order.
///
/// Characters other than letters, digits, `.`, `_` and `-` become `_`; runs that share a
/// name (several seeds) get `-s<seed>` (or `-<index>`) appended so that no two collide.
pub fn confusion_stems(runs: &[RunSummary]) -> Vec<String> {
    let clean = |s: &str| -> String {
        let c: String = s
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if c.is_empty() || c.chars().all(|c| c == '.') {
            "run".to_string()
        } else {
            c
        }
    };
    let mut out: Vec<String> = Vec::with_capacity(runs.len());
    for (i, run) in runs.iter().enumerate() {
        let base = clean(&run.name);
        let shared = runs.iter().filter(|r| clean(&r.name) == base).count() > 1;
        let mut stem = match (shared, run.seed) {
            (false, _) => format!("confusion-{base}"),
            (true, Some(seed)) => format!("confusion-{base}-s{seed}"),
            (true, None) => format!("confusion-{base}-{i}"),
        };
        let mut k = 2;
        while out.contains(&stem) {
            stem = format!("confusion-{base}-{i}-{k}");
            k += 1;
        }
        out.push(stem);
    }
    out
}

/// Legend labels: the run name, plus its seed where several runs share the name.
pub(crate) fn run_labels(runs: &[RunSummary]) -> Vec<String> {
    runs.iter()
        .enumerate()
        .map(|(i, r)| {
            if runs.iter().filter(|o| o.name == r.name).count() > 1 {
                match r.seed {
                    Some(s) => format!("{} (seed {s})", r.name),
                    None => format!("{} #{}", r.name, i + 1),
                }
            } else {
                r.name.clone()
            }
        })
        .collect()
}

/// Distinct colours for curves; they cycle when there are more runs.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

pub(crate) fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Turns any displayable error into the message of a plot error.
pub(crate) trait OrMsg<T> {
    fn msg(self) -> Result<T, String>;
}

impl<T, E: std::fmt::Display> OrMsg<T> for Result<T, E> {
    fn msg(self) -> Result<T, String> {
        self.map_err(|e| e.to_string())
    }
}

/// A picture that can be drawn on any plotters backend.
pub(crate) trait Figure {
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// Draws `fig` as `dir/<stem>.svg` and `dir/<stem>.png`; returns both paths.
pub(crate) fn write_figure<F: Figure>(
    dir: &Path,
    stem: &str,
    fig: &F,
) -> Result<Vec<PathBuf>, ReportError> {
    ensure_font();
    crate::fsutil::ensure_dir(dir)?;
    let (w, h) = fig.size();

    let svg_path = dir.join(format!("{stem}.svg"));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        fig.draw(&root)
            .and_then(|()| root.present().msg())
            .map_err(|m| ReportError::plot(&svg_path, m))?;
    }
    write_atomic(&svg_path, svg.as_bytes())?;

    let png_path = dir.join(format!("{stem}.png"));
    let mut rgb = vec![255u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        fig.draw(&root)
            .and_then(|()| root.present().msg())
            .map_err(|m| ReportError::plot(&png_path, m))?;
    }
    let png = encode_png(&rgb, w, h).map_err(|m| ReportError::plot(&png_path, m))?;
    write_atomic(&png_path, &png)?;
    Ok(vec![svg_path, png_path])
}

/// Encodes an 8-bit RGB buffer as PNG.
fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().msg()?;
        writer.write_image_data(rgb).msg()?;
        writer.finish().msg()?;
    }
    Ok(out)
}

/// A text style in the embedded font.
pub(crate) fn text(size: f64, colour: RGBColor) -> TextStyle<'static> {
    TextStyle {
        font: (FONT, size).into_font(),
        color: colour.to_backend_color(),
        pos: Pos::new(HPos::Left, VPos::Top),
    }
}

/// Shortens `s` to at most `max` characters, ending in "…" when cut.
pub(crate) fn ellipsize(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}
