//! The stand-down (应急响应终止): the command agency declares the response over for its
//! jurisdiction, or a unit below it. Declared once per unit: declaring again answers with the
//! first declaration. Audited as a write.

use std::sync::Arc;

use chrono::Utc;
use entity::stand_down;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::{
    access::{self, scope, Access, Data},
    audit::Actor,
    db::{self, WriteError},
    domain::{
        org_units::OrgUnit,
        pagination::{Page, PageRequest},
    },
    error::{AppError, AppResult},
    state::AppState,
};

/// The list name in `standDowns` cursors.
pub const LIST: &str = "standDowns";

/// Declares the response over for `unit` and everything below it.
#[tracing::instrument(skip(state, actor, note), fields(request_id = %actor.request_id))]
pub async fn declare(
    state: &AppState,
    actor: &Actor,
    unit: Arc<OrgUnit>,
    note: Option<String>,
) -> AppResult<stand_down::Model> {
    let principal = &actor.principal;
    access::require(principal, Data::StandDown, Access::ReadWrite)?;
    if !principal.jurisdiction().contains(&unit.path) {
        return Err(AppError::forbidden(crate::msg!(
            "org-unit-outside-jurisdiction"
        )));
    }
    db::write_retrying!(&state.db, |txn| {
        let existing = stand_down::Entity::find()
            .filter(stand_down::Column::OrgPath.eq(unit.path.as_str()))
            .one(&txn)
            .await?;
        if let Some(existing) = existing {
            return Ok(existing);
        }
        let row = stand_down::Entity::insert(stand_down::ActiveModel {
            org_id: Set(unit.id),
            org_path: Set(unit.path.as_str().to_owned()),
            declared_at: Set(Utc::now()),
            declared_by: Set(principal.subject.clone()),
            declared_by_agency: Set(principal.agency),
            note: Set(note.clone()),
            ..Default::default()
        })
        .exec_with_returning(&txn)
        .await
        .map_err(|err| {
            // Declared by another command operator a moment ago: run again and answer with it.
            if crate::error::is_unique_violation(&err, "uq_stand_down_org_path") {
                WriteError::Retry
            } else {
                WriteError::from(err)
            }
        })?;
        actor
            .record_write(&txn, "standDown", "StandDown", &[row.id], note.as_deref())
            .await?;
        Ok(row)
    })
}

/// The stand-downs that cover part of the principal's jurisdiction: those of units inside
/// it, and those above it (which cover all of it); newest first.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    page: &PageRequest,
) -> AppResult<Page<stand_down::Model>> {
    let principal = &actor.principal;
    access::require(principal, Data::StandDown, Access::Read)?;
    let own = principal.jurisdiction();
    let above: Vec<String> = ancestors(own.as_str());
    let rows = stand_down::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(scope::within(stand_down::Column::OrgPath, own))
                .add(stand_down::Column::OrgPath.is_in(above)),
        )
        .filter(page.before_id(stand_down::Column::Id)?)
        .order_by_desc(stand_down::Column::Id)
        .limit(page.first + 1)
        .all(&state.db)
        .await?;
    Ok(Page::from_overfetch(rows, page.first))
}

/// The paths of the units above `path` (`/1/4/17/` → `/1/`, `/1/4/`).
fn ancestors(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, c) in path.char_indices().skip(1) {
        if c == '/' && i + 1 < path.len() {
            out.push(path[..=i].to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_path_has_its_ancestors_and_not_itself() {
        assert_eq!(super::ancestors("/1/4/17/"), vec!["/1/", "/1/4/"]);
        assert!(super::ancestors("/1/").is_empty());
    }
}
