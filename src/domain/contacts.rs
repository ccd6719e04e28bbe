//! Close contacts (密切接触者): traced from a case, followed up for a configured number of
//! days after the last exposure, visible to the jurisdiction where they live.

use std::sync::Arc;

use chrono::{Days, NaiveDate, Utc};
use entity::{case, contact, person, AlertKind, ContactRelation, ContactStatus};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, Order,
    PaginatorTrait, QueryFilter,
};

use super::{
    alerts::{self, NewAlert},
    nested,
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

pub const LIST: &str = "contacts";
const PAIR_INDEX: &str = "uq_contact_source_case_id_person_id";

/// A contact together with its person.
#[derive(Debug, Clone)]
pub struct ContactRow {
    pub contact: contact::Model,
    pub person: person::Model,
}

/// A traced exposure to record (流调结果).
#[derive(Debug, Clone)]
pub struct NewContact {
    pub source_case_id: i64,
    pub person: PersonRef,
    pub relation: ContactRelation,
    pub last_exposure_date: NaiveDate,
    pub notes: Option<BoundedText>,
}

#[derive(Debug, Default, Clone)]
pub struct ContactFilter {
    pub source_case_id: Option<i64>,
    /// Contacts living in this unit.
    pub org_unit: Option<Arc<OrgUnit>>,
    pub status: Option<ContactStatus>,
    /// Follow-up not yet over on this date (end date on or after it).
    pub under_follow_up_on: Option<NaiveDate>,
}

/// Records a contact of a case in reach. The contact may live anywhere: they become
/// visible to their own jurisdiction, while the recording officer sees them pseudonymized
/// unless they live inside the officer's jurisdiction too.
#[tracing::instrument(skip(state, actor, new), fields(request_id = %actor.request_id))]
pub async fn record(state: &AppState, actor: &Actor, new: NewContact) -> AppResult<ContactRow> {
    access::require(&actor.principal, Data::Contacts, Access::ReadWrite)?;
    let clock = state.settings.clock;
    clock.date_not_in_future(new.last_exposure_date, "input.lastExposureDate")?;
    let new = NewContact {
        person: new.person.checked()?,
        ..new
    };
    let follow_up_days = u64::from(state.settings.follow_up_days);
    db::write_retrying!(&state.db, |txn| {
        record_in(&txn, actor, &new, follow_up_days, |at| clock.local_date(at)).await
    })
}

async fn record_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    new: &NewContact,
    follow_up_days: u64,
    local_date: impl Fn(chrono::DateTime<Utc>) -> NaiveDate,
) -> Result<ContactRow, WriteError> {
    let principal = &actor.principal;
    let source = case::Entity::find_by_id(new.source_case_id)
        .filter(scope::cases_in_reach(principal))
        .one(txn)
        .await?
        .ok_or(AppError::NotFound { entity: "Case" })?;
    if let Some(closed_at) = source.closed_at {
        let closed_on = local_date(closed_at);
        if new.last_exposure_date > closed_on {
            return Err(AppError::bad_input(
                "input.lastExposureDate",
                crate::msg!("after-source-case-closed", date = closed_on),
            )
            .into());
        }
    }
    let person = persons::resolve_in(txn, actor, &new.person, "recordContact").await?;
    if person.id == source.person_id {
        return Err(
            AppError::bad_input("input.person", crate::msg!("is-source-case-person")).into(),
        );
    }
    let existing = contact::Entity::find()
        .filter(contact::Column::SourceCaseId.eq(source.id))
        .filter(contact::Column::PersonId.eq(person.id))
        .one(txn)
        .await?;
    if let Some(existing) = existing {
        return Err(duplicate(Some(existing.id)).into());
    }
    // A contact who already has an open case is recorded as converted to it.
    let open_case = case::Entity::find()
        .filter(case::Column::PersonId.eq(person.id))
        .filter(case::Column::IsOpen.eq(true))
        .one(txn)
        .await?;
    let now = Utc::now();
    let follow_up_end = new
        .last_exposure_date
        .checked_add_days(Days::new(follow_up_days))
        .ok_or_else(|| {
            AppError::bad_input("input.lastExposureDate", crate::msg!("out-of-range"))
        })?;
    let inserted = contact::Entity::insert(contact::ActiveModel {
        source_case_id: Set(source.id),
        person_id: Set(person.id),
        relation: Set(new.relation),
        last_exposure_date: Set(new.last_exposure_date),
        follow_up_end_date: Set(follow_up_end),
        status: Set(if open_case.is_some() {
            ContactStatus::Converted
        } else {
            ContactStatus::UnderFollowUp
        }),
        converted_case_id: Set(open_case.map(|c| c.id)),
        traced_by_org_id: Set(principal.org.id),
        traced_by_path: Set(principal.jurisdiction().as_str().to_owned()),
        notes: Set(new.notes.clone().map(BoundedText::into_inner)),
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
        if is_unique_violation(&err, PAIR_INDEX) {
            WriteError::App(duplicate(None))
        } else {
            err.into()
        }
    })?;
    actor
        .record_write(txn, "recordContact", "Contact", &[inserted.id], None)
        .await?;
    let message = crate::msg!(
        "alert-contact-traced",
        classification = source.classification.as_str(),
        relation = inserted.relation.to_string(),
        exposure = inserted.last_exposure_date,
        until = inserted.follow_up_end_date
    );
    // A contact registered under a number held for verification: the person the number
    // belongs to is alerted at home too, behind the tracer's back.
    let claimed = match person.held_for_id {
        Some(id) => person::Entity::find_by_id(id).one(txn).await?,
        None => None,
    };
    let mut raised = vec![NewAlert {
        kind: AlertKind::ContactTraced,
        person_id: Some(person.id),
        org_path: &person.residence_path,
        entity_type: "Contact",
        entity_id: inserted.id,
        message: message.clone(),
    }];
    if let Some(claimed) = &claimed {
        raised.push(NewAlert {
            kind: AlertKind::ContactTraced,
            person_id: Some(claimed.id),
            org_path: &claimed.residence_path,
            entity_type: "Contact",
            entity_id: inserted.id,
            message,
        });
    }
    alerts::raise(txn, raised).await?;
    Ok(ContactRow {
        contact: inserted,
        person,
    })
}

fn duplicate(id: Option<i64>) -> AppError {
    AppError::bad_input(
        "input.person",
        match id {
            Some(id) => crate::msg!("already-a-contact-id", id = id),
            None => crate::msg!("already-a-contact"),
        },
    )
}

/// Contacts in reach, newest first.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    filter: &ContactFilter,
    page: &PageRequest,
) -> AppResult<Page<ContactRow>> {
    access::require(&actor.principal, Data::Contacts, Access::Pseudonymized)?;
    let condition = list_condition(&actor.principal, filter);
    let page =
        newest_with_persons::<contact::Entity>(&state.db, condition, contact::Column::Id, page)
            .await?;
    Ok(page.map(|(contact, person)| ContactRow { contact, person }))
}

pub async fn count(state: &AppState, actor: &Actor, filter: &ContactFilter) -> AppResult<u64> {
    access::require(&actor.principal, Data::Contacts, Access::Pseudonymized)?;
    Ok(contact::Entity::find()
        .filter(list_condition(&actor.principal, filter))
        .count(&state.db)
        .await?)
}

fn list_condition(principal: &Principal, filter: &ContactFilter) -> Condition {
    let mut condition = Condition::all().add(scope::contacts_in_reach(principal));
    if let Some(case_id) = filter.source_case_id {
        condition = condition.add(contact::Column::SourceCaseId.eq(case_id));
    }
    if let Some(unit) = &filter.org_unit {
        condition = condition.add(scope::persons_living_in(
            contact::Column::PersonId,
            &unit.path,
        ));
    }
    if let Some(status) = filter.status {
        condition = condition.add(contact::Column::Status.eq(status));
    }
    if let Some(date) = filter.under_follow_up_on {
        condition = condition
            .add(contact::Column::Status.eq(ContactStatus::UnderFollowUp))
            .add(contact::Column::FollowUpEndDate.gte(date));
    }
    condition
}

/// The first `per_case` contacts of each case, in the order they were traced.
pub async fn of_cases(
    db: &impl sea_orm::ConnectionTrait,
    case_ids: &[i64],
    per_case: u64,
) -> AppResult<Vec<contact::Model>> {
    Ok(nested::first_per_parent::<contact::Entity>(
        db,
        contact::Column::SourceCaseId,
        case_ids,
        &[(contact::Column::Id, Order::Asc)],
        per_case,
        Condition::all(),
    )
    .await?)
}

/// The latest `per_person` exposures of each person (contacts where they are the contact).
pub async fn of_persons(
    db: &impl sea_orm::ConnectionTrait,
    person_ids: &[i64],
    per_person: u64,
) -> AppResult<Vec<contact::Model>> {
    Ok(nested::first_per_parent::<contact::Entity>(
        db,
        contact::Column::PersonId,
        person_ids,
        &[(contact::Column::Id, Order::Desc)],
        per_person,
        Condition::all(),
    )
    .await?)
}
