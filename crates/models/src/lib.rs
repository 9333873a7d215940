//! oddeven-models: networks as layer stacks on any backend — softmax regression, the MLP,
//! a CNN and architectures users write — their training loop, chunked evaluation,
//! safetensors checkpoints and transfer between models.
//!
//! ```text
//! layers      Linear, ReLU, Conv2d, MaxPool2d, Flatten: shapes, init, forward/backward ops
//! arch        Architecture (--model: presets or a spec string) → ModelSpec (all shapes)
//! params      host weights and their seeded initialisation
//! graph       Network<B>: forward, loss, backward (in reverse) and Adam, as op lists
//! train/eval  the epoch loop and chunked evaluation      sizes  checks before allocation
//! checkpoint  safetensors save/load                        transfer  modes and measures
//! ```

pub mod arch;
pub mod checkpoint;
pub mod config;
pub mod data;
pub mod error;
pub mod eval;
pub mod graph;
pub mod infer;
pub mod layers;
pub mod params;
pub mod sizes;
mod steps;
pub mod train;
pub mod train_step;
pub mod transfer;

pub use arch::{Architecture, ModelSpec, DEFAULT_HIDDEN, MNIST_INPUT};
pub use config::{ConfigField, EarlyStopping, Progress, Schedule, TrainConfig, TrainReport};
pub use data::DataRef;
pub use error::{ModelError, Result};
pub use eval::EvalResult;
pub use infer::predict;
pub use layers::{Layer, LayerSpec, Shape};
/// The output layer and loss, shared with the kernels.
pub use oddeven_core::kernels::loss::OutputKind;
pub use params::{LayerValues, Params};
pub use train::{check_run, evaluate, train, train_run, RunData};
pub use transfer::{
    check_transfer, measures, transfer, RunOutcome, TransferMeasures, TransferMode,
};
