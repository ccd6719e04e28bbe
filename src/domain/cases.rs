//! Cases (病例): reported by health, reclassified and closed along the table in
//! `case_rules`, seen by every agency per the policy.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    case, contact, person, AlertKind, CaseClassification, CaseOutcome, CaseSeverity, ContactStatus,
};
use sea_orm::{
    prelude::Expr, sea_query::ExprTrait, ActiveValue::Set, ColumnTrait, Condition,
    DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
};

use super::{
    alerts::{self, NewAlert},
    case_rules,
    org_units::OrgUnit,
    pagination::{newest_with_persons, Page, PageRequest},
    persons::{self, PersonRef},
    values::BoundedText,
};
use crate::{
    access::{self, scope, Access, Data},
    audit::Actor,
    auth::Principal,
    db::{self, WriteError},
    error::{is_unique_violation, AppError, AppResult},
    state::AppState,
};

pub const LIST: &str = "cases";
const OPEN_CASE_INDEX: &str = "uq_case_record_person_id_where_open";

/// A case together with its person, as most readers want it.
#[derive(Debug, Clone)]
pub struct CaseRow {
    pub case: case::Model,
    pub person: person::Model,
}

/// A case report (病例报告).
#[derive(Debug, Clone)]
pub struct NewCase {
    pub person: PersonRef,
    pub classification: CaseClassification,
    pub severity: Option<CaseSeverity>,
    pub onset_date: Option<NaiveDate>,
    /// The reporting unit; the reporter's own unit when `None`.
    pub reporting_unit: Option<Arc<OrgUnit>>,
    pub designated_hospital: Option<BoundedText>,
    pub notes: Option<BoundedText>,
}

#[derive(Debug, Default, Clone)]
pub struct CaseFilter {
    pub classification: Option<CaseClassification>,
    pub outcome: Option<CaseOutcome>,
    pub open: Option<bool>,
    /// Cases of persons living in this unit.
    pub org_unit: Option<Arc<OrgUnit>>,
    pub reported_from: Option<DateTime<Utc>>,
    pub reported_to: Option<DateTime<Utc>>,
}

/// Reports a case. The person gets at most one open case; a person who was a traced
/// contact has their contact records linked to the new case and marked converted.
#[tracing::instrument(skip(state, actor, new), fields(request_id = %actor.request_id))]
pub async fn report(state: &AppState, actor: &Actor, new: NewCase) -> AppResult<CaseRow> {
    let principal = &actor.principal;
    access::require(principal, Data::CaseStatus, Access::ReadWrite)?;
    access::require(principal, Data::CaseClinical, Access::ReadWrite)?;
    if !case_rules::REPORTABLE.contains(&new.classification) {
        return Err(AppError::bad_input(
            "input.classification",
            crate::msg!(
                "case-reported-classification",
                classification = new.classification.as_str()
            ),
        ));
    }
    if let Some(onset) = new.onset_date {
        state
            .settings
            .clock
            .date_not_in_future(onset, "input.onsetDate")?;
    }
    let reporting_unit = new
        .reporting_unit
        .clone()
        .unwrap_or_else(|| Arc::clone(&principal.org));
    if !principal.jurisdiction().contains(&reporting_unit.path) {
        return Err(AppError::forbidden(crate::msg!(
            "reporting-unit-outside-jurisdiction"
        )));
    }
    let new = NewCase {
        person: new.person.checked()?,
        ..new
    };
    db::write_retrying!(&state.db, |txn| report_in(
        &txn,
        actor,
        &new,
        &reporting_unit
    )
    .await)
}

async fn report_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    new: &NewCase,
    reporting_unit: &OrgUnit,
) -> Result<CaseRow, WriteError> {
    let person = persons::resolve_in(txn, actor, &new.person, "reportCase").await?;
    if let Some(open) = open_case_of(txn, person.id).await? {
        return Err(already_open(open.id).into());
    }
    let now = Utc::now();
    let inserted = case::Entity::insert(case::ActiveModel {
        person_id: Set(person.id),
        classification: Set(new.classification),
        severity: Set(new.severity),
        onset_date: Set(new.onset_date),
        reported_at: Set(now),
        reporting_org_id: Set(reporting_unit.id),
        reporting_path: Set(reporting_unit.path.as_str().to_owned()),
        designated_hospital: Set(new.designated_hospital.clone().map(BoundedText::into_inner)),
        outcome: Set(CaseOutcome::Active),
        is_open: Set(true),
        closed_at: Set(None),
        notes: Set(new.notes.clone().map(BoundedText::into_inner)),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        created_by_agency: Set(actor.principal.agency),
        created_by: Set(actor.principal.subject.clone()),
        ..Default::default()
    })
    .exec_with_returning(txn)
    .await
    .map_err(|err| {
        if is_unique_violation(&err, OPEN_CASE_INDEX) {
            WriteError::App(already_open_unknown())
        } else {
            err.into()
        }
    })?;
    // A traced contact who becomes a case: link the contact records to the new case.
    let converted = contact::Entity::update_many()
        .col_expr(
            contact::Column::Status,
            Expr::value(ContactStatus::Converted.as_str()),
        )
        .col_expr(contact::Column::ConvertedCaseId, Expr::value(inserted.id))
        .col_expr(
            contact::Column::Version,
            Expr::col(contact::Column::Version).add(1),
        )
        .col_expr(contact::Column::UpdatedAt, Expr::value(now))
        .filter(contact::Column::PersonId.eq(person.id))
        .filter(contact::Column::ConvertedCaseId.is_null())
        .exec_with_returning(txn)
        .await?;
    actor
        .record_write(txn, "reportCase", "Case", &[inserted.id], None)
        .await?;
    if !converted.is_empty() {
        let ids: Vec<i64> = converted.iter().map(|c| c.id).collect();
        actor
            .record_write(
                txn,
                "reportCase",
                "Contact",
                &ids,
                Some("the contact became a case"),
            )
            .await?;
    }
    alerts::raise(
        txn,
        vec![NewAlert {
            kind: AlertKind::NewCase,
            person_id: Some(person.id),
            org_path: &person.residence_path,
            entity_type: "Case",
            entity_id: inserted.id,
            message: crate::msg!(
                "alert-new-case",
                classification = inserted.classification.as_str()
            ),
        }],
    )
    .await?;
    Ok(CaseRow {
        case: inserted,
        person,
    })
}

fn already_open(case_id: i64) -> AppError {
    AppError::bad_input(
        "input.person",
        crate::msg!("person-has-open-case-id", case = case_id),
    )
}

fn already_open_unknown() -> AppError {
    AppError::bad_input("input.person", crate::msg!("person-has-open-case"))
}

async fn open_case_of(
    txn: &DatabaseTransaction,
    person_id: i64,
) -> Result<Option<case::Model>, sea_orm::DbErr> {
    case::Entity::find()
        .filter(case::Column::PersonId.eq(person_id))
        .filter(case::Column::IsOpen.eq(true))
        .one(txn)
        .await
}

/// The person's open case, if any (for lab-test suggestions).
pub async fn has_open_case(db: &impl sea_orm::ConnectionTrait, person_id: i64) -> AppResult<bool> {
    Ok(case::Entity::find()
        .filter(case::Column::PersonId.eq(person_id))
        .filter(case::Column::IsOpen.eq(true))
        .count(db)
        .await?
        > 0)
}

/// Changes a case's classification along the allowed transitions, with a reason.
#[tracing::instrument(skip(state, actor, reason), fields(request_id = %actor.request_id))]
pub async fn reclassify(
    state: &AppState,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    next: CaseClassification,
    reason: BoundedText,
) -> AppResult<CaseRow> {
    access::require(&actor.principal, Data::CaseStatus, Access::ReadWrite)?;
    let reason = reason.into_inner();
    db::write_retrying!(&state.db, |txn| {
        let row = find_for_write(&txn, &actor.principal, id, expected_version).await?;
        let current = row.case.classification;
        case_rules::check_reclassification(current, row.case.outcome, next)
            .map_err(|message| AppError::bad_input("classification", message))?;
        let now = Utc::now();
        let open = case_rules::is_open(next, row.case.outcome);
        let changes = case::ActiveModel {
            classification: Set(next),
            is_open: Set(open),
            closed_at: Set(if open { None } else { Some(now) }),
            ..Default::default()
        };
        let updated = update_versioned(&txn, &row.case, changes, now).await?;
        actor
            .record_write(&txn, "reclassifyCase", "Case", &[id], Some(&reason))
            .await?;
        alerts::raise(
            &txn,
            vec![NewAlert {
                kind: AlertKind::CaseReclassified,
                person_id: Some(row.person.id),
                org_path: &row.person.residence_path,
                entity_type: "Case",
                entity_id: id,
                message: crate::msg!(
                    "alert-case-reclassified",
                    current = current.as_str(),
                    next = next.as_str()
                ),
            }],
        )
        .await?;
        Ok(CaseRow {
            case: updated,
            person: row.person,
        })
    })
}

/// Closes a case with its outcome (RECOVERED or DECEASED).
#[tracing::instrument(skip(state, actor), fields(request_id = %actor.request_id))]
pub async fn close(
    state: &AppState,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    outcome: CaseOutcome,
) -> AppResult<CaseRow> {
    access::require(&actor.principal, Data::CaseStatus, Access::ReadWrite)?;
    db::write_retrying!(&state.db, |txn| {
        let row = find_for_write(&txn, &actor.principal, id, expected_version).await?;
        case_rules::check_closing(row.case.classification, row.case.outcome, outcome)
            .map_err(|message| AppError::bad_input("outcome", message))?;
        let now = Utc::now();
        let changes = case::ActiveModel {
            outcome: Set(outcome),
            is_open: Set(false),
            closed_at: Set(Some(now)),
            ..Default::default()
        };
        let updated = update_versioned(&txn, &row.case, changes, now).await?;
        actor
            .record_write(&txn, "closeCase", "Case", &[id], None)
            .await?;
        Ok(CaseRow {
            case: updated,
            person: row.person,
        })
    })
}

/// A case in reach, at the version the client read; CONFLICT when it moved on.
async fn find_for_write(
    txn: &DatabaseTransaction,
    principal: &Principal,
    id: i64,
    expected_version: i32,
) -> Result<CaseRow, WriteError> {
    let (case, person) = case::Entity::find_by_id(id)
        .find_also_related(person::Entity)
        .filter(scope::cases_in_reach(principal))
        .one(txn)
        .await?
        .ok_or(AppError::NotFound { entity: "Case" })?;
    let person = person.ok_or_else(|| AppError::internal(format!("case {id} has no person")))?;
    if case.version != expected_version {
        return Err(conflict(&case).into());
    }
    Ok(CaseRow { case, person })
}

fn conflict(case: &case::Model) -> AppError {
    AppError::Conflict {
        entity: "Case",
        id: case.id,
        current_version: case.version,
    }
}

async fn update_versioned(
    txn: &DatabaseTransaction,
    current: &case::Model,
    mut changes: case::ActiveModel,
    now: DateTime<Utc>,
) -> Result<case::Model, WriteError> {
    changes.version = Set(current.version + 1);
    changes.updated_at = Set(now);
    let mut rows = case::Entity::update_many()
        .set(changes)
        .filter(case::Column::Id.eq(current.id))
        .filter(case::Column::Version.eq(current.version))
        .exec_with_returning(txn)
        .await?;
    match rows.pop() {
        Some(row) => Ok(row),
        None => Err(super::versioning::lost_update::<case::Entity>(
            txn,
            "Case",
            current.id,
            case::Column::Id,
            case::Column::Version,
        )
        .await
        .into()),
    }
}

/// One case in reach.
pub async fn get(state: &AppState, actor: &Actor, id: i64) -> AppResult<CaseRow> {
    access::require(&actor.principal, Data::CaseStatus, Access::Pseudonymized)?;
    let (case, person) = case::Entity::find_by_id(id)
        .find_also_related(person::Entity)
        .filter(scope::cases_in_reach(&actor.principal))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound { entity: "Case" })?;
    let person = person.ok_or_else(|| AppError::internal(format!("case {id} has no person")))?;
    Ok(CaseRow { case, person })
}

/// Cases in reach, newest first.
#[tracing::instrument(skip(state, actor), fields(request_id = %actor.request_id))]
pub async fn list(
    state: &AppState,
    actor: &Actor,
    filter: &CaseFilter,
    page: &PageRequest,
) -> AppResult<Page<CaseRow>> {
    access::require(&actor.principal, Data::CaseStatus, Access::Pseudonymized)?;
    let condition = list_condition(&actor.principal, filter);
    let page =
        newest_with_persons::<case::Entity>(&state.db, condition, case::Column::Id, page).await?;
    Ok(page.map(|(case, person)| CaseRow { case, person }))
}

pub async fn count(state: &AppState, actor: &Actor, filter: &CaseFilter) -> AppResult<u64> {
    access::require(&actor.principal, Data::CaseStatus, Access::Pseudonymized)?;
    Ok(case::Entity::find()
        .filter(list_condition(&actor.principal, filter))
        .count(&state.db)
        .await?)
}

fn list_condition(principal: &Principal, filter: &CaseFilter) -> Condition {
    let mut condition = Condition::all().add(scope::cases_in_reach(principal));
    if let Some(classification) = filter.classification {
        condition = condition.add(case::Column::Classification.eq(classification));
    }
    if let Some(outcome) = filter.outcome {
        condition = condition.add(case::Column::Outcome.eq(outcome));
    }
    if let Some(open) = filter.open {
        condition = condition.add(case::Column::IsOpen.eq(open));
    }
    if let Some(unit) = &filter.org_unit {
        condition = condition.add(scope::persons_living_in(case::Column::PersonId, &unit.path));
    }
    if let Some(from) = filter.reported_from {
        condition = condition.add(case::Column::ReportedAt.gte(from));
    }
    if let Some(to) = filter.reported_to {
        condition = condition.add(case::Column::ReportedAt.lt(to));
    }
    condition
}

/// Cases by id with their persons (for the DataLoader), without a scope check: callers
/// reach them through a record already in scope, and persons are masked per reach.
pub async fn by_ids(db: &impl sea_orm::ConnectionTrait, ids: &[i64]) -> AppResult<Vec<CaseRow>> {
    let rows = case::Entity::find()
        .find_also_related(person::Entity)
        .filter(case::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(case, person)| person.map(|person| CaseRow { case, person }))
        .collect())
}

/// The latest `per_person` cases of each person.
pub async fn of_persons(
    db: &impl sea_orm::ConnectionTrait,
    person_ids: &[i64],
    per_person: u64,
) -> AppResult<Vec<case::Model>> {
    Ok(super::nested::first_per_parent::<case::Entity>(
        db,
        case::Column::PersonId,
        person_ids,
        &[(case::Column::Id, sea_orm::Order::Desc)],
        per_person,
        Condition::all(),
    )
    .await?)
}
