//! oddeven-models: softmax regression and the one-hidden-layer MLP on the oddeven GPU
//! kernels, their training loop, safetensors checkpoints and transfer between models.
//!
//! ```text
//! spec      ModelSpec, Params (seeded init)      reference  CPU forward/backward (oracle)
//! graph     GPU forward/backward/Adam dispatches train      the epoch loop, TrainReport
//! checkpoint  safetensors save/load              transfer   modes and the three measures
//! ```

pub mod checkpoint;
pub mod config;
pub mod error;
pub mod graph;
pub mod reference;
pub mod shuffle;
pub mod spec;
pub mod train;
pub mod transfer;

pub use error::{ModelError, Result};
pub use spec::{Linear, ModelKind, ModelSpec, OutputKind, Params};
pub use train::{
    evaluate, train, train_with_validation, DataRef, EarlyStopping, Progress, Schedule,
    TrainConfig, TrainReport,
};
pub use transfer::{measures, transfer, RunOutcome, TransferMeasures, TransferMode};
