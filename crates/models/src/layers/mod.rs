//! Layers: what a model is a list of.
//!
//! A [`LayerSpec`] is what a user writes (one token of a spec string such as
//! `conv16k5p2,relu,pool2,flatten,linear64,relu,linear`); resolving it against the shape
//! of its input gives a [`Layer`], which knows its output shape, its parameters and their
//! initialisation, and records its forward and backward ops on any [`Backend`]. Forward
//! walks the list; backward walks it in reverse (see `crate::graph`).
//!
//! A new layer type is one file here (its struct, token, shapes, init and ops), one variant
//! in [`LayerSpec`] and [`Layer`], and its ops in the backend seam.

mod conv2d;
mod flatten;
mod linear;
mod pool;
mod relu;
mod spec;

use std::fmt;

use oddeven_core::Backend;

pub use conv2d::Conv2d;
pub use flatten::Flatten;
pub use linear::Linear;
pub use pool::MaxPool2d;
pub use relu::Relu;
pub use spec::{parse_layers, LayerSpec, GRAMMAR};

use crate::error::Result;

/// The shape of one example's activation. Images are stored NHWC (height, width,
/// channels), and written [channels, height, width] as PyTorch users expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    Image { h: usize, w: usize, c: usize },
    Flat(usize),
}

impl Shape {
    /// Values per example.
    pub fn len(&self) -> usize {
        match *self {
            Shape::Image { h, w, c } => h * w * c,
            Shape::Flat(n) => n,
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The tensor shape of `rows` examples: [rows, h, w, c] or [rows, n].
    pub fn with_rows(&self, rows: usize) -> Vec<usize> {
        match *self {
            Shape::Image { h, w, c } => vec![rows, h, w, c],
            Shape::Flat(n) => vec![rows, n],
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Shape::Image { h, w, c } => write!(f, "[{c}, {h}, {w}]"),
            Shape::Flat(n) => write!(f, "[{n}]"),
        }
    }
}

/// Shapes of a layer's parameters: weight and bias, initialised uniform in ±1/√fan_in
/// (PyTorch's default for Linear and Conv2d).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamShapes {
    pub weight: Vec<usize>,
    pub bias: usize,
    pub fan_in: usize,
}

impl ParamShapes {
    pub fn weight_len(&self) -> usize {
        self.weight.iter().product()
    }
}

/// A layer resolved against its input shape.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Layer {
    Linear(Linear),
    Relu(Relu),
    Conv2d(Conv2d),
    MaxPool2d(MaxPool2d),
    Flatten(Flatten),
}

/// A layer's weight and bias: host values, or tensors on a backend (parameters,
/// gradients or Adam moments).
#[derive(Debug, Clone, PartialEq)]
pub struct WeightBias<T> {
    pub weight: T,
    pub bias: T,
}

/// What a layer's forward pass leaves for its backward pass.
pub struct ForwardOut<B: Backend> {
    pub output: B::Tensor,
    /// Max-pool's argmax indices.
    pub saved: Option<B::Indices>,
}

/// Everything a layer's backward pass reads.
pub struct BackwardIn<'a, B: Backend> {
    pub input: &'a B::Tensor,
    pub output: &'a B::Tensor,
    pub grad_output: &'a B::Tensor,
    pub params: Option<&'a WeightBias<B::Tensor>>,
    /// Where the parameter gradients go (None: a frozen layer, or one without parameters).
    pub grads: Option<&'a WeightBias<B::Tensor>>,
    pub saved: Option<&'a B::Indices>,
    /// Some trained layer lies before this one, so the input's gradient is needed.
    pub need_input_grad: bool,
}

/// Ops recorded so far, on one backend.
pub struct Recorder<'b, B: Backend> {
    pub backend: &'b B,
    pub ops: Vec<B::Op>,
}

impl<'b, B: Backend> Recorder<'b, B> {
    pub fn new(backend: &'b B) -> Self {
        Recorder {
            backend,
            ops: Vec::new(),
        }
    }
    pub fn push(&mut self, op: B::Op) {
        self.ops.push(op);
    }
}

impl Layer {
    /// The output shape for this layer's input shape.
    pub fn output_shape(&self) -> Shape {
        match self {
            Layer::Linear(l) => Shape::Flat(l.fan_out),
            Layer::Relu(l) => l.shape,
            Layer::Conv2d(l) => l.output_shape(),
            Layer::MaxPool2d(l) => l.output_shape(),
            Layer::Flatten(l) => Shape::Flat(l.input.len()),
        }
    }

    /// Parameter shapes, for layers that have parameters.
    pub fn params(&self) -> Option<ParamShapes> {
        match self {
            Layer::Linear(l) => Some(l.params()),
            Layer::Conv2d(l) => Some(l.params()),
            _ => None,
        }
    }

    /// The canonical spec-string token (`linear300`, `conv32k3p1`, …).
    pub fn token(&self) -> String {
        self.spec().to_string()
    }

    /// The spec this layer was resolved from (with every size explicit).
    pub fn spec(&self) -> LayerSpec {
        match self {
            Layer::Linear(l) => LayerSpec::Linear {
                out: Some(l.fan_out),
            },
            Layer::Relu(_) => LayerSpec::Relu,
            Layer::Conv2d(l) => LayerSpec::Conv2d {
                out_channels: l.out_channels,
                kernel: l.kernel,
                stride: l.stride,
                padding: l.padding,
            },
            Layer::MaxPool2d(l) => LayerSpec::MaxPool2d {
                size: l.size,
                stride: l.stride,
            },
            Layer::Flatten(_) => LayerSpec::Flatten,
        }
    }

    /// Linear and Conv2d can apply a following ReLU in their GEMM epilogue.
    pub fn can_fuse_relu(&self) -> bool {
        matches!(self, Layer::Linear(_) | Layer::Conv2d(_))
    }

    /// Bytes of every tensor one example needs in this layer's forward and backward pass
    /// beyond its input (output, gradients, scratch such as im2col matrices), largest
    /// first; for checking sizes against the device before anything is allocated.
    pub fn bytes_per_example(&self) -> Vec<u64> {
        let out = self.output_shape().len() as u64 * 4;
        let mut v = match self {
            Layer::Conv2d(l) => vec![l.cols_per_example() as u64 * 4, out, out],
            Layer::MaxPool2d(_) => vec![out, out, out],
            Layer::Flatten(_) => vec![],
            _ => vec![out, out],
        };
        v.sort_unstable_by(|a, b| b.cmp(a));
        v
    }

    /// Records the forward pass of `rows` examples; `fuse_relu` applies a ReLU in the
    /// epilogue (the following ReLU layer then records nothing).
    pub fn forward<B: Backend>(
        &self,
        rec: &mut Recorder<'_, B>,
        input: &B::Tensor,
        rows: usize,
        params: Option<&WeightBias<B::Tensor>>,
        fuse_relu: bool,
    ) -> Result<ForwardOut<B>> {
        match self {
            Layer::Linear(l) => l.forward(rec, input, rows, need(params)?, fuse_relu),
            Layer::Relu(l) => l.forward(rec, input, rows),
            Layer::Conv2d(l) => l.forward(rec, input, rows, need(params)?, fuse_relu),
            Layer::MaxPool2d(l) => l.forward(rec, input, rows),
            Layer::Flatten(l) => l.forward(rec, input, rows),
        }
    }

    /// Records the backward pass: parameter gradients into `io.grads` (if given) and the
    /// input's gradient when `io.need_input_grad`, which it returns.
    pub fn backward<B: Backend>(
        &self,
        rec: &mut Recorder<'_, B>,
        rows: usize,
        io: BackwardIn<'_, B>,
    ) -> Result<Option<B::Tensor>> {
        match self {
            Layer::Linear(l) => l.backward(rec, rows, io),
            Layer::Relu(l) => l.backward(rec, rows, io),
            Layer::Conv2d(l) => l.backward(rec, rows, io),
            Layer::MaxPool2d(l) => l.backward(rec, rows, io),
            Layer::Flatten(l) => l.backward(rec, rows, io),
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.token())
    }
}

fn need<T>(params: Option<&WeightBias<T>>) -> Result<&WeightBias<T>> {
    params.ok_or_else(|| crate::error::invalid("layer", "a layer with parameters got none"))
}
