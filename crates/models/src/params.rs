//! A model's parameters on the host, and their seeded initialisation.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::arch::ModelSpec;
use crate::error::{invalid, Result};
use crate::layers::{ParamShapes, WeightBias};

/// Host values of one layer's weight and bias.
pub type LayerValues = WeightBias<Vec<f32>>;

/// All parameters of a model: `layers[i]` belongs to `spec.layers[i]` (None for layers
/// without parameters).
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    pub spec: ModelSpec,
    pub layers: Vec<Option<LayerValues>>,
}

/// PyTorch's default for Linear and Conv2d: weight and bias uniform in ±1/√fan_in. Draws
/// come from ChaCha8 mapped to [0,1) with 24 bits of `next_u32`, so the same seed gives the
/// same weights on every machine and every version of `rand`. Weight values are drawn in
/// storage order, then the bias.
fn init_layer(shapes: &ParamShapes, rng: &mut ChaCha8Rng) -> LayerValues {
    let bound = 1.0 / (shapes.fan_in as f32).sqrt();
    let mut draw = || {
        let unit = (rng.next_u32() >> 8) as f32 / (1u32 << 24) as f32;
        (2.0 * unit - 1.0) * bound
    };
    let weight = (0..shapes.weight_len()).map(|_| draw()).collect();
    let bias = (0..shapes.bias).map(|_| draw()).collect();
    WeightBias { weight, bias }
}

impl Params {
    /// Fresh parameters; layers draw from one stream of `seed`, input side first.
    pub fn init(spec: ModelSpec, seed: u64) -> Result<Self> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let layers = spec
            .layers
            .iter()
            .map(|l| l.params().map(|p| init_layer(&p, &mut rng)))
            .collect();
        Ok(Params { spec, layers })
    }

    /// A fresh output layer (the "new head" of transfer), drawn from its own stream of
    /// `seed` so it does not repeat the other layers' draws.
    pub fn fresh_head(spec: &ModelSpec, seed: u64) -> Result<LayerValues> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(1);
        let shapes = spec.layers[spec.head()]
            .params()
            .ok_or_else(|| invalid("model", "the output layer has no parameters"))?;
        Ok(init_layer(&shapes, &mut rng))
    }

    /// Checks that every layer's values have the lengths its shapes say.
    pub fn validate(&self) -> Result<()> {
        if self.layers.len() != self.spec.layers.len() {
            return Err(invalid(
                "parameters",
                format!(
                    "{} layers of values for {} layers",
                    self.layers.len(),
                    self.spec.layers.len()
                ),
            ));
        }
        for (i, (layer, values)) in self.spec.layers.iter().zip(&self.layers).enumerate() {
            let ok = match (layer.params(), values) {
                (None, None) => true,
                (Some(p), Some(v)) => v.weight.len() == p.weight_len() && v.bias.len() == p.bias,
                _ => false,
            };
            if !ok {
                return Err(invalid(
                    "parameters",
                    format!("layer {} ({layer}) has values of the wrong size", i + 1),
                ));
            }
        }
        Ok(())
    }
}
