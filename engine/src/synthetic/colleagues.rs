//! colleagues.csv: every role present, about one per 50 customers.

use std::path::Path;

use super::names::{FIRST_NAMES, LAST_NAMES, ascii};
use super::writer::Writer;
use super::{GenError, GenOptions, GenSummary};

/// Writes colleagues.csv and returns each colleague's email and role.
pub(super) fn write(
    dir: &Path,
    opts: &GenOptions,
    rng: &mut fastrand::Rng,
    summary: &mut GenSummary,
) -> Result<Vec<(String, &'static str)>, GenError> {
    // Colleagues: every role present, about one per 50 customers.
    let n_colleagues = (opts.customers / 50).max(3);
    let mut colleagues: Vec<(String, &'static str)> = Vec::with_capacity(n_colleagues);
    let mut w = Writer::create(dir, "colleagues.csv")?;
    w.row(&["email", "name", "role", "phone"])?;
    for i in 0..n_colleagues {
        // The first three cover every role; then 1 manager, 2 sales, 7 collectors in 10.
        let role = match i {
            0 => "collector",
            1 => "sales",
            2 => "manager",
            _ => match i % 10 {
                0 => "manager",
                1 | 2 => "sales",
                _ => "collector",
            },
        };
        let first = FIRST_NAMES[rng.usize(..FIRST_NAMES.len())];
        let last = LAST_NAMES[rng.usize(..LAST_NAMES.len())];
        let email = format!("{}.{}{}@acme.example", ascii(first), ascii(last), i);
        let phone = format!(
            "+33 1 {:02} {:02} {:02} {:02}",
            rng.u8(10..99),
            rng.u8(10..99),
            rng.u8(10..99),
            rng.u8(10..99)
        );
        w.row(&[&email, &format!("{first} {last}"), role, &phone])?;
        colleagues.push((email, role));
        summary.colleagues += 1;
    }
    w.finish()?;
    Ok(colleagues)
}
