//! The output directory: its default name, and making sure a run never mixes its files
//! with another run's. A directory that already holds anything is refused unless
//! `--overwrite`, which clears it first — and only when everything in it is the kind of
//! file oddeven writes, so a mistyped `--out` cannot empty an unrelated directory.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// `runs/<name>-<UTC timestamp>`.
pub fn default_dir(name: &str) -> PathBuf {
    let stamp = jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string();
    PathBuf::from("runs").join(format!("{name}-{stamp}"))
}

/// Extensions of the files a run writes (`.tmp` for interrupted atomic writes).
const RUN_FILES: [&str; 6] = ["safetensors", "svg", "png", "md", "json", "tmp"];

/// Creates `out` (or checks that it is empty, or clears it with `overwrite`) and proves
/// it writable. Returns whether this call created it.
pub fn prepare(out: &Path, overwrite: bool) -> Result<bool> {
    let existed = out.exists();
    if existed {
        if !out.is_dir() {
            bail!(
                "the output directory {} is a file (choose another with --out)",
                out.display()
            );
        }
        let entries: Vec<PathBuf> = std::fs::read_dir(out)
            .with_context(|| format!("cannot read the output directory {}", out.display()))?
            .map(|e| e.map(|e| e.path()))
            .collect::<std::io::Result<_>>()
            .with_context(|| format!("cannot read the output directory {}", out.display()))?;
        if !entries.is_empty() {
            if !overwrite {
                bail!(
                    "the output directory {} already holds {} files (a previous run?); choose another --out, or add --overwrite to clear it first",
                    out.display(),
                    entries.len()
                );
            }
            let foreign: Vec<&PathBuf> = entries
                .iter()
                .filter(|p| {
                    !p.is_file()
                        || !p
                            .extension()
                            .and_then(|e| e.to_str())
                            .is_some_and(|e| RUN_FILES.contains(&e))
                })
                .collect();
            if let Some(first) = foreign.first() {
                bail!(
                    "--overwrite clears only run directories, and {} holds {} that oddeven did not write; choose another --out",
                    out.display(),
                    first.display()
                );
            }
            for path in &entries {
                std::fs::remove_file(path)
                    .with_context(|| format!("--overwrite: cannot remove {}", path.display()))?;
            }
        }
    }
    std::fs::create_dir_all(out).with_context(|| {
        format!(
            "cannot create the output directory {} (choose another with --out)",
            out.display()
        )
    })?;
    let probe = out.join(".oddeven-write-test.tmp");
    std::fs::write(&probe, b"").with_context(|| {
        format!(
            "the output directory {} is not writable (choose another with --out)",
            out.display()
        )
    })?;
    let _ = std::fs::remove_file(probe);
    Ok(!existed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_nonempty_and_overwrites_only_run_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        assert!(prepare(&out, false).unwrap(), "created");
        assert!(!prepare(&out, false).unwrap(), "empty and existing is fine");
        std::fs::write(out.join("summary.json"), b"{}").unwrap();
        std::fs::write(out.join("mlp-odd.safetensors"), b"x").unwrap();
        let err = prepare(&out, false).unwrap_err().to_string();
        assert!(
            err.contains("already holds 2 files") && err.contains("--overwrite"),
            "{err}"
        );
        prepare(&out, true).unwrap();
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0, "cleared");
        std::fs::write(out.join("thesis.tex"), b"x").unwrap();
        let err = prepare(&out, true).unwrap_err().to_string();
        assert!(
            err.contains("thesis.tex") && err.contains("did not write"),
            "{err}"
        );
        assert!(out.join("thesis.tex").exists(), "foreign files stay");
        let stamp = default_dir("paper");
        assert!(
            stamp.to_string_lossy().starts_with("runs/paper-20"),
            "{}",
            stamp.display()
        );
    }
}
