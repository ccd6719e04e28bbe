//! The audit trail as auditors read it.

use chrono::{DateTime, Utc};
use entity::{audit_event, Agency};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::pagination::{Page, PageRequest};
use crate::{
    access::{self, scope, Access, Data},
    audit::Actor,
    error::AppResult,
    state::AppState,
};

pub const LIST: &str = "auditEvents";

#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub subject: Option<String>,
    pub agency: Option<Agency>,
    pub entity_type: Option<String>,
    pub entity_id: Option<i64>,
    pub request_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Events of users inside the auditor's jurisdiction, newest first.
#[tracing::instrument(skip(state, actor), fields(request_id = %actor.request_id))]
pub async fn list(
    state: &AppState,
    actor: &Actor,
    filter: &AuditFilter,
    page: &PageRequest,
) -> AppResult<Page<audit_event::Model>> {
    access::require(&actor.principal, Data::AuditEvents, Access::Read)?;
    let mut select = audit_event::Entity::find().filter(scope::within(
        audit_event::Column::ActorPath,
        actor.principal.jurisdiction(),
    ));
    if let Some(subject) = &filter.subject {
        select = select.filter(audit_event::Column::Subject.eq(subject.as_str()));
    }
    if let Some(agency) = filter.agency {
        select = select.filter(audit_event::Column::Agency.eq(agency));
    }
    if let Some(entity_type) = &filter.entity_type {
        select = select.filter(audit_event::Column::EntityType.eq(entity_type.as_str()));
    }
    if let Some(entity_id) = filter.entity_id {
        select = select.filter(audit_event::Column::EntityId.eq(entity_id));
    }
    if let Some(request_id) = &filter.request_id {
        select = select.filter(audit_event::Column::RequestId.eq(request_id.as_str()));
    }
    if let Some(from) = filter.from {
        select = select.filter(audit_event::Column::At.gte(from));
    }
    if let Some(to) = filter.to {
        select = select.filter(audit_event::Column::At.lt(to));
    }
    select = select.filter(page.before_id(audit_event::Column::Id)?);
    let rows = select
        .order_by_desc(audit_event::Column::Id)
        .limit(page.first + 1)
        .all(&state.db)
        .await?;
    actor.record_list_read("AuditEvent")?;
    Ok(Page::from_overfetch(rows, page.first))
}
