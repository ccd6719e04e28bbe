//! Layer 3 of the policy for unregistered travellers met at checkpoints: their details are
//! personal data like a person's, shown at the principal's level for identity and documents.

use entity::{checkpoint_entry, DocumentType};

use super::policy::{access, Access, Data};
use crate::{auth::Principal, domain::values::mask_document_number};

/// What a principal sees of a traveller recorded on an entry in its reach.
#[derive(Debug, Clone)]
pub struct TravellerView {
    pub name: String,
    pub phone: Option<String>,
    pub document_type: Option<DocumentType>,
    /// In full, masked (first 6 and last 4), or absent, per the policy.
    pub document_number: Option<String>,
}

impl TravellerView {
    /// `None` when the entry names no unregistered traveller, or the principal may not see
    /// identities (analysts: the schema hides the field from them as well).
    pub fn of(principal: &Principal, entry: &checkpoint_entry::Model) -> Option<Self> {
        let level = |data| access(principal.agency, principal.role, data);
        if level(Data::PersonIdentity) < Access::Read {
            return None;
        }
        let name = entry.traveller_name.clone()?;
        let document = level(Data::DocumentNumber);
        let number = entry
            .traveller_document
            .as_deref()
            .and_then(|number| match document {
                Access::Read | Access::ReadWrite => Some(number.to_owned()),
                Access::Masked => Some(mask_document_number(number)),
                _ => None,
            });
        Some(Self {
            name,
            phone: entry.traveller_phone.clone(),
            document_type: (document >= Access::Masked)
                .then_some(entry.traveller_document_type)
                .flatten(),
            document_number: number,
        })
    }
}
