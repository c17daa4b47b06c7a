//! Exact money: amounts are integers in minor units of their currency (cents
//! for EUR, yen for JPY, fils for KWD), never binary floats.

use std::fmt;

/// Why an amount could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Not a number at all.
    #[error("is not an amount")]
    NotANumber,
    /// Below zero where only positive amounts are allowed.
    #[error("is negative")]
    Negative,
    /// More decimals than the currency has.
    #[error("has more decimals than {currency} allows ({digits})")]
    TooPrecise {
        /// The currency.
        currency: String,
        /// Its number of decimals.
        digits: u32,
    },
    /// Over [`MAX_MINOR`] minor units: totals could not hold it.
    #[error("is too large: at most {max} a single amount, so that totals stay exact")]
    TooLarge {
        /// The bound, in the currency (`10000000000.00 EUR`).
        max: String,
    },
}

/// The largest amount relance takes, in minor units of its currency: 10^12
/// (10,000,000,000.00 in a currency with two decimals). A sum of nine
/// million such amounts still fits in an `i64`, and the templates add in
/// `i128`: no total can overflow or saturate.
pub const MAX_MINOR: i64 = 1_000_000_000_000;

/// Number of decimals of a currency (ISO 4217 exponent); 2 when unknown.
/// One definition, shared by the importer, the planner and the templates.
pub fn exponent(currency: &str) -> u32 {
    // The common ones without a search through ISO 4217.
    match currency {
        "EUR" | "USD" | "GBP" | "CHF" => return 2,
        "JPY" => return 0,
        _ => {}
    }
    iso_currency::Currency::from_code(currency)
        .and_then(|c| c.exponent())
        .map_or(2, u32::from)
}

/// Minor units as a major-unit number (`123456` EUR → `1234.56`), for
/// expressions and templates.
pub fn major(minor: i64, currency: &str) -> f64 {
    minor as f64 / 10f64.powi(exponent(currency) as i32)
}

/// Parses a non-negative decimal amount into minor units of `currency`.
///
/// Accepts `.` or `,` as the decimal separator; when both appear, the last one
/// is the decimal separator and the other groups thousands (`1,234.56`,
/// `1.234,56`). Spaces (also non-breaking) group thousands: `1 234,56`.
pub fn parse_minor(text: &str, currency: &str) -> Result<i64, AmountError> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\''))
        .collect();
    if cleaned.starts_with('-') {
        return Err(AmountError::Negative);
    }
    let cleaned = cleaned.strip_prefix('+').unwrap_or(&cleaned);
    let decimal_at = cleaned.rfind(['.', ',']);
    let (int_part, frac_part) = match decimal_at {
        Some(at) => {
            let sep = cleaned.as_bytes()[at];
            let other = if sep == b'.' { ',' } else { '.' };
            let int: String = cleaned[..at].chars().filter(|c| *c != other).collect();
            (int, cleaned[at + 1..].to_string())
        }
        None => (cleaned.to_string(), String::new()),
    };
    if int_part.is_empty() && frac_part.is_empty()
        || !int_part.chars().all(|c| c.is_ascii_digit())
        || !frac_part.chars().all(|c| c.is_ascii_digit())
        || (decimal_at.is_some() && frac_part.is_empty() && int_part.is_empty())
    {
        return Err(AmountError::NotANumber);
    }
    let digits = exponent(currency);
    let frac_trimmed = frac_part.trim_end_matches('0');
    if frac_trimmed.len() > digits as usize {
        return Err(AmountError::TooPrecise {
            currency: currency.to_string(),
            digits,
        });
    }
    let too_large = || AmountError::TooLarge {
        max: Minor {
            amount: MAX_MINOR,
            currency,
        }
        .to_string(),
    };
    let mut minor: i64 = 0;
    for c in int_part.chars() {
        minor = minor
            .checked_mul(10)
            .and_then(|m| m.checked_add(i64::from(c as u8 - b'0')))
            .filter(|m| *m <= MAX_MINOR)
            .ok_or_else(too_large)?;
    }
    for i in 0..digits as usize {
        let d = frac_trimmed
            .as_bytes()
            .get(i)
            .map_or(0, |b| i64::from(b - b'0'));
        minor = minor
            .checked_mul(10)
            .and_then(|m| m.checked_add(d))
            .filter(|m| *m <= MAX_MINOR)
            .ok_or_else(too_large)?;
    }
    Ok(minor)
}

/// An amount in minor units with its currency, for display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Minor<'a> {
    /// Minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: &'a str,
}

impl fmt::Display for Minor<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = exponent(self.currency);
        let scale = 10i64.pow(digits);
        let sign = if self.amount < 0 { "-" } else { "" };
        let abs = self.amount.unsigned_abs();
        let (int, frac) = (abs / scale as u64, abs % scale as u64);
        if digits == 0 {
            write!(f, "{sign}{int} {}", self.currency)
        } else {
            write!(
                f,
                "{sign}{int}.{frac:0width$} {}",
                self.currency,
                width = digits as usize
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_point_and_decimal_comma_give_the_same_cents() {
        assert_eq!(parse_minor("1234.56", "EUR"), Ok(123_456));
        assert_eq!(parse_minor("1234,56", "EUR"), Ok(123_456));
        assert_eq!(parse_minor("1 234,56", "EUR"), Ok(123_456));
        assert_eq!(parse_minor("1.234,56", "EUR"), Ok(123_456));
        assert_eq!(parse_minor("1,234.56", "EUR"), Ok(123_456));
        assert_eq!(parse_minor("12", "EUR"), Ok(1200));
        assert_eq!(parse_minor("12.5", "EUR"), Ok(1250));
        assert_eq!(parse_minor("0.10", "EUR"), Ok(10));
    }

    #[test]
    fn currencies_have_their_own_number_of_decimals() {
        assert_eq!(parse_minor("1500", "JPY"), Ok(1500));
        assert_eq!(
            parse_minor("1.5", "JPY").map_err(|e| e.to_string()),
            Err("has more decimals than JPY allows (0)".into())
        );
        assert_eq!(parse_minor("1.234", "KWD"), Ok(1234));
        assert_eq!(
            parse_minor("12.345", "EUR").map_err(|e| e.to_string()),
            Err("has more decimals than EUR allows (2)".into())
        );
        assert_eq!(parse_minor("12.340", "EUR"), Ok(1234));
    }

    #[test]
    fn garbage_negative_and_huge_amounts_are_refused() {
        assert_eq!(parse_minor("abc", "EUR"), Err(AmountError::NotANumber));
        assert_eq!(parse_minor("", "EUR"), Err(AmountError::NotANumber));
        assert_eq!(parse_minor("1.2.3x", "EUR"), Err(AmountError::NotANumber));
        assert_eq!(parse_minor("-5", "EUR"), Err(AmountError::Negative));
        let too_large = Err(
            "is too large: at most 10000000000.00 EUR a single amount, so that totals stay exact"
                .to_string(),
        );
        assert_eq!(
            parse_minor("99999999999999999999", "EUR").map_err(|e| e.to_string()),
            too_large
        );
        assert_eq!(
            parse_minor("92233720368547758.07", "EUR").map_err(|e| e.to_string()),
            too_large
        );
        assert_eq!(
            parse_minor("10000000000.01", "EUR").map_err(|e| e.to_string()),
            too_large
        );
        assert_eq!(parse_minor("10000000000.00", "EUR"), Ok(MAX_MINOR));
        assert_eq!(parse_minor("1000000000000", "JPY"), Ok(MAX_MINOR));
    }

    #[test]
    fn amounts_display_with_their_decimals() {
        assert_eq!(
            Minor {
                amount: 123_456,
                currency: "EUR"
            }
            .to_string(),
            "1234.56 EUR"
        );
        assert_eq!(
            Minor {
                amount: 5,
                currency: "EUR"
            }
            .to_string(),
            "0.05 EUR"
        );
        assert_eq!(
            Minor {
                amount: 1500,
                currency: "JPY"
            }
            .to_string(),
            "1500 JPY"
        );
    }
}
