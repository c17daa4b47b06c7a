//! The repository's fixtures: where things are, copies of configuration
//! trees, and generated receivables data.

use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("test-support sits in the repository root")
        .to_path_buf()
}

/// The example configuration shipped in `config/`.
pub fn example_config_dir() -> PathBuf {
    repo_root().join("config")
}

/// Copies a directory tree into `to`, laying it over what is there: a file
/// whose whole text is `# removed` deletes its counterpart instead (planning
/// fixtures use it to drop a file of the base configuration).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("readable") {
        let entry = entry.expect("an entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            let bytes = std::fs::read(entry.path()).expect("readable");
            if bytes.trim_ascii() == b"# removed" {
                let _ = std::fs::remove_file(&target);
            } else {
                std::fs::write(&target, bytes).expect("copy");
            }
        }
    }
}

/// A configuration text without its send window (emails may leave at any
/// hour, so tests do not depend on the time they run).
pub fn no_window(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("send_window"))
        .collect::<Vec<_>>()
        .join("\n")
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
