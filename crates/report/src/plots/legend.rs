//! The legend column and tick labels shared by the curve figures (loss,
//! accuracy, error rate).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::curves::{Curve, Line};
use super::{ellipsize, text, HPos, OrMsg, Pos, VPos};

/// The legend, drawn by hand in its own column so that any number of runs fits.
pub(super) fn draw_legend<DB: DrawingBackend>(
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
pub(super) fn fmt_tick(v: f64) -> String {
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
