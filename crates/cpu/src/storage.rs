//! Host arrays behind shared handles, and the locks an op takes while it runs.
//!
//! A tensor is an `Arc<RwLock<Vec<T>>>` plus a shape: clones and reshapes share the
//! storage, as on every backend. An op takes read locks on its inputs and write locks on
//! its outputs for the duration of its run (a few uncontended lock operations per op,
//! nothing next to the work), so the backend needs no `unsafe` and stays sound if a user
//! shares tensors between threads. Two rules keep the locking simple:
//!
//! - an output may not share storage with an input or another output (checked when the op
//!   is built: [`check_distinct`]); wgpu refuses the same buffer bound for reading and
//!   writing in one dispatch too;
//! - inputs may share storage (`matmul(a, a, …)`): [`Reads`] takes one lock per distinct
//!   storage, because taking a std `RwLock`'s read lock twice on one thread may deadlock.

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use oddeven_core::{CoreError, Handle, Result};

/// Host memory behind a shared handle; clones and reshapes share it.
#[derive(Clone)]
pub struct HostArray<T> {
    data: Arc<RwLock<Vec<T>>>,
    shape: Vec<usize>,
}

/// f32 tensor of the CPU backend.
pub type CpuTensor = HostArray<f32>;
/// u32 array of the CPU backend.
pub type CpuIndices = HostArray<u32>;

impl<T: Clone + Default> HostArray<T> {
    pub(crate) fn zeros(shape: &[usize]) -> Self {
        HostArray {
            data: Arc::new(RwLock::new(vec![T::default(); shape.iter().product()])),
            shape: shape.to_vec(),
        }
    }
}

impl<T> HostArray<T> {
    // A poisoned lock means a panic elsewhere mid-op; the data is still plain values.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Vec<T>> {
        self.data.read().unwrap_or_else(PoisonError::into_inner)
    }
    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Vec<T>> {
        self.data.write().unwrap_or_else(PoisonError::into_inner)
    }
    /// The same storage under another shape (the caller checked the element count).
    pub(crate) fn with_shape(&self, shape: &[usize]) -> Self {
        HostArray {
            data: self.data.clone(),
            shape: shape.to_vec(),
        }
    }
    fn id(&self) -> usize {
        Arc::as_ptr(&self.data) as *const () as usize
    }
}

impl<T> fmt::Debug for HostArray<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CpuArray{:?}", self.shape)
    }
}

impl<T: Clone> Handle for HostArray<T> {
    fn shape(&self) -> &[usize] {
        &self.shape
    }
}

/// Identity of a storage (the address of its shared allocation), to compare handles of
/// either element type.
pub(crate) type StorageId = usize;

pub(crate) fn id_of<T>(a: &HostArray<T>) -> StorageId {
    a.id()
}

/// Refuses an op whose `outputs` share storage with each other or with `inputs`.
pub(crate) fn check_distinct(
    op: &'static str,
    inputs: &[StorageId],
    outputs: &[StorageId],
) -> Result<()> {
    for (i, o) in outputs.iter().enumerate() {
        let clash = inputs.iter().chain(&outputs[..i]).any(|x| x == o);
        if clash {
            return Err(CoreError::Shape {
                op,
                detail: format!(
                    "output {} shares its storage with another operand; the CPU backend \
                     writes outputs in place while it reads the inputs, so give it a \
                     separate tensor",
                    i + 1
                ),
            });
        }
    }
    Ok(())
}

/// Read locks on up to `N` inputs, one per distinct storage.
pub(crate) struct Reads<'a, T, const N: usize> {
    guards: [Option<RwLockReadGuard<'a, Vec<T>>>; N],
    /// Which guard each input reads.
    slot: [usize; N],
}

impl<'a, T, const N: usize> Reads<'a, T, N> {
    pub(crate) fn new(arrays: [&'a HostArray<T>; N]) -> Self {
        let mut guards: [Option<RwLockReadGuard<'a, Vec<T>>>; N] = std::array::from_fn(|_| None);
        let mut slot = [0; N];
        for i in 0..N {
            slot[i] = (0..i)
                .find(|&j| arrays[j].id() == arrays[i].id())
                .unwrap_or(i);
            if slot[i] == i {
                guards[i] = Some(arrays[i].read());
            }
        }
        Reads { guards, slot }
    }

    /// The values of input `i`.
    pub(crate) fn get(&self, i: usize) -> &[T] {
        // Every slot points at a guard taken in `new`.
        self.guards[self.slot[i]].as_deref().map_or(&[], |v| v)
    }
}

/// Shape-check helper: every operand has the expected element count.
pub(crate) fn check_lens(op: &'static str, operands: &[(&[usize], usize)]) -> Result<()> {
    for (i, (shape, want)) in operands.iter().enumerate() {
        let got: usize = shape.iter().product();
        if got != *want {
            return Err(CoreError::Shape {
                op,
                detail: format!(
                    "operand {} has shape {shape:?}, expected {want} elements",
                    i + 1
                ),
            });
        }
    }
    Ok(())
}
