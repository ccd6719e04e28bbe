//! Resident ID numbers: parsing never panics, and whatever parses is a well-formed,
//! normalized number that parses again to itself and masks to 6 + 8 stars + 4.
#![no_main]

use lianfang::domain::values::ResidentId;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(id) = ResidentId::parse(text) {
        let number = id.as_str();
        assert_eq!(number.len(), 18);
        assert!(number[..17].bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(ResidentId::parse(number).as_ref(), Ok(&id));
        let masked = id.masked();
        assert_eq!(&masked[..6], &number[..6]);
        assert_eq!(&masked[14..], &number[14..]);
        assert!(masked[6..14].bytes().all(|b| b == b'*'));
        let _ = id.birth_date();
    }
});
