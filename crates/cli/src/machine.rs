//! Where a command runs: a wgpu adapter (a hardware GPU, or the WGSL on lavapipe) or the
//! native CPU backend. `auto` takes a hardware GPU when there is one, else the CPU
//! backend — faster than running the WGSL on a software adapter, which `--device
//! software` still does.

use anyhow::{Context, Result};
use oddeven_core::{AdapterSummary, DeviceChoice, Gpu};
use oddeven_cpu::CpuBackend;

/// An opened backend.
pub enum Machine {
    Gpu(Gpu),
    Cpu(CpuBackend),
}

impl Machine {
    pub fn open(choice: DeviceChoice) -> Result<Machine> {
        match choice {
            DeviceChoice::Cpu => Ok(Machine::Cpu(cpu()?)),
            DeviceChoice::Hardware | DeviceChoice::Software => Ok(Machine::Gpu(Gpu::new(choice)?)),
            DeviceChoice::Auto => match Gpu::new(DeviceChoice::Hardware) {
                Ok(gpu) => Ok(Machine::Gpu(gpu)),
                Err(_) => Ok(Machine::Cpu(cpu()?)),
            },
        }
    }

    pub fn summary(&self) -> AdapterSummary {
        match self {
            Machine::Gpu(g) => g.summary().clone(),
            Machine::Cpu(c) => oddeven_core::Backend::summary(c),
        }
    }
}

fn cpu() -> Result<CpuBackend> {
    CpuBackend::new(None).context("starting the native CPU backend")
}

/// Runs `$body` with `$b` bound to the opened backend, whichever it is (the code is
/// generic over `oddeven_core::Backend`).
macro_rules! with_backend {
    ($machine:expr, $b:ident => $body:expr) => {
        match $machine {
            $crate::machine::Machine::Gpu($b) => $body,
            $crate::machine::Machine::Cpu($b) => $body,
        }
    };
}
pub(crate) use with_backend;
