//! One record per person (一人一档): merging two records of the same human.
//!
//! Every record linked to the merged person moves to the kept one, in one transaction and
//! a fixed number of statements. The merged record stays, marked `merged_into`, so that the
//! audit trail's ids still lead somewhere; it leaves every list and look-up.

use std::collections::HashMap;

use chrono::Utc;
use entity::{
    access_grant, alert, case, checkpoint_entry, contact, health_check, lab_test, person,
    person_provenance, quarantine, task, CaseOutcome, Sex,
};
use sea_orm::{
    sea_query::Expr,
    ActiveValue::{NotSet, Set},
    ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
};

use super::{persons, values::ResidentId};
use crate::{
    access::{self, Access, Data, PersonView, Reach},
    audit::Actor,
    db::{self, WriteError},
    error::{AppError, AppResult},
    state::AppState,
};

/// The versions the caller read of both records.
#[derive(Debug, Clone, Copy)]
pub struct ExpectedVersions {
    pub keep: i32,
    pub merge: i32,
}

/// Merges `merge_id` into `keep_id`. Refused (BAD_USER_INPUT, nothing written) when both
/// carry document numbers, when both have an open case or an active observation, or when
/// the kept record's birth date contradicts the other's resident ID number; CONFLICT when
/// either record changed since it was read.
#[tracing::instrument(skip(state, actor), fields(request_id = %actor.request_id))]
pub async fn merge(
    state: &AppState,
    actor: &Actor,
    keep_id: i64,
    merge_id: i64,
    expected: ExpectedVersions,
) -> AppResult<PersonView> {
    let principal = &actor.principal;
    access::require(principal, Data::PersonIdentity, Access::ReadWrite)?;
    if keep_id == merge_id {
        return Err(AppError::bad_input(
            "mergeId",
            "must be another person than keepId",
        ));
    }
    let kept = db::write_retrying!(&state.db, |txn| {
        let keep = persons::find_for_write(&txn, principal, keep_id).await?;
        let gone = persons::find_for_write(&txn, principal, merge_id).await?;
        for (record, version) in [(&keep, expected.keep), (&gone, expected.merge)] {
            if record.version != version {
                return Err(AppError::Conflict {
                    entity: "Person",
                    id: record.id,
                    current_version: record.version,
                }
                .into());
            }
        }
        refuse_conflicts(&txn, &keep, &gone, access::sees_full_numbers(principal)).await?;
        let moved = move_records(&txn, keep.id, gone.id).await?;
        union_provenance(&txn, keep.id, gone.id).await?;
        let kept = absorb(&txn, &keep, &gone).await?;
        let reason = format!("person {} merged into {}: {moved}", gone.id, keep.id);
        actor
            .record_write(
                &txn,
                "mergePersons",
                "Person",
                &[keep.id, gone.id],
                Some(&reason),
            )
            .await?;
        Ok(kept)
    })?;
    Ok(PersonView::new(principal, kept, Reach::Jurisdiction))
}

/// What makes two records impossible to merge without a human deciding first.
async fn refuse_conflicts(
    txn: &DatabaseTransaction,
    keep: &person::Model,
    gone: &person::Model,
    sees_full_numbers: bool,
) -> Result<(), WriteError> {
    if keep.document_number.is_some() && gone.document_number.is_some() {
        return Err(AppError::bad_input(
            "mergeId",
            "both records carry a document number: they are different people",
        )
        .into());
    }
    // A resident ID number on one record and a birth date of its own on the other: whether
    // they agree depends on the number's hidden middle, so only an agency that sees numbers
    // in full may ask. Refusing masked viewers whatever the dates keeps the answer from
    // telling them anything.
    let numbered = |p: &person::Model| {
        p.document_number
            .as_deref()
            .and_then(|n| ResidentId::parse(n).ok())
    };
    for (with_number, other) in [(gone, keep), (keep, gone)] {
        let (Some(id), Some(date)) = (numbered(with_number), other.birth_date) else {
            continue;
        };
        if other.document_number.is_some() {
            continue;
        }
        if !sees_full_numbers {
            return Err(AppError::forbidden(
                "a record with a resident ID number and a record with a birth date of its own \
                 are merged by an agency that sees numbers in full (health or police)",
            )
            .into());
        }
        if date != id.birth_date() {
            let field = if other.id == keep.id {
                "keepId"
            } else {
                "mergeId"
            };
            return Err(AppError::bad_input(
                field,
                "its birth date contradicts the other record's resident ID number",
            )
            .into());
        }
    }
    refuse_open_twice(txn, keep, gone).await
}

/// Two open cases, or two active observations, of one human must be settled first.
pub(super) async fn refuse_open_twice(
    txn: &DatabaseTransaction,
    keep: &person::Model,
    gone: &person::Model,
) -> Result<(), WriteError> {
    let both = [keep.id, gone.id];
    let open_cases = case::Entity::find()
        .filter(case::Column::PersonId.is_in(both))
        .filter(case::Column::Outcome.eq(CaseOutcome::Active))
        .all(txn)
        .await?;
    if open_cases.len() > 1 {
        return Err(AppError::bad_input(
            "mergeId",
            "both records have an open case: close one of them first",
        )
        .into());
    }
    let active = quarantine::Entity::find()
        .filter(quarantine::Column::PersonId.is_in(both))
        .filter(quarantine::Column::IsActive.eq(true))
        .all(txn)
        .await?;
    if active.len() > 1 {
        return Err(AppError::bad_input(
            "mergeId",
            "both records are under active observation: end one of them first",
        )
        .into());
    }
    Ok(())
}

/// How many records of each kind moved, and how many contacts were folded into the kept
/// person's, for the audit trail (counts only).
#[derive(Debug, Default)]
pub(super) struct Moved(Vec<(&'static str, u64)>, usize);

impl std::fmt::Display for Moved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(kind, n)| format!("{n} {kind}"))
            .collect();
        if parts.is_empty() {
            write!(f, "no linked records moved")?;
        } else {
            write!(f, "moved {}", parts.join(", "))?;
        }
        if self.1 > 0 {
            write!(f, "; {} Contact folded into the kept one", self.1)?;
        }
        Ok(())
    }
}

macro_rules! move_person {
    ($txn:expr, $moved:expr, $kind:literal, $module:ident, $keep:expr, $gone:expr) => {
        let result = $module::Entity::update_many()
            .col_expr($module::Column::PersonId, Expr::value($keep))
            .filter($module::Column::PersonId.eq($gone))
            .exec($txn)
            .await?;
        $moved.0.push(($kind, result.rows_affected));
    };
}

/// Points every record of `gone` at `keep`. Two contacts of one case (the same human
/// traced twice) become one: the kept contact takes the later exposure and follow-up end,
/// observations that followed the other point at it, and the other is folded away.
pub(super) async fn move_records(
    txn: &DatabaseTransaction,
    keep: i64,
    gone: i64,
) -> Result<Moved, WriteError> {
    let mut moved = Moved::default();
    let kept_contacts: HashMap<i64, contact::Model> = contact::Entity::find()
        .filter(contact::Column::PersonId.eq(keep))
        .all(txn)
        .await?
        .into_iter()
        .map(|c| (c.source_case_id, c))
        .collect();
    let twins: Vec<(contact::Model, contact::Model)> = if kept_contacts.is_empty() {
        Vec::new()
    } else {
        contact::Entity::find()
            .filter(contact::Column::PersonId.eq(gone))
            .filter(contact::Column::SourceCaseId.is_in(kept_contacts.keys().copied()))
            .all(txn)
            .await?
            .into_iter()
            .filter_map(|c| kept_contacts.get(&c.source_case_id).map(|k| (k.clone(), c)))
            .collect()
    };
    for (kept, twin) in &twins {
        let now = Utc::now();
        contact::Entity::update_many()
            .col_expr(
                contact::Column::LastExposureDate,
                Expr::value(kept.last_exposure_date.max(twin.last_exposure_date)),
            )
            .col_expr(
                contact::Column::FollowUpEndDate,
                Expr::value(kept.follow_up_end_date.max(twin.follow_up_end_date)),
            )
            .col_expr(contact::Column::Version, Expr::value(kept.version + 1))
            .col_expr(contact::Column::UpdatedAt, Expr::value(now))
            .filter(contact::Column::Id.eq(kept.id))
            .exec(txn)
            .await?;
        quarantine::Entity::update_many()
            .col_expr(quarantine::Column::ContactId, Expr::value(kept.id))
            .filter(quarantine::Column::ContactId.eq(twin.id))
            .exec(txn)
            .await?;
        contact::Entity::delete_by_id(twin.id).exec(txn).await?;
    }
    moved.1 = twins.len();

    move_person!(txn, moved, "Case", case, keep, gone);
    move_person!(txn, moved, "Contact", contact, keep, gone);
    move_person!(txn, moved, "Quarantine", quarantine, keep, gone);
    move_person!(txn, moved, "HealthCheck", health_check, keep, gone);
    move_person!(txn, moved, "LabTest", lab_test, keep, gone);
    move_person!(txn, moved, "Task", task, keep, gone);
    move_person!(txn, moved, "CheckpointEntry", checkpoint_entry, keep, gone);
    move_person!(txn, moved, "Alert", alert, keep, gone);
    move_person!(txn, moved, "AccessGrant", access_grant, keep, gone);
    Ok(moved)
}

/// The kept record is reported by every agency that reported either: an agency both
/// reported keeps its earliest first report, latest last report and the sum of reports.
pub(super) async fn union_provenance(
    txn: &DatabaseTransaction,
    keep: i64,
    gone: i64,
) -> Result<(), WriteError> {
    let rows = person_provenance::Entity::find()
        .filter(person_provenance::Column::PersonId.is_in([keep, gone]))
        .all(txn)
        .await?;
    let kept: HashMap<_, _> = rows
        .iter()
        .filter(|r| r.person_id == keep)
        .map(|r| (r.agency, r))
        .collect();
    for theirs in rows.iter().filter(|r| r.person_id == gone) {
        match kept.get(&theirs.agency) {
            Some(ours) => {
                let (last_at, last_by) = if theirs.last_reported_at > ours.last_reported_at {
                    (theirs.last_reported_at, theirs.last_reported_by.clone())
                } else {
                    (ours.last_reported_at, ours.last_reported_by.clone())
                };
                person_provenance::Entity::update(person_provenance::ActiveModel {
                    id: Set(ours.id),
                    first_reported_at: Set(ours.first_reported_at.min(theirs.first_reported_at)),
                    last_reported_at: Set(last_at),
                    last_reported_by: Set(last_by),
                    report_count: Set(ours.report_count + theirs.report_count),
                    ..Default::default()
                })
                .exec(txn)
                .await?;
                person_provenance::Entity::delete_by_id(theirs.id)
                    .exec(txn)
                    .await?;
            }
            None => {
                person_provenance::Entity::update_many()
                    .col_expr(person_provenance::Column::PersonId, Expr::value(keep))
                    .filter(person_provenance::Column::Id.eq(theirs.id))
                    .exec(txn)
                    .await?;
            }
        }
    }
    Ok(())
}

/// The kept record takes what only the other knew (document, phone, birth date, address,
/// vulnerabilities); the other is marked merged and loses its document so the number stays
/// unique.
pub(super) async fn absorb(
    txn: &DatabaseTransaction,
    keep: &person::Model,
    gone: &person::Model,
) -> Result<person::Model, WriteError> {
    let now = Utc::now();
    let retired = person::Entity::update_many()
        .col_expr(person::Column::MergedIntoId, Expr::value(keep.id))
        .col_expr(
            person::Column::DocumentType,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            person::Column::DocumentNumber,
            Expr::value(Option::<String>::None),
        )
        .col_expr(person::Column::Version, Expr::value(gone.version + 1))
        .col_expr(person::Column::UpdatedAt, Expr::value(now))
        .filter(person::Column::Id.eq(gone.id))
        .filter(person::Column::Version.eq(gone.version))
        .exec(txn)
        .await?;
    if retired.rows_affected != 1 {
        return Err(WriteError::Retry);
    }
    let fill = |ours: &Option<String>, theirs: &Option<String>| match (ours, theirs) {
        (None, Some(value)) => Set(Some(value.clone())),
        _ => NotSet,
    };
    let changes = person::ActiveModel {
        document_type: match (keep.document_type, gone.document_type) {
            (None, Some(kind)) => Set(Some(kind)),
            _ => NotSet,
        },
        document_number: fill(&keep.document_number, &gone.document_number),
        // A number taken from a held record stays held: it belongs to someone verified.
        held_for_id: match (&keep.document_number, gone.held_for_id) {
            (None, Some(claimed)) if gone.document_number.is_some() => Set(Some(claimed)),
            _ => NotSet,
        },
        phone: fill(&keep.phone, &gone.phone),
        address: fill(&keep.address, &gone.address),
        birth_date: match (keep.birth_date, gone.birth_date) {
            (None, Some(date)) => Set(Some(date)),
            _ => NotSet,
        },
        sex: if keep.sex == Sex::Unknown && gone.sex != Sex::Unknown {
            Set(gone.sex)
        } else {
            NotSet
        },
        vulnerabilities: Set(keep.vulnerabilities | gone.vulnerabilities),
        vulnerability_note: fill(&keep.vulnerability_note, &gone.vulnerability_note),
        ..Default::default()
    };
    persons::update_versioned(txn, keep.id, keep.version, changes, now)
        .await?
        .ok_or(WriteError::Retry)
}
