//! Every kind of bad input yields a typed error naming the file and the
//! problem. Fixtures are tiny IDX sets written into a temporary directory.

mod common;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;
use oddeven_data::{load_mnist, DataError, MnistRaw, IMAGE_PIXELS};

const TRAIN_IMAGES: &str = "train-images-idx3-ubyte";
const TRAIN_LABELS: &str = "train-labels-idx1-ubyte";
const TEST_IMAGES: &str = "t10k-images-idx3-ubyte";
const TEST_LABELS: &str = "t10k-labels-idx1-ubyte";

fn images_idx(count: u32, rows: u32, cols: u32, pixels: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for word in [0x0803, count, rows, cols] {
        out.extend_from_slice(&u32::to_be_bytes(word));
    }
    out.extend_from_slice(pixels);
    out
}

fn labels_idx(count: u32, labels: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for word in [0x0801, count] {
        out.extend_from_slice(&u32::to_be_bytes(word));
    }
    out.extend_from_slice(labels);
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn pixels(n: usize, seed: u8) -> Vec<u8> {
    (0..n * IMAGE_PIXELS)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// A valid set: 6 train and 4 t10k images, written `.gz` or plain.
/// Returns the directory and the expected combined data.
fn fixture(gz: bool) -> (tempfile::TempDir, MnistRaw) {
    let dir = tempfile::tempdir().unwrap();
    let train_px = pixels(6, 1);
    let test_px = pixels(4, 2);
    let train_lb = [0, 1, 2, 3, 9, 8];
    let test_lb = [7, 6, 5, 4];
    let files = [
        (TRAIN_IMAGES, images_idx(6, 28, 28, &train_px)),
        (TRAIN_LABELS, labels_idx(6, &train_lb)),
        (TEST_IMAGES, images_idx(4, 28, 28, &test_px)),
        (TEST_LABELS, labels_idx(4, &test_lb)),
    ];
    for (name, bytes) in files {
        write(dir.path(), name, gz, &bytes);
    }
    let raw = MnistRaw {
        images: [train_px, test_px].concat(),
        labels: [&train_lb[..], &test_lb[..]].concat(),
    };
    (dir, raw)
}

/// Writes `<name>.gz` (compressing) or `<name>`, returning the path.
fn write(dir: &Path, name: &str, gz: bool, idx: &[u8]) -> PathBuf {
    let path = if gz {
        dir.join(format!("{name}.gz"))
    } else {
        dir.join(name)
    };
    let bytes = if gz { gzip(idx) } else { idx.to_vec() };
    fs::write(&path, bytes).unwrap();
    path
}

/// Loads `dir`, expecting an error whose message names `file` and contains
/// every one of `needles`.
fn expect_err(dir: &Path, file: &Path, needles: &[&str]) -> DataError {
    let err = match load_mnist(dir) {
        Ok(raw) => panic!("expected an error, loaded {} examples", raw.len()),
        Err(e) => e,
    };
    let msg = err.to_string();
    eprintln!("{msg}");
    assert!(
        msg.contains(&file.display().to_string()),
        "message does not name {}: {msg}",
        file.display()
    );
    for needle in needles {
        assert!(msg.contains(needle), "message lacks {needle:?}: {msg}");
    }
    err
}

#[test]
fn valid_fixtures_load_gz_and_plain_alike() {
    for gz in [true, false] {
        let (dir, expected) = fixture(gz);
        assert_eq!(load_mnist(dir.path()).unwrap(), expected);
    }
}

#[test]
fn gz_is_preferred_when_both_exist() {
    let (dir, expected) = fixture(true);
    // A broken plain copy beside a good .gz must not be read.
    fs::write(dir.path().join(TRAIN_IMAGES), b"junk").unwrap();
    assert_eq!(load_mnist(dir.path()).unwrap(), expected);
}

#[test]
fn mixed_gz_and_plain_files_load() {
    let (dir, expected) = fixture(true);
    let gz = dir.path().join(format!("{TEST_LABELS}.gz"));
    fs::remove_file(&gz).unwrap();
    write(
        dir.path(),
        TEST_LABELS,
        false,
        &labels_idx(4, &[7, 6, 5, 4]),
    );
    assert_eq!(load_mnist(dir.path()).unwrap(), expected);
}

#[test]
fn missing_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nowhere");
    let err = expect_err(
        &dir,
        &dir,
        &[
            "does not exist",
            "--data-dir",
            "ODDEVEN_DATA",
            "cargo xtask fetch-mnist",
        ],
    );
    assert!(matches!(err, DataError::MissingDir { .. }));
}

#[test]
fn missing_file() {
    let (dir, _) = fixture(true);
    fs::remove_file(dir.path().join(format!("{TEST_LABELS}.gz"))).unwrap();
    let err = expect_err(
        dir.path(),
        dir.path(),
        &[TEST_LABELS, "not found", "--data-dir", "fetch-mnist"],
    );
    assert!(matches!(
        err,
        DataError::MissingFile {
            name: TEST_LABELS,
            ..
        }
    ));
}

#[test]
fn empty_files() {
    for gz in [true, false] {
        let (dir, _) = fixture(gz);
        let name = if gz {
            format!("{TRAIN_LABELS}.gz")
        } else {
            TRAIN_LABELS.to_string()
        };
        let path = dir.path().join(name);
        fs::write(&path, []).unwrap();
        let err = expect_err(dir.path(), &path, &["empty"]);
        assert!(matches!(err, DataError::EmptyFile { .. }));
    }
    // A valid gzip stream of nothing is just as empty.
    let (dir, _) = fixture(true);
    let path = write(dir.path(), TEST_IMAGES, true, &[]);
    expect_err(dir.path(), &path, &["empty"]);
}

#[test]
fn truncated_plain_file() {
    let (dir, _) = fixture(false);
    let mut bytes = images_idx(4, 28, 28, &pixels(4, 2));
    bytes.truncate(bytes.len() - 100);
    let path = write(dir.path(), TEST_IMAGES, false, &bytes);
    let err = expect_err(
        dir.path(),
        &path,
        &["truncated", "declares 4 items", "3036 bytes"],
    );
    assert!(matches!(err, DataError::Truncated { .. }));
}

#[test]
fn truncated_header() {
    let (dir, _) = fixture(true);
    let bytes = images_idx(6, 28, 28, &[]);
    let path = write(dir.path(), TRAIN_IMAGES, true, &bytes[..10]);
    let err = expect_err(dir.path(), &path, &["16-byte IDX header", "truncated"]);
    assert!(matches!(err, DataError::TruncatedHeader { len: 10, .. }));
}

#[test]
fn truncated_copy_of_real_gz() {
    let (dir, _) = fixture(true);
    let real = fs::read(common::real_data_dir().join(format!("{TEST_LABELS}.gz"))).unwrap();
    let path = dir.path().join(format!("{TEST_LABELS}.gz"));
    fs::write(&path, &real[..real.len() / 2]).unwrap();
    let err = expect_err(dir.path(), &path, &["corrupt gzip", "truncated"]);
    assert!(matches!(err, DataError::CorruptGzip { .. }));
}

#[test]
fn wrong_magic() {
    let (dir, _) = fixture(true);
    let mut bytes = labels_idx(6, &[0, 1, 2, 3, 9, 8]);
    bytes[3] ^= 0x40;
    let path = write(dir.path(), TRAIN_LABELS, true, &bytes);
    let err = expect_err(
        dir.path(),
        &path,
        &["wrong magic number", "0x00000841", "0x00000801"],
    );
    assert!(matches!(err, DataError::BadMagic { found: 0x841, .. }));
}

#[test]
fn images_and_labels_swapped() {
    let (dir, _) = fixture(false);
    let path = write(
        dir.path(),
        TEST_IMAGES,
        false,
        &labels_idx(4, &[7, 6, 5, 4]),
    );
    expect_err(
        dir.path(),
        &path,
        &["wrong magic number", "that is a labels file"],
    );
}

#[test]
fn header_count_larger_than_data() {
    let (dir, _) = fixture(true);
    let path = write(
        dir.path(),
        TRAIN_LABELS,
        true,
        &labels_idx(7, &[0, 1, 2, 3, 9, 8]),
    );
    expect_err(
        dir.path(),
        &path,
        &["truncated", "declares 7 items", "only 6 bytes"],
    );
}

#[test]
fn header_count_smaller_than_data() {
    let (dir, _) = fixture(true);
    let path = write(
        dir.path(),
        TRAIN_IMAGES,
        true,
        &images_idx(5, 28, 28, &pixels(6, 1)),
    );
    let err = expect_err(
        dir.path(),
        &path,
        &[
            "header count does not match",
            "declares 5 items",
            "4704 bytes",
        ],
    );
    assert!(matches!(err, DataError::CountMismatch { count: 5, .. }));
}

#[test]
fn images_and_labels_differ_in_count() {
    let (dir, _) = fixture(true);
    let labels = write(dir.path(), TEST_LABELS, true, &labels_idx(3, &[7, 6, 5]));
    let images = dir.path().join(format!("{TEST_IMAGES}.gz"));
    let err = expect_err(
        dir.path(),
        &labels,
        &["4 images", "3 labels", &images.display().to_string()],
    );
    assert!(matches!(
        err,
        DataError::ImageLabelMismatch {
            images: 4,
            labels: 3,
            ..
        }
    ));
}

#[test]
fn label_above_nine() {
    let (dir, _) = fixture(false);
    let path = write(
        dir.path(),
        TRAIN_LABELS,
        false,
        &labels_idx(6, &[0, 1, 2, 10, 9, 8]),
    );
    let err = expect_err(dir.path(), &path, &["label 10 at index 3", "above 9"]);
    assert!(matches!(
        err,
        DataError::LabelOutOfRange {
            index: 3,
            label: 10,
            ..
        }
    ));
}

#[test]
fn gz_name_but_not_gzip() {
    let (dir, _) = fixture(true);
    let path = dir.path().join(format!("{TRAIN_IMAGES}.gz"));
    fs::write(&path, b"<html>404 Not Found</html>").unwrap();
    let err = expect_err(dir.path(), &path, &["not gzip", "3c 68 74 6d"]);
    assert!(matches!(err, DataError::NotGzip { .. }));
}

#[test]
fn corrupt_gzip() {
    let (dir, _) = fixture(true);
    let path = dir.path().join(format!("{TRAIN_IMAGES}.gz"));
    let mut bytes = fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 8] {
        *b ^= 0xff;
    }
    fs::write(&path, bytes).unwrap();
    let err = expect_err(dir.path(), &path, &["corrupt gzip"]);
    assert!(matches!(err, DataError::CorruptGzip { .. }));
}

#[test]
fn images_not_28_by_28() {
    let (dir, _) = fixture(true);
    let path = write(
        dir.path(),
        TEST_IMAGES,
        true,
        &images_idx(4, 32, 32, &vec![0; 4 * 32 * 32]),
    );
    let err = expect_err(dir.path(), &path, &["32x32", "28x28"]);
    assert!(matches!(
        err,
        DataError::BadImageSize {
            rows: 32,
            cols: 32,
            ..
        }
    ));
}
