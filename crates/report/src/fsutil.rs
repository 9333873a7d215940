//! Atomic file writes: write `NAME.tmp` next to the target, then rename it over `NAME`.

use std::fs;
use std::path::{Path, PathBuf};

use crate::ReportError;

/// `path` with `.tmp` appended to its file name (`summary.json` → `summary.json.tmp`).
pub(crate) fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Creates `dir` (and parents) if it does not exist.
pub(crate) fn ensure_dir(dir: &Path) -> Result<(), ReportError> {
    fs::create_dir_all(dir).map_err(|e| ReportError::io("create directory", dir, e))
}

/// Writes `bytes` to `path` atomically; no `.tmp` file is left behind on failure.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let tmp = tmp_path(path);
    if let Err(e) = fs::write(&tmp, bytes) {
        let _ = fs::remove_file(&tmp);
        return Err(ReportError::io("write", tmp, e));
    }
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(ReportError::io("rename into place", path, e));
    }
    Ok(())
}
