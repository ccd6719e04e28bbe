//! Validated values: they can only be built from valid input, so code that holds one need
//! not check it again.

pub mod cursor;
pub mod health;
pub mod org_path;
pub mod person_fields;
pub mod resident_id;
pub mod sent;
pub mod travel;

pub use cursor::Cursor;
pub use health::{IdempotencyKey, Symptom, Temperature};
pub use org_path::OrgPath;
pub use person_fields::{
    parse_birth_date, pseudonymize_name, BoundedText, Document, PersonName, Phone,
};
pub use resident_id::{mask_document_number, ResidentId};
pub use sent::{Choice, Malformed, Sent, Wrong};
pub use travel::{RiskAreas, VehiclePlate};
