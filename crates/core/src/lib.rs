//! GPU core (work in progress).
