//! A real S3-compatible server per test: moto (`python3 -m moto.server`,
//! `pip install 'moto[server]'`) on a free port, with one bucket, and plain
//! HTTP requests to look at what the code under test stored.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::skip;

/// A running moto server with one bucket, killed on drop.
pub struct S3Server {
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// The bucket created at start.
    pub bucket: String,
    /// The python process.
    child: Child,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl S3Server {
    /// Starts moto on a free port and creates `bucket`, or `None` (outside
    /// CI) when moto cannot run; under CI it panics saying why.
    pub fn start(bucket: &str) -> Option<S3Server> {
        let installed = Command::new("python3")
            .args(["-c", "import moto.server"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !installed.is_ok_and(|s| s.success()) {
            return skip(
                "moto is not installed for python3, so there is no S3 server to test against \
                 (`python3 -m pip install 'moto[server]'`)",
            );
        }
        let port = match TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
            Ok(a) => a.port(),
            Err(e) => return skip(&format!("no free port for moto: {e}")),
        };
        let child = Command::new("python3")
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p"])
            .arg(port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match child {
            Ok(c) => c,
            Err(e) => return skip(&format!("cannot start python3 -m moto.server: {e}")),
        };
        let mut server = S3Server {
            addr: format!("127.0.0.1:{port}"),
            bucket: bucket.to_string(),
            child,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(&server.addr).is_err() {
            if Instant::now() > deadline || server.child.try_wait().ok().flatten().is_some() {
                return skip(&format!(
                    "moto did not answer on {} within 30 s",
                    server.addr
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let (status, body) = server.request("PUT", &format!("/{bucket}"));
        if status != 200 {
            return skip(&format!(
                "moto refused to create the bucket `{bucket}`: {status} {body}"
            ));
        }
        Some(server)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The `AWS_*` variables that point a client at this server (moto takes
    /// any credentials).
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ENDPOINT_URL", self.endpoint().as_str()),
            ("AWS_ALLOW_HTTP", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    /// One unsigned HTTP/1.1 request (moto does not check signatures):
    /// the status and the body.
    pub fn request(&self, method: &str, path: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.addr).expect("moto accepts connections");
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.addr
        )
        .expect("a request sent to moto");
        let mut raw = Vec::new();
        stream
            .read_to_end(&mut raw)
            .expect("an answer read from moto");
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let chunked = head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked");
        let body = if chunked {
            dechunk(body)
        } else {
            body.to_string()
        };
        (status, body)
    }

    /// The keys of the bucket (`ListObjectsV2`, up to 1000), sorted.
    pub fn keys(&self) -> Vec<String> {
        let (status, body) = self.request("GET", &format!("/{}?list-type=2", self.bucket));
        assert_eq!(status, 200, "listing the bucket: {body}");
        let mut keys: Vec<String> = body
            .split("<Key>")
            .skip(1)
            .filter_map(|s| s.split_once("</Key>").map(|(k, _)| k.to_string()))
            .collect();
        keys.sort();
        keys
    }
}

/// The body of a chunked answer.
fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}
