//! When the emergency ends: the command's stand-down, the list of stand-downs, and the
//! `purgeAt` of the records operators read (`src/retention`).

use async_graphql::{
    connection::{Connection, Edge, EmptyFields},
    Context, Object, Result, ID,
};
use chrono::{DateTime, Utc};
use entity::{checkpoint_entry, health_check, stand_down};

use super::{
    cases::{text, unit_or_own},
    context::{actor, state},
    enums::Agency,
    loaders::Loaders,
    org_units::OrgUnit,
};
use crate::{
    domain::{pagination::PageRequest, values::Cursor},
    retention::{purge_at, rules::StandDowns, stand_down as domain},
};

#[derive(Default)]
pub struct RetentionQuery;

#[Object]
impl RetentionQuery {
    /// Stand-downs (应急响应终止) that cover your jurisdiction or part of it, newest first:
    /// from each, the retention clock of that jurisdiction's emergency-only data runs (see
    /// each record's `purgeAt`).
    #[graphql(
        visible = "super::visibility::query_stand_downs",
        complexity = "super::limits::list_cost(first, child_complexity, 1)"
    )]
    async fn stand_downs(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, StandDown, EmptyFields, EmptyFields>> {
        let state = state(ctx)?;
        let page = PageRequest::parse(
            domain::LIST,
            first,
            after.as_deref(),
            state.settings.max_page_size,
        )?;
        let rows = domain::list(state, actor(ctx)?, &page).await?;
        let mut connection = Connection::new(page.after.is_some(), rows.has_next_page);
        connection.edges.extend(
            rows.items
                .into_iter()
                .map(|row| Edge::new(Cursor::Id(row.id).encode(domain::LIST), StandDown(row))),
        );
        Ok(connection)
    }
}

#[derive(Default)]
pub struct RetentionMutation;

#[Object]
impl RetentionMutation {
    /// Declare the response over (应急响应终止) for `orgUnit` (your own unit when omitted)
    /// and everything below it. From then on the retention clocks of its emergency-only data
    /// run: health checks and checkpoint passages of people who never became a case or a
    /// contact are deleted, and persons registered only for the emergency anonymized, each
    /// when its `purgeAt` says. Command operators only, within their jurisdiction; declaring
    /// again answers with the first declaration.
    #[graphql(visible = "super::visibility::mutation_stand_down")]
    async fn stand_down(
        &self,
        ctx: &Context<'_>,
        org_unit: Option<String>,
        note: Option<String>,
    ) -> Result<StandDown> {
        let note = text(note, 1000, "note")?.map(|n| n.into_inner());
        let unit = unit_or_own(ctx, org_unit).await?;
        let row = domain::declare(state(ctx)?, actor(ctx)?, unit, note).await?;
        Ok(StandDown(row))
    }
}

/// The response declared over in a unit and everything below it (应急响应终止).
pub struct StandDown(stand_down::Model);

#[Object]
impl StandDown {
    async fn id(&self) -> ID {
        ID::from(self.0.id.to_string())
    }

    async fn org_unit(&self, ctx: &Context<'_>) -> Result<Option<OrgUnit>> {
        Ok(state(ctx)?
            .orgs
            .cached_by_id(self.0.org_id)?
            .map(|u| OrgUnit(u.clone())))
    }

    async fn declared_at(&self) -> DateTime<Utc> {
        self.0.declared_at
    }

    /// The command operator who declared it (their id in their agency's identity system).
    async fn declared_by(&self) -> &str {
        &self.0.declared_by
    }

    async fn declared_by_agency(&self) -> Agency {
        self.0.declared_by_agency.into()
    }

    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
}

async fn stand_downs<'a>(ctx: &Context<'a>) -> Result<&'a StandDowns> {
    let loaders = ctx.data::<Loaders>()?;
    let state = state(ctx)?;
    Ok(loaders
        .stand_downs
        .get_or_try_init(|| StandDowns::load(&state.db))
        .await?)
}

/// The policy's facts of a person who lives in the principal's jurisdiction; `None` for
/// anyone else: whether a person is kept (a case, a contact) or held is not for those who
/// reach them only through a checkpoint, a task or a grant, so their records show no date.
async fn facts(ctx: &Context<'_>, person_id: i64) -> Result<Option<purge_at::PersonFacts>> {
    let facts = ctx
        .data::<Loaders>()?
        .retention
        .load_one(person_id)
        .await
        .map_err(crate::error::AppError::from)?;
    let jurisdiction = actor(ctx)?.principal.jurisdiction();
    Ok(facts.filter(|f| jurisdiction.contains_str(&f.residence_path)))
}

/// When a person will be anonymized.
pub(super) async fn person(ctx: &Context<'_>, person_id: i64) -> Result<Option<DateTime<Utc>>> {
    let Some(facts) = facts(ctx, person_id).await? else {
        return Ok(None);
    };
    let periods = &state(ctx)?.settings.retention;
    Ok(purge_at::person(&facts, stand_downs(ctx).await?, periods))
}

/// When a health check will be deleted.
pub(super) async fn health_check(
    ctx: &Context<'_>,
    check: &health_check::Model,
) -> Result<Option<DateTime<Utc>>> {
    let Some(facts) = facts(ctx, check.person_id).await? else {
        return Ok(None);
    };
    let periods = &state(ctx)?.settings.retention;
    Ok(purge_at::health_check(
        check.measured_at,
        &facts,
        stand_downs(ctx).await?,
        periods,
    ))
}

/// When a checkpoint passage will be deleted.
pub(super) async fn checkpoint_entry(
    ctx: &Context<'_>,
    entry: &checkpoint_entry::Model,
) -> Result<Option<DateTime<Utc>>> {
    let facts = match entry.person_id {
        Some(id) => match facts(ctx, id).await? {
            Some(facts) => Some(facts),
            None => return Ok(None),
        },
        None => None,
    };
    let periods = &state(ctx)?.settings.retention;
    Ok(purge_at::checkpoint_entry(
        entry,
        facts.as_ref(),
        stand_downs(ctx).await?,
        periods,
    ))
}
