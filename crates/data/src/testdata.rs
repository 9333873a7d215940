//! Where the tests of every crate find real MNIST.
//!
//! Tests resolve the data as the CLI does, so that `cargo test` works on a
//! fresh clone: `ODDEVEN_DATA`, else `data/mnist` in the workspace, with one
//! more place to look (`../shared/mnist` beside the workspace, used by CI and
//! on the developers' machines), and only then a download into `data/mnist`.

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use crate::{download_mnist, missing_files, DataError, DownloadConfig, DATA_ENV, DEFAULT_DATA_DIR};

/// The workspace root: two levels above this crate's manifest. Canonical
/// where possible so that the line printed for the user has no `..`.
pub fn workspace_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    dir.canonicalize().unwrap_or(dir)
}

/// The directory holding real MNIST for tests, and one line saying where it
/// came from (e.g. `MNIST from ODDEVEN_DATA=/x (complete)`).
///
/// In order: `ODDEVEN_DATA` if set and non-empty (missing files are
/// downloaded into it, as the CLI would); else `<workspace>/data/mnist` if
/// complete; else `<workspace>/../shared/mnist` if complete; else the missing
/// files are downloaded into `<workspace>/data/mnist` (mirrors from
/// `ODDEVEN_MNIST_MIRROR`, else the built-in ones).
///
/// "Complete" means the four files are present (`.gz` or plain); the loader
/// checks their contents. The answer is computed once per process: threads
/// that ask while the first is downloading wait for it. Test binaries running
/// at the same time may each fetch a missing file, which is harmless because
/// every download is written to a temporary file and renamed into place only
/// after its checksum matched.
pub fn test_data_dir() -> Result<(PathBuf, String), DataError> {
    static RESOLVED: Mutex<Option<(PathBuf, String)>> = Mutex::new(None);
    // A panic while holding the lock leaves nothing half-done that matters:
    // the downloader never exposes partial files.
    let mut cached = RESOLVED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(found) = cached.as_ref() {
        return Ok(found.clone());
    }
    let env = std::env::var_os(DATA_ENV);
    let found = resolve_test_data(env.as_deref(), &workspace_dir(), &|dir| {
        // Progress shows as a bar on a terminal; 11 MB should not look hung.
        download_mnist(dir, &DownloadConfig::default()).map(|written| written.len())
    })?;
    *cached = Some(found.clone());
    Ok(found)
}

/// [`test_data_dir`], and its line written to stderr the first time in this
/// process. The line goes straight to the stderr handle, which the test
/// harness does not capture, so it shows once per test binary.
pub fn announce_test_data_dir() -> Result<PathBuf, DataError> {
    static ANNOUNCED: OnceLock<()> = OnceLock::new();
    let (dir, line) = test_data_dir()?;
    ANNOUNCED.get_or_init(|| {
        let _ = writeln!(std::io::stderr(), "{line}");
    });
    Ok(dir)
}

/// The resolution of [`test_data_dir`] with the environment value and the
/// workspace passed in and the download injected, so it can be tested
/// without touching the process environment or the network. `download`
/// fetches the missing files into a directory and returns how many it wrote.
pub fn resolve_test_data(
    env: Option<&OsStr>,
    workspace: &Path,
    download: &dyn Fn(&Path) -> Result<usize, DataError>,
) -> Result<(PathBuf, String), DataError> {
    let complete = |dir: &Path| missing_files(dir).is_empty();
    let fetched = |n: usize| match n {
        1 => "downloaded 1 missing file".to_string(),
        n => format!("downloaded {n} missing files"),
    };
    if let Some(env) = env.filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(env);
        let state = if complete(&dir) {
            "complete".to_string()
        } else {
            fetched(download(&dir)?)
        };
        let line = format!("MNIST from {DATA_ENV}={} ({state})", dir.display());
        return Ok((dir, line));
    }
    let local = workspace.join(DEFAULT_DATA_DIR);
    if complete(&local) {
        let line = format!("MNIST from {} (complete)", local.display());
        return Ok((local, line));
    }
    let shared = workspace.join("../shared/mnist");
    if complete(&shared) {
        let shared = shared.canonicalize().unwrap_or(shared);
        let line = format!(
            "MNIST from {} (../shared/mnist beside the workspace, complete)",
            shared.display()
        );
        return Ok((shared, line));
    }
    let n = download(&local)?;
    let line = format!(
        "MNIST from {} ({}; {DATA_ENV} is unset and ../shared/mnist is incomplete)",
        local.display(),
        fetched(n)
    );
    Ok((local, line))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idx::FILE_NAMES;
    use std::cell::RefCell;

    /// Writes empty stand-ins for the four files: enough for "complete".
    fn fill(dir: &Path) {
        std::fs::create_dir_all(dir).unwrap();
        for name in FILE_NAMES {
            std::fs::write(dir.join(format!("{name}.gz")), b"").unwrap();
        }
    }

    /// Resolves with a fake download that records where it was asked to
    /// write and fills that directory.
    fn resolve(env: Option<&Path>, ws: &Path) -> ((PathBuf, String), Vec<PathBuf>) {
        let calls = RefCell::new(Vec::new());
        let download = |dir: &Path| {
            calls.borrow_mut().push(dir.to_path_buf());
            fill(dir);
            Ok(4)
        };
        let found = resolve_test_data(env.map(Path::as_os_str), ws, &download).unwrap();
        (found, calls.into_inner())
    }

    #[test]
    fn order_env_then_local_then_shared_then_download() {
        let root = tempfile::tempdir().unwrap();
        let ws = root.path().join("main");
        let (local, shared) = (ws.join("data/mnist"), root.path().join("shared/mnist"));
        std::fs::create_dir_all(&ws).unwrap();

        // Nothing anywhere: download into data/mnist.
        let ((dir, line), calls) = resolve(None, &ws);
        assert_eq!((dir, calls), (local.clone(), vec![local.clone()]));
        assert!(line.contains("downloaded 4 missing files"), "{line}");

        // data/mnist now complete; shared complete too: local wins.
        fill(&shared);
        let ((dir, line), calls) = resolve(Some(Path::new("")), &ws);
        assert_eq!(dir, local);
        assert!(calls.is_empty());
        assert_eq!(line, format!("MNIST from {} (complete)", local.display()));

        // Local incomplete: shared is used, nothing downloaded.
        std::fs::remove_file(local.join(format!("{}.gz", FILE_NAMES[2]))).unwrap();
        let ((dir, line), calls) = resolve(None, &ws);
        assert_eq!(dir, shared.canonicalize().unwrap());
        assert!(calls.is_empty());
        assert!(
            line.contains("../shared/mnist beside the workspace"),
            "{line}"
        );

        // ODDEVEN_DATA wins over both, and is completed by a download.
        let env_dir = root.path().join("elsewhere");
        let ((dir, line), calls) = resolve(Some(&env_dir), &ws);
        assert_eq!((dir, calls), (env_dir.clone(), vec![env_dir.clone()]));
        let expect = format!(
            "MNIST from ODDEVEN_DATA={} (downloaded 4",
            env_dir.display()
        );
        assert!(line.starts_with(&expect), "{line}");
        let ((_, line), calls) = resolve(Some(&env_dir), &ws);
        assert!(calls.is_empty() && line.ends_with("(complete)"), "{line}");
    }

    #[test]
    fn download_failure_is_returned() {
        let root = tempfile::tempdir().unwrap();
        let fail = |dir: &Path| {
            Err(DataError::MissingDir {
                dir: dir.to_path_buf(),
            })
        };
        let err = resolve_test_data(None, root.path(), &fail).unwrap_err();
        assert!(err.to_string().contains("data/mnist"), "{err}");
    }
}
