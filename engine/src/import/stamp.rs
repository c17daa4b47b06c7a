//! The bookkeeping an import writes beside the rows it reads: the date,
//! the import's id and, for items, the status changes it makes (history).

use super::rows;
use crate::store::history::HistoryEvent;
use crate::store::table::{Row, tables};

/// What an import writes beside the columns it reads: its date, its id,
/// its instant and origin (for history).
#[derive(Debug, Clone)]
pub(super) struct ImportStamp {
    /// The import date as stored (`YYYY-MM-DD`).
    pub(super) today: String,
    /// The import's id.
    pub(super) import_id: i64,
    /// The instant, for history.
    pub(super) now: String,
    /// Who imports.
    pub(super) origin: String,
}

impl ImportStamp {
    /// Fills the derived columns of an items row (`old` is the stored row,
    /// if any) and returns the status change it makes, for history, with
    /// the file as its origin (`import:items.csv`; who ran the import is in
    /// the data).
    pub(super) fn derive(
        &self,
        row: &mut Row,
        old: Option<&Row>,
        file: &str,
    ) -> Option<HistoryEvent> {
        let derived = rows::derive_item(row, old, &self.today, self.import_id);
        let change = rows::status_change(row, old, &self.origin, self.import_id, &self.today).map(
            |change| HistoryEvent {
                at: self.now.clone(),
                kind: "status_changed".into(),
                customer: row[0].as_text().map(str::to_string),
                reference: row[1].as_text().map(str::to_string),
                origin: format!("import:{file}"),
                data: change,
            },
        );
        let n = row.len();
        for (cell, value) in row[n - tables::ITEMS_DERIVED..].iter_mut().zip(derived) {
            *cell = value;
        }
        change
    }
}
