//! MNIST data (work in progress).
