//! Downloading the four `.gz` files of a data set (MNIST, Fashion-MNIST)
//! from a mirror, with size and sha256 checks.
//!
//! A file only ever appears under its real name after its checksum matched:
//! bytes go to a hidden temporary file in the target directory, which is
//! renamed into place on success and deleted on any failure. The rename is
//! within one directory, so it is atomic, and an interrupted run leaves at
//! worst a `.<name>.gz.*.part` file that the loader never looks at.

use std::fs::File;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};

use crate::idx::{find_file, FILE_NAMES};
use crate::{
    download_dataset, load_or_download_dataset, DataError, Dataset, MirrorFailure, MnistRaw,
};

/// MNIST mirrors tried in order when neither a config nor the environment
/// says otherwise.
pub const DEFAULT_MIRRORS: [&str; 2] = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
];

/// Environment variable with one or more comma-separated MNIST mirror base
/// URLs.
pub const MIRROR_ENV: &str = "ODDEVEN_MNIST_MIRROR";

/// One of the four distribution files of a data set and its published
/// checksum (the name is historical: Fashion-MNIST's files use it too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MnistFile {
    /// Base name; the download is `<name>.gz`.
    pub name: &'static str,
    /// Size of the `.gz` file in bytes.
    pub gz_bytes: u64,
    /// Lower-case hex sha256 of the `.gz` file.
    pub sha256: &'static str,
}

/// The original MNIST `.gz` files (LeCun, Cortes, Burges), as published.
pub const MNIST_FILES: [MnistFile; 4] = [
    MnistFile {
        name: FILE_NAMES[0],
        gz_bytes: 9_912_422,
        sha256: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    },
    MnistFile {
        name: FILE_NAMES[1],
        gz_bytes: 28_881,
        sha256: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    },
    MnistFile {
        name: FILE_NAMES[2],
        gz_bytes: 1_648_877,
        sha256: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    },
    MnistFile {
        name: FILE_NAMES[3],
        gz_bytes: 4_542,
        sha256: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
];

/// Where to download from, what to expect and whether to show progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadConfig {
    /// Base URLs tried in order; `<name>.gz` is appended (a missing trailing
    /// '/' is added).
    pub mirrors: Vec<String>,
    /// Show a progress bar when stderr is a terminal, or one line per file
    /// when it is not. `false` is silent.
    pub progress: bool,
    /// The expected files, sizes and sha256; `None` (the default) means the
    /// data set's published table ([`Dataset::files`]). Set only by tests
    /// that serve fixture files of their own.
    pub files: Option<Vec<MnistFile>>,
}

impl Default for DownloadConfig {
    /// MNIST's: mirrors from `ODDEVEN_MNIST_MIRROR` if set and non-empty,
    /// else [`DEFAULT_MIRRORS`]; progress on.
    fn default() -> Self {
        Self::for_dataset(Dataset::Mnist)
    }
}

impl DownloadConfig {
    /// The default config as it would be with `ODDEVEN_MNIST_MIRROR` set to
    /// `value`; split out so it can be tested without touching the process
    /// environment.
    pub fn from_env_value(value: Option<&str>) -> Self {
        Self {
            mirrors: Dataset::Mnist.mirrors_from_env_value(value),
            progress: true,
            files: None,
        }
    }

    /// `dataset`'s config: mirrors from its environment variable
    /// ([`Dataset::mirror_env`]) if set and non-empty, else its built-in
    /// mirrors; progress on.
    pub fn for_dataset(dataset: Dataset) -> Self {
        Self {
            mirrors: dataset.configured_mirrors(),
            progress: true,
            files: None,
        }
    }
}

/// Splits a comma-separated list of base URLs, dropping blanks.
pub fn parse_mirror_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Base names (without `.gz`) of the files that are in neither `.gz` nor
/// plain form in `dir`; all four when `dir` does not exist.
pub fn missing_files(dir: &Path) -> Vec<&'static str> {
    FILE_NAMES
        .iter()
        .copied()
        .filter(|name| find_file(dir, name).is_err())
        .collect()
}

/// Downloads the missing MNIST files into `dir` (created if needed),
/// verifying each against [`MNIST_FILES`]; returns the paths written.
/// [`download_dataset`] for [`Dataset::Mnist`].
pub fn download_mnist(dir: &Path, cfg: &DownloadConfig) -> Result<Vec<PathBuf>, DataError> {
    download_dataset(Dataset::Mnist, dir, cfg)
}

/// Loads MNIST from `dir`, downloading whatever is missing first.
/// [`load_or_download_dataset`] for [`Dataset::Mnist`].
pub fn load_or_download(dir: &Path, cfg: &DownloadConfig) -> Result<MnistRaw, DataError> {
    load_or_download_dataset(Dataset::Mnist, dir, cfg)
}

/// Fetches those of `files` that are missing from `dir`, each from the first
/// of `mirrors` that delivers it intact.
pub(crate) fn download_files(
    dataset: Dataset,
    dir: &Path,
    files: &[MnistFile],
    mirrors: &[String],
    progress: bool,
) -> Result<Vec<PathBuf>, DataError> {
    let missing = missing_files(dir);
    if missing.is_empty() {
        return Ok(Vec::new());
    }
    std::fs::create_dir_all(dir).map_err(|source| DataError::Io {
        path: dir.to_path_buf(),
        action: "cannot create data directory",
        source,
    })?;
    let mut written = Vec::new();
    for file in files.iter().filter(|f| missing.contains(&f.name)) {
        let mut attempts = Vec::new();
        let mut done = None;
        for base in mirrors {
            let url = file_url(base, file.name);
            match fetch_verified(&url, dir, file, progress) {
                Ok(path) => {
                    done = Some(path);
                    break;
                }
                Err(reason) => attempts.push(MirrorFailure { url, reason }),
            }
        }
        match done {
            Some(path) => written.push(path),
            None => {
                return Err(DataError::DownloadFailed {
                    dataset,
                    file: format!("{}.gz", file.name),
                    dir: dir.to_path_buf(),
                    attempts,
                })
            }
        }
    }
    Ok(written)
}

fn file_url(base: &str, name: &str) -> String {
    let sep = if base.ends_with('/') { "" } else { "/" };
    format!("{base}{sep}{name}.gz")
}

/// Proxies configured in the environment would intercept requests to a
/// local test mirror, so loopback URLs bypass them.
fn is_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    ["127.", "localhost:", "localhost/", "[::1]"]
        .iter()
        .any(|p| rest.starts_with(p))
}

fn agent_for(url: &str) -> ureq::Agent {
    let mut builder = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(15)))
        .timeout_recv_response(Some(Duration::from_secs(30)))
        // Catches a stalled transfer long before the global limit would.
        .timeout_per_read(Some(Duration::from_secs(30)))
        .timeout_global(Some(Duration::from_secs(15 * 60)))
        .user_agent(concat!("oddeven-data/", env!("CARGO_PKG_VERSION")));
    if is_loopback(url) {
        builder = builder.proxy(None);
    }
    builder.build().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn progress_bar(file: &MnistFile, url: &str, enabled: bool) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    if !std::io::stderr().is_terminal() {
        eprintln!("downloading {url} ({} bytes)", file.gz_bytes);
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(file.gz_bytes);
    if let Ok(style) = ProgressStyle::with_template(
        "{msg:28} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(format!("{}.gz", file.name));
    pb
}

/// One attempt at one mirror. The error is a plain reason string because
/// it only ever ends up in [`DataError::DownloadFailed`]'s list.
fn fetch_verified(
    url: &str,
    dir: &Path,
    file: &MnistFile,
    progress: bool,
) -> Result<PathBuf, String> {
    let mut response = agent_for(url).get(url).call().map_err(|e| e.to_string())?;
    if let Some(len) = response.body().content_length() {
        if len != file.gz_bytes {
            return Err(format!(
                "server announced {len} bytes, expected {}",
                file.gz_bytes
            ));
        }
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{}.gz.", file.name))
        .suffix(".part")
        .tempfile_in(dir)
        .map_err(|e| format!("cannot create a temporary file in {}: {e}", dir.display()))?;
    let pb = progress_bar(file, url, progress);
    let mut reader = response.body_mut().as_reader();
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                pb.abandon();
                return Err(format!("transfer failed after {total} bytes: {e}"));
            }
        };
        total += n as u64;
        if total > file.gz_bytes {
            pb.abandon();
            return Err(format!(
                "server sent more than the expected {} bytes",
                file.gz_bytes
            ));
        }
        let chunk = &buf[..n];
        hasher.update(chunk);
        tmp.write_all(chunk)
            .map_err(|e| format!("cannot write {}: {e}", tmp.path().display()))?;
        pb.inc(n as u64);
    }
    pb.finish_and_clear();
    if total != file.gz_bytes {
        return Err(format!("got {total} bytes, expected {}", file.gz_bytes));
    }
    let actual = hex(&hasher.finalize());
    if actual != file.sha256 {
        return Err(format!(
            "sha256 checksum mismatch: expected {}, got {actual}; file discarded",
            file.sha256
        ));
    }
    finish(tmp, dir, file)
}

/// Makes the verified temporary file durable and moves it into place.
fn finish(tmp: tempfile::NamedTempFile, dir: &Path, file: &MnistFile) -> Result<PathBuf, String> {
    let tmp_path = tmp.path().to_path_buf();
    tmp.as_file()
        .sync_all()
        .map_err(|e| format!("cannot flush {}: {e}", tmp_path.display()))?;
    // Temporary files are created owner-only; the data should be readable
    // like any other download.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp_path, std::fs::Permissions::from_mode(0o644))
            .map_err(|e| format!("cannot set permissions on {}: {e}", tmp_path.display()))?;
    }
    let target = dir.join(format!("{}.gz", file.name));
    tmp.persist(&target)
        .map_err(|e| format!("cannot rename into {}: {}", target.display(), e.error))?;
    // Best effort: a failed directory sync cannot un-verify the file.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirror_list_parsing() {
        assert_eq!(parse_mirror_list(" a/ , ,b "), vec!["a/", "b"]);
        let cfg = DownloadConfig::from_env_value(Some("http://x/mnist"));
        assert_eq!(cfg.mirrors, vec!["http://x/mnist"]);
        let cfg = DownloadConfig::from_env_value(Some(" , "));
        assert_eq!(cfg.mirrors.len(), DEFAULT_MIRRORS.len());
        assert_eq!(
            DownloadConfig::from_env_value(None).mirrors[0],
            DEFAULT_MIRRORS[0]
        );
    }

    #[test]
    fn urls_and_loopback() {
        assert_eq!(file_url("http://h/m", "a"), "http://h/m/a.gz");
        assert_eq!(file_url("http://h/m/", "a"), "http://h/m/a.gz");
        assert!(is_loopback("http://127.0.0.1:80/x"));
        assert!(is_loopback("http://localhost:8000/"));
        assert!(!is_loopback("https://storage.googleapis.com/"));
    }

    #[test]
    fn hex_is_lowercase() {
        assert_eq!(hex(&[0x00, 0xab, 0x0f]), "00ab0f");
    }
}
