//! What a model is: its kind, layer sizes and output layer, and its seeded initial
//! parameters.

use std::fmt;
use std::str::FromStr;

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{invalid, ModelError, Result};

/// Softmax regression (one linear layer) or the one-hidden-layer MLP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    Softmax,
    Mlp,
}

/// The output layer and its loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    /// Softmax + cross-entropy.
    Softmax,
    /// One sigmoid per class + binary cross-entropy on one-hot targets (the study's).
    Sigmoid,
}

impl ModelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Softmax => "softmax",
            ModelKind::Mlp => "mlp",
        }
    }
}

impl OutputKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OutputKind::Softmax => "softmax",
            OutputKind::Sigmoid => "sigmoid",
        }
    }
}

impl FromStr for ModelKind {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "softmax" => Ok(ModelKind::Softmax),
            "mlp" => Ok(ModelKind::Mlp),
            _ => Err(invalid(
                "model kind",
                format!("{s:?}: expected softmax or mlp"),
            )),
        }
    }
}

impl FromStr for OutputKind {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "softmax" => Ok(OutputKind::Softmax),
            "sigmoid" => Ok(OutputKind::Sigmoid),
            _ => Err(invalid(
                "output layer",
                format!("{s:?}: expected softmax or sigmoid"),
            )),
        }
    }
}

/// Shape of a model. `hidden` is ignored for softmax regression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelSpec {
    pub kind: ModelKind,
    pub inputs: usize,
    pub hidden: usize,
    pub classes: usize,
    pub output: OutputKind,
}

impl ModelSpec {
    pub fn softmax(inputs: usize, classes: usize) -> Self {
        ModelSpec {
            kind: ModelKind::Softmax,
            inputs,
            hidden: 0,
            classes,
            output: OutputKind::Softmax,
        }
    }

    pub fn mlp(inputs: usize, hidden: usize, classes: usize, output: OutputKind) -> Self {
        ModelSpec {
            kind: ModelKind::Mlp,
            inputs,
            hidden,
            classes,
            output,
        }
    }

    /// (fan_in, fan_out) of each linear layer, input to output.
    pub fn layers(&self) -> Vec<(usize, usize)> {
        match self.kind {
            ModelKind::Softmax => vec![(self.inputs, self.classes)],
            ModelKind::Mlp => vec![(self.inputs, self.hidden), (self.hidden, self.classes)],
        }
    }

    pub fn validate(&self) -> Result<()> {
        if self.inputs == 0 || self.classes == 0 {
            return Err(invalid(
                "model shape",
                format!("{self}: inputs and classes must be positive"),
            ));
        }
        if self.kind == ModelKind::Mlp && self.hidden == 0 {
            return Err(invalid(
                "--hidden",
                "the MLP needs at least one hidden unit",
            ));
        }
        Ok(())
    }

    /// Multiply-adds of one forward pass per example (for GFLOP/s reports).
    pub fn macs_per_example(&self) -> usize {
        self.layers().iter().map(|(i, o)| i * o).sum()
    }
}

impl fmt::Display for ModelSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ModelKind::Softmax => write!(f, "softmax {}→{}", self.inputs, self.classes),
            ModelKind::Mlp => write!(
                f,
                "mlp {}→{} ReLU→{} {}",
                self.inputs,
                self.hidden,
                self.classes,
                self.output.as_str()
            ),
        }
    }
}

/// One linear layer's parameters on the host: weight [fan_in, fan_out] row-major (so the
/// forward pass is X·W), bias [fan_out].
#[derive(Debug, Clone, PartialEq)]
pub struct Linear {
    pub fan_in: usize,
    pub fan_out: usize,
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
}

impl Linear {
    /// PyTorch's `nn.Linear` scheme: weight and bias uniform in ±1/√fan_in. Draws come from
    /// ChaCha8 (seeded) mapped to [0,1) with 24 bits of `next_u32`, so the same seed gives
    /// the same weights on every machine and every version of `rand`.
    pub fn init(fan_in: usize, fan_out: usize, rng: &mut ChaCha8Rng) -> Self {
        let bound = 1.0 / (fan_in as f32).sqrt();
        let mut draw = || {
            let unit = (rng.next_u32() >> 8) as f32 / (1u32 << 24) as f32;
            (2.0 * unit - 1.0) * bound
        };
        let weight = (0..fan_in * fan_out).map(|_| draw()).collect();
        let bias = (0..fan_out).map(|_| draw()).collect();
        Linear {
            fan_in,
            fan_out,
            weight,
            bias,
        }
    }
}

/// All parameters of a model on the host.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    pub spec: ModelSpec,
    pub layers: Vec<Linear>,
}

impl Params {
    /// Fresh parameters; layer i is drawn from the stream `seed` after layers 0..i.
    pub fn init(spec: ModelSpec, seed: u64) -> Result<Self> {
        spec.validate()?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let layers = spec
            .layers()
            .into_iter()
            .map(|(i, o)| Linear::init(i, o, &mut rng))
            .collect();
        Ok(Params { spec, layers })
    }

    /// A fresh output layer (the "new head" of transfer), drawn from its own seed stream so
    /// it does not repeat the hidden layer's draws.
    pub fn fresh_head(spec: ModelSpec, seed: u64) -> Linear {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(1);
        let (i, o) = *spec
            .layers()
            .last()
            .expect("every model has an output layer");
        Linear::init(i, o, &mut rng)
    }
}
