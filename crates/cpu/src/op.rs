//! The op type of the CPU backend: a closure over its operands (and any scratch memory it
//! allocated when it was built), run with the step's values.

use std::fmt;

use oddeven_core::{Result, StepValues};

/// What an op does when it runs.
type RunFn = Box<dyn Fn(&StepValues) -> Result<()> + Send + Sync>;

/// An op of [`crate::CpuBackend`], built once and run many times.
pub struct CpuOp {
    name: &'static str,
    /// Shapes, for profiles (`ODDEVEN_CPU_PROFILE`).
    detail: String,
    run: RunFn,
}

impl CpuOp {
    pub(crate) fn new(
        name: &'static str,
        run: impl Fn(&StepValues) -> Result<()> + Send + Sync + 'static,
    ) -> Self {
        CpuOp {
            name,
            detail: String::new(),
            run: Box::new(run),
        }
    }

    pub(crate) fn with_detail(mut self, detail: String) -> Self {
        self.detail = detail;
        self
    }

    /// The op's shapes, where it records them (GEMMs, convs).
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The op's kind (`matmul`, `loss`, …).
    pub fn name(&self) -> &'static str {
        self.name
    }

    pub(crate) fn run(&self, step: &StepValues) -> Result<()> {
        (self.run)(step)
    }
}

impl fmt::Debug for CpuOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CpuOp({} {})", self.name, self.detail)
    }
}
