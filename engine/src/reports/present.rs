//! Reports as people read them: an aligned table with totals, CSV, and an
//! SVG chart (`relance_templates::charts`). The JSON document is the
//! report's own serialization.

use std::fmt::Write as _;

use crate::planner::Money;

/// How a column is aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

/// A report as rows of cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The first line of the text output.
    pub title: String,
    /// Column headings and alignment.
    pub columns: Vec<(String, Align)>,
    /// The rows.
    pub rows: Vec<Vec<String>>,
    /// The totals row, if any.
    pub totals: Option<Vec<String>>,
    /// Lines under the table (inputs, notes).
    pub notes: Vec<String>,
}

impl Table {
    /// A table titled `title` with these columns.
    pub fn new(title: impl Into<String>, columns: &[(&str, Align)]) -> Table {
        Table {
            title: title.into(),
            columns: columns
                .iter()
                .map(|(name, align)| ((*name).to_string(), *align))
                .collect(),
            rows: Vec::new(),
            totals: None,
            notes: Vec::new(),
        }
    }

    /// The table as aligned text: the title, the headings, a rule, the
    /// rows, a rule and the totals, then the notes.
    pub fn text(&self) -> String {
        let mut widths: Vec<usize> = self.columns.iter().map(|(c, _)| width(c)).collect();
        for row in self.rows.iter().chain(self.totals.iter()) {
            for (i, cell) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(width(cell));
                }
            }
        }
        let line = |cells: &[String]| {
            let mut out = String::new();
            for (i, ((_, align), w)) in self.columns.iter().zip(&widths).enumerate() {
                let cell = cells.get(i).map(String::as_str).unwrap_or("");
                let pad = " ".repeat(w.saturating_sub(width(cell)));
                if i > 0 {
                    out.push_str("  ");
                }
                match align {
                    Align::Left => {
                        out.push_str(cell);
                        out.push_str(&pad);
                    }
                    Align::Right => {
                        out.push_str(&pad);
                        out.push_str(cell);
                    }
                }
            }
            out.trim_end().to_string()
        };
        let total_width = widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1);
        let mut out = String::new();
        let _ = writeln!(out, "{}", self.title);
        let _ = writeln!(out);
        let heads: Vec<String> = self.columns.iter().map(|(c, _)| c.clone()).collect();
        let _ = writeln!(out, "{}", line(&heads));
        let _ = writeln!(out, "{}", "-".repeat(total_width));
        for row in &self.rows {
            let _ = writeln!(out, "{}", line(row));
        }
        if let Some(totals) = &self.totals {
            let _ = writeln!(out, "{}", "-".repeat(total_width));
            let _ = writeln!(out, "{}", line(totals));
        }
        for note in &self.notes {
            let _ = writeln!(out, "{note}");
        }
        out
    }

    /// The table as CSV (RFC 4180): the headings, the rows, then the totals.
    pub fn csv(&self) -> String {
        let mut out = String::new();
        let heads: Vec<String> = self.columns.iter().map(|(c, _)| c.clone()).collect();
        for row in std::iter::once(&heads)
            .chain(self.rows.iter())
            .chain(self.totals.iter())
        {
            let cells: Vec<String> = row.iter().map(|c| csv_cell(c)).collect();
            let _ = write!(out, "{}\r\n", cells.join(","));
        }
        out
    }
}

fn width(s: &str) -> usize {
    s.chars().count()
}

fn csv_cell(cell: &str) -> String {
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_string()
    }
}

/// An amount as reports write it in tables and CSV: major units with the
/// currency's decimals, no grouping (`1234.50`, `-70.00`).
pub fn amount(m: Money) -> String {
    m.to_decimal().to_string()
}

/// A count.
pub fn count(n: usize) -> String {
    n.to_string()
}

/// A percentage with two decimals.
pub fn percent(p: f64) -> String {
    format!("{p:.2}")
}
