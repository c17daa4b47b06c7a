//! Reading a PDF back as a person's reader would: poppler's `pdftotext`.

use std::io::Write as _;
use std::process::{Command, Stdio};

/// The text of a PDF (`pdftotext -layout`), or `None` after saying why
/// when `pdftotext` is missing (under CI that fails the test).
pub fn pdftotext(pdf: &[u8]) -> Option<String> {
    let spawned = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            return crate::skip(&format!(
                "pdftotext is missing ({e}): apt-get install poppler-utils"
            ));
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(pdf).expect("writing to pdftotext");
    }
    let out = child.wait_with_output().expect("pdftotext");
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).expect("UTF-8 from pdftotext"))
}
