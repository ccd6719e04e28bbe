//! The generated city's time: every record is dated relative to one moment ("as of", by
//! default now) in the server's local time zone, and nothing lies after that moment.

use chrono::{DateTime, Days, Duration, NaiveDate, Timelike, Utc};

use crate::domain::clock::Clock;

#[derive(Debug, Clone, Copy)]
pub struct Calendar {
    pub clock: Clock,
    /// Whole seconds, so that both databases store exactly the same instants.
    pub as_of: DateTime<Utc>,
    /// The local date of `as_of`.
    pub today: NaiveDate,
}

impl Calendar {
    pub fn new(clock: Clock, as_of: DateTime<Utc>) -> Self {
        let as_of = as_of.with_nanosecond(0).unwrap_or(as_of);
        Self {
            clock,
            as_of,
            today: clock.local_date(as_of),
        }
    }

    /// The local date `back` days before today.
    pub fn day(&self, back: u64) -> NaiveDate {
        self.today
            .checked_sub_days(Days::new(back))
            .unwrap_or(self.today)
    }

    /// A local wall-clock time on a local date.
    pub fn at(&self, date: NaiveDate, hour: i64, minute: i64) -> DateTime<Utc> {
        self.clock.day_bounds(date).0 + Duration::hours(hour) + Duration::minutes(minute)
    }

    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        self.clock.local_date(at)
    }

    /// `at`, or the as-of moment when `at` lies after it.
    pub fn no_later_than_now(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        at.min(self.as_of)
    }

    /// Whole days from `date` to today.
    pub fn days_ago(&self, date: NaiveDate) -> i64 {
        (self.today - date).num_days()
    }
}

/// `date` plus `days`, saturating at the calendar's end.
pub fn add_days(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_add_days(Days::new(days)).unwrap_or(date)
}

/// `date` minus `days`.
pub fn sub_days(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_sub_days(Days::new(days)).unwrap_or(date)
}
