//! Exact money: amounts are integers in minor units of their currency (cents
//! for EUR, yen for JPY, fils for KWD), never binary floats.
//!
//! # The rules
//! - An amount is read from text once ([`parse_minor`]) and is an integer of
//!   minor units from then on.
//! - Expressions compute with exact decimals ([`Decimal`]): an amount enters
//!   them as [`Money::to_decimal`], with no loss.
//! - A conversion to another currency ([`Money::convert`]) multiplies by the
//!   settings' rate exactly and rounds **once**, half away from zero, to the
//!   target currency's minor unit. Sums add those rounded amounts exactly, so
//!   a threshold, a statement's total and the API agree to the cent.
//! - Anything else computed (a penalty) is rounded the same way, once, by
//!   [`Money::from_decimal`].
//! - An amount leaves as a JSON or template number in major units
//!   ([`Money`]'s `Serialize`); that is the only place a binary float is
//!   made, and its shortest decimal form is the exact amount (amounts stay
//!   far below 2^53 minor units).

use std::fmt;

pub use rust_decimal::Decimal;
use rust_decimal::RoundingStrategy;

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

/// A currency: its ISO 4217 code (three ASCII letters), cheap to copy.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency([u8; 3]);

impl Currency {
    /// `XXX`, ISO 4217's "no currency".
    pub const NONE: Currency = Currency(*b"XXX");

    /// A three-letter code, upper case (`EUR`); `None` for anything else.
    pub fn new(code: &str) -> Option<Currency> {
        let b: [u8; 3] = code.as_bytes().try_into().ok()?;
        b.iter().all(u8::is_ascii_uppercase).then_some(Currency(b))
    }

    /// A code already checked upstream (the importer, the checker) as a
    /// currency; anything else reads as [`Currency::NONE`] (two decimals).
    pub fn or_none(code: &str) -> Currency {
        Currency::new(code).unwrap_or(Currency::NONE)
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        // Three ASCII letters, checked by `new`.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Its number of decimals ([`exponent`]).
    pub fn exponent(self) -> u32 {
        exponent(self.as_str())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An exact amount: a whole number of minor units of a currency. Held in
/// an `i128`, so no sum of amounts relance takes ([`MAX_MINOR`] each) can
/// overflow.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    /// Minor units (cents).
    pub minor: i128,
    /// The currency.
    pub currency: Currency,
}

impl Money {
    /// `minor` units of `currency`.
    pub fn new(minor: impl Into<i128>, currency: Currency) -> Money {
        Money {
            minor: minor.into(),
            currency,
        }
    }

    /// Nothing, in `currency`.
    pub fn zero(currency: Currency) -> Money {
        Money::new(0, currency)
    }

    /// The amount in major units, exactly (`123456` cents → `1234.56`).
    pub fn to_decimal(self) -> Decimal {
        Decimal::try_from_i128_with_scale(self.minor, self.currency.exponent()).unwrap_or(
            if self.minor < 0 {
                Decimal::MIN
            } else {
                Decimal::MAX
            },
        )
    }

    /// A major-unit decimal as money of `currency`, rounded once, half away
    /// from zero, to its minor unit (`0.125` EUR → `0.13`).
    pub fn from_decimal(value: Decimal, currency: Currency) -> Money {
        let exp = currency.exponent();
        let mut rounded = value.round_dp_with_strategy(exp, RoundingStrategy::MidpointAwayFromZero);
        rounded.rescale(exp);
        Money::new(rounded.mantissa(), currency)
    }

    /// The amount in `to` at `rate` (units of `to` for one unit of this
    /// currency): multiplied exactly, rounded once ([`Money::from_decimal`]).
    /// The same currency converts as itself, whatever the rate.
    pub fn convert(self, rate: Decimal, to: Currency) -> Money {
        if self.currency == to {
            return self;
        }
        let exact = self.to_decimal().checked_mul(rate).unwrap_or(Decimal::MAX);
        Money::from_decimal(exact, to)
    }

    /// Whether it is below zero.
    pub fn is_negative(self) -> bool {
        self.minor < 0
    }
}

impl std::ops::Add for Money {
    type Output = Money;

    /// Adds amounts of one currency (a sum across currencies is a bug: it
    /// panics in debug builds and keeps the left currency otherwise).
    fn add(self, other: Money) -> Money {
        debug_assert_eq!(self.currency, other.currency, "adding different currencies");
        Money::new(self.minor + other.minor, self.currency)
    }
}

impl std::ops::Neg for Money {
    type Output = Money;

    fn neg(self) -> Money {
        Money::new(-self.minor, self.currency)
    }
}

impl std::ops::AddAssign for Money {
    fn add_assign(&mut self, other: Money) {
        *self = *self + other;
    }
}

impl std::ops::SubAssign for Money {
    fn sub_assign(&mut self, other: Money) {
        *self += -other;
    }
}

impl fmt::Display for Money {
    /// `1234.56 EUR`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal(), self.currency)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl serde::Serialize for Money {
    /// A number in major units (`1234.56`), as every JSON document and
    /// template of relance gives amounts. JSON and tera numbers are binary
    /// floats: this is where one is made, from the exact decimal, whose
    /// shortest form it prints back.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.to_f64())
    }
}

impl Money {
    /// The binary float nearest the amount in major units, for serialisers
    /// that only take floats (JSON, tera); its shortest form prints the
    /// exact decimal back for up to 15 significant digits (a total of
    /// 10^13 in major units; one amount is at most 10^10).
    fn to_f64(self) -> f64 {
        // Powers of ten a float holds exactly.
        const POW10: [f64; 5] = [1.0, 10.0, 100.0, 1_000.0, 10_000.0];
        let exp = self.currency.exponent() as usize;
        match POW10.get(exp) {
            // Both operands exact: IEEE division rounds once, to the float
            // nearest the quotient, as parsing the decimal's text would.
            Some(scale) if self.minor.unsigned_abs() < 1 << 53 => self.minor as f64 / scale,
            _ => self
                .to_decimal()
                .normalize()
                .to_string()
                .parse()
                .unwrap_or(0.0),
        }
    }
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
    fn amounts_leave_as_the_float_whose_text_is_the_exact_decimal() {
        let eur = Currency::new("EUR").expect("EUR");
        let kwd = Currency::new("KWD").expect("KWD");
        for (minor, currency, text) in [
            (90_i64, eur, "0.9"),
            (10, eur, "0.1"),
            (123_456, eur, "1234.56"),
            (-550, eur, "-5.5"),
            (1_000_000_000_000_i64, eur, "10000000000"),
            (1_234, kwd, "1.234"),
            (999_999_999_999_999_i64, eur, "9999999999999.99"),
        ] {
            let json = serde_json::to_string(&Money::new(minor, currency)).expect("serializes");
            assert_eq!(json.trim_end_matches(".0"), text, "{minor} {currency}");
        }
    }

    #[test]
    fn one_rounding_half_away_from_zero() {
        let eur = Currency::new("EUR").expect("EUR");
        let usd = Currency::new("USD").expect("USD");
        let d = |s: &str| s.parse::<Decimal>().expect("a decimal");
        assert_eq!(Money::from_decimal(d("0.125"), eur).minor, 13);
        assert_eq!(Money::from_decimal(d("-0.125"), eur).minor, -13);
        assert_eq!(Money::from_decimal(d("0.1249"), eur).minor, 12);
        assert_eq!(
            Money::new(100, usd).convert(d("0.3"), eur).to_string(),
            "0.30 EUR"
        );
        assert_eq!(Money::new(96, usd).convert(d("0.3"), eur).minor, 29);
        assert_eq!(Money::new(100, eur).convert(d("7"), eur).minor, 100);
    }

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
