//! Money, dates and numbers written the way each language writes them.
//!
//! A small table rather than a crate: ICU4X's decimal and currency formatters
//! need their locale data compiled in (megabytes for seven languages), and
//! `num-format` groups digits but does not place currency symbols. The rules
//! here are the usual business conventions of each language (CLDR's
//! patterns), with plain spaces where CLDR has no-break ones, as the
//! specification writes them (`1 234,56 €`).

use chrono::{Datelike, NaiveDate};

/// How one language writes amounts and dates.
#[derive(Debug, Clone, Copy)]
pub struct Lang {
    /// The code: `en`, `fr`...
    pub code: &'static str,
    /// Thousands separator.
    group: &'static str,
    /// Decimal separator.
    decimal: &'static str,
    /// Where the currency goes.
    symbol: Placement,
    /// Months, January first.
    months: [&'static str; 12],
    /// Short dates: day, month, year with this separator, in this order.
    short: Short,
    /// Long dates.
    long: Long,
}

#[derive(Debug, Clone, Copy)]
enum Placement {
    /// `€1,234.56`: before, joined (a space after a letter code: `CHF 1,234.56`).
    Before,
    /// `€ 1.234,56`: before, with a space.
    BeforeSpaced,
    /// `1 234,56 €`: after, with a space.
    After,
}

#[derive(Debug, Clone, Copy)]
enum Short {
    /// `20/11/2026`, with this separator.
    DayMonthYear(&'static str),
    /// `20 Nov 2026`: unambiguous for English readers on both sides of the Atlantic.
    DayShortMonthYear,
}

#[derive(Debug, Clone, Copy)]
enum Long {
    /// `20 November 2026`.
    DayMonthYear,
    /// `20 de noviembre de 2026`.
    WithDe,
    /// `20. November 2026` (an ordinal day).
    OrdinalDay,
}

/// The languages relance formats, in code order.
const LANGS: &[Lang] = &[
    Lang {
        code: "de",
        group: ".",
        decimal: ",",
        symbol: Placement::After,
        months: [
            "Januar",
            "Februar",
            "März",
            "April",
            "Mai",
            "Juni",
            "Juli",
            "August",
            "September",
            "Oktober",
            "November",
            "Dezember",
        ],
        short: Short::DayMonthYear("."),
        long: Long::OrdinalDay,
    },
    Lang {
        code: "en",
        group: ",",
        decimal: ".",
        symbol: Placement::Before,
        months: [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
        short: Short::DayShortMonthYear,
        long: Long::DayMonthYear,
    },
    Lang {
        code: "es",
        group: ".",
        decimal: ",",
        symbol: Placement::After,
        months: [
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
        ],
        short: Short::DayMonthYear("/"),
        long: Long::WithDe,
    },
    Lang {
        code: "fr",
        group: " ",
        decimal: ",",
        symbol: Placement::After,
        months: [
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ],
        short: Short::DayMonthYear("/"),
        long: Long::DayMonthYear,
    },
    Lang {
        code: "it",
        group: ".",
        decimal: ",",
        symbol: Placement::After,
        months: [
            "gennaio",
            "febbraio",
            "marzo",
            "aprile",
            "maggio",
            "giugno",
            "luglio",
            "agosto",
            "settembre",
            "ottobre",
            "novembre",
            "dicembre",
        ],
        short: Short::DayMonthYear("/"),
        long: Long::DayMonthYear,
    },
    Lang {
        code: "nl",
        group: ".",
        decimal: ",",
        symbol: Placement::BeforeSpaced,
        months: [
            "januari",
            "februari",
            "maart",
            "april",
            "mei",
            "juni",
            "juli",
            "augustus",
            "september",
            "oktober",
            "november",
            "december",
        ],
        short: Short::DayMonthYear("-"),
        long: Long::DayMonthYear,
    },
    Lang {
        code: "pt",
        group: ".",
        decimal: ",",
        symbol: Placement::After,
        months: [
            "janeiro",
            "fevereiro",
            "março",
            "abril",
            "maio",
            "junho",
            "julho",
            "agosto",
            "setembro",
            "outubro",
            "novembro",
            "dezembro",
        ],
        short: Short::DayMonthYear("/"),
        long: Long::WithDe,
    },
];

const ENGLISH: usize = 1;

impl Lang {
    /// The rules of a language code (`fr`, `fr-CA`, `FR`); English for a
    /// language relance does not know.
    pub fn of(code: &str) -> Lang {
        let base = code.split(['-', '_']).next().unwrap_or(code);
        LANGS
            .iter()
            .find(|l| l.code.eq_ignore_ascii_case(base))
            .copied()
            .unwrap_or(LANGS[ENGLISH])
    }

    /// Whether relance has rules for this language code.
    pub fn known(code: &str) -> bool {
        let base = code.split(['-', '_']).next().unwrap_or(code);
        LANGS.iter().any(|l| l.code.eq_ignore_ascii_case(base))
    }

    /// An amount in minor units of `currency`: `1 234,56 €` (fr), `€1,234.56` (en).
    pub fn money(&self, minor: impl Into<i128>, currency: &str) -> String {
        let digits = exponent(currency);
        let number = self.number(minor, digits);
        let symbol = symbol(currency);
        let (sign, number) = match number.strip_prefix('-') {
            Some(n) => ("-", n.to_string()),
            None => ("", number),
        };
        let letters = symbol.chars().all(|c| c.is_ascii_alphabetic());
        match self.symbol {
            Placement::Before if letters => format!("{sign}{symbol} {number}"),
            Placement::Before => format!("{sign}{symbol}{number}"),
            Placement::BeforeSpaced => format!("{symbol} {sign}{number}"),
            Placement::After => format!("{sign}{number} {symbol}"),
        }
    }

    /// A number given in units of 10^-`digits`, grouped: `1 234,56` (fr).
    pub fn number(&self, scaled: impl Into<i128>, digits: u32) -> String {
        let scaled: i128 = scaled.into();
        let negative = scaled < 0;
        let magnitude = scaled.unsigned_abs();
        let scale = 10u128.pow(digits);
        let (whole, fraction) = (magnitude / scale, magnitude % scale);
        let whole = whole.to_string();
        let mut out = String::with_capacity(whole.len() + 8);
        if negative {
            out.push('-');
        }
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                out.push_str(self.group);
            }
            out.push(c);
        }
        if digits > 0 {
            out.push_str(self.decimal);
            out.push_str(&format!("{fraction:0width$}", width = digits as usize));
        }
        out
    }

    /// A date in tables: `20/11/2026` (fr), `20.11.2026` (de), `20 Nov 2026` (en).
    pub fn short_date(&self, date: NaiveDate) -> String {
        match self.short {
            Short::DayMonthYear(sep) => format!(
                "{:02}{sep}{:02}{sep}{}",
                date.day(),
                date.month(),
                date.year()
            ),
            Short::DayShortMonthYear => {
                let month = self.months[date.month0() as usize];
                format!("{} {} {}", date.day(), &month[..3], date.year())
            }
        }
    }

    /// A date in a sentence: `20 novembre 2026`, `20 de noviembre de 2026`.
    pub fn long_date(&self, date: NaiveDate) -> String {
        let month = self.months[date.month0() as usize];
        match self.long {
            Long::DayMonthYear => format!("{} {month} {}", date.day(), date.year()),
            Long::WithDe => format!("{} de {month} de {}", date.day(), date.year()),
            Long::OrdinalDay => format!("{}. {month} {}", date.day(), date.year()),
        }
    }
}

pub use relance_money::exponent;

/// The sign written for a currency: `€`, `$`, `£`, `¥`, else its code.
fn symbol(currency: &str) -> &str {
    match currency {
        "EUR" => "€",
        "USD" => "$",
        "GBP" => "£",
        "JPY" => "¥",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_written_as_each_language_writes_it() {
        let cases = [
            ("fr", "1 234,56 €"),
            ("en", "€1,234.56"),
            ("de", "1.234,56 €"),
            ("es", "1.234,56 €"),
            ("it", "1.234,56 €"),
            ("nl", "€ 1.234,56"),
            ("pt", "1.234,56 €"),
        ];
        for (lang, expected) in cases {
            assert_eq!(Lang::of(lang).money(123_456, "EUR"), expected, "{lang}");
        }
    }

    #[test]
    fn currencies_keep_their_own_decimals_and_signs() {
        let en = Lang::of("en");
        assert_eq!(en.money(1_234_567, "JPY"), "¥1,234,567");
        assert_eq!(en.money(-1_050, "USD"), "-$10.50");
        assert_eq!(en.money(100_000, "CHF"), "CHF 1,000.00");
        assert_eq!(Lang::of("fr").money(5, "EUR"), "0,05 €");
        assert_eq!(Lang::of("fr").money(-123_456_789, "EUR"), "-1 234 567,89 €");
        assert_eq!(Lang::of("nl").money(-100, "EUR"), "€ -1,00");
    }

    #[test]
    fn dates_are_written_as_each_language_writes_them() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 5).unwrap();
        assert_eq!(Lang::of("fr").short_date(d), "05/03/2026");
        assert_eq!(Lang::of("de").short_date(d), "05.03.2026");
        assert_eq!(Lang::of("nl").short_date(d), "05-03-2026");
        assert_eq!(Lang::of("en").short_date(d), "5 Mar 2026");
        assert_eq!(Lang::of("fr").long_date(d), "5 mars 2026");
        assert_eq!(Lang::of("es").long_date(d), "5 de marzo de 2026");
        assert_eq!(Lang::of("en").long_date(d), "5 March 2026");
        assert_eq!(Lang::of("de").long_date(d), "5. März 2026");
    }

    #[test]
    fn an_unknown_language_is_written_in_english_and_regional_codes_use_their_base() {
        assert_eq!(Lang::of("xx").code, "en");
        assert_eq!(Lang::of("fr-CA").code, "fr");
        assert!(!Lang::known("xx"));
        assert!(Lang::known("DE"));
    }
}
