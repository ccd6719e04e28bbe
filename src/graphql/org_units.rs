//! Org units: the jurisdiction tree (city > district > street > community > grid).

use std::sync::Arc;

use async_graphql::{
    connection::{Connection, Edge, EmptyFields},
    Context, Object, Result,
};

use super::{context::state, enums::OrgLevel};
use crate::{
    domain::{org_units, pagination::PageRequest, values::Cursor},
    error::AppError,
};

const LIST: &str = "orgUnits";

#[derive(Default)]
pub struct OrgUnitQuery;

#[Object]
impl OrgUnitQuery {
    /// One org unit by its code, e.g. `DEMO-01`.
    async fn org_unit(&self, ctx: &Context<'_>, code: String) -> Result<OrgUnit> {
        let state = state(ctx)?;
        let unit = state
            .orgs
            .by_code(&state.db, &code)
            .await?
            .ok_or(AppError::NotFound { entity: "OrgUnit" })?;
        Ok(OrgUnit(unit.clone()))
    }

    /// The units directly below `parent` (a code), or the top of the tree when it is
    /// omitted, in the order they were created.
    #[graphql(complexity = "super::limits::list_cost(first, child_complexity, 1)")]
    async fn org_units(
        &self,
        ctx: &Context<'_>,
        parent: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, OrgUnit, EmptyFields, EmptyFields>> {
        let state = state(ctx)?;
        let page = PageRequest::parse(LIST, first, after.as_deref(), state.settings.max_page_size)?;
        let parent_id = match parent {
            None => None,
            Some(code) => Some(
                state
                    .orgs
                    .by_code(&state.db, &code)
                    .await?
                    .ok_or_else(|| AppError::bad_input("parent", crate::msg!("unknown-org-unit")))?
                    .id,
            ),
        };
        let after_id = match page.after {
            None => 0,
            Some(Cursor::Id(id)) => id,
            Some(Cursor::PathId(..) | Cursor::Pair(..)) => {
                return Err(AppError::bad_input("after", crate::msg!("not-a-cursor")).into())
            }
        };
        let children: Vec<_> = state
            .orgs
            .children(parent_id)?
            .into_iter()
            .filter(|unit| unit.id > after_id)
            .collect();
        let limit = usize::try_from(page.first).unwrap_or(usize::MAX);
        let mut connection = Connection::new(after_id > 0, children.len() > limit);
        connection.edges.extend(
            children
                .into_iter()
                .take(limit)
                .map(|unit| Edge::new(Cursor::Id(unit.id).encode(LIST), OrgUnit(unit.clone()))),
        );
        Ok(connection)
    }
}

/// A unit of the jurisdiction tree (辖区): city (市), district (区), street office or
/// township (街道/乡镇), community or village (社区/村), grid (网格).
/// Shared with the org directory's cache: a page names the same few units many times.
#[derive(Clone)]
pub struct OrgUnit(pub Arc<org_units::OrgUnit>);

#[Object]
impl OrgUnit {
    /// Stable code, used in tokens and filters.
    async fn code(&self) -> &str {
        &self.0.code
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn level(&self) -> OrgLevel {
        self.0.level.into()
    }

    /// The unit directly above, if any.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<OrgUnit>> {
        let Some(parent_id) = self.0.parent_id else {
            return Ok(None);
        };
        Ok(state(ctx)?
            .orgs
            .cached_by_id(parent_id)?
            .map(|unit| OrgUnit(unit.clone())))
    }
}
