//! Temperatures and idempotency keys: parsing never panics; a temperature that parses lies
//! in 30.0–45.0 °C with one decimal, and a key that parses is short and plain.
#![no_main]

use lianfang::domain::values::{IdempotencyKey, Temperature};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() >= 8 {
        let value = f64::from_le_bytes(data[..8].try_into().unwrap_or_default());
        if let Ok(t) = Temperature::parse(value) {
            assert!((300..=450).contains(&t.tenths()));
            assert_eq!(Temperature::parse(t.celsius()), Ok(t));
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(key) = IdempotencyKey::parse(text) {
            assert!((1..=64).contains(&key.as_str().len()));
        }
        if let Ok(value) = text.trim().parse::<f64>() {
            let _ = Temperature::parse(value);
        }
    }
});
