//! Medical observation (医学观察): centralized at a site or at home, one active per person,
//! ended by release (with its notice number), transfer to hospital, or absconding.
//!
//! ```text
//! ACTIVE ──> RELEASED                 (解除, with release-notice number)
//!        ──> TRANSFERRED_TO_HOSPITAL  (转院)
//!        ──> ABSCONDED                (脱管)
//! ```
//! Every end is final. An end before the planned date, or any end but a release, raises a
//! "quarantine ended early" alert.

use std::sync::Arc;

use chrono::{DateTime, Days, Duration, NaiveDate, Utc};
use entity::{
    contact, person, quarantine, Agency, AlertKind, QuarantineEnd, QuarantineKind,
    QuarantineReason, TaskKind, TaskPriority,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    Order, PaginatorTrait, QueryFilter,
};

use super::{
    alerts::{self, NewAlert},
    nested,
    org_units::{OrgDirectory, OrgUnit},
    pagination::{newest_with_persons, Page, PageRequest},
    persons, tasks,
    values::BoundedText,
};
use crate::{
    access::{self, policy, scope, Access, Data},
    audit::Actor,
    auth::Principal,
    db::{self, WriteError},
    error::{is_unique_violation, AppError, AppResult},
    state::AppState,
};

pub const LIST: &str = "quarantines";
const ACTIVE_INDEX: &str = "uq_quarantine_person_id_where_active";
/// Longest observation one order may plan.
const MAX_PLANNED_DAYS: u64 = 60;

#[derive(Debug, Clone)]
pub struct QuarantineRow {
    pub quarantine: quarantine::Model,
    pub person: person::Model,
}

#[derive(Debug, Clone)]
pub struct NewQuarantine {
    pub person_id: i64,
    pub kind: QuarantineKind,
    pub site: Option<BoundedText>,
    pub reason: QuarantineReason,
    pub reason_note: Option<BoundedText>,
    pub contact_id: Option<i64>,
    /// Today (local) when `None`.
    pub start_date: Option<NaiveDate>,
    /// Start plus the configured days when `None`.
    pub planned_end_date: Option<NaiveDate>,
    pub needs: Option<BoundedText>,
}

#[derive(Debug, Clone)]
pub struct Ending {
    pub outcome: QuarantineEnd,
    pub release_notice_no: Option<BoundedText>,
    pub note: Option<BoundedText>,
    /// Now when `None`.
    pub ended_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Default, Clone)]
pub struct QuarantineFilter {
    pub active: Option<bool>,
    /// Planned to end on or before this date.
    pub ending_by: Option<NaiveDate>,
    pub kind: Option<QuarantineKind>,
    pub org_unit: Option<Arc<OrgUnit>>,
}

/// Places a resident of one's jurisdiction under medical observation.
#[tracing::instrument(skip(state, actor, new), fields(request_id = %actor.request_id))]
pub async fn start(
    state: &AppState,
    actor: &Actor,
    new: NewQuarantine,
) -> AppResult<QuarantineRow> {
    access::require(&actor.principal, Data::Quarantine, Access::ReadWrite)?;
    let clock = state.settings.clock;
    match (new.kind, &new.site) {
        (QuarantineKind::Centralized, None) => {
            return Err(AppError::bad_input(
                "input.site",
                crate::msg!("required-for-centralized"),
            ))
        }
        (QuarantineKind::Home, Some(_)) => {
            return Err(AppError::bad_input(
                "input.site",
                crate::msg!("only-for-centralized"),
            ))
        }
        _ => {}
    }
    let start_date = clock.date_not_in_future(
        new.start_date.unwrap_or_else(|| clock.today()),
        "input.startDate",
    )?;
    let planned_end = match new.planned_end_date {
        Some(date) => date,
        None => start_date
            .checked_add_days(Days::new(u64::from(state.settings.quarantine_days)))
            .ok_or_else(|| AppError::bad_input("input.startDate", crate::msg!("out-of-range")))?,
    };
    let latest_end = start_date
        .checked_add_days(Days::new(MAX_PLANNED_DAYS))
        .unwrap_or(start_date);
    if planned_end < start_date || planned_end > latest_end {
        return Err(AppError::bad_input(
            "input.plannedEndDate",
            crate::msg!("planned-end-range", days = MAX_PLANNED_DAYS),
        ));
    }
    db::write_retrying!(&state.db, |txn| start_in(
        &txn,
        actor,
        &state.orgs,
        &new,
        start_date,
        planned_end
    )
    .await)
}

async fn start_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    orgs: &OrgDirectory,
    new: &NewQuarantine,
    start_date: NaiveDate,
    planned_end: NaiveDate,
) -> Result<QuarantineRow, WriteError> {
    let principal = &actor.principal;
    let person = persons::find_for_write(txn, principal, new.person_id).await?;
    if let Some(contact_id) = new.contact_id {
        let linked = contact::Entity::find_by_id(contact_id)
            .filter(contact::Column::PersonId.eq(person.id))
            .one(txn)
            .await?;
        if linked.is_none() {
            return Err(AppError::bad_input(
                "input.contact",
                crate::msg!("not-a-contact-of-this-person"),
            )
            .into());
        }
    }
    if let Some(active) = active_of(txn, person.id).await? {
        return Err(already_active(Some(active.id)).into());
    }
    let now = Utc::now();
    let inserted = quarantine::Entity::insert(quarantine::ActiveModel {
        person_id: Set(person.id),
        kind: Set(new.kind),
        site: Set(new.site.clone().map(BoundedText::into_inner)),
        reason: Set(new.reason),
        reason_note: Set(new.reason_note.clone().map(BoundedText::into_inner)),
        contact_id: Set(new.contact_id),
        start_date: Set(start_date),
        planned_end_date: Set(planned_end),
        is_active: Set(true),
        ended_at: Set(None),
        end_kind: Set(None),
        release_notice_no: Set(None),
        end_note: Set(None),
        needs: Set(new.needs.clone().map(BoundedText::into_inner)),
        ordered_by_org_id: Set(principal.org.id),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        created_by_agency: Set(principal.agency),
        created_by: Set(principal.subject.clone()),
        ..Default::default()
    })
    .exec_with_returning(txn)
    .await
    .map_err(|err| {
        if is_unique_violation(&err, ACTIVE_INDEX) {
            WriteError::App(already_active(None))
        } else {
            err.into()
        }
    })?;
    actor
        .record_write(txn, "startQuarantine", "Quarantine", &[inserted.id], None)
        .await?;
    // A vulnerable resident observed at home needs supplies: civil affairs of their street
    // gets the task at once.
    if inserted.kind == QuarantineKind::Home && person.vulnerabilities != 0 {
        open_flow_task(
            txn,
            actor,
            orgs,
            &person,
            FlowTask {
                kind: TaskKind::DeliverSupplies,
                to: Agency::CivilAffairs,
                priority: TaskPriority::Normal,
                due_in: Duration::hours(24),
                note: "Home observation of a vulnerable resident: deliver living supplies",
                source: ("Quarantine", inserted.id),
            },
            "startQuarantine",
        )
        .await?;
    }
    Ok(QuarantineRow {
        quarantine: inserted,
        person,
    })
}

fn already_active(id: Option<i64>) -> AppError {
    AppError::bad_input(
        "input.person",
        match id {
            Some(id) => crate::msg!("already-observed-id", id = id),
            None => crate::msg!("already-observed"),
        },
    )
}

async fn active_of(
    db: &impl ConnectionTrait,
    person_id: i64,
) -> Result<Option<quarantine::Model>, sea_orm::DbErr> {
    quarantine::Entity::find()
        .filter(quarantine::Column::PersonId.eq(person_id))
        .filter(quarantine::Column::IsActive.eq(true))
        .one(db)
        .await
}

/// Ends an active observation. Every end is final.
#[tracing::instrument(skip(state, actor, ending), fields(request_id = %actor.request_id))]
pub async fn end(
    state: &AppState,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    ending: Ending,
) -> AppResult<QuarantineRow> {
    access::require(&actor.principal, Data::Quarantine, Access::ReadWrite)?;
    let clock = state.settings.clock;
    if ending.outcome == QuarantineEnd::Released && ending.release_notice_no.is_none() {
        return Err(AppError::bad_input(
            "input.releaseNoticeNo",
            crate::msg!("required-to-release"),
        ));
    }
    if ending.outcome != QuarantineEnd::Released && ending.release_notice_no.is_some() {
        return Err(AppError::bad_input(
            "input.releaseNoticeNo",
            crate::msg!("only-for-released"),
        ));
    }
    let ended_at =
        clock.not_in_future(ending.ended_at.unwrap_or_else(Utc::now), "input.endedAt")?;
    db::write_retrying!(&state.db, |txn| {
        let row = find_for_write(&txn, &actor.principal, id, expected_version).await?;
        let current = &row.quarantine;
        if let Some(previous) = current.end_kind {
            return Err(AppError::bad_input(
                "input.outcome",
                crate::msg!(
                    "observation-ended-final",
                    current = previous.to_string(),
                    next = ending.outcome.to_string()
                ),
            )
            .into());
        }
        if clock.local_date(ended_at) < current.start_date {
            return Err(AppError::bad_input(
                "input.endedAt",
                crate::msg!("before-observation-start"),
            )
            .into());
        }
        let now = Utc::now();
        let mut rows = quarantine::Entity::update_many()
            .set(quarantine::ActiveModel {
                is_active: Set(false),
                ended_at: Set(Some(ended_at)),
                end_kind: Set(Some(ending.outcome)),
                release_notice_no: Set(ending
                    .release_notice_no
                    .clone()
                    .map(BoundedText::into_inner)),
                end_note: Set(ending.note.clone().map(BoundedText::into_inner)),
                version: Set(current.version + 1),
                updated_at: Set(now),
                ..Default::default()
            })
            .filter(quarantine::Column::Id.eq(id))
            .filter(quarantine::Column::Version.eq(current.version))
            .exec_with_returning(&txn)
            .await?;
        let Some(updated) = rows.pop() else {
            return Err(lost_update(&txn, id).await.into());
        };
        actor
            .record_write(&txn, "endQuarantine", "Quarantine", &[id], None)
            .await?;
        let early = ending.outcome != QuarantineEnd::Released
            || clock.local_date(ended_at) < current.planned_end_date;
        if early {
            alerts::raise(
                &txn,
                vec![NewAlert {
                    kind: AlertKind::QuarantineEndedEarly,
                    person_id: Some(row.person.id),
                    org_path: &row.person.residence_path,
                    entity_type: "Quarantine",
                    entity_id: id,
                    message: crate::msg!(
                        "alert-observation-ended-early",
                        outcome = ending.outcome.to_string(),
                        until = current.planned_end_date
                    ),
                }],
            )
            .await?;
        }
        // Whoever left observation without permission is the police's to find and return.
        if ending.outcome == QuarantineEnd::Absconded {
            open_flow_task(
                &txn,
                actor,
                &state.orgs,
                &row.person,
                FlowTask {
                    kind: TaskKind::EnforceIsolation,
                    to: Agency::Police,
                    priority: TaskPriority::Urgent,
                    due_in: Duration::hours(2),
                    note: "Left medical observation without permission: locate and return",
                    source: ("Quarantine", id),
                },
                "endQuarantine",
            )
            .await?;
        }
        Ok(QuarantineRow {
            quarantine: updated,
            person: row.person,
        })
    })
}

/// Records the living needs of a person under observation, for civil affairs.
pub async fn set_needs(
    state: &AppState,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    needs: Option<BoundedText>,
) -> AppResult<QuarantineRow> {
    access::require(&actor.principal, Data::QuarantineNeeds, Access::ReadWrite)?;
    db::write_retrying!(&state.db, |txn| {
        let row = find_for_write(&txn, &actor.principal, id, expected_version).await?;
        let current = &row.quarantine;
        let mut rows = quarantine::Entity::update_many()
            .set(quarantine::ActiveModel {
                needs: Set(needs.clone().map(BoundedText::into_inner)),
                version: Set(current.version + 1),
                updated_at: Set(Utc::now()),
                ..Default::default()
            })
            .filter(quarantine::Column::Id.eq(id))
            .filter(quarantine::Column::Version.eq(current.version))
            .exec_with_returning(&txn)
            .await?;
        let Some(updated) = rows.pop() else {
            return Err(lost_update(&txn, id).await.into());
        };
        actor
            .record_write(&txn, "setQuarantineNeeds", "Quarantine", &[id], None)
            .await?;
        Ok(QuarantineRow {
            quarantine: updated,
            person: row.person,
        })
    })
}

async fn find_for_write(
    txn: &DatabaseTransaction,
    principal: &Principal,
    id: i64,
    expected_version: i32,
) -> Result<QuarantineRow, WriteError> {
    let (quarantine, person) = quarantine::Entity::find_by_id(id)
        .find_also_related(person::Entity)
        .filter(scope::about_residents(
            quarantine::Column::PersonId,
            principal,
        ))
        .one(txn)
        .await?
        .ok_or(AppError::NotFound {
            entity: "Quarantine",
        })?;
    let person =
        person.ok_or_else(|| AppError::internal(format!("quarantine {id} has no person")))?;
    if quarantine.version != expected_version {
        return Err(conflict(&quarantine).into());
    }
    Ok(QuarantineRow { quarantine, person })
}

/// CONFLICT naming the version that won, after a conditional update changed no row.
async fn lost_update(txn: &DatabaseTransaction, id: i64) -> AppError {
    super::versioning::lost_update::<quarantine::Entity>(
        txn,
        "Quarantine",
        id,
        quarantine::Column::Id,
        quarantine::Column::Version,
    )
    .await
}

fn conflict(quarantine: &quarantine::Model) -> AppError {
    AppError::Conflict {
        entity: "Quarantine",
        id: quarantine.id,
        current_version: quarantine.version,
    }
}

/// Observations of residents of one's jurisdiction, newest first.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    filter: &QuarantineFilter,
    page: &PageRequest,
) -> AppResult<Page<QuarantineRow>> {
    access::require(&actor.principal, Data::Quarantine, Access::Pseudonymized)?;
    let condition = list_condition(&actor.principal, filter);
    let page = newest_with_persons::<quarantine::Entity>(
        &state.db,
        condition,
        quarantine::Column::Id,
        page,
    )
    .await?;
    Ok(page.map(|(quarantine, person)| QuarantineRow { quarantine, person }))
}

pub async fn count(state: &AppState, actor: &Actor, filter: &QuarantineFilter) -> AppResult<u64> {
    access::require(&actor.principal, Data::Quarantine, Access::Pseudonymized)?;
    Ok(quarantine::Entity::find()
        .filter(list_condition(&actor.principal, filter))
        .count(&state.db)
        .await?)
}

/// One observation of a resident of one's jurisdiction.
pub async fn get(state: &AppState, actor: &Actor, id: i64) -> AppResult<QuarantineRow> {
    access::require(&actor.principal, Data::Quarantine, Access::Pseudonymized)?;
    let (quarantine, person) = quarantine::Entity::find_by_id(id)
        .find_also_related(person::Entity)
        .filter(scope::about_residents(
            quarantine::Column::PersonId,
            &actor.principal,
        ))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound {
            entity: "Quarantine",
        })?;
    let person =
        person.ok_or_else(|| AppError::internal(format!("quarantine {id} has no person")))?;
    Ok(QuarantineRow { quarantine, person })
}

fn list_condition(principal: &Principal, filter: &QuarantineFilter) -> Condition {
    let mut condition = scope::about_residents(quarantine::Column::PersonId, principal);
    if let Some(active) = filter.active {
        condition = condition.add(quarantine::Column::IsActive.eq(active));
    }
    if let Some(date) = filter.ending_by {
        condition = condition.add(quarantine::Column::PlannedEndDate.lte(date));
    }
    if let Some(kind) = filter.kind {
        condition = condition.add(quarantine::Column::Kind.eq(kind));
    }
    if let Some(unit) = &filter.org_unit {
        condition = condition.add(scope::persons_living_in(
            quarantine::Column::PersonId,
            &unit.path,
        ));
    }
    condition
}

/// The active observation of each person, if any (for the DataLoader).
pub async fn active_of_persons(
    db: &impl ConnectionTrait,
    person_ids: &[i64],
) -> AppResult<Vec<quarantine::Model>> {
    Ok(quarantine::Entity::find()
        .filter(quarantine::Column::PersonId.is_in(person_ids.iter().copied()))
        .filter(quarantine::Column::IsActive.eq(true))
        .all(db)
        .await?)
}

/// The latest `per_person` observations of each person.
pub async fn of_persons(
    db: &impl ConnectionTrait,
    person_ids: &[i64],
    per_person: u64,
) -> AppResult<Vec<quarantine::Model>> {
    Ok(nested::first_per_parent::<quarantine::Entity>(
        db,
        quarantine::Column::PersonId,
        person_ids,
        &[(quarantine::Column::Id, Order::Desc)],
        per_person,
        Condition::all(),
    )
    .await?)
}

/// A task that a change of observation opens by itself.
struct FlowTask {
    kind: TaskKind,
    to: Agency,
    priority: TaskPriority,
    due_in: Duration,
    note: &'static str,
    source: (&'static str, i64),
}

async fn open_flow_task(
    txn: &DatabaseTransaction,
    actor: &Actor,
    orgs: &OrgDirectory,
    person: &person::Model,
    flow: FlowTask,
    operation: &str,
) -> Result<(), WriteError> {
    // Flows follow the same routes as tasks sent by hand.
    if !policy::may_send(flow.kind, actor.principal.agency, flow.to) {
        return Ok(());
    }
    // And to the unit the route names.
    let unit = tasks::route_unit(orgs, flow.kind, flow.to, person, None)?;
    tasks::open_in(
        txn,
        actor,
        tasks::Opening {
            kind: flow.kind,
            person,
            to_agency: flow.to,
            to_unit: &unit,
            priority: flow.priority,
            due_at: Some(Utc::now() + flow.due_in),
            note: Some(flow.note.to_owned()),
            source: Some(flow.source),
        },
        operation,
    )
    .await?;
    Ok(())
}
