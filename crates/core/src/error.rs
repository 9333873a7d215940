//! Typed errors of the GPU core. Every message says what went wrong and, where the user
//! can do something about it, what to do.

/// Errors from adapter selection, buffer management and kernel dispatch.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// No adapter matched the requested [`crate::DeviceChoice`].
    #[error("no usable GPU adapter: {tried}. {hint}")]
    NoAdapter { tried: String, hint: String },

    /// The device choice string (flag or `ODDEVEN_DEVICE`) is not one we know.
    #[error("unknown device choice {0:?}: expected one of auto, hardware, software, cpu")]
    BadDeviceChoice(String),

    /// An environment variable that selects a variant holds a value we do not know.
    #[error("{var}={value:?} is not a known value: expected {expected} (or unset)")]
    BadEnv {
        var: &'static str,
        value: String,
        expected: &'static str,
    },

    /// The adapter refused to create a device with the limits we need.
    #[error("adapter {adapter:?} could not create a device: {message}")]
    RequestDevice { adapter: String, message: String },

    /// Operand shapes do not fit the kernel.
    #[error("shape mismatch in {op}: {detail}")]
    Shape { op: &'static str, detail: String },

    /// Host data does not match the tensor it is written into.
    #[error(
        "data of {got} elements does not fit a tensor of shape {shape:?} ({expected} elements)"
    )]
    DataLength {
        got: usize,
        expected: usize,
        shape: Vec<usize>,
    },

    /// A buffer would exceed what the adapter can bind in one storage binding.
    #[error(
        "a {what} of {bytes} bytes exceeds this adapter's storage-buffer binding limit of {limit} bytes; \
         use fewer examples per step (e.g. --batch-size or --limit)"
    )]
    TooLarge {
        what: String,
        bytes: u64,
        limit: u64,
    },

    /// Mapping a buffer for readback failed, or the device was lost while waiting.
    #[error("reading results back from the GPU failed: {0}")]
    Readback(String),

    /// wgpu reported a validation or out-of-memory error.
    #[error("GPU error in {context}: {message}")]
    Gpu { context: String, message: String },
}

/// Result alias for the core crate.
pub type Result<T, E = CoreError> = std::result::Result<T, E>;
