//! Adapter choice: where to run (`--device`), what ran (`AdapterSummary`), and finding
//! the adapter wgpu offers for a choice — Vulkan, Metal or DX12 only, so wgpu cannot fall
//! back silently to GL llvmpipe.

use std::fmt;
use std::str::FromStr;

use crate::error::{CoreError, Result};

/// Environment variable that selects the adapter when no flag does.
pub const DEVICE_ENV: &str = "ODDEVEN_DEVICE";

/// Where to run (the `--device` flag and `ODDEVEN_DEVICE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum DeviceChoice {
    /// A hardware GPU if there is one, else the native CPU backend (for [`Gpu::new`]: else
    /// the software adapter).
    #[default]
    Auto,
    /// A hardware GPU (discrete, integrated or virtual); fail if there is none.
    Hardware,
    /// The WGSL kernels on the Vulkan software adapter (Mesa lavapipe); fail if it is
    /// missing.
    Software,
    /// The native CPU backend (the oddeven-cpu crate), not a wgpu adapter.
    Cpu,
}

impl DeviceChoice {
    /// The choice named by `ODDEVEN_DEVICE`, or `Auto` when it is unset.
    pub fn from_env() -> Result<Self> {
        match std::env::var(DEVICE_ENV) {
            Ok(value) if !value.trim().is_empty() => value.parse(),
            _ => Ok(DeviceChoice::Auto),
        }
    }
}

impl FromStr for DeviceChoice {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(DeviceChoice::Auto),
            "hardware" | "gpu" => Ok(DeviceChoice::Hardware),
            "software" | "lavapipe" => Ok(DeviceChoice::Software),
            "cpu" => Ok(DeviceChoice::Cpu),
            _ => Err(CoreError::BadDeviceChoice(s.to_string())),
        }
    }
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeviceChoice::Auto => "auto",
            DeviceChoice::Hardware => "hardware",
            DeviceChoice::Software => "software",
            DeviceChoice::Cpu => "cpu",
        })
    }
}

/// What a report needs to know about the adapter a run used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdapterSummary {
    pub name: String,
    /// e.g. "vulkan", "metal", "dx12".
    pub backend: String,
    /// e.g. "discrete-gpu", "integrated-gpu", "cpu".
    pub device_type: String,
    pub driver: String,
}

impl AdapterSummary {
    pub fn from_info(info: &wgpu::AdapterInfo) -> Self {
        let device_type = match info.device_type {
            wgpu::DeviceType::DiscreteGpu => "discrete-gpu",
            wgpu::DeviceType::IntegratedGpu => "integrated-gpu",
            wgpu::DeviceType::VirtualGpu => "virtual-gpu",
            wgpu::DeviceType::Cpu => "cpu",
            wgpu::DeviceType::Other => "other",
        };
        AdapterSummary {
            name: info.name.clone(),
            backend: info.backend.to_str().to_string(),
            device_type: device_type.to_string(),
            driver: format!("{} {}", info.driver, info.driver_info)
                .trim()
                .to_string(),
        }
    }

    /// True for software adapters such as lavapipe.
    pub fn is_software(&self) -> bool {
        self.device_type == "cpu"
    }
}

impl fmt::Display for AdapterSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}, {})", self.name, self.backend, self.device_type)
    }
}

/// One line per adapter wgpu can see, for `oddeven devices`.
pub fn list_adapters() -> Vec<(AdapterSummary, wgpu::Limits)> {
    let instance = new_instance();
    pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()))
        .into_iter()
        .map(|a| (AdapterSummary::from_info(&a.get_info()), a.limits()))
        .collect()
}

fn new_instance() -> wgpu::Instance {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
    // This build carries Vulkan, Metal and DX12 only: no silent fallback to GL llvmpipe,
    // whose lazy shader compilation costs seconds per kernel.
    desc.backends &= wgpu::Backends::VULKAN | wgpu::Backends::METAL | wgpu::Backends::DX12;
    wgpu::Instance::new(desc)
}

fn hardware_rank(t: wgpu::DeviceType) -> Option<u8> {
    match t {
        wgpu::DeviceType::DiscreteGpu => Some(0),
        wgpu::DeviceType::IntegratedGpu => Some(1),
        wgpu::DeviceType::VirtualGpu => Some(2),
        wgpu::DeviceType::Other => Some(3),
        wgpu::DeviceType::Cpu => None,
    }
}

pub(crate) fn pick_adapter(choice: DeviceChoice) -> Result<wgpu::Adapter> {
    let instance = new_instance();
    let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
    let seen: Vec<String> = adapters
        .iter()
        .map(|a| AdapterSummary::from_info(&a.get_info()).to_string())
        .collect();
    let hardware = adapters
        .iter()
        .filter_map(|a| hardware_rank(a.get_info().device_type).map(|r| (r, a)))
        .min_by_key(|(r, _)| *r)
        .map(|(_, a)| a.clone());
    let software = adapters
        .iter()
        .find(|a| {
            let info = a.get_info();
            info.device_type == wgpu::DeviceType::Cpu && info.backend == wgpu::Backend::Vulkan
        })
        .cloned();
    let picked = match choice {
        DeviceChoice::Hardware => hardware,
        DeviceChoice::Software => software,
        DeviceChoice::Auto => hardware.or(software),
        DeviceChoice::Cpu => None,
    };
    picked.ok_or_else(|| {
        let seen = if seen.is_empty() {
            "wgpu found no adapters at all".to_string()
        } else {
            format!("wgpu found only: {}", seen.join("; "))
        };
        let wanted = match choice {
            DeviceChoice::Hardware => "a hardware GPU (Vulkan, Metal or DX12)",
            DeviceChoice::Software => "the Vulkan software adapter (Mesa lavapipe)",
            DeviceChoice::Auto => "a hardware GPU or the Vulkan software adapter (Mesa lavapipe)",
            DeviceChoice::Cpu => "a wgpu adapter, but --device cpu is the native CPU backend",
        };
        CoreError::NoAdapter {
            tried: format!("looked for {wanted} with --device {choice}; {seen}"),
            hint: "Install a GPU driver with Vulkan support, or the software adapter with \
                   `apt-get install mesa-vulkan-drivers` (Debian/Ubuntu), then check with \
                   `oddeven devices`."
                .to_string(),
        }
    })
}
