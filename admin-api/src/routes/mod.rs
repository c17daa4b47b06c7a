//! The handlers, one module per resource of docs/reference/api.md, and what they share:
//! pagination, dates, amounts.

pub mod accounts;
pub mod actions;
pub mod config;
pub mod files;
pub mod imports;
pub mod items;
pub mod reports;
pub mod runs;
pub mod system;
pub mod tasks;

use chrono::NaiveDate;
use relance_engine::money::{Currency, Money};
use relance_engine::planner::Planner;
use serde::Deserialize;

use crate::error::AppError;

/// Items per page when `limit` is not given.
pub const DEFAULT_LIMIT: u32 = 100;
/// The largest page.
pub const MAX_LIMIT: u32 = 1000;

/// `?limit=&after=`: a page of a list in id order. `after` is the `next`
/// of the previous page.
#[derive(Debug, Clone, Copy, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// Items per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// The cursor: the `next` of the previous page (ids above it).
    #[param(minimum = 0)]
    pub after: Option<i64>,
}

impl Page {
    /// `(after, limit)`, checked.
    pub fn checked(self) -> Result<(i64, u32), AppError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(AppError::BadRequest(format!(
                "limit must be between 1 and {MAX_LIMIT}, not {limit}"
            )));
        }
        let after = self.after.unwrap_or(0);
        if after < 0 {
            return Err(AppError::BadRequest(format!(
                "after must be a cursor from a previous page (0 or more), not {after}"
            )));
        }
        Ok((after, limit))
    }
}

/// The cursor of the next page: the last id when the page is full.
pub fn next_cursor(
    ids: impl DoubleEndedIterator<Item = i64>,
    len: usize,
    limit: u32,
) -> Option<i64> {
    if len as u64 == u64::from(limit) {
        ids.last()
    } else {
        None
    }
}

/// A date given as text in a query or a body.
pub fn parse_date(name: &str, value: &str) -> Result<NaiveDate, AppError> {
    let date = NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
        AppError::BadRequest(format!("{name} \"{value}\" is not a date (YYYY-MM-DD)"))
    })?;
    check_year(name, date)
}

/// Dates with four-digit years only (`YYYY-MM-DD`, years 1 to 9999): date
/// arithmetic (offsets, calendars, aging buckets) stays far from chrono's
/// limits.
pub fn check_year(name: &str, date: NaiveDate) -> Result<NaiveDate, AppError> {
    use chrono::Datelike as _;
    if (1..=9999).contains(&date.year()) {
        Ok(date)
    } else {
        Err(AppError::BadRequest(format!(
            "{name} {date} is out of range (years 1 to 9999)"
        )))
    }
}

/// Today in the settings' timezone.
pub fn today(planner: &Planner) -> NaiveDate {
    chrono::Utc::now()
        .with_timezone(&planner.config.settings.timezone)
        .date_naive()
}

/// The date of a query, or today.
pub fn date_or_today(planner: &Planner, value: Option<&str>) -> Result<NaiveDate, AppError> {
    value.map_or_else(|| Ok(today(planner)), |v| parse_date("date", v))
}

/// Minor units of `currency` as [`Money`] (a JSON number of major units:
/// `123456` EUR is `1234.56`); a code that is no currency (none passes the
/// import) reads as `XXX`.
pub fn amount(minor: i64, currency: &str) -> Money {
    Money::new(minor, Currency::or_none(currency))
}
