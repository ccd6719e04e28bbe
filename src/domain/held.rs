//! Registrations held for verification (待核实登记).
//!
//! An agency that sees document numbers masked may submit a number that belongs to someone
//! living outside its jurisdiction. It is answered exactly as for an unknown number (a
//! record of the person it met, where it says they live) and learns nothing of the other
//! person; the record is held (`held_for_id`) for an agency that sees numbers in full to
//! settle: the same human (the records become one, living where the registration says), or
//! not (the number is struck from the held record).

use std::{collections::HashMap, sync::Arc};

use chrono::Utc;
use entity::person;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{
    merge,
    org_units::OrgUnit,
    pagination::{Page, PageRequest},
    persons,
};
use crate::{
    access::{self, scope, Access, Data, PersonView, Reach},
    audit::Actor,
    auth::Principal,
    db,
    error::{AppError, AppResult},
    state::AppState,
};

pub const LIST: &str = "heldRegistrations";

/// A held record and the verified person whose number it carries.
#[derive(Debug, Clone)]
pub struct HeldRegistration {
    pub held: PersonView,
    pub claimed: PersonView,
    pub name_matches: bool,
}

/// Only health and police operators settle held registrations: the question is whose the
/// number is, and they alone see numbers in full.
fn require_verifier(principal: &Principal) -> AppResult<()> {
    access::require(principal, Data::PersonIdentity, Access::ReadWrite)?;
    if !access::sees_full_numbers(principal) {
        return Err(AppError::forbidden(crate::msg!(
            "held-settled-by-full-document-agencies"
        )));
    }
    Ok(())
}

/// Held records registered in `unit` (the principal's jurisdiction when omitted), oldest
/// first.
#[tracing::instrument(skip(state, actor), fields(request_id = %actor.request_id))]
pub async fn list(
    state: &AppState,
    actor: &Actor,
    unit: Option<Arc<OrgUnit>>,
    page: &PageRequest,
) -> AppResult<Page<HeldRegistration>> {
    let principal = &actor.principal;
    require_verifier(principal)?;
    let mut select = person::Entity::find()
        .filter(scope::persons_in_jurisdiction(principal))
        .filter(person::Column::HeldForId.is_not_null())
        .filter(page.after_id(person::Column::Id)?);
    if let Some(unit) = &unit {
        select = select.filter(scope::within(person::Column::ResidencePath, &unit.path));
    }
    let rows = select
        .order_by_asc(person::Column::Id)
        .limit(page.first + 1)
        .all(&state.db)
        .await?;
    let page = Page::from_overfetch(rows, page.first);
    let claimed_ids: Vec<i64> = page.items.iter().filter_map(|p| p.held_for_id).collect();
    let claimed: HashMap<i64, person::Model> = persons::by_ids(&state.db, &claimed_ids)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut items = Vec::with_capacity(page.items.len());
    for held in page.items {
        let Some(other) = held.held_for_id.and_then(|id| claimed.get(&id)) else {
            return Err(AppError::internal("a held registration names no person"));
        };
        actor.record_reads("Person", [held.id, other.id])?;
        items.push(HeldRegistration {
            name_matches: held.name == other.name,
            claimed: PersonView::new(
                principal,
                other.clone(),
                scope::reach_of(principal, other, false),
            ),
            held: PersonView::new(principal, held, Reach::Jurisdiction),
        });
    }
    Ok(Page {
        items,
        has_next_page: page.has_next_page,
    })
}

/// Settles a held registration. `same_person`: the held record and the person whose
/// number it carries become one (every record moves, as in a merge), living where the
/// registration says; otherwise the number is struck from the held record, which stays a
/// person without a document. Either way audited with the decision.
#[tracing::instrument(skip(state, actor), fields(request_id = %actor.request_id))]
pub async fn resolve(
    state: &AppState,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    same_person: bool,
) -> AppResult<PersonView> {
    let principal = &actor.principal;
    require_verifier(principal)?;
    let settled = db::write_retrying!(&state.db, |txn| {
        let held = persons::find_for_write(&txn, principal, id).await?;
        let Some(claimed_id) = held.held_for_id else {
            return Err(AppError::bad_input("id", crate::msg!("not-a-held-registration")).into());
        };
        if held.version != expected_version {
            return Err(AppError::Conflict {
                entity: "Person",
                id,
                current_version: held.version,
            }
            .into());
        }
        let now = Utc::now();
        if !same_person {
            let cleared = person::ActiveModel {
                document_type: Set(None),
                document_number: Set(None),
                held_for_id: Set(None),
                ..Default::default()
            };
            let updated = persons::update_versioned(&txn, id, held.version, cleared, now)
                .await?
                .ok_or(db::WriteError::Retry)?;
            actor
                .record_write(
                    &txn,
                    "resolveHeldRegistration",
                    "Person",
                    &[id, claimed_id],
                    Some(
                        "not the same person: the document number was struck from the held record",
                    ),
                )
                .await?;
            return Ok(updated);
        }
        let claimed = person::Entity::find_by_id(claimed_id)
            .filter(person::Column::MergedIntoId.is_null())
            .one(&txn)
            .await?
            .ok_or_else(|| AppError::bad_input("id", crate::msg!("held-person-merged-away")))?;
        merge::refuse_open_twice(&txn, &claimed, &held).await?;
        let moved = merge::move_records(&txn, claimed.id, held.id).await?;
        merge::union_provenance(&txn, claimed.id, held.id).await?;
        let kept = merge::absorb(&txn, &claimed, &held).await?;
        // The registration said where the person lives now.
        let relocated = person::ActiveModel {
            residence_org_id: Set(held.residence_org_id),
            residence_path: Set(held.residence_path.clone()),
            ..Default::default()
        };
        let kept = persons::update_versioned(&txn, kept.id, kept.version, relocated, now)
            .await?
            .ok_or(db::WriteError::Retry)?;
        let reason = format!(
            "same person: held record {} merged into {} and relocated to where it was registered: {moved}",
            held.id, claimed.id
        );
        actor
            .record_write(
                &txn,
                "resolveHeldRegistration",
                "Person",
                &[claimed.id, held.id],
                Some(&reason),
            )
            .await?;
        Ok(kept)
    })?;
    Ok(PersonView::new(principal, settled, Reach::Jurisdiction))
}
