//! Literals: names and strings (with their escapes), numbers, durations,
//! dates and times. A literal that does not make sense (`2026-02-30`,
//! `25:00`, an unknown escape) is a diagnostic and an `Invalid` value, never
//! a syntax error: the block around it still parses.

use chrono::{NaiveDate, NaiveTime};
use pest::iterators::Pair;

use super::{Builder, Rule, next};
use crate::ast::*;
use crate::diagnostic::Code;
use crate::source::{Span, Spanned};

impl Builder {
    pub(super) fn name(&self, pair: Pair<'_, Rule>) -> Name {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::string => Spanned::new(self.unescape(&pair), span),
            _ => Spanned::new(pair.as_str().to_string(), span),
        }
    }

    fn unescape(&self, pair: &Pair<'_, Rule>) -> String {
        let raw = pair.as_str();
        let inner = &raw[1..raw.len() - 1];
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.char_indices();
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some((_, '"')) => out.push('"'),
                Some((_, '\\')) => out.push('\\'),
                Some((_, 'n')) => out.push('\n'),
                Some((_, other)) => {
                    let start = self.span(pair).start as usize + 1 + i;
                    self.error(
                        Code::InvalidValue,
                        Span::new(self.file, start, start + 1 + other.len_utf8()),
                        format!("unknown escape `\\{other}` in string (use \\\", \\\\ or \\n)"),
                    );
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            }
        }
        out
    }

    pub(super) fn duration(&self, pair: Pair<'_, Rule>) -> Spanned<Duration> {
        let span = self.span(&pair);
        let text = pair.as_str();
        let (digits, unit) = text.split_at(text.len() - 1);
        let unit = match unit {
            "h" => DurationUnit::Hours,
            "w" => DurationUnit::Weeks,
            _ => DurationUnit::Days,
        };
        let amount = digits.parse().unwrap_or_else(|_| {
            self.error(
                Code::InvalidValue,
                span,
                format!("duration `{text}` is too large"),
            );
            0
        });
        Spanned::new(Duration { amount, unit }, span)
    }

    pub(super) fn value(&self, pair: Pair<'_, Rule>) -> Spanned<Value> {
        let span = self.span(&pair);
        let text = pair.as_str();
        let value = match pair.as_rule() {
            Rule::string => Value::String(self.unescape(&pair)),
            // Exact decimals: `0.1` is one tenth, not its nearest binary float.
            Rule::number => match text.parse::<rust_decimal::Decimal>() {
                Ok(n) => Value::Number(n),
                _ => {
                    self.error(
                        Code::InvalidValue,
                        span,
                        format!("`{text}` is too long a number (at most 28 digits)"),
                    );
                    Value::Invalid(text.into())
                }
            },
            Rule::duration => Value::Duration(self.duration(pair).node),
            Rule::date => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                Ok(d) => Value::Date(d),
                Err(_) => {
                    self.error(Code::InvalidValue, span, format!("`{text}` is not a date"));
                    Value::Invalid(text.into())
                }
            },
            Rule::time => match self.time(&pair) {
                Some(t) => Value::Time(t),
                None => Value::Invalid(text.into()),
            },
            Rule::time_range => {
                let mut it = pair.clone().into_inner();
                let a = self.time(&next(&mut it));
                let b = self.time(&next(&mut it));
                match (a, b) {
                    (Some(a), Some(b)) => Value::TimeRange(a, b),
                    _ => Value::Invalid(text.into()),
                }
            }
            Rule::currency => Value::Currency(text.into()),
            Rule::boolean => Value::Bool(text == "true"),
            Rule::null => Value::Null,
            _ => Value::Ident(text.into()),
        };
        Spanned::new(value, span)
    }

    fn time(&self, pair: &Pair<'_, Rule>) -> Option<NaiveTime> {
        let text = pair.as_str();
        let parsed = NaiveTime::parse_from_str(text, "%H:%M").ok();
        if parsed.is_none() {
            self.error(
                Code::InvalidValue,
                self.span(pair),
                format!("`{text}` is not a time of day (00:00 to 23:59)"),
            );
        }
        parsed
    }
}
