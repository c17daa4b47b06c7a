//! Helpers of the end-to-end tests of the binary; what other crates' tests
//! share too comes from `relance-test-support`.

pub use relance_test_support::copy_dir;

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
