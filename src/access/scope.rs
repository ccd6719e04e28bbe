//! Layer 2 of the policy as SQL: rows inside the principal's jurisdiction.

use entity::{person, quarantine};
use sea_orm::{sea_query::Query, ColumnTrait, Condition};

use super::policy::{person_rows, PersonRows};
use crate::{auth::Principal, domain::values::OrgPath};

/// `column` (a materialized path) lies in the subtree of `path`: a range on a
/// byte-ordered index.
pub fn within(column: impl ColumnTrait, path: &OrgPath) -> Condition {
    Condition::all()
        .add(column.gte(path.as_str()))
        .add(column.lt(path.upper_bound()))
}

/// The persons a principal reaches in its own jurisdiction: residents of its subtree, not
/// merged away, narrowed per agency (civil affairs: vulnerable or under observation).
pub fn persons_in_jurisdiction(principal: &Principal) -> Condition {
    let base = Condition::all()
        .add(within(
            person::Column::ResidencePath,
            principal.jurisdiction(),
        ))
        .add(person::Column::MergedIntoId.is_null());
    match person_rows(principal.agency) {
        PersonRows::All => base,
        PersonRows::VulnerableOrIsolated => base.add(
            Condition::any()
                .add(person::Column::Vulnerabilities.ne(0))
                .add(
                    person::Column::Id.in_subquery(
                        Query::select()
                            .column(quarantine::Column::PersonId)
                            .from(quarantine::Entity)
                            .and_where(quarantine::Column::IsActive.eq(true))
                            .to_owned(),
                    ),
                ),
        ),
    }
}
