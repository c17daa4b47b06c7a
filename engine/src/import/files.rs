//! The files of a call: what each holds ([`FileKind`], told by its name or
//! `--kind`) and the order they are imported in.

use std::fmt;
use std::path::{Path, PathBuf};

use super::ImportError;
use crate::store::table::{Table, tables};

/// The kinds of file, in the order they are imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileKind {
    /// `colleagues*.csv`
    Colleagues,
    /// `customers*.csv`
    Customers,
    /// `contacts*.csv`
    Contacts,
    /// `assignments*.csv`
    Assignments,
    /// `items*.csv`
    Items,
}

impl FileKind {
    /// Every kind, in import order.
    pub const ALL: [FileKind; 5] = [
        FileKind::Colleagues,
        FileKind::Customers,
        FileKind::Contacts,
        FileKind::Assignments,
        FileKind::Items,
    ];

    /// The name used on the command line and in file names.
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Colleagues => "colleagues",
            FileKind::Customers => "customers",
            FileKind::Contacts => "contacts",
            FileKind::Assignments => "assignments",
            FileKind::Items => "items",
        }
    }

    /// From `--kind`.
    pub fn parse(s: &str) -> Option<FileKind> {
        FileKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// From a file name: `items_2026-11.csv` is items.
    pub fn of_file(path: &Path) -> Option<FileKind> {
        let name = path.file_name()?.to_string_lossy().to_lowercase();
        FileKind::ALL
            .into_iter()
            .find(|k| name.starts_with(k.as_str()))
    }

    pub(super) const fn table(self) -> &'static Table {
        match self {
            FileKind::Colleagues => &tables::COLLEAGUES,
            FileKind::Customers => &tables::CUSTOMERS,
            FileKind::Contacts => &tables::CONTACTS,
            FileKind::Assignments => &tables::ASSIGNMENTS,
            FileKind::Items => &tables::ITEMS,
        }
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The files to import: directories are expanded to their `*.csv` files,
/// every file gets its kind, and they are sorted in dependency order.
pub fn plan_files(
    paths: &[PathBuf],
    kind: Option<FileKind>,
) -> Result<Vec<(FileKind, PathBuf)>, ImportError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut inside: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| ImportError::Usage(format!("cannot read {}: {e}", path.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")))
                .collect();
            inside.sort();
            if inside.is_empty() {
                return Err(ImportError::Usage(format!(
                    "{} has no .csv file",
                    path.display()
                )));
            }
            files.extend(inside);
        } else if path.exists() {
            files.push(path.clone());
        } else {
            return Err(ImportError::Usage(format!(
                "{} does not exist",
                path.display()
            )));
        }
    }
    let mut planned = Vec::new();
    for file in files {
        let k = kind.or_else(|| FileKind::of_file(&file)).ok_or_else(|| {
            ImportError::Usage(format!(
                "cannot tell what {} holds: name it customers*.csv, contacts*.csv, colleagues*.csv, \
                 assignments*.csv or items*.csv, or give --kind",
                file.display()
            ))
        })?;
        planned.push((k, file));
    }
    planned.sort_by_key(|(k, _)| *k);
    Ok(planned)
}
