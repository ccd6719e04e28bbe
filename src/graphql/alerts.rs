//! Alerts (预警) of one's jurisdiction.

use crate::i18n::Msg;
use async_graphql::{
    connection::{Connection, Edge, EmptyFields},
    Context, InputObject, Object, Result, ID,
};
use chrono::{DateTime, Utc};
use entity::alert;

use super::{
    cases::unit,
    context::{actor, state},
    enums::AlertKind,
    org_units::OrgUnit,
    persons::{reached_by_id, Person},
    prefetch,
};
use crate::domain::{
    alerts::{self, AlertFilter as DomainFilter},
    pagination::PageRequest,
    values::Cursor,
};

#[derive(Default)]
pub struct AlertQuery;

#[Object]
impl AlertQuery {
    /// Alerts of your jurisdiction, newest first, of the kinds your agency may see: fevers
    /// for health and community; cases for every agency that reads cases; traced contacts
    /// for those who follow contacts. After a reconnect, ask with `since` to catch up.
    #[graphql(
        visible = "super::visibility::query_alerts",
        complexity = "super::limits::list_cost(first, child_complexity, 1)"
    )]
    async fn alerts(
        &self,
        ctx: &Context<'_>,
        filter: Option<AlertFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Alert, EmptyFields, EmptyFields>> {
        let state = state(ctx)?;
        let page = PageRequest::parse(
            alerts::LIST,
            first,
            after.as_deref(),
            state.settings.max_page_size,
        )?;
        let filter = match filter {
            None => DomainFilter::default(),
            Some(f) => DomainFilter {
                kinds: f
                    .kinds
                    .map(|kinds| kinds.into_iter().map(Into::into).collect()),
                org_unit: match f.org_unit {
                    Some(code) => Some(unit(state, &code, "filter.orgUnit").await?),
                    None => None,
                },
                since: f.since,
            },
        };
        let rows = alerts::list(state, actor(ctx)?, &filter, &page).await?;
        let person_ids: Vec<i64> = rows.items.iter().filter_map(|a| a.person_id).collect();
        prefetch::persons_by_id(ctx, &prefetch::nodes(ctx).field("person"), &person_ids).await?;
        let mut connection = Connection::new(page.after.is_some(), rows.has_next_page);
        connection.edges.extend(
            rows.items
                .into_iter()
                .map(|a| Edge::new(Cursor::Id(a.id).encode(alerts::LIST), Alert(a))),
        );
        Ok(connection)
    }
}

/// Something that needs attention in your jurisdiction (预警).
pub struct Alert(alert::Model);

impl From<alert::Model> for Alert {
    fn from(model: alert::Model) -> Self {
        Self(model)
    }
}

#[Object]
impl Alert {
    async fn id(&self) -> ID {
        ID::from(self.0.id.to_string())
    }

    async fn kind(&self) -> AlertKind {
        self.0.kind.into()
    }

    /// The person concerned, as you may see them.
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        match self.0.person_id {
            Some(id) => Ok(Some(reached_by_id(ctx, id).await?)),
            None => Ok(None),
        }
    }

    /// The unit the alert belongs to (the person's residence grid).
    async fn org_unit(&self, ctx: &Context<'_>) -> Result<Option<OrgUnit>> {
        Ok(state(ctx)?
            .orgs
            .cached_by_path(&self.0.org_path)?
            .map(|u| OrgUnit(u.clone())))
    }

    /// The kind of record that raised it: `HealthCheck`, `Case`, `Contact`, `Quarantine`.
    async fn entity_type(&self) -> &str {
        &self.0.entity_type
    }

    async fn entity_id(&self) -> ID {
        ID::from(self.0.entity_id.to_string())
    }

    /// What happened, without personal data, in the reader's language.
    async fn message(&self, ctx: &Context<'_>) -> String {
        let locale = super::context::locale(ctx);
        // Alerts raised before messages were stored as keys read as they were written.
        Msg::from_stored(&self.0.message)
            .map_or_else(|| self.0.message.clone(), |message| message.render(locale))
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// Narrows the alerts list.
#[derive(InputObject, Default)]
pub struct AlertFilter {
    kinds: Option<Vec<AlertKind>>,
    /// Alerts of this unit (a code) and below.
    org_unit: Option<String>,
    /// Raised at or after this time.
    since: Option<DateTime<Utc>>,
}
