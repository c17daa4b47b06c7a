//! What an import tells of its progress, so that a caller can show it: the
//! library draws nothing (the binary draws bars on a terminal).

/// Told how far an import is, file by file. Every method does nothing by
/// default. Bytes are counted on the thread that reads the file, so an
/// implementation is shared across threads.
pub trait Progress: Send + Sync {
    /// A file begins: its name and its size in bytes.
    fn start(&self, file: &str, total_bytes: u64) {
        let _ = (file, total_bytes);
    }

    /// `bytes` more of the file begun last were read.
    fn advance(&self, bytes: u64) {
        let _ = bytes;
    }

    /// The file begun last was read whole.
    fn finish(&self) {}
}
