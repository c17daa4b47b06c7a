//! One module per subcommand.

pub mod check;
pub mod fmt;

use std::io::IsTerminal;
use std::path::Path;

use relance_engine::config::LoadError;

use crate::Failure;

/// Whether stderr gets colours.
pub fn color_stderr() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Reads a configuration directory, mapping "no such directory" to a usage error.
pub fn read_config(dir: &Path) -> Result<relance_engine::config::Loaded, Failure> {
    relance_engine::config::read_dir(dir).map_err(|e| match e {
        LoadError::NotFound(_) | LoadError::NotADirectory(_) => Failure::Usage(e.to_string()),
        other => Failure::Other(anyhow::Error::new(other)),
    })
}
