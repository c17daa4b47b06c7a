//! Helpers shared by the end-to-end tests of the binary.

#![allow(dead_code)] // each test crate uses its own part

use std::path::Path;

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

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
