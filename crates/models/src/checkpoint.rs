//! Checkpoints as safetensors: `layer{i}.weight` [fan_in, fan_out] and `layer{i}.bias`,
//! f32 little-endian, plus metadata (model kind, sizes, output, digits, seed). Written to
//! a temporary name and renamed, so a crash never leaves a half-written checkpoint.

use std::collections::HashMap;
use std::path::Path;

use safetensors::tensor::{Dtype, TensorView};
use safetensors::SafeTensors;

use crate::error::{ModelError, Result};
use crate::spec::{Linear, ModelKind, ModelSpec, OutputKind, Params};

/// What a checkpoint says about where its weights came from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CheckpointInfo {
    pub digits: Vec<u8>,
    pub seed: u64,
}

fn err(path: &Path, detail: impl Into<String>) -> ModelError {
    ModelError::Checkpoint {
        path: path.to_path_buf(),
        detail: detail.into(),
    }
}

/// Saves `params` to `path` atomically.
pub fn save(path: &Path, params: &Params, info: &CheckpointInfo) -> Result<()> {
    let spec = params.spec;
    let bytes: Vec<(String, Vec<u8>, Vec<usize>)> = params
        .layers
        .iter()
        .enumerate()
        .flat_map(|(i, l)| {
            [
                (
                    format!("layer{}.weight", i + 1),
                    bytemuck_bytes(&l.weight),
                    vec![l.fan_in, l.fan_out],
                ),
                (
                    format!("layer{}.bias", i + 1),
                    bytemuck_bytes(&l.bias),
                    vec![l.fan_out],
                ),
            ]
        })
        .collect();
    let mut views = Vec::new();
    for (name, data, shape) in &bytes {
        let view = TensorView::new(Dtype::F32, shape.clone(), data)
            .map_err(|e| err(path, e.to_string()))?;
        views.push((name.clone(), view));
    }
    let digits: Vec<String> = info.digits.iter().map(|d| d.to_string()).collect();
    let metadata = HashMap::from([
        ("format".to_string(), "oddeven-1".to_string()),
        ("kind".to_string(), spec.kind.as_str().to_string()),
        ("inputs".to_string(), spec.inputs.to_string()),
        ("hidden".to_string(), spec.hidden.to_string()),
        ("classes".to_string(), spec.classes.to_string()),
        ("output".to_string(), spec.output.as_str().to_string()),
        ("digits".to_string(), digits.join(",")),
        ("seed".to_string(), info.seed.to_string()),
    ]);
    let data =
        safetensors::serialize(views, Some(metadata)).map_err(|e| err(path, e.to_string()))?;
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

fn bytemuck_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Loads a checkpoint and its metadata.
pub fn load(path: &Path) -> Result<(Params, CheckpointInfo)> {
    let data = std::fs::read(path).map_err(|e| err(path, format!("cannot read: {e}")))?;
    let (_, meta) = SafeTensors::read_metadata(&data)
        .map_err(|e| err(path, format!("not a safetensors file: {e}")))?;
    let tensors = SafeTensors::deserialize(&data)
        .map_err(|e| err(path, format!("not a safetensors file: {e}")))?;
    let meta = meta.metadata().clone().unwrap_or_default();
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
    let kind: ModelKind = get("kind")?.parse()?;
    let output: OutputKind = get("output")?.parse()?;
    let spec = ModelSpec {
        kind,
        inputs: num("inputs")?,
        hidden: num("hidden")?,
        classes: num("classes")?,
        output,
    };
    spec.validate()?;
    let mut layers = Vec::new();
    for (i, (fan_in, fan_out)) in spec.layers().into_iter().enumerate() {
        let read = |name: String, shape: Vec<usize>| -> Result<Vec<f32>> {
            let t = tensors
                .tensor(&name)
                .map_err(|_| err(path, format!("tensor {name} is missing")))?;
            if t.dtype() != Dtype::F32 || t.shape() != shape.as_slice() {
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
        layers.push(Linear {
            fan_in,
            fan_out,
            weight: read(format!("layer{}.weight", i + 1), vec![fan_in, fan_out])?,
            bias: read(format!("layer{}.bias", i + 1), vec![fan_out])?,
        });
    }
    let digits = get("digits").unwrap_or_default();
    let digits = digits
        .split(',')
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect();
    let seed = get("seed").ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    Ok((Params { spec, layers }, CheckpointInfo { digits, seed }))
}

/// Loads a checkpoint that must have exactly `expected`'s shape.
pub fn load_expecting(path: &Path, expected: ModelSpec) -> Result<(Params, CheckpointInfo)> {
    let (params, info) = load(path)?;
    if params.spec != expected {
        return Err(ModelError::CheckpointShape {
            path: path.to_path_buf(),
            found: params.spec.to_string(),
            expected: expected.to_string(),
        });
    }
    Ok((params, info))
}
