//! `cargo xtask …`: the project's two front doors (train, test) and its chores.
//!
//! - `cargo xtask train [ARGS…]`       build `oddeven` in release, run `oddeven train ARGS…`
//! - `cargo xtask test [-- ARGS…]`     fmt check, clippy -D warnings, cargo test --workspace
//! - `cargo xtask bench [ARGS…]`       criterion kernels bench + the matmul GFLOP/s table
//! - `cargo xtask fetch-mnist [ARGS…]` run `oddeven fetch-mnist ARGS…`
//! - `cargo xtask devices [ARGS…]`     run `oddeven devices ARGS…`
//!
//! Arguments after the command name are forwarded untouched (including `--help`, which then
//! reaches `oddeven`), and the exit status of the last program run becomes xtask's own.
//! The argument parsing is by hand on purpose: a parser would claim `--help` and friends.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, ExitStatus};

use anyhow::{bail, Context, Result};

const HELP: &str = "\
usage: cargo xtask <command> [args…]

commands:
  train [ARGS…]        build the oddeven CLI in release mode (cargo build --release
                       -p oddeven-cli) and run `oddeven train ARGS…`; every argument is
                       forwarded untouched, e.g.
                         cargo xtask train --task transfer-odd-even --epochs 5
                         cargo xtask train --help
  test [-- ARGS…]      the README's test command, stopping at the first failing step:
                         1. cargo fmt --all -- --check
                         2. cargo clippy --workspace --all-targets -- -D warnings
                         3. cargo test --workspace [ARGS…]
                       ARGS go to cargo test, so test-binary flags need their own `--`:
                         cargo xtask test -- matmul          (a test-name filter)
                         cargo xtask test -- -- --nocapture
  bench [ARGS…]        cargo bench --bench kernels --bench conv [ARGS…] (criterion, matmul
                       at the odd MLP's training shapes, ODDEVEN_BENCH_ALL_VARIANTS=1 times
                       every shader variant; the conv kernels at the CNN's shapes, batch 64),
                       then the example table
                       cargo run --release -p oddeven-core --example matmul_gflops;
                       criterion's own flags and filters go after `--`:
                         cargo xtask bench -- 'X·W1'
  bench --compare pytorch [--repeats N] [--models LIST] [--device D] [--batch-size N]
                       oddeven (D: cpu, the default; software, hardware or auto for a
                       wgpu adapter) against PyTorch (on CUDA when D is not cpu and torch
                       sees a GPU, else on the CPU), same protocol
                       (odd digits, full-size split; mlp and softmax 20 full-batch epochs,
                       cnn 1 epoch in batches of 64), the two run alternately N times
                       each (default 3): cargo run --release -p oddeven-cpu --example
                       epoch, then python3 bench/pytorch_reference.py; prints ms/epoch of
                       both and the ratio. LIST: comma-separated of mlp, softmax, cnn
                       and paper (the six-run schedule at 300 epochs, timed whole; only
                       when named: minutes per run).
                       Without torch (`python3 -c 'import torch'` fails) it says how to
                       install it and times oddeven alone. MNIST: ODDEVEN_DATA or
                       data/mnist. --batch-size N trains mlp and softmax in minibatches.
  bench --profile [MODEL BATCH|full]
                       every kernel's GPU time in one training step, from timestamp
                       queries, on the adapter ODDEVEN_DEVICE picks: the MLP at batch 64
                       and full batch and the CNN at batch 64 (or the protocol given):
                       cargo run --release -p oddeven-models --example profile_step
  fetch-mnist [ARGS…]  build the CLI and run `oddeven fetch-mnist ARGS…` (download MNIST,
                       sha256-verified)
  devices [ARGS…]      build the CLI and run `oddeven devices ARGS…` (the adapters wgpu sees)
  help                 this text

environment:
  XDG_RUNTIME_DIR      set to a fresh 0700 temporary directory when unset (silences the
                       Vulkan loader's warning)
  CARGO_TARGET_DIR     honoured (through cargo metadata) when locating target/release/oddeven
  ODDEVEN_DEVICE       auto|hardware|software, read by the programs xtask runs
";

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let runtime_dir = RuntimeDir::ensure();
    let code = match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::FAILURE
        }
    };
    drop(runtime_dir);
    code
}

fn run(args: Vec<OsString>) -> Result<ExitCode> {
    let Some((command, rest)) = args.split_first() else {
        eprint!("{HELP}");
        bail!("no command given (see the list above)");
    };
    let root = workspace_root()?;
    std::env::set_current_dir(&root).with_context(|| format!("entering {}", root.display()))?;
    let Some(command) = command.to_str() else {
        bail!("unknown command {command:?} (try `cargo xtask help`)");
    };
    match command {
        "train" | "fetch-mnist" | "devices" => run_cli(&root, command, rest),
        "test" => test(rest),
        "bench" => bench(rest),
        "-h" | "--help" | "help" => {
            print!("{HELP}");
            Ok(ExitCode::SUCCESS)
        }
        other => bail!(
            "unknown command {other:?}; expected one of train, test, bench, fetch-mnist, \
             devices, help (try `cargo xtask help`)"
        ),
    }
}

/// The workspace root: xtask's manifest lives one level below it. The alias
/// `cargo xtask` rebuilds xtask from this very tree, so the compile-time path is current.
fn workspace_root() -> Result<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map(Path::to_path_buf)
        .context("xtask lives one level below the workspace root")
}

/// A temporary `XDG_RUNTIME_DIR` (mode 0700) when none is set: wgpu's Vulkan loader warns
/// without one (CI, containers). Removed again when xtask exits.
struct RuntimeDir(Option<PathBuf>);

impl RuntimeDir {
    fn ensure() -> Self {
        if std::env::var_os("XDG_RUNTIME_DIR").is_some() {
            return RuntimeDir(None);
        }
        match fresh_private_dir() {
            Ok(dir) => {
                // SAFETY: xtask is single-threaded and sets this before spawning anything.
                unsafe { std::env::set_var("XDG_RUNTIME_DIR", &dir) };
                RuntimeDir(Some(dir))
            }
            Err(e) => {
                eprintln!("xtask: warning: could not create a runtime dir: {e:#}");
                RuntimeDir(None)
            }
        }
    }
}

impl Drop for RuntimeDir {
    fn drop(&mut self) {
        if let Some(dir) = &self.0 {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Creates a new, empty directory only this user can enter.
fn fresh_private_dir() -> Result<PathBuf> {
    let base = std::env::temp_dir();
    let pid = std::process::id();
    for attempt in 0..100u32 {
        let dir = base.join(format!("oddeven-xdg-{pid}-{attempt}"));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        match builder.create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("creating {}", dir.display())),
        }
    }
    bail!("no free name for a runtime dir under {}", base.display())
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Runs one announced step and returns its exit status.
fn step(what: &str, mut cmd: Command) -> Result<ExitStatus> {
    eprintln!("==> {what}");
    let status = cmd.status().with_context(|| format!("starting {what}"))?;
    if !status.success() {
        eprintln!("xtask: {what} failed ({status})");
    }
    Ok(status)
}

/// The exit code to hand on for a child's status (a signal counts as failure).
fn exit_code(status: ExitStatus) -> ExitCode {
    match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).ok().filter(|&c| c != 0).unwrap_or(1)),
        None => ExitCode::FAILURE,
    }
}

/// Cargo's target directory: `cargo metadata` knows about `CARGO_TARGET_DIR` and
/// `build.target-dir`; without it, `CARGO_TARGET_DIR` or `<root>/target`.
fn target_dir(root: &Path) -> PathBuf {
    match metadata_target_dir() {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("xtask: warning: {e:#}; guessing the target directory");
            std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .map(|p| if p.is_absolute() { p } else { root.join(p) })
                .unwrap_or_else(|| root.join("target"))
        }
    }
}

fn metadata_target_dir() -> Result<PathBuf> {
    let output = cargo()
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("running cargo metadata")?;
    if !output.status.success() {
        bail!("cargo metadata failed ({})", output.status);
    }
    let json: serde_json::Value =
        serde_json::from_slice(&output.stdout).context("parsing cargo metadata")?;
    json.get("target_directory")
        .and_then(|v| v.as_str())
        .map(PathBuf::from)
        .context("cargo metadata has no target_directory")
}

/// Builds the CLI in release mode and runs `oddeven <subcommand> ARGS…`.
fn run_cli(root: &Path, subcommand: &str, rest: &[OsString]) -> Result<ExitCode> {
    let mut build = cargo();
    build.args(["build", "--release", "-p", "oddeven-cli"]);
    let status = step("cargo build --release -p oddeven-cli", build)?;
    if !status.success() {
        return Ok(exit_code(status));
    }
    let exe = target_dir(root)
        .join("release")
        .join(format!("oddeven{}", std::env::consts::EXE_SUFFIX));
    if !exe.is_file() {
        bail!(
            "the build succeeded but {} is missing (is the binary still called `oddeven`?)",
            exe.display()
        );
    }
    let line = format!("{} {subcommand} {}", exe.display(), shown(rest));
    eprintln!("==> {}", line.trim_end());
    let status = Command::new(&exe)
        .arg(subcommand)
        .args(rest)
        .status()
        .with_context(|| format!("running {}", exe.display()))?;
    Ok(exit_code(status))
}

/// Arguments as one line, for announcing a step.
fn shown(args: &[OsString]) -> String {
    args.iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn test(rest: &[OsString]) -> Result<ExitCode> {
    let extra: &[OsString] = match rest.split_first() {
        Some((first, tail)) if first == "--" => tail,
        _ => rest,
    };
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--", "--check"]);
    let mut clippy = cargo();
    clippy.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]);
    let mut test = cargo();
    test.args(["test", "--workspace"]).args(extra);
    let test_name = format!("cargo test --workspace {}", shown(extra));
    let steps = [
        ("cargo fmt --all -- --check", fmt),
        (
            "cargo clippy --workspace --all-targets -- -D warnings",
            clippy,
        ),
        (test_name.trim_end(), test),
    ];
    let count = steps.len();
    for (i, (what, cmd)) in steps.into_iter().enumerate() {
        let status = step(&format!("[{}/{count}] {what}", i + 1), cmd)?;
        if !status.success() {
            return Ok(exit_code(status));
        }
    }
    eprintln!("==> all {count} steps passed");
    Ok(ExitCode::SUCCESS)
}

fn bench(rest: &[OsString]) -> Result<ExitCode> {
    if rest.first().is_some_and(|a| a == "--compare") {
        return compare(&workspace_root()?, &rest[1..]);
    }
    if rest.first().is_some_and(|a| a == "--profile") {
        return profile(&rest[1..]);
    }
    let mut criterion = cargo();
    criterion
        .args(["bench", "--bench", "kernels", "--bench", "conv"])
        .args(rest);
    let what = format!("cargo bench --bench kernels --bench conv {}", shown(rest));
    let status = step(what.trim_end(), criterion)?;
    if !status.success() {
        return Ok(exit_code(status));
    }
    let mut table = cargo();
    table.args([
        "run",
        "--release",
        "-p",
        "oddeven-core",
        "--example",
        "matmul_gflops",
    ]);
    Ok(exit_code(step(
        "cargo run --release -p oddeven-core --example matmul_gflops",
        table,
    )?))
}

/// `bench --profile [MODEL BATCH]`: every kernel's GPU time in one training step
/// (timestamp queries) on the adapter `ODDEVEN_DEVICE` picks: the MLP at batch 64 and full
/// batch and the CNN at batch 64, or the one protocol given.
fn profile(rest: &[OsString]) -> Result<ExitCode> {
    let protocols: Vec<Vec<OsString>> = if rest.is_empty() {
        [["mlp", "64"], ["mlp", "full"], ["cnn", "64"]]
            .iter()
            .map(|p| p.iter().map(OsString::from).collect())
            .collect()
    } else {
        vec![rest.to_vec()]
    };
    for args in protocols {
        let mut cmd = cargo();
        cmd.args([
            "run",
            "--release",
            "-p",
            "oddeven-models",
            "--example",
            "profile_step",
            "--",
        ])
        .args(&args);
        let what = format!("profile_step {}", shown(&args));
        let status = step(&what, cmd)?;
        if !status.success() {
            return Ok(exit_code(status));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The protocols of `bench --compare pytorch`: (model, epochs). `paper` (the six-run
/// schedule, timed whole) runs only when --models names it.
const PROTOCOLS: [(&str, usize); 4] = [("mlp", 20), ("softmax", 20), ("cnn", 1), ("paper", 300)];

/// `bench --compare pytorch [--repeats N] [--models LIST]`: oddeven's CPU backend and
/// bench/pytorch_reference.py, alternately, on the same protocols.
fn compare(root: &Path, args: &[OsString]) -> Result<ExitCode> {
    let args: Vec<String> = args
        .iter()
        .map(|a| {
            a.to_str()
                .map(str::to_string)
                .context("arguments must be UTF-8")
        })
        .collect::<Result<_>>()?;
    let mut repeats = 3usize;
    let mut models: Vec<String> = PROTOCOLS[..3].iter().map(|p| p.0.to_string()).collect();
    let mut device = "cpu".to_string();
    let mut batch: Option<String> = None;
    let mut it = args.iter();
    match it.next().map(String::as_str) {
        Some("pytorch") => {}
        other => bail!("--compare takes `pytorch`, got {other:?}"),
    }
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--repeats" => repeats = value.parse().context("--repeats")?,
            "--models" => models = value.split(',').map(|m| m.trim().to_string()).collect(),
            "--device" => device = value.clone(),
            "--batch-size" => batch = Some(value.clone()),
            other => bail!(
                "unknown bench --compare flag {other:?} (--repeats, --models, --device, --batch-size)"
            ),
        }
    }
    if let Some(bad) = models
        .iter()
        .find(|m| !PROTOCOLS.iter().any(|p| p.0 == **m))
    {
        bail!("unknown model {bad:?} in --models (mlp, softmax, cnn, paper)");
    }
    let mut build = cargo();
    build.args([
        "build",
        "--release",
        "-p",
        "oddeven-cpu",
        "--example",
        "epoch",
    ]);
    let status = step(
        "cargo build --release -p oddeven-cpu --example epoch",
        build,
    )?;
    if !status.success() {
        return Ok(exit_code(status));
    }
    let ours = target_dir(root)
        .join("release")
        .join("examples")
        .join("epoch");
    let script = root.join("bench").join("pytorch_reference.py");
    let torch = Command::new("python3")
        .args(["-c", "import torch"])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !torch {
        eprintln!(
            "xtask: PyTorch is not importable by python3, so oddeven runs alone. Install the \
             CPU build with\n  pip install torch --index-url https://download.pytorch.org/whl/cpu\n\
             (or `pip install torch` from PyPI) and run this again."
        );
    }
    // PyTorch on CUDA beside oddeven on a GPU, when torch sees one; else on the CPU.
    let torch_device = if device != "cpu"
        && torch
        && Command::new("python3")
            .args([
                "-c",
                "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)",
            ])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    {
        "cuda"
    } else {
        "cpu"
    };
    eprintln!("==> oddeven on --device {device}, PyTorch on {torch_device}");
    let mut rows = Vec::new();
    for (model, epochs) in PROTOCOLS.iter().filter(|p| models.iter().any(|m| m == p.0)) {
        let epochs = epochs.to_string();
        // The paper schedule is timed whole (seconds), the others per epoch (ms).
        let field = if *model == "paper" {
            "seconds"
        } else {
            "ms_per_epoch"
        };
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for r in 0..repeats {
            let mut cmd = Command::new(&ours);
            cmd.args(["--model", model, "--epochs", &epochs, "--device", &device]);
            if let (Some(b), false) = (&batch, *model == "paper") {
                cmd.args(["--batch-size", b]);
            }
            a.push(measure(
                cmd,
                field,
                &format!("oddeven {model} run {}", r + 1),
            )?);
            if torch {
                let mut cmd = Command::new("python3");
                cmd.arg(&script).args([
                    "--model",
                    model,
                    "--epochs",
                    &epochs,
                    "--device",
                    torch_device,
                ]);
                if let (Some(b), false) = (&batch, *model == "paper") {
                    cmd.args(["--batch-size", b]);
                }
                b.push(measure(
                    cmd,
                    field,
                    &format!("pytorch {model} run {}", r + 1),
                )?);
            }
        }
        rows.push((model.to_string(), a, b));
    }
    println!("\n| model | oddeven {device} | pytorch {torch_device} | ratio (median) |");
    println!("| --- | --- | --- | --- |");
    for (model, a, b) in &rows {
        let unit = if model == "paper" { " s" } else { " ms/epoch" };
        let list = |v: &[f64]| {
            v.iter()
                .map(|x| format!("{x:.0}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let ratio = if b.is_empty() {
            "-".to_string()
        } else {
            format!("{:.2}", median(a) / median(b))
        };
        println!(
            "| {model} | {}{unit} | {}{unit} | {ratio} |",
            list(a),
            list(b)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs one benchmark program and reads `field` from its JSON line.
fn measure(mut cmd: Command, field: &str, what: &str) -> Result<f64> {
    let out = cmd
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("starting {what}"))?;
    if !out.status.success() {
        bail!("{what} failed ({})", out.status);
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or_default();
    eprintln!("==> {what}: {line}");
    let json: serde_json::Value =
        serde_json::from_str(line).with_context(|| format!("{what} printed {line:?}"))?;
    json.get(field)
        .and_then(|v| v.as_f64())
        .with_context(|| format!("{what} printed no {field}"))
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}
