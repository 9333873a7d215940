//! Run summaries, plots and reports (work in progress).
