//! Business days: a scenario's calendar moves trigger dates off weekends and
//! holidays.

use std::collections::HashSet;

use chrono::{Datelike, Days, NaiveDate};
use relance_dsl::model::Calendar;

/// A calendar ready for lookups.
#[derive(Debug, Clone, Default)]
pub struct BusinessCalendar {
    /// Weekend days, by `Weekday::num_days_from_monday`.
    weekend: [bool; 7],
    /// Public holidays.
    holidays: HashSet<NaiveDate>,
}

impl BusinessCalendar {
    /// From the configuration's calendar.
    pub fn new(calendar: &Calendar) -> BusinessCalendar {
        let mut weekend = [false; 7];
        for day in &calendar.weekend {
            weekend[day.num_days_from_monday() as usize] = true;
        }
        BusinessCalendar {
            weekend,
            holidays: calendar.holidays.iter().copied().collect(),
        }
    }

    /// Whether `d` is a business day.
    pub fn is_business_day(&self, d: NaiveDate) -> bool {
        !self.weekend[d.weekday().num_days_from_monday() as usize] && !self.holidays.contains(&d)
    }

    /// `d` if it is a business day, else the next one. A calendar with no
    /// business day at all (every weekday a weekend) leaves `d` as it is.
    pub fn on_or_after(&self, d: NaiveDate) -> NaiveDate {
        if self.weekend.iter().all(|w| *w) {
            return d;
        }
        let mut day = d;
        // Holidays are finite, so this ends; the bound only guards the absurd.
        for _ in 0..400 {
            if self.is_business_day(day) {
                return day;
            }
            match day.checked_add_days(Days::new(1)) {
                Some(next) => day = next,
                None => return d,
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Weekday;

    fn date(s: &str) -> NaiveDate {
        s.parse().expect("a date")
    }

    #[test]
    fn weekends_and_holidays_move_to_the_next_business_day() {
        let cal = BusinessCalendar::new(&Calendar {
            weekend: vec![Weekday::Sat, Weekday::Sun],
            holidays: vec![date("2026-04-06")],
        });
        // Saturday 2026-04-04 → Monday 2026-04-06 is Easter Monday → Tuesday.
        assert_eq!(cal.on_or_after(date("2026-04-04")), date("2026-04-07"));
        assert_eq!(cal.on_or_after(date("2026-04-08")), date("2026-04-08"));
    }
}
