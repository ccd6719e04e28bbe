//! Cursors: decoding never panics, and whatever decodes encodes back to a cursor that
//! decodes to the same position.
#![no_main]

use lianfang::domain::values::Cursor;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for list in ["persons", "cases", "auditEvents"] {
        if let Some(cursor) = Cursor::decode(list, text) {
            let again = cursor.encode(list);
            assert_eq!(Cursor::decode(list, &again), Some(cursor));
        }
    }
});
