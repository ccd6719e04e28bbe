//! Time as the field sees it: the local calendar day, and how far a client's clock may be
//! ahead of the server's.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};

use crate::error::{AppError, AppResult};

/// The local time zone and the tolerated client clock skew.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    pub offset: FixedOffset,
    pub skew: Duration,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    /// Today's date in the local time zone.
    pub fn today(&self) -> NaiveDate {
        self.now().with_timezone(&self.offset).date_naive()
    }

    /// The UTC instants bounding a local calendar day: `[start, end)`.
    pub fn day_bounds(&self, day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = self
            .offset
            .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
            .single()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| day.and_time(chrono::NaiveTime::MIN).and_utc());
        (start, start + Duration::days(1))
    }

    /// The local date of an instant.
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.offset).date_naive()
    }

    /// Refuses an instant later than now plus the skew.
    pub fn not_in_future(&self, at: DateTime<Utc>, field: &str) -> AppResult<DateTime<Utc>> {
        if at > self.now() + self.skew {
            return Err(AppError::bad_input(
                field,
                crate::msg!("must-not-be-in-the-future"),
            ));
        }
        Ok(at)
    }

    /// Refuses a date later than today (local).
    pub fn date_not_in_future(&self, date: NaiveDate, field: &str) -> AppResult<NaiveDate> {
        if date > self.local_date(self.now() + self.skew) {
            return Err(AppError::bad_input(
                field,
                crate::msg!("must-not-be-in-the-future"),
            ));
        }
        Ok(date)
    }
}

/// Parses `+08:00` / `-05:30` / `Z`.
pub fn parse_offset(raw: &str) -> Result<FixedOffset, String> {
    if raw == "Z" || raw == "UTC" {
        return Ok(FixedOffset::east_opt(0).ok_or("bad offset")?);
    }
    let (sign, rest) = match raw.split_at_checked(1) {
        Some(("+", rest)) => (1, rest),
        Some(("-", rest)) => (-1, rest),
        _ => return Err(format!("{raw:?} is not an offset like +08:00")),
    };
    let (hours, minutes) = rest
        .split_once(':')
        .ok_or_else(|| format!("{raw:?} is not an offset like +08:00"))?;
    // Real offsets run from -12:00 to +14:00; bounding first keeps the arithmetic exact.
    let hours: i32 = hours
        .parse()
        .ok()
        .filter(|h| (0..=14).contains(h))
        .ok_or_else(|| format!("{raw:?}: hours must be 0 to 14"))?;
    let minutes: i32 = minutes
        .parse()
        .ok()
        .filter(|m| (0..60).contains(m))
        .ok_or_else(|| format!("{raw:?}: minutes must be 0 to 59"))?;
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
        .ok_or_else(|| format!("{raw:?} is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_day_in_china_starts_at_sixteen_hundred_utc_the_day_before() {
        let clock = Clock {
            offset: parse_offset("+08:00").unwrap(),
            skew: Duration::minutes(5),
        };
        let (start, end) = clock.day_bounds(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        assert_eq!(start.to_rfc3339(), "2026-11-22T16:00:00+00:00");
        assert_eq!(end.to_rfc3339(), "2026-11-23T16:00:00+00:00");
    }

    #[test]
    fn absurd_offsets_are_refused_not_overflowed() {
        // Found by the `dates` fuzz target: hours * 3600 overflowed.
        for raw in ["+999999:00", "-2147483647:00", "+08:99", "+15:00", "+08:-1"] {
            assert!(parse_offset(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn offsets_parse() {
        assert_eq!(parse_offset("+08:00").unwrap().local_minus_utc(), 8 * 3600);
        assert_eq!(
            parse_offset("-05:30").unwrap().local_minus_utc(),
            -(5 * 3600 + 1800)
        );
        assert!(parse_offset("8").is_err());
    }
}
