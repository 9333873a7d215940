//! The reference backend's tensors (host memory behind shared handles) and ops (closures
//! over their operands), with the shape checks every op shares.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::backend::Handle;
use crate::error::{CoreError, Result};
use crate::step::StepValues;

/// Host memory behind a shared handle; clones (and reshapes) share it.
#[derive(Clone)]
pub struct HostArray<T> {
    pub(super) data: Arc<Mutex<Vec<T>>>,
    pub(super) shape: Vec<usize>,
}

/// f32 tensor of the reference backend.
pub type HostTensor = HostArray<f32>;
/// u32 array of the reference backend.
pub type HostIndices = HostArray<u32>;

impl<T: Clone> HostArray<T> {
    pub(super) fn new(shape: &[usize], data: Vec<T>) -> Self {
        HostArray {
            data: Arc::new(Mutex::new(data)),
            shape: shape.to_vec(),
        }
    }
    pub(super) fn lock(&self) -> MutexGuard<'_, Vec<T>> {
        // A poisoned lock means a panic elsewhere mid-op; the data is still plain values.
        self.data.lock().unwrap_or_else(|e| e.into_inner())
    }
    /// A copy of the contents. Ops copy their inputs before writing their outputs, so an
    /// op whose input and output share storage never holds two locks at once.
    pub fn get(&self) -> Vec<T> {
        self.lock().clone()
    }
    pub(super) fn set(&self, values: Vec<T>) {
        *self.lock() = values;
    }
    /// Overwrites the contents with `data`, which must hold exactly as many values.
    pub(super) fn write_all(&self, data: &[T]) -> crate::error::Result<()> {
        let expected = self.shape.iter().product();
        if data.len() != expected {
            return Err(crate::error::CoreError::DataLength {
                got: data.len(),
                expected,
                shape: self.shape.clone(),
            });
        }
        self.set(data.to_vec());
        Ok(())
    }
}

impl<T> fmt::Debug for HostArray<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HostArray{:?}", self.shape)
    }
}

impl<T: Clone> Handle for HostArray<T> {
    fn shape(&self) -> &[usize] {
        &self.shape
    }
}

/// What a reference op does when it runs.
type HostFn = Box<dyn Fn(&StepValues) -> Result<()> + Send + Sync>;

/// An op of the reference backend: a closure over its operands.
pub struct HostOp {
    name: String,
    pub(super) run: HostFn,
}

impl fmt::Debug for HostOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HostOp({})", self.name)
    }
}

pub(super) fn op(
    name: &str,
    f: impl Fn(&StepValues) -> Result<()> + Send + Sync + 'static,
) -> HostOp {
    HostOp {
        name: name.to_string(),
        run: Box::new(f),
    }
}

pub(super) fn shape_err(op: &'static str, detail: String) -> CoreError {
    CoreError::Shape { op, detail }
}

pub(super) fn same_len(op: &'static str, tensors: &[&HostTensor]) -> Result<()> {
    let n = tensors[0].len();
    if tensors.iter().any(|t| t.len() != n) {
        let shapes: Vec<_> = tensors.iter().map(|t| t.shape.clone()).collect();
        return Err(shape_err(
            op,
            format!("operands must have equal sizes, got {shapes:?}"),
        ));
    }
    Ok(())
}

pub(super) fn check_lens(op: &'static str, operands: &[(&HostTensor, usize)]) -> Result<()> {
    for (i, (t, want)) in operands.iter().enumerate() {
        if t.len() != *want {
            return Err(shape_err(
                op,
                format!(
                    "operand {} has shape {:?}, expected {want} elements",
                    i + 1,
                    t.shape
                ),
            ));
        }
    }
    Ok(())
}
