//! `confusion-<run>.svg/png`: a heat map of the test-set confusion matrix, rows = true
//! digit, columns = predicted digit, the count written in every cell. The colour of a
//! cell is its share of the row (the recall of that true digit on the diagonal).

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{ellipsize, text, write_figure, Figure, HPos, OrMsg, Pos, VPos, CONFUSION_SIZE};
use crate::summary::RunSummary;
use crate::ReportError;

/// Writes `<stem>.svg` and `<stem>.png` (stem from [`super::confusion_stems`]) into `dir`.
pub fn plot_confusion(
    dir: &Path,
    run: &RunSummary,
    stem: &str,
) -> Result<Vec<PathBuf>, ReportError> {
    write_figure(dir, stem, &Confusion { run })
}

struct Confusion<'a> {
    run: &'a RunSummary,
}

impl Confusion<'_> {
    /// Label of class `i`: its digit when known, else the class index.
    fn label(&self, i: usize) -> String {
        match self.run.digits.get(i) {
            Some(d) => d.to_string(),
            None => format!("#{i}"),
        }
    }
}

/// White for 0, dark blue for 1.
fn shade(f: f64) -> RGBColor {
    let f = if f.is_finite() {
        f.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let lerp = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
    RGBColor(lerp(247, 8), lerp(251, 48), lerp(255, 107))
}

impl Figure for Confusion<'_> {
    fn size(&self) -> (u32, u32) {
        CONFUSION_SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).msg()?;
        let (w, h) = self.size();
        let (w, h) = (w as i32, h as i32);
        let m = &self.run.confusion_matrix;
        let centred =
            |size: f64, c: RGBColor| text(size, c).pos(Pos::new(HPos::Center, VPos::Center));

        let title = format!("Confusion matrix: {}", ellipsize(&self.run.name, 36));
        root.draw(&Text::new(title, (w / 2, 22), centred(21.0, BLACK)))
            .msg()?;
        let total: u64 = m.iter().flatten().sum();
        let sub = format!(
            "test set, {total} images; rows = true digit, columns = predicted; colour = share of row"
        );
        root.draw(&Text::new(
            sub,
            (w / 2, 48),
            centred(13.0, RGBColor(80, 80, 80)),
        ))
        .msg()?;

        let rows = m.len();
        let cols = m.iter().map(Vec::len).max().unwrap_or(0);
        if rows == 0 || cols == 0 {
            let msg = "no confusion matrix recorded";
            root.draw(&Text::new(
                msg,
                (w / 2, h / 2),
                centred(18.0, RGBColor(120, 120, 120)),
            ))
            .msg()?;
            return Ok(());
        }

        // Grid placement: room on the left for the row labels, above for the column labels.
        let (left, top, right, bottom) = (96, 118, 24, 24);
        let cell = ((w - left - right) / cols as i32)
            .min((h - top - bottom) / rows as i32)
            .max(4);
        let grid_w = cell * cols as i32;
        let grid_h = cell * rows as i32;
        let x0 = left + (w - left - right - grid_w) / 2;
        let y0 = top;

        let axis = RGBColor(40, 40, 40);
        let header = format!("predicted digit ({} classes)", cols);
        root.draw(&Text::new(
            header,
            (x0 + grid_w / 2, top - 44),
            centred(15.0, axis),
        ))
        .msg()?;
        let true_label = text(15.0, axis)
            .transform(FontTransform::Rotate270)
            .pos(Pos::new(HPos::Center, VPos::Center));
        root.draw(&Text::new(
            "true digit",
            (x0 - 58, y0 + grid_h / 2),
            true_label,
        ))
        .msg()?;

        let label_size = (cell as f64 * 0.45).clamp(8.0, 17.0);
        for c in 0..cols {
            let pos = (x0 + c as i32 * cell + cell / 2, top - 16);
            root.draw(&Text::new(self.label(c), pos, centred(label_size, BLACK)))
                .msg()?;
        }
        for r in 0..rows {
            let pos = (x0 - 22, y0 + r as i32 * cell + cell / 2);
            root.draw(&Text::new(self.label(r), pos, centred(label_size, BLACK)))
                .msg()?;
        }

        let count_size = (cell as f64 * 0.3).clamp(6.0, 16.0);
        for (r, row) in m.iter().enumerate() {
            let row_sum: u64 = row.iter().sum();
            for c in 0..cols {
                let count = row.get(c).copied().unwrap_or(0);
                let share = if row_sum == 0 {
                    0.0
                } else {
                    count as f64 / row_sum as f64
                };
                let (cx, cy) = (x0 + c as i32 * cell, y0 + r as i32 * cell);
                let fill = shade(share).filled();
                root.draw(&Rectangle::new([(cx, cy), (cx + cell, cy + cell)], fill))
                    .msg()?;
                let border = RGBColor(200, 200, 200);
                root.draw(&Rectangle::new([(cx, cy), (cx + cell, cy + cell)], border))
                    .msg()?;
                let ink = if share > 0.5 { WHITE } else { BLACK };
                let centre = (cx + cell / 2, cy + cell / 2);
                root.draw(&Text::new(
                    count.to_string(),
                    centre,
                    centred(count_size, ink),
                ))
                .msg()?;
            }
        }
        let frame = [(x0, y0), (x0 + grid_w, y0 + grid_h)];
        root.draw(&Rectangle::new(frame, axis.stroke_width(2)))
            .msg()?;
        Ok(())
    }
}
