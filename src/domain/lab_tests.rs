//! Laboratory tests (核酸/检测): for health only. A positive result for a person without an
//! open case comes back with a suggestion to report one, never as a silent case.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{lab_test, LabResult, SampleType};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, QueryFilter,
};

use super::{cases, nested, persons, values::BoundedText};
use crate::{
    access::{self, scope, Access, Data},
    audit::Actor,
    db::{self, WriteError},
    error::{AppError, AppResult},
    state::AppState,
};

#[derive(Debug, Clone)]
pub struct NewLabTest {
    pub person_id: i64,
    pub sample_date: NaiveDate,
    pub sample_type: SampleType,
    pub result: LabResult,
    pub laboratory: BoundedText,
    pub result_at: Option<DateTime<Utc>>,
}

/// What the server suggests after a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suggestion {
    /// Positive, and the person has no open case: report one.
    ReportCase,
}

#[derive(Debug, Clone)]
pub struct Recorded {
    pub lab_test: lab_test::Model,
    pub suggestion: Option<Suggestion>,
}

#[tracing::instrument(skip(state, actor, new), fields(request_id = %actor.request_id))]
pub async fn record(state: &AppState, actor: &Actor, new: NewLabTest) -> AppResult<Recorded> {
    access::require(&actor.principal, Data::CaseClinical, Access::ReadWrite)?;
    let clock = state.settings.clock;
    clock.date_not_in_future(new.sample_date, "input.sampleDate")?;
    let result_at = match (new.result, new.result_at) {
        (LabResult::Pending, Some(_)) => {
            return Err(AppError::bad_input(
                "input.resultAt",
                crate::msg!("lab-pending-has-no-result-time"),
            ))
        }
        (LabResult::Pending, None) => None,
        (_, at) => Some(clock.not_in_future(at.unwrap_or_else(Utc::now), "input.resultAt")?),
    };
    if result_at.is_some_and(|at| clock.local_date(at) < new.sample_date) {
        return Err(AppError::bad_input(
            "input.resultAt",
            crate::msg!("before-sample-taken"),
        ));
    }
    let recorded = db::write_retrying!(&state.db, |txn| {
        let person = persons::find_for_write(&txn, &actor.principal, new.person_id).await?;
        let now = Utc::now();
        let inserted = lab_test::Entity::insert(lab_test::ActiveModel {
            person_id: Set(person.id),
            sample_date: Set(new.sample_date),
            sample_type: Set(new.sample_type),
            result: Set(new.result),
            result_at: Set(result_at),
            laboratory: Set(new.laboratory.clone().into_inner()),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            created_by_agency: Set(actor.principal.agency),
            created_by: Set(actor.principal.subject.clone()),
            ..Default::default()
        })
        .exec_with_returning(&txn)
        .await
        .map_err(WriteError::from)?;
        actor
            .record_write(&txn, "recordLabTest", "LabTest", &[inserted.id], None)
            .await?;
        Ok::<_, WriteError>(inserted)
    })?;
    let suggestion = suggest(&state.db, &recorded).await?;
    Ok(Recorded {
        lab_test: recorded,
        suggestion,
    })
}

/// Records the result of a PENDING test (PENDING → NEGATIVE or POSITIVE, once).
#[tracing::instrument(skip(state, actor), fields(request_id = %actor.request_id))]
pub async fn set_result(
    state: &AppState,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    result: LabResult,
    result_at: Option<DateTime<Utc>>,
) -> AppResult<Recorded> {
    access::require(&actor.principal, Data::CaseClinical, Access::ReadWrite)?;
    let clock = state.settings.clock;
    if result == LabResult::Pending {
        return Err(AppError::bad_input(
            "result",
            crate::msg!("lab-pending-to-pending"),
        ));
    }
    let result_at = clock.not_in_future(result_at.unwrap_or_else(Utc::now), "resultAt")?;
    let updated = db::write_retrying!(&state.db, |txn| {
        let current = lab_test::Entity::find_by_id(id)
            .filter(scope::about_residents(
                lab_test::Column::PersonId,
                &actor.principal,
            ))
            .one(&txn)
            .await?
            .ok_or(AppError::NotFound { entity: "LabTest" })?;
        if current.version != expected_version {
            return Err(AppError::Conflict {
                entity: "LabTest",
                id,
                current_version: current.version,
            }
            .into());
        }
        if current.result != LabResult::Pending {
            return Err(AppError::bad_input(
                "result",
                crate::msg!(
                    "lab-result-final",
                    current = current.result.as_str(),
                    next = result.as_str()
                ),
            )
            .into());
        }
        let mut rows = lab_test::Entity::update_many()
            .set(lab_test::ActiveModel {
                result: Set(result),
                result_at: Set(Some(result_at)),
                version: Set(current.version + 1),
                updated_at: Set(Utc::now()),
                ..Default::default()
            })
            .filter(lab_test::Column::Id.eq(id))
            .filter(lab_test::Column::Version.eq(current.version))
            .exec_with_returning(&txn)
            .await?;
        let Some(updated) = rows.pop() else {
            return Err(super::versioning::lost_update::<lab_test::Entity>(
                &txn,
                "LabTest",
                id,
                lab_test::Column::Id,
                lab_test::Column::Version,
            )
            .await
            .into());
        };
        actor
            .record_write(&txn, "setLabResult", "LabTest", &[id], None)
            .await?;
        Ok::<_, WriteError>(updated)
    })?;
    let suggestion = suggest(&state.db, &updated).await?;
    Ok(Recorded {
        lab_test: updated,
        suggestion,
    })
}

async fn suggest(
    db: &impl ConnectionTrait,
    test: &lab_test::Model,
) -> AppResult<Option<Suggestion>> {
    if test.result == LabResult::Positive && !cases::has_open_case(db, test.person_id).await? {
        Ok(Some(Suggestion::ReportCase))
    } else {
        Ok(None)
    }
}

/// The latest `per_person` tests of each person.
pub async fn of_persons(
    db: &impl ConnectionTrait,
    person_ids: &[i64],
    per_person: u64,
) -> AppResult<Vec<lab_test::Model>> {
    Ok(nested::first_per_parent::<lab_test::Entity>(
        db,
        lab_test::Column::PersonId,
        person_ids,
        &[
            (lab_test::Column::SampleDate, Order::Desc),
            (lab_test::Column::Id, Order::Desc),
        ],
        per_person,
        Condition::all(),
    )
    .await?)
}
