//! The audit trail as auditors read it.

use chrono::{DateTime, Utc};
use entity::{audit_event, Agency};
use sea_orm::{
    sea_query::Expr, ColumnTrait, Condition, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

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
        select = select.filter(
            Condition::any()
                .add(audit_event::Column::EntityId.eq(entity_id))
                .add(names_among_several(
                    state.db.get_database_backend(),
                    entity_id,
                )),
        );
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

/// The event names `entity_id` among the several records it concerns: through the GIN index
/// on PostgreSQL; on SQLite by looking into each array of the events the other conditions
/// leave.
fn names_among_several(backend: DbBackend, entity_id: i64) -> Expr {
    match backend {
        DbBackend::Postgres => Expr::cust_with_values(
            r#""audit_event"."entity_ids" @> jsonb_build_array($1::bigint)"#,
            [entity_id],
        ),
        _ => Expr::cust_with_values(
            r#"EXISTS (SELECT 1 FROM json_each("audit_event"."entity_ids") WHERE json_each.value = ?)"#,
            [entity_id],
        ),
    }
}
