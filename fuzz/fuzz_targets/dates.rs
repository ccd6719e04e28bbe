//! Dates and offsets: birth dates outside 1900..today are refused; UTC offsets parse or
//! refuse without panicking, and a local day is always 24 hours.
#![no_main]

use chrono::{Duration, NaiveDate};
use lianfang::domain::{
    clock::{parse_offset, Clock},
    values::parse_birth_date,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(date) = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        if let Ok(born) = parse_birth_date(date) {
            assert!(born >= NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default());
        }
        if let Ok(offset) = parse_offset("+08:00") {
            let clock = Clock {
                offset,
                skew: Duration::minutes(5),
            };
            let (start, end) = clock.day_bounds(date);
            assert_eq!(end - start, Duration::days(1));
        }
    }
    if let Ok(offset) = parse_offset(text) {
        assert!(offset.local_minus_utc().abs() < 86_400);
    }
});
