//! What a model is: an input shape, an ordered list of layers and an output kind.
//!
//! [`Architecture`] is what `--model` names — a preset (`softmax`, `mlp`, `cnn`) or a
//! spec string — before the class count is known; [`Architecture::resolve`] fixes every
//! shape and gives a [`ModelSpec`].

use std::fmt;
use std::str::FromStr;

use oddeven_core::kernels::loss::OutputKind;

use crate::error::{invalid, ModelError, Result};
use crate::layers::{parse_layers, Layer, LayerSpec, ParamShapes, Shape};

/// The shape of an MNIST image: 28×28, one channel.
pub const MNIST_INPUT: Shape = Shape::Image { h: 28, w: 28, c: 1 };

/// Hidden units of the `mlp` preset unless `--hidden` says otherwise (the study's).
pub const DEFAULT_HIDDEN: usize = 300;

/// A network before its class count is known.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Architecture {
    name: String,
    layers: Vec<LayerSpec>,
}

impl Architecture {
    /// Softmax regression: [flatten, linear].
    pub fn softmax() -> Self {
        Architecture {
            name: "softmax".into(),
            layers: vec![LayerSpec::Flatten, LayerSpec::Linear { out: None }],
        }
    }

    /// The study's network: [flatten, linear(hidden), relu, linear].
    pub fn mlp(hidden: usize) -> Self {
        Architecture {
            name: "mlp".into(),
            layers: vec![
                LayerSpec::Flatten,
                LayerSpec::Linear { out: Some(hidden) },
                LayerSpec::Relu,
                LayerSpec::Linear { out: None },
            ],
        }
    }

    /// conv 1→32 3×3 pad 1, ReLU, max-pool 2, conv 32→64 3×3 pad 1, ReLU, max-pool 2,
    /// flatten, linear 128, ReLU, linear.
    pub fn cnn() -> Self {
        let conv = |out_channels| LayerSpec::Conv2d {
            out_channels,
            kernel: 3,
            stride: 1,
            padding: 1,
        };
        let pool = LayerSpec::MaxPool2d { size: 2, stride: 2 };
        Architecture {
            name: "cnn".into(),
            layers: vec![
                conv(32),
                LayerSpec::Relu,
                pool,
                conv(64),
                LayerSpec::Relu,
                pool,
                LayerSpec::Flatten,
                LayerSpec::Linear { out: Some(128) },
                LayerSpec::Relu,
                LayerSpec::Linear { out: None },
            ],
        }
    }

    /// A preset name (`softmax`, `mlp` with `hidden` units, `cnn`) or a spec string
    /// (named `custom`).
    pub fn parse(value: &str, hidden: usize) -> Result<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "softmax" => Ok(Self::softmax()),
            "mlp" => Ok(Self::mlp(hidden)),
            "cnn" => Ok(Self::cnn()),
            _ => Ok(Architecture {
                name: "custom".into(),
                layers: parse_layers(value)?,
            }),
        }
    }

    /// The same layers under another name (a checkpoint keeps the name it was saved with).
    pub fn renamed(mut self, name: &str) -> Self {
        self.name = name.to_string();
        self
    }

    /// `softmax`, `mlp`, `cnn` or `custom`: the prefix of run names.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn layers(&self) -> &[LayerSpec] {
        &self.layers
    }

    /// Every shape fixed for `input` images and `classes` outputs.
    pub fn resolve(&self, input: Shape, classes: usize, output: OutputKind) -> Result<ModelSpec> {
        if classes == 0 {
            return Err(invalid("model", "the data has no classes"));
        }
        match self.layers.last() {
            Some(LayerSpec::Linear { .. }) => {}
            _ => {
                return Err(ModelError::Spec {
                    spec: self.to_string(),
                    detail: "the last layer must be the output layer, a bare `linear`".into(),
                })
            }
        }
        let mut shape = input;
        let mut layers = Vec::with_capacity(self.layers.len());
        for (i, spec) in self.layers.iter().enumerate() {
            let layer = spec.resolve(shape, classes, i + 1, i + 1 == self.layers.len())?;
            shape = layer.output_shape();
            if shape.is_empty() {
                return Err(ModelError::Shape {
                    layer: format!("layer {} ({spec})", i + 1),
                    detail: "its output is empty".into(),
                });
            }
            layers.push(layer);
        }
        Ok(ModelSpec {
            name: self.name.clone(),
            input,
            layers,
            output,
        })
    }
}

impl FromStr for Architecture {
    type Err = ModelError;
    /// As [`Architecture::parse`] with the default hidden width.
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s, DEFAULT_HIDDEN)
    }
}

impl fmt::Display for Architecture {
    /// The spec string: `flatten,linear300,relu,linear`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tokens: Vec<String> = self.layers.iter().map(|l| l.to_string()).collect();
        f.write_str(&tokens.join(","))
    }
}

/// A model with every shape fixed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModelSpec {
    /// The architecture's name (`softmax`, `mlp`, `cnn`, `custom`).
    pub name: String,
    /// One example's shape (MNIST: [1, 28, 28]).
    pub input: Shape,
    pub layers: Vec<Layer>,
    pub output: OutputKind,
}

impl ModelSpec {
    /// Outputs of the last layer.
    pub fn classes(&self) -> usize {
        self.layers.last().map_or(0, |l| l.output_shape().len())
    }

    /// The layer list as a spec string with every size explicit
    /// (`flatten,linear300,relu,linear5`): what checkpoints store.
    pub fn layer_string(&self) -> String {
        let tokens: Vec<String> = self.layers.iter().map(Layer::token).collect();
        tokens.join(",")
    }

    /// (layer index, parameter shapes) of the layers that have parameters.
    pub fn param_layers(&self) -> Vec<(usize, ParamShapes)> {
        self.layers
            .iter()
            .enumerate()
            .filter_map(|(i, l)| l.params().map(|p| (i, p)))
            .collect()
    }

    /// Trained values in the whole model.
    pub fn param_count(&self) -> usize {
        self.param_layers()
            .iter()
            .map(|(_, p)| p.weight_len() + p.bias)
            .sum()
    }

    /// Index of the output layer (always a Linear: see [`Architecture::resolve`]).
    pub fn head(&self) -> usize {
        self.layers.len() - 1
    }

    /// `fused[i]`: layer i applies the ReLU that follows it in its epilogue.
    pub fn fused_relu(&self) -> Vec<bool> {
        (0..self.layers.len())
            .map(|i| {
                self.layers[i].can_fuse_relu()
                    && matches!(self.layers.get(i + 1), Some(Layer::Relu(_)))
            })
            .collect()
    }

    /// Same input, layers and output kind (the name does not matter).
    pub fn same_network(&self, other: &ModelSpec) -> bool {
        self.input == other.input && self.layers == other.layers && self.output == other.output
    }

    /// Multiply-adds of one forward pass per example.
    pub fn macs_per_example(&self) -> usize {
        self.layers
            .iter()
            .map(|l| match l {
                Layer::Linear(l) => l.fan_in * l.fan_out,
                Layer::Conv2d(c) => {
                    let g = c.geometry(1);
                    g.out_pixels() * g.patch_len() * g.out_c
                }
                _ => 0,
            })
            .sum()
    }
}

impl fmt::Display for ModelSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} → {} ({} output)",
            self.name,
            self.input,
            self.layer_string(),
            self.output
        )
    }
}
