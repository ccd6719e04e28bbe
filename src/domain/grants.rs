//! Break the glass (紧急授权): a time-limited view of one person outside one's jurisdiction,
//! with a stated reason, for health and police operators only; every read under it audited
//! with the grant.

use chrono::{DateTime, Duration, Utc};
use entity::{access_grant, person};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::{
    pagination::{Page, PageRequest},
    values::BoundedText,
};
use crate::{
    access::{self, scope, Access, Data},
    audit::Actor,
    auth::Principal,
    db::{self, WriteError},
    error::{AppError, AppResult},
    state::AppState,
};

pub const LIST: &str = "accessGrants";

/// Grants a view of one person for GRANT_HOURS, with a reason.
#[tracing::instrument(skip(state, actor, reason), fields(request_id = %actor.request_id))]
pub async fn request(
    state: &AppState,
    actor: &Actor,
    person_id: i64,
    reason: BoundedText,
) -> AppResult<access_grant::Model> {
    let principal = &actor.principal;
    access::require(principal, Data::AccessGrants, Access::ReadWrite)?;
    let reason = reason.into_inner();
    if reason.chars().count() < 4 {
        return Err(AppError::bad_input("reason", crate::msg!("say-why")));
    }
    let hours = i64::from(state.settings.grant_hours);
    db::write_retrying!(&state.db, |txn| {
        let exists = person::Entity::find_by_id(person_id)
            .filter(person::Column::MergedIntoId.is_null())
            .one(&txn)
            .await?
            .is_some();
        if !exists {
            return Err(WriteError::App(AppError::NotFound { entity: "Person" }));
        }
        let now = Utc::now();
        let grant = access_grant::Entity::insert(access_grant::ActiveModel {
            subject: Set(principal.subject.clone()),
            agency: Set(principal.agency),
            role: Set(principal.role),
            grantee_path: Set(principal.jurisdiction().as_str().to_owned()),
            person_id: Set(person_id),
            reason: Set(reason.clone()),
            granted_at: Set(now),
            expires_at: Set(now + Duration::hours(hours)),
            revoked_at: Set(None),
            ..Default::default()
        })
        .exec_with_returning(&txn)
        .await?;
        actor
            .record_write(&txn, "requestAccess", "Person", &[person_id], Some(&reason))
            .await?;
        actor
            .record_write(
                &txn,
                "requestAccess",
                "AccessGrant",
                &[grant.id],
                Some(&reason),
            )
            .await?;
        Ok(grant)
    })
}

/// The principal's unexpired grant for a person, if any.
pub async fn active_for(
    db: &impl ConnectionTrait,
    principal: &Principal,
    person_id: i64,
) -> AppResult<Option<access_grant::Model>> {
    Ok(access_grant::Entity::find()
        .filter(access_grant::Column::PersonId.eq(person_id))
        .filter(access_grant::Column::Subject.eq(principal.subject.as_str()))
        .filter(access_grant::Column::Agency.eq(principal.agency))
        .filter(access_grant::Column::ExpiresAt.gt(Utc::now()))
        .filter(access_grant::Column::RevokedAt.is_null())
        .order_by_desc(access_grant::Column::ExpiresAt)
        .one(db)
        .await?)
}

#[derive(Debug, Default, Clone)]
pub struct GrantFilter {
    pub subject: Option<String>,
    pub person_id: Option<i64>,
    /// Only grants still in force (true) or expired or revoked (false).
    pub active: Option<bool>,
    pub from: Option<DateTime<Utc>>,
}

/// Grants taken by users of the auditor's jurisdiction, or over its residents; newest first.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    filter: &GrantFilter,
    page: &PageRequest,
) -> AppResult<Page<access_grant::Model>> {
    let principal = &actor.principal;
    access::require(principal, Data::AuditEvents, Access::Read)?;
    let mut condition = Condition::all()
        .add(
            Condition::any()
                .add(scope::within(
                    access_grant::Column::GranteePath,
                    principal.jurisdiction(),
                ))
                .add(scope::about_residents(
                    access_grant::Column::PersonId,
                    principal,
                )),
        )
        .add(page.before_id(access_grant::Column::Id)?);
    if let Some(subject) = &filter.subject {
        condition = condition.add(access_grant::Column::Subject.eq(subject.as_str()));
    }
    if let Some(person_id) = filter.person_id {
        condition = condition.add(access_grant::Column::PersonId.eq(person_id));
    }
    if let Some(active) = filter.active {
        let live = Condition::all()
            .add(access_grant::Column::ExpiresAt.gt(Utc::now()))
            .add(access_grant::Column::RevokedAt.is_null());
        condition = condition.add(if active { live } else { live.not() });
    }
    if let Some(from) = filter.from {
        condition = condition.add(access_grant::Column::GrantedAt.gte(from));
    }
    let rows = access_grant::Entity::find()
        .filter(condition)
        .order_by_desc(access_grant::Column::Id)
        .limit(page.first + 1)
        .all(&state.db)
        .await?;
    actor.record_list_read("AccessGrant")?;
    Ok(Page::from_overfetch(rows, page.first))
}
