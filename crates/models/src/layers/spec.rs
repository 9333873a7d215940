//! Layer tokens of a spec string, and resolving them against an input shape.

use std::fmt;

use super::{Conv2d, Flatten, Layer, Linear, MaxPool2d, Relu, Shape};
use crate::error::{ModelError, Result};

/// The spec-string grammar, quoted in every parse error.
pub const GRAMMAR: &str = "comma-separated layers: linear<N> (a fully connected layer of N \
     units; the last layer is a bare `linear`, which gets the class count), relu, \
     conv<C>k<K>[s<S>][p<P>] (C output channels, K×K kernel, stride S (1), zero padding P \
     (0)), pool<K>[s<S>] (K×K max-pooling, stride S (K)), flatten; e.g. \
     conv16k5p2,relu,pool2,flatten,linear64,relu,linear";

/// One layer as a user writes it; sizes that depend on the input come from resolving.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LayerSpec {
    /// `out: None` is the output layer, which gets the class count.
    Linear {
        out: Option<usize>,
    },
    Relu,
    Conv2d {
        out_channels: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
    },
    MaxPool2d {
        size: usize,
        stride: usize,
    },
    Flatten,
}

impl fmt::Display for LayerSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LayerSpec::Linear { out: Some(n) } => write!(f, "linear{n}"),
            LayerSpec::Linear { out: None } => f.write_str("linear"),
            LayerSpec::Relu => f.write_str("relu"),
            LayerSpec::Conv2d {
                out_channels,
                kernel,
                stride,
                padding,
            } => {
                write!(f, "conv{out_channels}k{kernel}")?;
                if stride != 1 {
                    write!(f, "s{stride}")?;
                }
                if padding != 0 {
                    write!(f, "p{padding}")?;
                }
                Ok(())
            }
            LayerSpec::MaxPool2d { size, stride } => {
                write!(f, "pool{size}")?;
                if stride != size {
                    write!(f, "s{stride}")?;
                }
                Ok(())
            }
            LayerSpec::Flatten => f.write_str("flatten"),
        }
    }
}

fn spec_error(spec: &str, detail: String) -> ModelError {
    ModelError::Spec {
        spec: spec.to_string(),
        detail,
    }
}

/// Parses `linear64,relu,…` into layer specs. Errors name the token and quote the grammar.
pub fn parse_layers(spec: &str) -> Result<Vec<LayerSpec>> {
    let tokens: Vec<&str> = spec.split(',').map(str::trim).collect();
    if tokens.iter().all(|t| t.is_empty()) {
        return Err(spec_error(spec, format!("no layers; expected {GRAMMAR}")));
    }
    tokens
        .iter()
        .enumerate()
        .map(|(i, t)| {
            parse_token(t).map_err(|why| {
                spec_error(
                    spec,
                    format!("layer {} {t:?}: {why}; expected {GRAMMAR}", i + 1),
                )
            })
        })
        .collect()
}

/// Splits `conv16k5p2` into ("conv", [("", 16), ("k", 5), ("p", 2)]).
fn parse_token(token: &str) -> std::result::Result<LayerSpec, String> {
    let t = token.to_ascii_lowercase();
    let name_end = t.find(|c: char| c.is_ascii_digit()).unwrap_or(t.len());
    let (name, rest) = t.split_at(name_end);
    let fields = parse_fields(rest)?;
    let get = |key: &str| fields.iter().find(|(k, _)| k == key).map(|&(_, v)| v);
    let allow = |keys: &[&str]| -> std::result::Result<(), String> {
        match fields.iter().find(|(k, _)| !keys.contains(&k.as_str())) {
            Some((k, _)) => Err(format!("`{k}` is not an option of {name}")),
            None => Ok(()),
        }
    };
    let positive = |what: &str, v: Option<usize>| match v {
        Some(0) => Err(format!("{what} must be at least 1")),
        other => Ok(other),
    };
    match name {
        "linear" => {
            allow(&[""])?;
            Ok(LayerSpec::Linear {
                out: positive("the unit count", get(""))?,
            })
        }
        "relu" | "flatten" if !fields.is_empty() => Err(format!("{name} takes no numbers")),
        "relu" => Ok(LayerSpec::Relu),
        "flatten" => Ok(LayerSpec::Flatten),
        "conv" => {
            allow(&["", "k", "s", "p"])?;
            let out_channels = positive("the channel count", get(""))?
                .ok_or("conv needs its output channels, e.g. conv16k3")?;
            let kernel = positive("the kernel", get("k"))?
                .ok_or("conv needs a kernel size, e.g. conv16k3")?;
            Ok(LayerSpec::Conv2d {
                out_channels,
                kernel,
                stride: positive("the stride", get("s"))?.unwrap_or(1),
                padding: get("p").unwrap_or(0),
            })
        }
        "pool" | "maxpool" => {
            allow(&["", "s"])?;
            let size =
                positive("the window", get(""))?.ok_or("pool needs a window size, e.g. pool2")?;
            Ok(LayerSpec::MaxPool2d {
                size,
                stride: positive("the stride", get("s"))?.unwrap_or(size),
            })
        }
        "" => Err("a layer name is missing".into()),
        other => Err(format!("unknown layer `{other}`")),
    }
}

fn parse_fields(mut rest: &str) -> std::result::Result<Vec<(String, usize)>, String> {
    let mut fields: Vec<(String, usize)> = Vec::new();
    while !rest.is_empty() {
        let key_end = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (key, after) = rest.split_at(key_end);
        let num_end = after
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(after.len());
        let (num, next) = after.split_at(num_end);
        if num.is_empty() {
            return Err(format!("`{key}` needs a number after it"));
        }
        let value: usize = num.parse().map_err(|_| format!("{num} is too large"))?;
        if fields.iter().any(|(k, _)| k == key) {
            return Err(format!("`{key}` is given twice"));
        }
        fields.push((key.to_string(), value));
        rest = next;
    }
    Ok(fields)
}

impl LayerSpec {
    /// The layer this spec gives on an input of shape `input`; `classes` sizes the output
    /// layer. `position` (1-based) and `last` are for errors and the output-layer rule.
    pub fn resolve(
        &self,
        input: Shape,
        classes: usize,
        position: usize,
        last: bool,
    ) -> Result<Layer> {
        let err = |detail: String| ModelError::Shape {
            layer: format!("layer {position} ({self})"),
            detail,
        };
        match *self {
            LayerSpec::Linear { out } => {
                let fan_in = match input {
                    Shape::Flat(n) => n,
                    Shape::Image { .. } => {
                        return Err(err(format!(
                            "its input is an image {input}; put `flatten` before a linear layer"
                        )))
                    }
                };
                let fan_out = match (out, last) {
                    (None, true) => classes,
                    (Some(n), true) if n == classes => n,
                    (Some(n), true) => {
                        return Err(err(format!(
                            "the output layer must have one unit per class ({classes}), not {n}; write a bare `linear`"
                        )))
                    }
                    (Some(n), false) => n,
                    (None, false) => {
                        return Err(err(
                            "only the output layer may be a bare `linear`; give hidden layers a size, e.g. linear128".into(),
                        ))
                    }
                };
                Ok(Layer::Linear(Linear { fan_in, fan_out }))
            }
            LayerSpec::Relu => Ok(Layer::Relu(Relu { shape: input })),
            LayerSpec::Flatten => Ok(Layer::Flatten(Flatten { input })),
            LayerSpec::Conv2d {
                out_channels,
                kernel,
                stride,
                padding,
            } => {
                let Shape::Image { h, w, c } = input else {
                    return Err(err(format!(
                        "its input is flat {input}; a convolution needs an image (put it before `flatten`)"
                    )));
                };
                if kernel > h + 2 * padding || kernel > w + 2 * padding {
                    return Err(err(format!(
                        "a {kernel}×{kernel} kernel does not fit the {input} input with padding {padding}"
                    )));
                }
                Ok(Layer::Conv2d(Conv2d {
                    in_h: h,
                    in_w: w,
                    in_c: c,
                    out_channels,
                    kernel,
                    stride,
                    padding,
                }))
            }
            LayerSpec::MaxPool2d { size, stride } => {
                let Shape::Image { h, w, c } = input else {
                    return Err(err(format!(
                        "its input is flat {input}; pooling needs an image (put it before `flatten`)"
                    )));
                };
                if size > h || size > w {
                    return Err(err(format!(
                        "a {size}×{size} window is larger than its {input} input"
                    )));
                }
                Ok(Layer::MaxPool2d(MaxPool2d {
                    in_h: h,
                    in_w: w,
                    channels: c,
                    size,
                    stride,
                }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_parse_and_print_back() {
        let layers = parse_layers(
            " conv16k5p2 , RELU,pool2,pool3s1, conv8k3s2,flatten,linear64,relu,linear",
        )
        .unwrap();
        let printed: Vec<String> = layers.iter().map(|l| l.to_string()).collect();
        assert_eq!(
            printed.join(","),
            "conv16k5p2,relu,pool2,pool3s1,conv8k3s2,flatten,linear64,relu,linear"
        );
        assert_eq!(parse_layers(&printed.join(",")).unwrap(), layers);
    }

    #[test]
    fn bad_tokens_name_the_token_and_the_grammar() {
        for (spec, needle) in [
            ("", "no layers"),
            ("linear64,,linear", "layer 2 \"\""),
            ("conv16", "kernel size"),
            ("conv16k0", "the kernel must be at least 1"),
            ("conv16k3q2", "`q` is not an option of conv"),
            ("conv16k3p1p2", "`p` is given twice"),
            ("relu2", "relu takes no numbers"),
            ("dense64", "unknown layer `dense`"),
            ("linear0", "unit count must be at least 1"),
            ("pool", "window size"),
            ("linear99999999999999999999999", "too large"),
        ] {
            let err = parse_layers(spec).unwrap_err().to_string();
            assert!(err.contains(needle), "{spec:?}: {err}");
            assert!(
                err.contains("comma-separated layers"),
                "{spec:?} quotes the grammar: {err}"
            );
        }
    }

    #[test]
    fn shapes_that_do_not_fit_are_errors() {
        let image = Shape::Image { h: 4, w: 4, c: 1 };
        let resolve = |spec: LayerSpec, input, last| {
            spec.resolve(input, 5, 2, last).map_err(|e| e.to_string())
        };
        let err = resolve(LayerSpec::Linear { out: Some(8) }, image, false).unwrap_err();
        assert!(
            err.contains("layer 2 (linear8)") && err.contains("flatten"),
            "{err}"
        );
        let err = resolve(LayerSpec::MaxPool2d { size: 5, stride: 5 }, image, false).unwrap_err();
        assert!(err.contains("larger than its [1, 4, 4] input"), "{err}");
        let conv = LayerSpec::Conv2d {
            out_channels: 2,
            kernel: 7,
            stride: 1,
            padding: 1,
        };
        assert!(resolve(conv, image, false)
            .unwrap_err()
            .contains("does not fit"));
        let err = resolve(conv, Shape::Flat(16), false).unwrap_err();
        assert!(err.contains("needs an image"), "{err}");
        let err = resolve(LayerSpec::Linear { out: None }, Shape::Flat(16), false).unwrap_err();
        assert!(err.contains("only the output layer may be a bare"), "{err}");
        let err = resolve(LayerSpec::Linear { out: Some(7) }, Shape::Flat(16), true).unwrap_err();
        assert!(err.contains("one unit per class (5)"), "{err}");
    }
}
