//! A minimal HTTP/1.1 server on 127.0.0.1 for the downloader tests: serves
//! given files intact, corrupted or cut off, so that every failure mode of a
//! mirror can be produced without the internet.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// File name → contents, shared with the server thread.
pub type Files = Arc<HashMap<String, Vec<u8>>>;

/// Serves `/<mode>/<file>` where mode is `good`, `corrupt` (one byte
/// flipped, same length) or `short` (full Content-Length, half the body).
/// Anything else is a 404. Stops when dropped.
pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<String>>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Serves `files` (name → bytes, e.g. `train-images-idx3-ubyte.gz`).
    pub fn start(files: Files) -> Server {
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
                    let _ = handle(stream, &files, &requests2);
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

    pub fn url(&self, mode: &str) -> String {
        format!("http://{}/{mode}/", self.addr)
    }

    pub fn requests(&self) -> Vec<String> {
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

fn handle(stream: TcpStream, files: &Files, requests: &Mutex<Vec<String>>) -> std::io::Result<()> {
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
    let Some(body) = files.get(name) else {
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
