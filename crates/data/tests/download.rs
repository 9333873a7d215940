//! The downloader against a real HTTP server on 127.0.0.1 that serves the
//! real MNIST files, corrupted copies, cut-off transfers, or nothing.

mod common;

use std::collections::HashMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use oddeven_data::{
    download_mnist, load_mnist, load_or_download, missing_files, DataError, DownloadConfig,
    MNIST_FILES,
};

/// The four real `.gz` files, read once per test binary.
fn real_files() -> &'static HashMap<String, Vec<u8>> {
    static FILES: OnceLock<HashMap<String, Vec<u8>>> = OnceLock::new();
    FILES.get_or_init(|| {
        MNIST_FILES
            .iter()
            .map(|f| {
                let name = format!("{}.gz", f.name);
                let bytes = fs::read(common::real_data_dir().join(&name)).unwrap();
                (name, bytes)
            })
            .collect()
    })
}

/// Serves `/<mode>/<file>` where mode is `good`, `corrupt` (one byte
/// flipped, same length) or `short` (full Content-Length, half the body).
/// Anything else is a 404. Stops when dropped.
struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<String>>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (stop2, requests2) = (stop.clone(), requests.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let _ = handle(stream, &requests2);
                }
            }
        });
        Server {
            addr,
            stop,
            requests,
            thread: Some(thread),
        }
    }

    fn url(&self, mode: &str) -> String {
        format!("http://{}/{mode}/", self.addr)
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the thread sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn handle(stream: TcpStream, requests: &Mutex<Vec<String>>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .to_string();
    requests.lock().unwrap().push(path.clone());
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let (mode, name) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let mut out = stream;
    let Some(body) = real_files().get(name) else {
        let msg = b"not here";
        write!(
            out,
            "HTTP/1.1 404 Not Found\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            msg.len()
        )?;
        return out.write_all(msg);
    };
    let header = |len: usize| {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
        )
    };
    match mode {
        "good" => {
            out.write_all(header(body.len()).as_bytes())?;
            out.write_all(body)
        }
        "corrupt" => {
            let mut bad = body.clone();
            let mid = bad.len() / 2;
            bad[mid] ^= 0x01;
            out.write_all(header(bad.len()).as_bytes())?;
            out.write_all(&bad)
        }
        "short" => {
            out.write_all(header(body.len()).as_bytes())?;
            out.write_all(&body[..body.len() / 2])
        }
        _ => write!(
            out,
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ),
    }
}

fn config(mirrors: Vec<String>) -> DownloadConfig {
    DownloadConfig {
        mirrors,
        progress: false,
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
    let server = Server::start();
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
    let server = Server::start();
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
    let server = Server::start();
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
    let server = Server::start();
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
    let server = Server::start();
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
    let server = Server::start();
    let tmp = tempfile::tempdir().unwrap();
    expect_download_err(tmp.path(), &config(vec![server.url("missing")]), &["404"]);
}

#[test]
fn no_mirrors_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    expect_download_err(tmp.path(), &config(Vec::new()), &["no mirror configured"]);
}
