//! The civil affairs' list of vulnerable residents (困难群体台账).

use async_graphql::{
    connection::{Connection, Edge, EmptyFields},
    Context, InputObject, Object, Result,
};

use super::{
    cases::unit,
    context::{actor, state},
    enums::{TaskStatus, Vulnerability},
    persons::Person,
    prefetch,
    quarantines::Quarantine,
    tasks::Task,
};
use crate::{
    domain::{
        pagination::PageRequest,
        persons,
        quarantines::QuarantineRow,
        tasks::TaskRow,
        vulnerable_persons::{self, VulnerableFilter as DomainFilter, VulnerableRow},
    },
    error::AppResult,
    state::AppState,
};

#[derive(Default)]
pub struct VulnerableQuery;

#[Object]
impl VulnerableQuery {
    /// Residents of your jurisdiction with a vulnerability flag (elderly living alone,
    /// disabled, low income, ...), grid by grid, with whether each is under medical
    /// observation and whether a supply task (DELIVER_SUPPLIES) is open for them. Filter
    /// `underQuarantine: true, supplyTaskOpen: false` for those isolated with nobody yet
    /// bringing supplies.
    #[graphql(
        visible = "super::visibility::query_vulnerable_persons",
        complexity = "super::limits::list_cost(first, child_complexity, 1)"
    )]
    async fn vulnerable_persons(
        &self,
        ctx: &Context<'_>,
        filter: Option<VulnerablePersonFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, VulnerablePerson, VulnerableCount, EmptyFields>> {
        let state = state(ctx)?;
        let page = PageRequest::parse(
            persons::LIST,
            first,
            after.as_deref(),
            state.settings.max_page_size,
        )?;
        let filter = filter.unwrap_or_default().into_domain(state).await?;
        let rows = vulnerable_persons::list(state, actor(ctx)?, &filter, &page).await?;
        let ids: Vec<i64> = rows.items.iter().map(|r| r.person.id()).collect();
        prefetch::persons(ctx, &prefetch::nodes(ctx).field("person"), &ids).await?;
        let mut connection = Connection::with_additional_fields(
            page.after.is_some(),
            rows.has_next_page,
            VulnerableCount { filter },
        );
        for row in rows.items {
            let cursor = persons::cursor_of(&row.person)?;
            connection
                .edges
                .push(Edge::new(cursor, VulnerablePerson(row)));
        }
        Ok(connection)
    }
}

/// A vulnerable resident and the help they are getting.
pub struct VulnerablePerson(VulnerableRow);

#[Object]
impl VulnerablePerson {
    async fn person(&self) -> Person {
        Person(self.0.person.clone())
    }

    /// Under active medical observation.
    async fn under_quarantine(&self) -> bool {
        self.0.quarantine.is_some()
    }

    /// The active observation, if any.
    async fn quarantine(&self, ctx: &Context<'_>) -> Result<Option<Quarantine>> {
        self.0
            .quarantine
            .clone()
            .map(|quarantine| {
                Quarantine::from_row(
                    ctx,
                    QuarantineRow {
                        quarantine,
                        person: self.0.person.model().clone(),
                    },
                )
            })
            .transpose()
    }

    /// A DELIVER_SUPPLIES task is open or accepted for them.
    async fn supply_task_open(&self) -> bool {
        self.0.supply_task.is_some()
    }

    /// Where that task stands (OPEN or ACCEPTED), if there is one.
    async fn supply_task_status(&self) -> Option<TaskStatus> {
        self.0.supply_task.as_ref().map(|t| t.status.into())
    }

    /// The supply task itself, when your agency sent or receives it.
    async fn supply_task(&self, ctx: &Context<'_>) -> Result<Option<Task>> {
        let actor = actor(ctx)?;
        match &self.0.supply_task {
            Some(task) if vulnerable_persons::shows_task(actor, task) => Ok(Some(Task::from_row(
                ctx,
                TaskRow {
                    task: task.clone(),
                    person: self.0.person.model().clone(),
                },
            )?)),
            _ => Ok(None),
        }
    }
}

/// Narrows the list of vulnerable residents.
#[derive(InputObject, Default)]
pub struct VulnerablePersonFilter {
    /// Only residents of this org unit (a code) and the units below it.
    org_unit: Option<String>,
    /// Only residents with this flag.
    vulnerability: Option<Vulnerability>,
    /// Only those under (true) or not under (false) medical observation.
    under_quarantine: Option<bool>,
    /// Only those with (true) or without (false) an open supply task.
    supply_task_open: Option<bool>,
}

impl VulnerablePersonFilter {
    async fn into_domain(self, state: &AppState) -> AppResult<DomainFilter> {
        Ok(DomainFilter {
            org_unit: match &self.org_unit {
                Some(code) => Some(unit(state, code, "filter.orgUnit").await?),
                None => None,
            },
            vulnerability: self.vulnerability.map(Into::into),
            under_quarantine: self.under_quarantine,
            supply_task_open: self.supply_task_open,
        })
    }
}

/// Extra fields of the vulnerable residents list.
pub struct VulnerableCount {
    filter: DomainFilter,
}

#[Object]
impl VulnerableCount {
    /// Number of residents matching, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(vulnerable_persons::count(state(ctx)?, actor(ctx)?, &self.filter).await?)
    }
}
