//! `oddeven`: trains the odd/even MNIST transfer study, the head-replacement recipe and
//! transfer experiments of the user's own, on the GPU (or the software adapter).

mod args;
mod execute;
mod machine;
mod options;
mod outdir;
mod plan;
mod prepare;
mod progress;
mod summarize;
mod use_model;

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use oddeven_core::DeviceChoice;

use args::{Cli, Command, TrainArgs};
use options::Settings;

fn main() -> ExitCode {
    quiet_vulkan_loader();
    default_sigpipe();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", render(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, as anyhow's `{:#}`, but without repeating a
/// cause that an error's own message already quotes (typed errors here print their
/// source, so `{:#}` would say "No such file or directory" twice).
fn render(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

/// Rust ignores SIGPIPE, so printing into a closed pipe (`oddeven eval --json | head`)
/// would panic; like other command-line tools, end quietly instead.
fn default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: restores the default disposition of one signal at start-up, before any
    // other thread exists; no handler of ours is involved.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Mesa's Vulkan drivers print `error: XDG_RUNTIME_DIR is invalid…` on machines without
/// one (containers, CI) although nothing is wrong; a run that succeeds should print
/// nothing that looks like an error. Point it at a private directory instead: one per user,
/// reused by every run (so runs leave nothing new behind), made with mode 0700.
fn quiet_vulkan_loader() {
    let valid = std::env::var_os("XDG_RUNTIME_DIR")
        .map(std::path::PathBuf::from)
        .is_some_and(|d| d.is_dir());
    if valid {
        return;
    }
    if let Some(dir) = private_runtime_dir() {
        // Single-threaded here: nothing else reads the environment yet.
        std::env::set_var("XDG_RUNTIME_DIR", &dir);
    }
}

#[cfg(unix)]
fn private_runtime_dir() -> Option<std::path::PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    let dir = std::env::temp_dir().join(format!("oddeven-xdg-{uid}"));
    let _ = std::fs::DirBuilder::new().mode(0o700).create(&dir);
    // Use it only if it is ours and private (not a directory someone else made there).
    let meta = std::fs::symlink_metadata(&dir).ok()?;
    let private = meta.is_dir() && meta.uid() == uid && meta.permissions().mode() & 0o077 == 0;
    private.then_some(dir)
}

#[cfg(not(unix))]
fn private_runtime_dir() -> Option<std::path::PathBuf> {
    None
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Train(args) => train(&args),
        Command::Devices => devices(),
        Command::Eval(args) => use_model::eval(&args, device_choice(args.device)?),
        Command::Predict(args) => use_model::predict_cmd(&args, device_choice(args.device)?),
        Command::Report { dir } => {
            let written = oddeven_report::render_dir(&dir)
                .with_context(|| format!("re-rendering {}", dir.display()))?;
            eprintln!("wrote {} files in {}", written.len(), dir.display());
            Ok(())
        }
        Command::Fetch { dataset, data_dir } => {
            let dir = match (data_dir, dataset) {
                (Some(dir), _) => dir,
                (None, oddeven_data::Dataset::Mnist) => oddeven_data::resolve_data_dir(None),
                (None, d) => d.default_dir().into(),
            };
            let cfg = oddeven_data::DownloadConfig {
                progress: std::io::IsTerminal::is_terminal(&std::io::stderr()),
                ..oddeven_data::DownloadConfig::for_dataset(dataset)
            };
            let written = oddeven_data::download_dataset(dataset, &dir, &cfg)
                .with_context(|| format!("fetching {} into {}", dataset.title(), dir.display()))?;
            oddeven_data::load_mnist(&dir)
                .with_context(|| format!("checking the files in {}", dir.display()))?;
            eprintln!(
                "{} is complete in {} ({} files downloaded)",
                dataset.title(),
                dir.display(),
                written.len()
            );
            Ok(())
        }
    }
}

fn device_choice(arg: Option<DeviceChoice>) -> Result<DeviceChoice> {
    match arg {
        Some(choice) => Ok(choice),
        None => Ok(DeviceChoice::from_env()?),
    }
}

/// The summary's name for what was trained: the task, else the last run's name.
fn task_name(args: &TrainArgs, plan: &plan::Plan) -> String {
    match args.task {
        Some(task) => clap::ValueEnum::to_possible_value(&task)
            .map(|v| v.get_name().to_string())
            .unwrap_or_else(|| "task".into()),
        None => plan
            .runs
            .last()
            .map_or_else(|| "run".into(), |r| r.name.clone()),
    }
}

fn train(args: &TrainArgs) -> Result<()> {
    let settings = Settings::from_args(args)?;
    let choice = device_choice(args.device)?;
    // The default name needs the plan, and the plan needs the data: name it by task or
    // digits first, so nothing slow happens before the directory is checked.
    let provisional = match (args.task, &args.digits, &args.source, &args.target) {
        (Some(_), ..) => task_name(args, &plan::Plan::default()),
        (None, Some(d), ..) => format!("{}-{}", settings.arch.name(), d.name()),
        (None, None, Some(s), Some(t)) => format!("transfer-{}-to-{}", s.name(), t.name()),
        _ => "run".into(),
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| outdir::default_dir(&provisional));
    let created = outdir::prepare(&out, args.overwrite)?;
    let result = train_into(args, &settings, choice, &out);
    if result.is_err() && created {
        // Leave no empty directory behind for a run that never produced anything.
        let _ = std::fs::remove_dir(&out);
    }
    result
}

fn train_into(
    args: &TrainArgs,
    settings: &Settings,
    choice: DeviceChoice,
    out: &std::path::Path,
) -> Result<()> {
    let data = prepare::load_data(args)?;
    let plan = prepare::plan(args, settings, &data);
    let from = prepare::load_from(args)?;
    let machine = machine::Machine::open(choice)?;
    let s = machine.summary();
    eprintln!("running on: {s}");
    let mut splits = prepare::Splits::new(&data, settings, args.limit, settings.seeds[0]);
    let specs = machine::with_backend!(&machine, b => prepare::check_all(b, &plan, settings, &mut splits, from.as_ref(), args))?;
    let mut summary = oddeven_report::Summary {
        task: task_name(args, &plan),
        seed: args.seed,
        seeds: if settings.seeds.len() > 1 {
            settings.seeds.clone()
        } else {
            Vec::new()
        },
        adapter: oddeven_report::AdapterInfo {
            name: s.name.clone(),
            backend: s.backend.clone(),
            device_type: s.device_type.clone(),
        },
        runs: Vec::new(),
        transfer: Vec::new(),
        seed_stats: Vec::new(),
        significance: Vec::new(),
    };
    let checked = execute::Checked {
        plan: &plan,
        settings,
        specs: &specs,
        from: from.as_ref(),
        data: &data,
        limit: args.limit,
    };
    machine::with_backend!(&machine, b => execute::run_plan(b, &checked, Some(splits), out, &mut summary))?;
    oddeven_report::render(out, &summary)
        .with_context(|| format!("writing plots and report into {}", out.display()))?;
    // Last, so a directory without summary.json is visibly incomplete.
    summary
        .write_atomic(out)
        .with_context(|| format!("writing summary.json into {}", out.display()))?;
    eprintln!("results in {} (report.md, summary.json)", out.display());
    Ok(())
}

fn devices() -> Result<()> {
    let cpu = oddeven_cpu::CpuBackend::new(None).context("starting the native CPU backend")?;
    let s = oddeven_core::Backend::summary(&cpu);
    println!("{} (native CPU backend, --device cpu)", s.name);
    println!("  {}", s.driver);
    let adapters = oddeven_core::list_adapters();
    if adapters.is_empty() {
        println!(
            "wgpu sees no adapters (for the WGSL kernels, install a GPU driver with Vulkan support, or \
             the software adapter with `apt-get install mesa-vulkan-drivers`)"
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

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn render_drops_causes_already_quoted() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let quoted = anyhow::Error::new(io).context("cannot open x: no such file");
        let e = quoted.context("loading x");
        assert_eq!(render(&e), "loading x: cannot open x: no such file");
        let plain = anyhow::anyhow!("inner").context("outer");
        assert_eq!(render(&plain), "outer: inner");
    }
}
