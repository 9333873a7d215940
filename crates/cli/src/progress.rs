//! Per-run progress: a bar on a terminal, plain periodic lines otherwise (CI logs). It
//! only ever sees the metrics the training loop already reads back every few epochs.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};
use oddeven_models::Progress;

pub struct RunProgress {
    name: String,
    bar: Option<ProgressBar>,
}

impl RunProgress {
    /// `quiet`: no bar (training reads nothing back, so there would be nothing to show).
    pub fn new(name: &str, epochs: usize, quiet: bool) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(epochs as u64);
            let style = ProgressStyle::with_template(
                "{prefix:>22} [{bar:30}] {pos}/{len} epochs  {msg}  ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar.set_prefix(name.to_string());
            bar
        });
        RunProgress {
            name: name.to_string(),
            bar,
        }
    }

    pub fn update(&self, p: &Progress) {
        let msg = format!("loss {:.4}  train acc {:.4}", p.loss, p.train_accuracy);
        match &self.bar {
            Some(bar) => {
                bar.set_position(p.epoch as u64);
                bar.set_message(msg);
            }
            None => eprintln!(
                "[{}] epoch {}/{}  {msg}  ({:.1} s)",
                self.name, p.epoch, p.epochs, p.seconds
            ),
        }
    }

    pub fn finish(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.finish_with_message(line.to_string()),
            None => eprintln!("[{}] {line}", self.name),
        }
    }
}
