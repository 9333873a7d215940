//! Models (work in progress).
