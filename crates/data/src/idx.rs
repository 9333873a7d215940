//! IDX parsing and loading of the four MNIST-layout files.
//!
//! We parse IDX ourselves instead of using the `mnist` crate: that crate
//! panics on malformed input and hard-codes MNIST's counts, while the format
//! is a 16-byte header and raw bytes, so a parser that checks every field and
//! names the file in each error is shorter than the validation we would need
//! in front of it. Nothing here assumes MNIST's counts, so Fashion-MNIST,
//! KMNIST and other 28×28, 10-class IDX data sets load the same way.

use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;

use crate::{DataError, IMAGE_COLS, IMAGE_PIXELS, IMAGE_ROWS};

/// IDX magic for unsigned-byte data with three dimensions (count, rows, cols).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// IDX magic for unsigned-byte data with one dimension (count).
pub const LABELS_MAGIC: u32 = 0x0000_0801;

const IMAGES_HEADER: usize = 16;
const LABELS_HEADER: usize = 8;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// File names without the `.gz` suffix, in load order: train then t10k.
pub const TRAIN_IMAGES: &str = "train-images-idx3-ubyte";
pub const TRAIN_LABELS: &str = "train-labels-idx1-ubyte";
pub const TEST_IMAGES: &str = "t10k-images-idx3-ubyte";
pub const TEST_LABELS: &str = "t10k-labels-idx1-ubyte";
/// All four base names, images and labels of train, then of t10k.
pub const FILE_NAMES: [&str; 4] = [TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS];

/// The whole data set as stored: raw pixels and digit labels.
///
/// The fields are public so that tests elsewhere can build small synthetic
/// sets; code that reads them goes through [`MnistRaw::len`] and
/// [`MnistRaw::image`], which tolerate inconsistent hand-built values instead
/// of panicking.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MnistRaw {
    /// `len() * 784` bytes, one 28×28 image after another, row-major, 0 = background.
    pub images: Vec<u8>,
    /// One digit 0–9 per image.
    pub labels: Vec<u8>,
}

impl MnistRaw {
    /// Number of complete (image, label) pairs.
    pub fn len(&self) -> usize {
        self.labels.len().min(self.images.len() / IMAGE_PIXELS)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The 784 pixels of image `i`, or `None` past the end.
    pub fn image(&self, i: usize) -> Option<&[u8]> {
        let start = i.checked_mul(IMAGE_PIXELS)?;
        self.images.get(start..start.checked_add(IMAGE_PIXELS)?)
    }
}

/// Finds `<name>.gz` or `<name>` in `dir`.
///
/// The `.gz` form wins when both exist because it is what the downloader
/// writes and checksums; a plain file is accepted for people who unpacked
/// their copy.
pub fn find_file(dir: &Path, name: &'static str) -> Result<PathBuf, DataError> {
    if !dir.is_dir() {
        return Err(DataError::MissingDir {
            dir: dir.to_path_buf(),
        });
    }
    let gz = dir.join(format!("{name}.gz"));
    if gz.is_file() {
        return Ok(gz);
    }
    let plain = dir.join(name);
    if plain.is_file() {
        return Ok(plain);
    }
    Err(DataError::MissingFile {
        dir: dir.to_path_buf(),
        name,
    })
}

/// Reads a file, transparently gunzipping it when its name ends in `.gz`.
///
/// Whether to decompress is decided by the name, not by sniffing, so that a
/// file named `.gz` that is not gzip is reported rather than silently
/// accepted: it usually means a failed download saved an HTML error page.
pub fn read_maybe_gz(path: &Path) -> Result<Vec<u8>, DataError> {
    let raw = std::fs::read(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        action: "cannot read file",
        source,
    })?;
    if raw.is_empty() {
        return Err(DataError::EmptyFile {
            path: path.to_path_buf(),
        });
    }
    if path.extension().is_none_or(|e| e != "gz") {
        return Ok(raw);
    }
    if raw.len() < 2 || raw[..2] != GZIP_MAGIC {
        let found = raw
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ");
        return Err(DataError::NotGzip {
            path: path.to_path_buf(),
            found,
        });
    }
    // The gzip trailer stores the uncompressed size mod 2^32; it is only a
    // capacity hint, capped so that a corrupt trailer cannot force a huge
    // allocation.
    let hint = raw
        .len()
        .checked_sub(4)
        .and_then(|at| raw.get(at..))
        .and_then(|t| <[u8; 4]>::try_from(t).ok())
        .map_or(0, |t| u32::from_le_bytes(t) as usize)
        .min(raw.len().saturating_mul(64))
        .min(1 << 28);
    let mut out = Vec::with_capacity(hint);
    GzDecoder::new(raw.as_slice())
        .read_to_end(&mut out)
        .map_err(|e| DataError::CorruptGzip {
            path: path.to_path_buf(),
            detail: if e.kind() == std::io::ErrorKind::UnexpectedEof {
                "gzip stream is truncated".to_string()
            } else {
                e.to_string()
            },
        })?;
    if out.is_empty() {
        return Err(DataError::EmptyFile {
            path: path.to_path_buf(),
        });
    }
    Ok(out)
}

fn be_u32(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    if let Some(src) = bytes.get(at..at + 4) {
        word.copy_from_slice(src);
    }
    u32::from_be_bytes(word)
}

/// Checks the magic and the header length, returning the declared count.
fn check_header(
    path: &Path,
    bytes: &[u8],
    magic: u32,
    kind: &'static str,
    header: usize,
) -> Result<u32, DataError> {
    if bytes.is_empty() {
        return Err(DataError::EmptyFile {
            path: path.to_path_buf(),
        });
    }
    if bytes.len() < 4 {
        return Err(DataError::TruncatedHeader {
            path: path.to_path_buf(),
            len: bytes.len(),
            needed: header,
        });
    }
    let found = be_u32(bytes, 0);
    if found != magic {
        return Err(DataError::BadMagic {
            path: path.to_path_buf(),
            found,
            expected: magic,
            kind,
        });
    }
    if bytes.len() < header {
        return Err(DataError::TruncatedHeader {
            path: path.to_path_buf(),
            len: bytes.len(),
            needed: header,
        });
    }
    Ok(be_u32(bytes, 4))
}

/// Compares the declared item count with the bytes present after the header.
fn check_length(path: &Path, count: u32, item_bytes: u64, actual: usize) -> Result<(), DataError> {
    let expected = u64::from(count) * item_bytes;
    let actual = actual as u64;
    if actual < expected {
        Err(DataError::Truncated {
            path: path.to_path_buf(),
            count,
            expected,
            actual,
        })
    } else if actual > expected {
        Err(DataError::CountMismatch {
            path: path.to_path_buf(),
            count,
            expected,
            actual,
        })
    } else {
        Ok(())
    }
}

/// Parses an IDX3 image file's bytes into raw pixels (header removed).
///
/// Takes the buffer by value so the 47 MB of MNIST training pixels are
/// reused in place rather than copied.
pub fn parse_images(path: &Path, mut bytes: Vec<u8>) -> Result<Vec<u8>, DataError> {
    let count = check_header(path, &bytes, IMAGES_MAGIC, "IDX images", IMAGES_HEADER)?;
    let rows = be_u32(&bytes, 8);
    let cols = be_u32(&bytes, 12);
    if rows as usize != IMAGE_ROWS || cols as usize != IMAGE_COLS {
        return Err(DataError::BadImageSize {
            path: path.to_path_buf(),
            rows,
            cols,
        });
    }
    check_length(
        path,
        count,
        IMAGE_PIXELS as u64,
        bytes.len() - IMAGES_HEADER,
    )?;
    bytes.drain(..IMAGES_HEADER);
    Ok(bytes)
}

/// Parses an IDX1 label file's bytes into labels (header removed), rejecting
/// anything above 9 because every consumer sizes its output layer for ten
/// digits.
pub fn parse_labels(path: &Path, mut bytes: Vec<u8>) -> Result<Vec<u8>, DataError> {
    let count = check_header(path, &bytes, LABELS_MAGIC, "IDX labels", LABELS_HEADER)?;
    check_length(path, count, 1, bytes.len() - LABELS_HEADER)?;
    bytes.drain(..LABELS_HEADER);
    if let Some((index, &label)) = bytes.iter().enumerate().find(|(_, &l)| l > 9) {
        return Err(DataError::LabelOutOfRange {
            path: path.to_path_buf(),
            index,
            label,
        });
    }
    Ok(bytes)
}

/// Reads and parses one images file (plain or `.gz`).
pub fn read_images(path: &Path) -> Result<Vec<u8>, DataError> {
    parse_images(path, read_maybe_gz(path)?)
}

/// Reads and parses one labels file (plain or `.gz`).
pub fn read_labels(path: &Path) -> Result<Vec<u8>, DataError> {
    parse_labels(path, read_maybe_gz(path)?)
}

/// Loads one images/labels pair and checks that their counts agree.
pub fn load_pair(images_path: &Path, labels_path: &Path) -> Result<MnistRaw, DataError> {
    let images = read_images(images_path)?;
    let labels = read_labels(labels_path)?;
    let n_images = images.len() / IMAGE_PIXELS;
    if n_images != labels.len() {
        return Err(DataError::ImageLabelMismatch {
            images_path: images_path.to_path_buf(),
            images: n_images,
            labels_path: labels_path.to_path_buf(),
            labels: labels.len(),
        });
    }
    Ok(MnistRaw { images, labels })
}

/// Loads train and t10k from `dir` and concatenates them, train first.
///
/// The study pools all 70,000 images before carving out its own odd/even
/// splits, so the official train/test boundary is not kept. Each file may be
/// `.gz` or plain (see [`find_file`]). All four files are located before any
/// is read, so a missing file is reported without first spending time on
/// decompression.
pub fn load_mnist(dir: &Path) -> Result<MnistRaw, DataError> {
    let paths = FILE_NAMES
        .iter()
        .map(|name| find_file(dir, name))
        .collect::<Result<Vec<_>, _>>()?;
    let mut all = load_pair(&paths[0], &paths[1])?;
    let test = load_pair(&paths[2], &paths[3])?;
    all.images.extend_from_slice(&test.images);
    all.labels.extend_from_slice(&test.labels);
    Ok(all)
}
