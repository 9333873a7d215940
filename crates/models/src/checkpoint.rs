//! Checkpoints as safetensors: `layer{k}.weight` and `layer{k}.bias` for the k-th layer
//! with parameters (a Linear's weight is [fan_in, fan_out], a Conv2d's [k, k, in_c,
//! out_c]), f32 little-endian, with metadata: the layer list, input shape, output kind,
//! class count, digits, data set and seed. Written by hand with sorted keys, so the same
//! weights give byte-identical files; read with the `safetensors` crate. Written to a
//! temporary name and renamed, so a crash never leaves a half-written checkpoint.

use std::collections::BTreeMap;
use std::path::Path;

use safetensors::tensor::Dtype;
use safetensors::SafeTensors;

use crate::arch::{Architecture, ModelSpec, MNIST_INPUT};
use crate::error::{ModelError, Result};
use crate::layers::{Shape, WeightBias};
use crate::params::Params;

/// The metadata `format` of checkpoints written now.
pub const FORMAT: &str = "oddeven-2";

/// What a checkpoint says about where its weights came from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CheckpointInfo {
    /// The digits of the classes, in class order.
    pub digits: Vec<u8>,
    pub seed: u64,
    /// The data set it was trained on (`mnist`, `fashion-mnist`, …); empty if unknown.
    pub dataset: String,
    /// How the training split was drawn (with `seed`), so evaluation can take the same
    /// held-out examples: stratified or not, and the per-set limit.
    pub stratify: bool,
    pub limit: Option<usize>,
}

fn err(path: &Path, detail: impl Into<String>) -> ModelError {
    ModelError::Checkpoint {
        path: path.to_path_buf(),
        detail: detail.into(),
    }
}

/// (name, shape, values) of every parameter tensor, in layer order.
fn named_tensors(params: &Params) -> Vec<(String, Vec<usize>, &[f32])> {
    let mut out = Vec::new();
    let mut k = 0;
    for (layer, values) in params.spec.layers.iter().zip(&params.layers) {
        if let (Some(p), Some(v)) = (layer.params(), values) {
            k += 1;
            out.push((format!("layer{k}.weight"), p.weight.clone(), &v.weight[..]));
            out.push((format!("layer{k}.bias"), vec![p.bias], &v.bias[..]));
        }
    }
    out
}

fn input_string(shape: Shape) -> String {
    match shape {
        Shape::Image { h, w, c } => format!("{c},{h},{w}"),
        Shape::Flat(n) => n.to_string(),
    }
}

fn parse_input(s: &str) -> Option<Shape> {
    let dims: Vec<usize> = s
        .split(',')
        .map(|d| d.trim().parse().ok())
        .collect::<Option<_>>()?;
    match dims[..] {
        [c, h, w] => Some(Shape::Image { h, w, c }),
        [n] => Some(Shape::Flat(n)),
        _ => None,
    }
}

/// The bytes of a checkpoint (safetensors with sorted keys).
pub fn to_bytes(params: &Params, info: &CheckpointInfo) -> Result<Vec<u8>> {
    params.validate()?;
    let spec = &params.spec;
    let digits: Vec<String> = info.digits.iter().map(|d| d.to_string()).collect();
    let metadata = BTreeMap::from([
        ("format", FORMAT.to_string()),
        ("model", spec.name.clone()),
        ("layers", spec.layer_string()),
        ("input", input_string(spec.input)),
        ("output", spec.output.to_string()),
        ("classes", spec.classes().to_string()),
        ("digits", digits.join(",")),
        ("dataset", info.dataset.clone()),
        ("seed", info.seed.to_string()),
        ("split_stratify", info.stratify.to_string()),
        (
            "split_limit",
            info.limit.map_or(String::new(), |l| l.to_string()),
        ),
    ]);
    let mut tensors = named_tensors(params);
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    let mut header: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    header.insert("__metadata__".into(), serde_json::json!(metadata));
    let mut offset = 0usize;
    for (name, shape, values) in &tensors {
        let end = offset + values.len() * 4;
        header.insert(
            name.clone(),
            serde_json::json!({"dtype": "F32", "shape": shape, "data_offsets": [offset, end]}),
        );
        offset = end;
    }
    let mut json = serde_json::to_string(&header).map_err(|e| ModelError::Invalid {
        what: "checkpoint",
        detail: e.to_string(),
    })?;
    // The data that follows starts 8-byte aligned; the format allows trailing spaces.
    while json.len() % 8 != 0 {
        json.push(' ');
    }
    let mut bytes = Vec::with_capacity(8 + json.len() + offset);
    bytes.extend((json.len() as u64).to_le_bytes());
    bytes.extend(json.as_bytes());
    for (_, _, values) in &tensors {
        bytes.extend(values.iter().flat_map(|v| v.to_le_bytes()));
    }
    Ok(bytes)
}

/// Saves `params` to `path` atomically.
pub fn save(path: &Path, params: &Params, info: &CheckpointInfo) -> Result<()> {
    let data = to_bytes(params, info).map_err(|e| err(path, e.to_string()))?;
    let tmp = path.with_extension("safetensors.tmp");
    std::fs::write(&tmp, data)
        .map_err(|e| err(path, format!("cannot write {}: {e}", tmp.display())))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        err(
            path,
            format!("cannot move the finished file into place: {e}"),
        )
    })
}

/// The model a checkpoint's metadata describes (format 2, or format 1's softmax/mlp).
fn spec_from_metadata(
    path: &Path,
    meta: &std::collections::HashMap<String, String>,
) -> Result<ModelSpec> {
    let get = |key: &str| {
        meta.get(key).cloned().ok_or_else(|| {
            err(
                path,
                format!("metadata has no {key:?}: not an oddeven checkpoint"),
            )
        })
    };
    let num = |key: &str| -> Result<usize> {
        get(key)?
            .parse()
            .map_err(|_| err(path, format!("metadata {key:?} is not a number")))
    };
    let output = get("output")?.parse().map_err(|e: String| err(path, e))?;
    let classes = num("classes")?;
    let (arch, input) = match get("format")?.as_str() {
        FORMAT => {
            let mut arch =
                Architecture::parse(&get("layers")?, 0).map_err(|e| err(path, e.to_string()))?;
            let name = get("model").unwrap_or_else(|_| "custom".into());
            arch = arch.renamed(&name);
            let input = parse_input(&get("input")?)
                .ok_or_else(|| err(path, "metadata \"input\" is not c,h,w"))?;
            (arch, input)
        }
        "oddeven-1" => {
            if num("inputs")? != MNIST_INPUT.len() {
                return Err(err(path, "a format-1 checkpoint must have 784 inputs"));
            }
            let arch = match get("kind")?.as_str() {
                "softmax" => Architecture::softmax(),
                "mlp" => Architecture::mlp(num("hidden")?),
                other => return Err(err(path, format!("unknown model kind {other:?}"))),
            };
            (arch, MNIST_INPUT)
        }
        other => return Err(err(path, format!("unknown checkpoint format {other:?}"))),
    };
    arch.resolve(input, classes, output)
        .map_err(|e| err(path, e.to_string()))
}

/// Loads a checkpoint and its metadata.
pub fn load(path: &Path) -> Result<(Params, CheckpointInfo)> {
    let data = std::fs::read(path).map_err(|e| err(path, format!("cannot read: {e}")))?;
    let (_, meta) = SafeTensors::read_metadata(&data)
        .map_err(|e| err(path, format!("not a safetensors file: {e}")))?;
    let tensors = SafeTensors::deserialize(&data)
        .map_err(|e| err(path, format!("not a safetensors file: {e}")))?;
    let meta = meta.metadata().clone().unwrap_or_default();
    let spec = spec_from_metadata(path, &meta)?;
    let read = |name: String, shape: &[usize]| -> Result<Vec<f32>> {
        let t = tensors
            .tensor(&name)
            .map_err(|_| err(path, format!("tensor {name} is missing")))?;
        if t.dtype() != Dtype::F32 || t.shape() != shape {
            return Err(err(
                path,
                format!(
                    "tensor {name} is {:?} {:?}, expected F32 {shape:?}",
                    t.dtype(),
                    t.shape()
                ),
            ));
        }
        Ok(t.data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    };
    let mut layers = Vec::with_capacity(spec.layers.len());
    let mut k = 0;
    for layer in &spec.layers {
        layers.push(match layer.params() {
            Some(p) => {
                k += 1;
                Some(WeightBias {
                    weight: read(format!("layer{k}.weight"), &p.weight)?,
                    bias: read(format!("layer{k}.bias"), &[p.bias])?,
                })
            }
            None => None,
        });
    }
    let digits = meta
        .get("digits")
        .map(|d| d.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_default();
    let seed = meta.get("seed").and_then(|s| s.parse().ok()).unwrap_or(0);
    let dataset = meta.get("dataset").cloned().unwrap_or_default();
    let stratify = meta.get("split_stratify").is_some_and(|s| s == "true");
    let limit = meta.get("split_limit").and_then(|s| s.parse().ok());
    let info = CheckpointInfo {
        digits,
        seed,
        dataset,
        stratify,
        limit,
    };
    Ok((Params { spec, layers }, info))
}

/// Loads a checkpoint that must hold exactly `expected`'s network.
pub fn load_expecting(path: &Path, expected: &ModelSpec) -> Result<(Params, CheckpointInfo)> {
    let (params, info) = load(path)?;
    if !params.spec.same_network(expected) {
        return Err(ModelError::CheckpointShape {
            path: path.to_path_buf(),
            found: params.spec.to_string(),
            expected: expected.to_string(),
        });
    }
    Ok((params, info))
}
