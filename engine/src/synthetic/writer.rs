//! Writing one CSV file of the generated data.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use super::GenError;

/// A CSV file being written.
pub(super) struct Writer {
    path: PathBuf,
    csv: csv::Writer<BufWriter<File>>,
}

impl Writer {
    pub(super) fn create(dir: &Path, name: &str) -> Result<Writer, GenError> {
        let path = dir.join(name);
        let file = File::create(&path).map_err(|source| GenError::Io {
            path: path.clone(),
            source,
        })?;
        let csv = csv::Writer::from_writer(BufWriter::with_capacity(1 << 20, file));
        Ok(Writer { path, csv })
    }

    pub(super) fn row(&mut self, fields: &[&str]) -> Result<(), GenError> {
        self.csv
            .write_record(fields)
            .map_err(|source| GenError::Csv {
                path: self.path.clone(),
                source,
            })
    }

    pub(super) fn finish(mut self) -> Result<(), GenError> {
        self.csv.flush().map_err(|source| GenError::Io {
            path: self.path.clone(),
            source,
        })
    }
}
