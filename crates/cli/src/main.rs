//! `oddeven`: runs the odd/even MNIST transfer study on the GPU (or the software adapter).

mod args;
mod execute;
mod plan;
mod progress;

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use oddeven_core::{DeviceChoice, Gpu};

use args::{Cli, Command, DeviceArg, TrainArgs};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Train(args) => train(&args),
        Command::Devices => devices(),
        Command::Report { dir } => {
            let written = oddeven_report::render_dir(&dir)
                .with_context(|| format!("re-rendering {}", dir.display()))?;
            eprintln!("wrote {} files in {}", written.len(), dir.display());
            Ok(())
        }
        Command::FetchMnist { data_dir } => {
            let dir = oddeven_data::resolve_data_dir(data_dir.as_deref());
            let cfg = oddeven_data::DownloadConfig {
                progress: std::io::IsTerminal::is_terminal(&std::io::stderr()),
                ..Default::default()
            };
            let written = oddeven_data::download_mnist(&dir, &cfg)
                .with_context(|| format!("fetching MNIST into {}", dir.display()))?;
            oddeven_data::load_mnist(&dir)
                .with_context(|| format!("checking the files in {}", dir.display()))?;
            eprintln!(
                "MNIST is complete in {} ({} files downloaded)",
                dir.display(),
                written.len()
            );
            Ok(())
        }
    }
}

fn device_choice(arg: Option<DeviceArg>) -> Result<DeviceChoice> {
    Ok(match arg {
        Some(DeviceArg::Auto) => DeviceChoice::Auto,
        Some(DeviceArg::Hardware) => DeviceChoice::Hardware,
        Some(DeviceArg::Software) => DeviceChoice::Software,
        None => DeviceChoice::from_env()?,
    })
}

fn train(args: &TrainArgs) -> Result<()> {
    execute::validate(args)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| execute::default_out_dir(args));
    let existed = out.exists();
    prepare_out_dir(&out)?;
    let result = device_choice(args.device)
        .and_then(|choice| Ok(Gpu::new(choice)?))
        .and_then(|gpu| {
            eprintln!("adapter: {}", gpu.summary());
            execute::run_task(args, &gpu, &out)
        });
    let summary = match result {
        Ok(summary) => summary,
        Err(e) => {
            // Leave no empty directory behind for a run that never produced anything.
            if !existed {
                let _ = std::fs::remove_dir(&out);
            }
            return Err(e);
        }
    };
    oddeven_report::render(&out, &summary)
        .with_context(|| format!("writing plots and report into {}", out.display()))?;
    // Last, so a directory without summary.json is visibly incomplete.
    summary
        .write_atomic(&out)
        .with_context(|| format!("writing summary.json into {}", out.display()))?;
    eprintln!("results in {} (report.md, summary.json)", out.display());
    Ok(())
}

/// Creates the output directory and proves it is writable before any training starts.
fn prepare_out_dir(out: &Path) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| {
        format!(
            "cannot create the output directory {} (choose another with --out)",
            out.display()
        )
    })?;
    let probe = out.join(".oddeven-write-test");
    std::fs::write(&probe, b"").with_context(|| {
        format!(
            "the output directory {} is not writable (choose another with --out)",
            out.display()
        )
    })?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

fn devices() -> Result<()> {
    let adapters = oddeven_core::list_adapters();
    if adapters.is_empty() {
        anyhow::bail!(
            "wgpu sees no adapters. Install a GPU driver with Vulkan support, or the software adapter with \
             `apt-get install mesa-vulkan-drivers`"
        );
    }
    for (summary, limits) in adapters {
        println!("{summary}");
        println!("  driver: {}", summary.driver);
        println!(
            "  max storage buffer binding: {} MiB",
            limits.max_storage_buffer_binding_size >> 20
        );
        println!("  max buffer size: {} MiB", limits.max_buffer_size >> 20);
        println!(
            "  max workgroup invocations: {}",
            limits.max_compute_invocations_per_workgroup
        );
        println!(
            "  max workgroups per dimension: {}",
            limits.max_compute_workgroups_per_dimension
        );
    }
    Ok(())
}
