//! Names, phones, documents and free text: parsing never panics, and what parses keeps its
//! promises (bounded, normalized, no control characters).
#![no_main]

use entity::DocumentType;
use lianfang::domain::values::{BoundedText, Document, PersonName, Phone};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(name) = PersonName::parse(text) {
        let n = name.as_str().chars().count();
        assert!((1..=50).contains(&n));
        assert!(!name.as_str().chars().any(char::is_control));
    }
    if let Ok(phone) = Phone::parse(text) {
        assert!(phone.as_str().bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(
            Phone::parse(phone.as_str()).as_ref().map(Phone::as_str),
            Ok(phone.as_str())
        );
    }
    for kind in [
        DocumentType::ResidentId,
        DocumentType::Passport,
        DocumentType::Other,
    ] {
        if let Ok(document) = Document::parse(kind, text) {
            assert!(document.number().len() <= 20);
        }
    }
    if let Ok(bounded) = BoundedText::parse(text, 200) {
        assert!(bounded.into_inner().chars().count() <= 200);
    }
});
