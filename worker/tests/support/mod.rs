//! Test support for delivery: a real SMTP sink per test (`tests/smtp_sink.py`,
//! aiosmtpd, on a free port), a configuration copied from `config/` with
//! edits, and small receivables data imported into a fresh store. Without
//! python3 and aiosmtpd a test is skipped with a printed reason, except
//! under CI (`CI` set), where it fails.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use relance_engine::planner::Planner;
use relance_engine::store::Store;

/// The repository root (this module is shared by the worker's tests and
/// the binary's).
pub fn root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    if here.join("tests/smtp_sink.py").exists() {
        here.to_path_buf()
    } else {
        here.join("..")
    }
}

/// A running SMTP sink that stores messages as files.
pub struct Sink {
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// Where messages land.
    pub dir: tempfile::TempDir,
    child: Child,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether tests must fail rather than skip when a service is missing.
pub fn ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false")
}

impl Sink {
    /// Starts a sink storing messages (`discard`: counting only), or `None`
    /// (outside CI) when it cannot run.
    pub fn start_with(discard: bool) -> Option<Sink> {
        let dir = tempfile::tempdir().expect("a temp dir");
        let script = root().join("tests/smtp_sink.py");
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

fn skip<T>(reason: &str) -> Option<T> {
    if ci() {
        panic!("{reason} (under CI the SMTP sink must run)");
    }
    eprintln!("skipped: {reason}");
    None
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

/// Copies `config/` into a temporary directory, applies `edit` to
/// `main.relance`, and compiles it.
pub fn config(edit: impl Fn(&str) -> String) -> (tempfile::TempDir, Arc<Planner>) {
    let dir = tempfile::tempdir().expect("a temp dir");
    copy_dir(&root().join("config"), dir.path());
    let main = dir.path().join("main.relance");
    let text = std::fs::read_to_string(&main).expect("main.relance");
    std::fs::write(&main, edit(&text)).expect("main.relance written");
    let report = relance_engine::config::load(dir.path()).expect("the configuration loads");
    assert!(!report.has_errors(), "{:?}", report.checked.diagnostics);
    let planner = Planner::new(&report.checked.config, &report.sources).expect("a planner");
    (dir, Arc::new(planner))
}

/// Without the send window (emails may leave at any hour).
pub fn no_window(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("send_window"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("readable") {
        let entry = entry.expect("an entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Receivables data: `customers` accounts `C0001`..., each with a billing
/// contact (`ap@cNNNN.example`, or as `contact` says), the collector
/// `julie@acme.example`, and items due 2026-11-01 (`items` per customer,
/// `INV-NNNN-K`). On 2026-11-09 each account gets a `reminder_1` email to its
/// contact, cc the collector.
pub struct Data {
    /// How many customers.
    pub customers: usize,
    /// Items per customer.
    pub items: usize,
    /// The contact of customer n (1-based).
    pub contact: fn(usize) -> String,
}

impl Default for Data {
    fn default() -> Self {
        Data {
            customers: 1,
            items: 1,
            contact: |n| format!("ap@c{n:04}.example"),
        }
    }
}

impl Data {
    /// Writes the five CSV files into `dir`.
    pub fn write(&self, dir: &Path) -> Vec<PathBuf> {
        use std::fmt::Write as _;
        let (mut customers, mut contacts, mut assignments, mut items) = (
            String::from("code,name\n"),
            String::from("customer,email,role\n"),
            String::from("customer,colleague\n"),
            String::from("customer,reference,type,due_date,amount\n"),
        );
        for n in 1..=self.customers {
            let _ = writeln!(customers, "C{n:04},Customer {n}");
            let _ = writeln!(contacts, "C{n:04},{},billing", (self.contact)(n));
            let _ = writeln!(assignments, "C{n:04},julie@acme.example");
            for k in 1..=self.items {
                let _ = writeln!(
                    items,
                    "C{n:04},INV-{n:04}-{k},invoice,2026-11-01,{}.00",
                    100 * k
                );
            }
        }
        let files = [
            (
                "colleagues.csv",
                "email,name,role\njulie@acme.example,Julie,collector\n".to_string(),
            ),
            ("customers.csv", customers),
            ("contacts.csv", contacts),
            ("assignments.csv", assignments),
            ("items.csv", items),
        ];
        std::fs::create_dir_all(dir).expect("mkdir");
        files
            .iter()
            .map(|(name, text)| {
                let p = dir.join(name);
                std::fs::write(&p, text).expect("a CSV file");
                p
            })
            .collect()
    }
}

/// Import options dated `now`.
pub fn import_options(now: &str) -> relance_engine::import::Options {
    relance_engine::import::Options {
        kind: None,
        full: relance_engine::import::Full::No,
        dry_run: false,
        date_format: relance_engine::import::DateFormat::Iso,
        today: chrono::NaiveDate::from_ymd_opt(2026, 11, 9).expect("a date"),
        now: now.into(),
        origin: "test".into(),
    }
}

/// Imports files into the store.
pub async fn import(store: &Store, planner: &Planner, files: &[PathBuf], now: &str) {
    relance_engine::import::import(store, &planner.config, files, &import_options(now))
        .await
        .expect("the import");
}

/// The run date of the fixtures.
pub fn run_date() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 9).expect("a date")
}

/// An instant on the run date, `HH:MM` UTC.
pub fn at(hm: &str) -> chrono::DateTime<chrono::Utc> {
    format!("2026-11-09T{hm}:00Z").parse().expect("an instant")
}
