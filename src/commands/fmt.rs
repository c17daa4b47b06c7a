//! `relance fmt [DIR] [--check]`: canonical layout of `.relance` files.

use std::path::Path;

use crate::{Cli, Failure};

/// Runs the command.
pub fn run(_cli: &Cli, _dir: &Path, _check: bool) -> Result<(), Failure> {
    Err(Failure::Usage("fmt is being written".into()))
}
