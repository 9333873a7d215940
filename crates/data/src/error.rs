//! The one error type of this crate.
//!
//! Every variant that concerns a file carries its path, and every message ends
//! with what to do about it, because the usual reader is someone at a terminal
//! who just ran the CLI against the wrong directory.

use std::fmt::Write as _;
use std::path::PathBuf;

/// How to point the tools at a copy of MNIST; appended to "not found" errors.
pub const DATA_DIR_HINT: &str = "pass --data-dir DIR, set ODDEVEN_DATA=DIR, \
     or run `cargo xtask fetch-mnist` to download the files";

/// One failed attempt to fetch a file from one mirror.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorFailure {
    /// The full URL that was tried.
    pub url: String,
    /// Why it failed (HTTP status, I/O error, checksum mismatch, ...).
    pub reason: String,
}

/// Everything that can go wrong while locating, downloading, parsing or
/// splitting the data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    #[error("data directory {} does not exist; {DATA_DIR_HINT}", dir.display())]
    MissingDir { dir: PathBuf },

    #[error(
        "{} not found in {} (looked for {name}.gz and {name}); {DATA_DIR_HINT}",
        name, dir.display()
    )]
    MissingFile { dir: PathBuf, name: &'static str },

    #[error("{}: {action}: {source}", path.display())]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },

    #[error("{}: file is empty (or decompresses to nothing); delete it and copy or download it again", path.display())]
    EmptyFile { path: PathBuf },

    #[error(
        "{}: file ends after {len} bytes, inside the {needed}-byte IDX header \
         (truncated copy?); replace it with a complete file",
        path.display()
    )]
    TruncatedHeader {
        path: PathBuf,
        len: usize,
        needed: usize,
    },

    #[error(
        "{}: file is truncated: the header declares {count} items ({expected} bytes \
         of data) but only {actual} bytes follow the header; replace it with a complete file",
        path.display()
    )]
    Truncated {
        path: PathBuf,
        count: u32,
        expected: u64,
        actual: u64,
    },

    #[error(
        "{}: header count does not match the data length: the header declares {count} \
         items ({expected} bytes of data) but {actual} bytes follow the header; \
         the file is damaged or not an IDX file",
        path.display()
    )]
    CountMismatch {
        path: PathBuf,
        count: u32,
        expected: u64,
        actual: u64,
    },

    #[error(
        "{}: wrong magic number {found:#010x} (expected {expected:#010x} for {kind}){hint}; \
         is this the right file?",
        path.display(),
        hint = magic_hint(*found)
    )]
    BadMagic {
        path: PathBuf,
        found: u32,
        expected: u32,
        kind: &'static str,
    },

    #[error(
        "{}: images are {rows}x{cols}, but only 28x28 images are supported",
        path.display()
    )]
    BadImageSize { path: PathBuf, rows: u32, cols: u32 },

    #[error("{}: label {label} at index {index} is above 9; only digit labels 0-9 are supported", path.display())]
    LabelOutOfRange {
        path: PathBuf,
        index: usize,
        label: u8,
    },

    #[error(
        "{} holds {images} images but {} holds {labels} labels; the two files must come \
         from the same data set",
        images_path.display(), labels_path.display()
    )]
    ImageLabelMismatch {
        images_path: PathBuf,
        images: usize,
        labels_path: PathBuf,
        labels: usize,
    },

    #[error(
        "{}: named .gz but is not gzip data (starts with {found}); rename it without .gz \
         if it is a plain IDX file, or download it again",
        path.display()
    )]
    NotGzip { path: PathBuf, found: String },

    #[error("{}: corrupt gzip data ({detail}); delete it and download it again", path.display())]
    CorruptGzip { path: PathBuf, detail: String },

    #[error(
        "invalid digit set {input:?}: {reason} (use \"odd\", \"even\", \"all\", a list like \"0,1,2\", \
         a range like \"0-4\" or a mix like \"0-2,7\")"
    )]
    InvalidDigitSet { input: String, reason: String },

    #[error(
        "{}: {reason}; pass a PNG or JPEG picture (MNIST-style: a white digit on a black \
         background) or an IDX images file",
        path.display()
    )]
    BadImage { path: PathBuf, reason: String },

    #[error("unknown data set {input:?}: valid names are {valid}")]
    UnknownDataset { input: String, valid: String },

    #[error("invalid split: {0}")]
    InvalidSplit(String),

    #[error("{}", download_failed_message(*dataset, file, dir, attempts))]
    DownloadFailed {
        dataset: crate::Dataset,
        file: String,
        dir: PathBuf,
        attempts: Vec<MirrorFailure>,
    },
}

/// The loader only reads; mixing up images and labels is the likeliest cause
/// of a wrong magic, so say so when we can tell.
fn magic_hint(found: u32) -> &'static str {
    match found {
        crate::idx::IMAGES_MAGIC => " — that is an images file",
        crate::idx::LABELS_MAGIC => " — that is a labels file",
        _ => "",
    }
}

fn download_failed_message(
    dataset: crate::Dataset,
    file: &str,
    dir: &std::path::Path,
    attempts: &[MirrorFailure],
) -> String {
    let mut msg = format!("could not download {file} into {}: ", dir.display());
    if attempts.is_empty() {
        msg.push_str("no mirror configured");
    } else {
        msg.push_str("every mirror failed: ");
        for (i, a) in attempts.iter().enumerate() {
            if i > 0 {
                msg.push_str("; ");
            }
            let _ = write!(msg, "{} ({})", a.url, a.reason);
        }
    }
    let _ = write!(
        msg,
        ". Fix: set {} to a reachable base URL (comma-separated for several), \
         or copy the four {} .gz files into that directory yourself, \
         or point --data-dir / ODDEVEN_DATA at a local copy",
        dataset.mirror_env(),
        dataset.title(),
    );
    msg
}
