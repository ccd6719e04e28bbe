//! The audit trail (审计日志), for auditors.

use async_graphql::{
    connection::{Connection, Edge, EmptyFields},
    Context, InputObject, Object, Result, ID,
};
use chrono::{DateTime, Utc};
use entity::audit_event;

use super::{
    context::{actor, row_id, state},
    enums::{Agency, Role},
    org_units::OrgUnit,
};
use crate::domain::{
    audit_events::{self, AuditFilter},
    pagination::PageRequest,
    values::Cursor,
};

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Who read or wrote what, newest first: every read of personal data and every write by
    /// users inside your jurisdiction. Role AUDITOR only.
    #[graphql(
        visible = "super::visibility::query_audit_events",
        complexity = "super::limits::list_cost(first, child_complexity, 1)"
    )]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditEventFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, AuditEvent, EmptyFields, EmptyFields>> {
        let state = state(ctx)?;
        let page = PageRequest::parse(
            audit_events::LIST,
            first,
            after.as_deref(),
            state.settings.max_page_size,
        )?;
        let filter = filter
            .map(AuditEventFilter::into_domain)
            .transpose()?
            .unwrap_or_default();
        let rows = audit_events::list(state, actor(ctx)?, &filter, &page).await?;
        let mut connection = Connection::new(page.after.is_some(), rows.has_next_page);
        connection.edges.extend(rows.items.into_iter().map(|event| {
            Edge::new(
                Cursor::Id(event.id).encode(audit_events::LIST),
                AuditEvent(event),
            )
        }));
        Ok(connection)
    }
}

/// One audited action (审计事件): a read of a record, or a write.
pub struct AuditEvent(audit_event::Model);

#[Object]
impl AuditEvent {
    async fn id(&self) -> ID {
        ID::from(self.0.id.to_string())
    }

    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }

    /// The acting user's id in their agency's identity system.
    async fn subject(&self) -> &str {
        &self.0.subject
    }

    async fn agency(&self) -> Agency {
        self.0.agency.into()
    }

    async fn role(&self) -> Role {
        self.0.role.into()
    }

    /// The acting user's jurisdiction.
    async fn actor_org_unit(&self, ctx: &Context<'_>) -> Result<Option<OrgUnit>> {
        Ok(state(ctx)?
            .orgs
            .cached_by_path(&self.0.actor_path)?
            .map(|u| OrgUnit(u.clone())))
    }

    /// The GraphQL operation, e.g. `query persons` or `mutation registerPerson`.
    async fn operation(&self) -> &str {
        &self.0.operation
    }

    /// The kind of record, e.g. `Person`.
    async fn entity_type(&self) -> &str {
        &self.0.entity_type
    }

    /// The record read or written, when the action concerned exactly one record. When it
    /// concerned several (a page of cases and their contacts, a batch of checks), this is
    /// empty and `entityIds` lists them.
    async fn entity_id(&self) -> Option<ID> {
        self.0.entity_id.map(|id| ID::from(id.to_string()))
    }

    /// Every record of `entityType` the action read or wrote: the one of `entityId`, or the
    /// several one request read or one write wrote together. Empty for actions that
    /// concerned no single record, such as reading the audit trail.
    async fn entity_ids(&self) -> Vec<ID> {
        let several = self
            .0
            .entity_ids
            .as_ref()
            .and_then(serde_json::Value::as_array)
            .map(|ids| {
                ids.iter()
                    .filter_map(serde_json::Value::as_i64)
                    .collect::<Vec<i64>>()
            })
            .unwrap_or_default();
        self.0
            .entity_id
            .into_iter()
            .chain(several)
            .map(|id| ID::from(id.to_string()))
            .collect()
    }

    /// The reason given, e.g. for a relocation or a break-the-glass grant.
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }

    /// The access grant the action relied on, if any.
    async fn grant_id(&self) -> Option<ID> {
        self.0.grant_id.map(|id| ID::from(id.to_string()))
    }

    /// Correlates the events of one HTTP request (also sent as `X-Request-Id`).
    async fn request_id(&self) -> &str {
        &self.0.request_id
    }
}

/// Narrows the audit trail.
#[derive(InputObject, Default)]
pub struct AuditEventFilter {
    subject: Option<String>,
    agency: Option<Agency>,
    entity_type: Option<String>,
    /// Events that name this record, alone or among others.
    entity_id: Option<ID>,
    request_id: Option<String>,
    /// From this time on (inclusive).
    from: Option<DateTime<Utc>>,
    /// Before this time (exclusive).
    to: Option<DateTime<Utc>>,
}

impl AuditEventFilter {
    fn into_domain(self) -> Result<AuditFilter, crate::error::AppError> {
        Ok(AuditFilter {
            subject: self.subject,
            agency: self.agency.map(Into::into),
            entity_type: self.entity_type,
            entity_id: self
                .entity_id
                .map(|id| row_id(&id, "filter.entityId"))
                .transpose()?,
            request_id: self.request_id,
            from: self.from,
            to: self.to,
        })
    }
}
