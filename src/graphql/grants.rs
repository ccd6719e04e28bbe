//! Break the glass (紧急授权).

use async_graphql::{
    connection::{Connection, Edge, EmptyFields},
    Context, InputObject, Object, Result, SimpleObject, ID,
};
use chrono::{DateTime, Utc};
use entity::access_grant;

use super::{
    context::{actor, row_id, state},
    enums::{Agency, Role},
};
use crate::{
    domain::{
        grants::{self, GrantFilter},
        pagination::PageRequest,
        values::{BoundedText, Cursor},
    },
    error::AppError,
};

#[derive(Default)]
pub struct GrantQuery;

#[Object]
impl GrantQuery {
    /// Break-the-glass grants taken by users of your jurisdiction or over its residents,
    /// newest first. Role AUDITOR only.
    #[graphql(
        visible = "super::visibility::query_audit_events",
        complexity = "super::limits::list_cost(first, child_complexity, 1)"
    )]
    async fn access_grants(
        &self,
        ctx: &Context<'_>,
        filter: Option<AccessGrantFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, AccessGrant, EmptyFields, EmptyFields>> {
        let state = state(ctx)?;
        let page = PageRequest::parse(
            grants::LIST,
            first,
            after.as_deref(),
            state.settings.max_page_size,
        )?;
        let filter = match filter {
            None => GrantFilter::default(),
            Some(f) => GrantFilter {
                subject: f.subject,
                person_id: f
                    .person
                    .map(|id| row_id(&id, "filter.person"))
                    .transpose()?,
                active: f.active,
                from: f.from,
            },
        };
        let rows = grants::list(state, actor(ctx)?, &filter, &page).await?;
        let mut connection = Connection::new(page.after.is_some(), rows.has_next_page);
        connection.edges.extend(
            rows.items
                .into_iter()
                .map(|g| Edge::new(Cursor::Id(g.id).encode(grants::LIST), AccessGrant(g))),
        );
        Ok(connection)
    }
}

#[derive(Default)]
pub struct GrantMutation;

#[Object]
impl GrantMutation {
    /// Break the glass: see one person outside your jurisdiction for GRANT_HOURS, saying
    /// why. Health and police operators only; the grant and every read under it go on the
    /// audit trail with your reason.
    #[graphql(visible = "super::visibility::mutation_request_access")]
    async fn request_access(
        &self,
        ctx: &Context<'_>,
        person: ID,
        reason: String,
    ) -> Result<AccessGranted> {
        let reason =
            BoundedText::parse(&reason, 500).map_err(|m| AppError::bad_input("reason", m))?;
        let grant =
            grants::request(state(ctx)?, actor(ctx)?, row_id(&person, "person")?, reason).await?;
        Ok(AccessGranted {
            grant_id: ID::from(grant.id.to_string()),
            person: ID::from(grant.person_id.to_string()),
            expires_at: grant.expires_at,
        })
    }
}

/// A grant you took: use `person(id)` until it expires.
#[derive(SimpleObject)]
pub struct AccessGranted {
    grant_id: ID,
    person: ID,
    expires_at: DateTime<Utc>,
}

/// A break-the-glass grant (紧急授权记录).
pub struct AccessGrant(access_grant::Model);

#[Object]
impl AccessGrant {
    async fn id(&self) -> ID {
        ID::from(self.0.id.to_string())
    }

    /// Who took it (their id in their agency's identity system).
    async fn subject(&self) -> &str {
        &self.0.subject
    }

    async fn agency(&self) -> Agency {
        self.0.agency.into()
    }

    async fn role(&self) -> Role {
        self.0.role.into()
    }

    /// The person it opened.
    async fn person_id(&self) -> ID {
        ID::from(self.0.person_id.to_string())
    }

    async fn reason(&self) -> &str {
        &self.0.reason
    }

    async fn granted_at(&self) -> DateTime<Utc> {
        self.0.granted_at
    }

    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }

    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }

    /// Still in force.
    async fn active(&self) -> bool {
        self.0.revoked_at.is_none() && self.0.expires_at > Utc::now()
    }
}

/// Narrows the grants list.
#[derive(InputObject, Default)]
pub struct AccessGrantFilter {
    subject: Option<String>,
    person: Option<ID>,
    active: Option<bool>,
    /// Granted at or after this time.
    from: Option<DateTime<Utc>>,
}
