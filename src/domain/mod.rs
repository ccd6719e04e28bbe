//! The domain layer: rules, scope, masking and audit for each kind of record. Resolvers
//! call one function here; everything that decides lives here or in `access`.

pub mod audit_events;
pub mod org_units;
pub mod pagination;
pub mod persons;
pub mod values;
pub mod vulnerability;
