//! `cargo xtask …`: the project's two front doors (train, test) and its chores.
//!
//! - `cargo xtask train [ARGS…]`       build `oddeven` in release, run `oddeven train ARGS…`
//! - `cargo xtask test [-- ARGS…]`     fmt check, clippy -D warnings, cargo test --workspace
//! - `cargo xtask bench [ARGS…]`       criterion kernels bench + the matmul GFLOP/s table
//! - `cargo xtask fetch-mnist [ARGS…]` run `oddeven fetch-mnist ARGS…`
//! - `cargo xtask devices`             run `oddeven devices`

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{bail, Context, Result};

const HELP: &str = "\
usage: cargo xtask <command> [args…]

commands:
  train [ARGS…]        build the oddeven CLI in release mode and run `oddeven train ARGS…`
                       (e.g. cargo xtask train --task transfer-odd-even)
  test [-- ARGS…]      cargo fmt --check, cargo clippy --workspace --all-targets -D warnings,
                       cargo test --workspace [ARGS…]
  bench [ARGS…]        cargo bench --bench kernels [ARGS…], then the matmul GFLOP/s table
  fetch-mnist [ARGS…]  download MNIST (sha256-verified) with `oddeven fetch-mnist ARGS…`
  devices              list the adapters wgpu sees (`oddeven devices`)
";

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Vec<OsString>) -> Result<ExitCode> {
    let Some((command, rest)) = args.split_first() else {
        eprint!("{HELP}");
        return Ok(ExitCode::FAILURE);
    };
    let root = workspace_root()?;
    std::env::set_current_dir(&root).with_context(|| format!("entering {}", root.display()))?;
    ensure_runtime_dir();
    match command.to_str().unwrap_or("") {
        "train" => run_cli(&root, "train", rest),
        "fetch-mnist" => run_cli(&root, "fetch-mnist", rest),
        "devices" => run_cli(&root, "devices", rest),
        "test" => test(rest),
        "bench" => bench(rest),
        "-h" | "--help" | "help" => {
            print!("{HELP}");
            Ok(ExitCode::SUCCESS)
        }
        other => bail!("unknown command {other:?}\n\n{HELP}"),
    }
}

fn workspace_root() -> Result<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map(Path::to_path_buf)
        .context("xtask lives one level below the workspace root")
}

/// wgpu's Vulkan loader warns when XDG_RUNTIME_DIR is unset (CI, containers): give it one.
fn ensure_runtime_dir() {
    if std::env::var_os("XDG_RUNTIME_DIR").is_some() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("oddeven-xdg-{}", std::process::id()));
    if std::fs::create_dir_all(&dir).is_ok() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
        }
        // Safe here: xtask is single-threaded and sets this before spawning anything.
        unsafe { std::env::set_var("XDG_RUNTIME_DIR", &dir) };
    }
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Runs a step, announcing it; a failing step ends the task with its exit code.
fn step(what: &str, mut cmd: Command) -> Result<bool> {
    eprintln!("==> {what}");
    let status = cmd.status().with_context(|| format!("starting {what}"))?;
    if !status.success() {
        eprintln!("xtask: {what} failed ({status})");
    }
    Ok(status.success())
}

fn exit(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root.join(p) })
        .unwrap_or_else(|| root.join("target"))
}

fn run_cli(root: &Path, subcommand: &str, rest: &[OsString]) -> Result<ExitCode> {
    let mut build = cargo();
    build.args(["build", "--release", "--quiet", "-p", "oddeven-cli"]);
    if !step("cargo build --release -p oddeven-cli", build)? {
        return Ok(ExitCode::FAILURE);
    }
    let exe = target_dir(root)
        .join("release")
        .join(format!("oddeven{}", std::env::consts::EXE_SUFFIX));
    let status = Command::new(&exe)
        .arg(subcommand)
        .args(rest)
        .status()
        .with_context(|| format!("running {}", exe.display()))?;
    Ok(ExitCode::from(
        status.code().unwrap_or(1).clamp(0, 255) as u8
    ))
}

fn test(rest: &[OsString]) -> Result<ExitCode> {
    let extra: &[OsString] = match rest.split_first() {
        Some((first, tail)) if first == "--" => tail,
        _ => rest,
    };
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--", "--check"]);
    if !step("cargo fmt --all -- --check", fmt)? {
        return Ok(ExitCode::FAILURE);
    }
    let mut clippy = cargo();
    clippy.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]);
    if !step(
        "cargo clippy --workspace --all-targets -- -D warnings",
        clippy,
    )? {
        return Ok(ExitCode::FAILURE);
    }
    let mut test = cargo();
    test.args(["test", "--workspace"]).args(extra);
    Ok(exit(step("cargo test --workspace", test)?))
}

fn bench(rest: &[OsString]) -> Result<ExitCode> {
    let mut criterion = cargo();
    criterion.args(["bench", "--bench", "kernels"]).args(rest);
    if !step("cargo bench --bench kernels", criterion)? {
        return Ok(ExitCode::FAILURE);
    }
    let mut table = cargo();
    table.args([
        "run",
        "--release",
        "--quiet",
        "-p",
        "oddeven-core",
        "--example",
        "matmul_gflops",
    ]);
    Ok(exit(step(
        "matmul GFLOP/s table (crates/core/examples/matmul_gflops.rs)",
        table,
    )?))
}
