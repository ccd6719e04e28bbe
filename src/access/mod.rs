//! The access policy and its application: declared in [`policy`], applied to SQL in
//! [`scope`] (where) and to rows in [`person_view`] and [`traveller_view`] (how much).

pub mod disclosure;
pub mod person_view;
pub mod policy;
pub mod scope;
pub mod traveller_view;

pub use person_view::{PersonView, Reach};
pub use policy::{access, may_see, Access, Data};
pub use traveller_view::TravellerView;

use crate::{
    auth::Principal,
    error::{AppError, AppResult},
};

/// Whether the principal sees document numbers in full: health and police operators, who
/// verify identities. Everyone else must learn nothing from submitting a number (no
/// existence or identity oracle) and resolves nothing that depends on its hidden part.
pub fn sees_full_numbers(principal: &Principal) -> bool {
    access(principal.agency, principal.role, Data::DocumentNumber) >= Access::Read
}

/// Refuses the operation unless the principal has at least `required` access to `data`.
///
/// The GraphQL layer already hides what a principal may not use; domain functions still
/// check, so no caller can reach data the policy does not allow.
pub fn require(principal: &Principal, data: Data, required: Access) -> AppResult<()> {
    if access(principal.agency, principal.role, data) >= required {
        Ok(())
    } else {
        Err(AppError::forbidden(crate::msg!(
            "forbidden-role",
            agency = principal.agency.to_string(),
            role = principal.role.to_string()
        )))
    }
}
