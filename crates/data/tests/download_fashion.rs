//! Fashion-MNIST through the generic downloader, against the loopback server
//! serving small fixture files this test writes. The real files cannot be
//! fetched here (no internet), so the expected table is injected with the
//! fixtures' own sizes and sha256; the published table is checked to reject
//! them.

mod common;

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::sync::Arc;

use common::server::{Files, Server};
use flate2::write::GzEncoder;
use flate2::Compression;
use oddeven_data::{
    download_dataset, load_mnist, load_or_download_dataset, missing_files, DataError, Dataset,
    DownloadConfig, MnistFile, FASHION_MNIST_FILES, IMAGE_PIXELS,
};
use sha2::{Digest, Sha256};

const TRAIN: usize = 12;
const TEST: usize = 5;

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// An IDX3 file of `n` 28×28 images; image i is filled with `i * 7 + salt`.
fn images_idx(n: usize, salt: u8) -> Vec<u8> {
    let mut out = vec![0, 0, 8, 3];
    for dim in [n as u32, 28, 28] {
        out.extend_from_slice(&dim.to_be_bytes());
    }
    for i in 0..n {
        out.extend(std::iter::repeat_n(
            (i as u8).wrapping_mul(7) ^ salt,
            IMAGE_PIXELS,
        ));
    }
    out
}

/// An IDX1 file of `n` labels cycling through 9, 8, ..., 0.
fn labels_idx(n: usize) -> Vec<u8> {
    let mut out = vec![0, 0, 8, 1];
    out.extend_from_slice(&(n as u32).to_be_bytes());
    out.extend((0..n).map(|i| 9 - (i % 10) as u8));
    out
}

/// The four fixture `.gz` files under their real names, and a table with
/// their sizes and sha256 (leaked: the table holds `&'static str`, and a
/// test binary's few strings do not matter).
fn fixtures() -> (Files, Vec<MnistFile>) {
    let bodies = [
        gz(&images_idx(TRAIN, 0x30)),
        gz(&labels_idx(TRAIN)),
        gz(&images_idx(TEST, 0x50)),
        gz(&labels_idx(TEST)),
    ];
    let mut files = HashMap::new();
    let mut table = Vec::new();
    for (published, body) in FASHION_MNIST_FILES.iter().zip(bodies) {
        let sha: String = Sha256::digest(&body)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        table.push(MnistFile {
            name: published.name,
            gz_bytes: body.len() as u64,
            sha256: Box::leak(sha.into_boxed_str()),
        });
        files.insert(format!("{}.gz", published.name), body);
    }
    (Arc::new(files), table)
}

fn config(mirrors: Vec<String>, files: Option<Vec<MnistFile>>) -> DownloadConfig {
    DownloadConfig {
        mirrors,
        progress: false,
        files,
    }
}

#[test]
fn fashion_fixtures_download_verify_and_load() {
    let (files, table) = fixtures();
    let server = Server::start(files.clone());
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(Dataset::FashionMnist.default_dir());
    let cfg = config(vec![server.url("good")], Some(table));
    let written = download_dataset(Dataset::FashionMnist, &dir, &cfg).unwrap();
    assert_eq!(written.len(), 4);
    for path in &written {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(fs::read(path).unwrap(), files[&name], "{name}");
    }
    assert_eq!(fs::read_dir(&dir).unwrap().count(), 4, "stray files");
    let raw = load_mnist(&dir).unwrap();
    assert_eq!(raw.len(), TRAIN + TEST);
    assert_eq!(&raw.labels[..3], &[9, 8, 7]);
    assert_eq!(raw.labels[TRAIN], 9, "t10k follows train");
    assert_eq!(raw.image(TRAIN).unwrap()[0], 0x50);
    // Complete: nothing more is requested.
    assert!(download_dataset(Dataset::FashionMnist, &dir, &cfg)
        .unwrap()
        .is_empty());
    assert_eq!(server.requests().len(), 4);
}

#[test]
fn fashion_only_missing_files_are_fetched() {
    let (files, table) = fixtures();
    let server = Server::start(files.clone());
    let tmp = tempfile::tempdir().unwrap();
    for f in &table[1..] {
        let name = format!("{}.gz", f.name);
        fs::write(tmp.path().join(&name), &files[&name]).unwrap();
    }
    assert_eq!(missing_files(tmp.path()), vec![table[0].name]);
    let cfg = config(vec![server.url("good")], Some(table.clone()));
    let raw = load_or_download_dataset(Dataset::FashionMnist, tmp.path(), &cfg).unwrap();
    assert_eq!(raw.len(), TRAIN + TEST);
    assert_eq!(
        server.requests(),
        vec![format!("/good/{}.gz", table[0].name)]
    );
}

fn download_error(cfg: &DownloadConfig, dir: &std::path::Path) -> String {
    match download_dataset(Dataset::FashionMnist, dir, cfg) {
        Ok(paths) => panic!("expected an error, wrote {paths:?}"),
        Err(e @ DataError::DownloadFailed { .. }) => e.to_string(),
        Err(e) => panic!("expected DownloadFailed, got {e}"),
    }
}

#[test]
fn fashion_corrupt_or_cut_off_fixture_leaves_nothing() {
    let (files, table) = fixtures();
    let server = Server::start(files);
    for (mode, needle) in [
        ("corrupt", "sha256 checksum mismatch"),
        ("short", "transfer failed"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = config(vec![server.url(mode)], Some(table.clone()));
        let msg = download_error(&cfg, tmp.path());
        assert!(msg.contains(needle), "{mode}: {msg}");
        assert!(msg.contains("train-images-idx3-ubyte.gz"), "{msg}");
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0, "{mode}");
    }
}

/// Without the injected table the published sizes apply, and the fixtures
/// (a few hundred bytes, not 26 MB) are refused before any byte is kept;
/// the message names the data set's own mirror variable.
#[test]
fn published_table_rejects_the_fixtures() {
    let (files, _) = fixtures();
    let server = Server::start(files);
    let tmp = tempfile::tempdir().unwrap();
    let msg = download_error(&config(vec![server.url("good")], None), tmp.path());
    for needle in [
        "expected 26421880",
        "ODDEVEN_FASHION_MNIST_MIRROR",
        "Fashion-MNIST .gz files",
    ] {
        assert!(msg.contains(needle), "lacks {needle:?}: {msg}");
    }
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);
}
