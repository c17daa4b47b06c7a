//! A real SMTP sink per test: `tests/smtp_sink.py` (aiosmtpd) on a free port,
//! storing each message as a file, and those messages read back as header
//! maps.

use std::collections::BTreeMap;
use std::io::BufRead as _;
use std::process::{Child, Command, Stdio};

use crate::{fixtures::repo_root, skip};

/// A running SMTP sink that stores messages as files.
pub struct Sink {
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// Where messages land.
    pub dir: tempfile::TempDir,
    /// The python process, killed on drop.
    child: Child,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sink {
    /// Starts a sink storing messages (`discard`: counting only), or `None`
    /// (outside CI) when it cannot run.
    pub fn start_with(discard: bool) -> Option<Sink> {
        let dir = tempfile::tempdir().expect("a temp dir");
        let script = repo_root().join("tests/smtp_sink.py");
        let mut cmd = Command::new("python3");
        cmd.arg(&script);
        if discard {
            cmd.arg("--discard");
        } else {
            cmd.arg("--dir").arg(dir.path());
        }
        let spawned = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn();
        let mut child = match spawned {
            Ok(c) => c,
            Err(e) => return skip(&format!("cannot start python3 {}: {e}", script.display())),
        };
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped stdout");
        let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        let Ok(port) = line.trim().parse::<u16>() else {
            let _ = child.kill();
            let _ = child.wait();
            return skip(
                "the SMTP sink did not start (is aiosmtpd installed? `pip install aiosmtpd`)",
            );
        };
        Some(Sink {
            addr: format!("127.0.0.1:{port}"),
            dir,
            child,
        })
    }

    /// Starts a sink storing messages.
    pub fn start() -> Option<Sink> {
        Sink::start_with(false)
    }

    /// The SMTP URL of the sink.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// The messages received, as header maps (lower-case names) with the
    /// body under `body`.
    pub fn messages(&self) -> Vec<BTreeMap<String, String>> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(self.dir.path()).expect("the sink's directory") {
            let path = entry.expect("an entry").path();
            if path.extension().is_some_and(|e| e == "eml") {
                let text = std::fs::read_to_string(&path).expect("a message");
                out.push(parse(&text));
            }
        }
        out
    }

    /// How many messages arrived.
    pub fn count(&self) -> usize {
        std::fs::read_dir(self.dir.path())
            .map(|d| {
                d.filter(|e| {
                    e.as_ref()
                        .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "eml"))
                })
                .count()
            })
            .unwrap_or(0)
    }
}

/// Headers (unfolded, lower-case names) and the body (`body`, QP soft
/// breaks joined).
pub fn parse(text: &str) -> BTreeMap<String, String> {
    let text = text.replace("\r\n", "\n");
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut map = BTreeMap::new();
    let mut last: Option<String> = None;
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(k) = &last
                && let Some(v) = map.get_mut(k)
            {
                let v: &mut String = v;
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            let k = k.trim().to_ascii_lowercase();
            map.insert(k.clone(), v.trim().to_string());
            last = Some(k);
        }
    }
    map.insert("body".into(), body.replace("=\n", ""));
    map
}
