//! The downloader against a real HTTP server on 127.0.0.1 that serves the
//! real MNIST files, corrupted copies, cut-off transfers, or nothing.

mod common;

use std::collections::HashMap;
use std::fs;
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use common::server::{Files, Server};

use oddeven_data::{
    download_mnist, load_mnist, load_or_download, missing_files, DataError, DownloadConfig,
    MNIST_FILES,
};

/// The four real `.gz` files, read once per test binary.
fn real_files() -> &'static Files {
    static FILES: OnceLock<Files> = OnceLock::new();
    FILES.get_or_init(|| {
        let map: HashMap<String, Vec<u8>> = MNIST_FILES
            .iter()
            .map(|f| {
                let name = format!("{}.gz", f.name);
                let bytes = fs::read(common::real_data_dir().join(&name)).unwrap();
                (name, bytes)
            })
            .collect();
        Arc::new(map)
    })
}

fn mnist_server() -> Server {
    Server::start(real_files().clone())
}

fn config(mirrors: Vec<String>) -> DownloadConfig {
    DownloadConfig {
        mirrors,
        progress: false,
        files: None,
    }
}

/// A base URL on a port that was just free: bound, then released.
fn dead_mirror() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/mnist/")
}

fn dir_entries(dir: &Path) -> Vec<String> {
    match fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn expect_download_err(dir: &Path, cfg: &DownloadConfig, needles: &[&str]) -> String {
    let msg = match download_mnist(dir, cfg) {
        Ok(paths) => panic!("expected a download error, wrote {paths:?}"),
        Err(e @ DataError::DownloadFailed { .. }) => e.to_string(),
        Err(e) => panic!("expected DownloadFailed, got {e}"),
    };
    eprintln!("{msg}");
    for needle in needles {
        assert!(msg.contains(needle), "message lacks {needle:?}: {msg}");
    }
    msg
}

#[test]
fn good_download_writes_verified_files() {
    let server = mnist_server();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("fresh/mnist");
    assert_eq!(missing_files(&dir).len(), 4);
    let written = download_mnist(&dir, &config(vec![server.url("good")])).unwrap();
    assert_eq!(written.len(), 4);
    for path in &written {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(&fs::read(path).unwrap(), &real_files()[&name], "{name}");
    }
    let mut entries = dir_entries(&dir);
    entries.sort();
    assert_eq!(entries.len(), 4, "stray files: {entries:?}");
    assert!(missing_files(&dir).is_empty());
    // Nothing left to fetch: no further requests.
    assert!(download_mnist(&dir, &config(vec![server.url("good")]))
        .unwrap()
        .is_empty());
    assert_eq!(server.requests().len(), 4);
    assert_eq!(load_mnist(&dir).unwrap().len(), 70_000);
}

#[test]
fn only_missing_files_are_fetched() {
    let server = mnist_server();
    let tmp = tempfile::tempdir().unwrap();
    for f in &MNIST_FILES[..3] {
        let name = format!("{}.gz", f.name);
        fs::write(tmp.path().join(&name), &real_files()[&name]).unwrap();
    }
    let raw = load_or_download(tmp.path(), &config(vec![server.url("good")])).unwrap();
    assert_eq!(raw.len(), 70_000);
    assert_eq!(
        server.requests(),
        vec![format!("/good/{}.gz", MNIST_FILES[3].name)]
    );
}

#[test]
fn corrupt_file_is_rejected_and_leaves_nothing() {
    let server = mnist_server();
    let tmp = tempfile::tempdir().unwrap();
    let url = server.url("corrupt");
    let msg = expect_download_err(
        tmp.path(),
        &config(vec![url.clone()]),
        &["sha256 checksum mismatch", &url],
    );
    assert!(msg.contains("train-images-idx3-ubyte.gz"), "{msg}");
    assert!(
        dir_entries(tmp.path()).is_empty(),
        "left behind: {:?}",
        dir_entries(tmp.path())
    );
}

#[test]
fn cut_off_transfer_leaves_nothing() {
    let server = mnist_server();
    let tmp = tempfile::tempdir().unwrap();
    expect_download_err(
        tmp.path(),
        &config(vec![server.url("short")]),
        &["short/train-images-idx3-ubyte.gz"],
    );
    assert!(
        dir_entries(tmp.path()).is_empty(),
        "left behind: {:?}",
        dir_entries(tmp.path())
    );
}

#[test]
fn falls_back_to_the_next_mirror() {
    let server = mnist_server();
    let tmp = tempfile::tempdir().unwrap();
    let mirrors = vec![
        dead_mirror(),
        server.url("missing"),
        server.url("corrupt"),
        server.url("good"),
    ];
    let written = download_mnist(tmp.path(), &config(mirrors)).unwrap();
    assert_eq!(written.len(), 4);
    assert_eq!(dir_entries(tmp.path()).len(), 4);
}

#[test]
fn all_mirrors_down_names_each_one() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (dead_mirror(), dead_mirror());
    let msg = expect_download_err(
        tmp.path(),
        &config(vec![a.clone(), b.clone()]),
        &[
            "every mirror failed",
            &a,
            &b,
            "ODDEVEN_MNIST_MIRROR",
            "--data-dir",
        ],
    );
    assert!(msg.contains(&tmp.path().display().to_string()));
    assert!(dir_entries(tmp.path()).is_empty());
}

#[test]
fn http_error_status_is_reported() {
    let server = mnist_server();
    let tmp = tempfile::tempdir().unwrap();
    expect_download_err(tmp.path(), &config(vec![server.url("missing")]), &["404"]);
}

#[test]
fn no_mirrors_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    expect_download_err(tmp.path(), &config(Vec::new()), &["no mirror configured"]);
}
