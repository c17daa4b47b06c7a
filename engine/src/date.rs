//! Reading the store's dates (`YYYY-MM-DD`) fast: a million items carry
//! several each, and chrono's general parser costs more than the rest of
//! reading a row.

use chrono::NaiveDate;

/// A date written exactly `YYYY-MM-DD` (four-digit year, two-digit month
/// and day), or `None`.
pub fn canonical(v: &str) -> Option<NaiveDate> {
    let b = v.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let number = |digits: &[u8]| {
        digits.iter().try_fold(0u32, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let year = i32::try_from(number(&b[..4])?).ok()?;
    NaiveDate::from_ymd_opt(year, number(&b[5..7])?, number(&b[8..])?)
}

/// An ISO date as chrono reads it (which also takes `2026-1-5`), taking
/// the fast path for the canonical form.
pub fn parse_iso(v: &str) -> Option<NaiveDate> {
    canonical(v).or_else(|| v.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_chrono() {
        for v in [
            "2026-11-23",
            "2024-02-29",
            "2023-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-1-5",
            "0999-01-01",
            "2026-11-2x",
            "+2026-11-2",
            "2026/11/23",
            "",
        ] {
            assert_eq!(parse_iso(v), v.parse::<NaiveDate>().ok(), "{v}");
        }
        assert_eq!(canonical("2026-1-5"), None);
    }
}
