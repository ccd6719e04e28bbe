//! The civil affairs' list (困难群体台账): vulnerable residents in scope, with whether each
//! is under medical observation and whether a supply task is open for them, so that nobody
//! isolated at home is left without food or medicine.

use std::{collections::HashMap, sync::Arc};

use entity::{quarantine, task, TaskKind, TaskStatus};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{
    org_units::OrgUnit,
    pagination::{Page, PageRequest},
    persons::{self, PersonFilter},
    vulnerability::Vulnerability,
};
use crate::{
    access::{self, scope, Access, Data, PersonView},
    audit::Actor,
    error::AppResult,
    state::AppState,
};

#[derive(Debug, Default, Clone)]
pub struct VulnerableFilter {
    pub org_unit: Option<Arc<OrgUnit>>,
    pub vulnerability: Option<Vulnerability>,
    pub under_quarantine: Option<bool>,
    pub supply_task_open: Option<bool>,
}

impl VulnerableFilter {
    fn persons(&self) -> PersonFilter {
        PersonFilter {
            org_unit: self.org_unit.clone(),
            vulnerable: Some(true),
            vulnerability: self.vulnerability,
            under_quarantine: self.under_quarantine,
            supply_task_open: self.supply_task_open,
            ..PersonFilter::default()
        }
    }
}

#[derive(Debug, Clone)]
pub struct VulnerableRow {
    pub person: PersonView,
    pub quarantine: Option<quarantine::Model>,
    /// The live DELIVER_SUPPLIES task, if there is one.
    pub supply_task: Option<task::Model>,
}

/// A page of vulnerable residents in the principal's jurisdiction, grid by grid, in three
/// statements whatever the page's size.
#[tracing::instrument(skip(state, actor), fields(request_id = %actor.request_id))]
pub async fn list(
    state: &AppState,
    actor: &Actor,
    filter: &VulnerableFilter,
    page: &PageRequest,
) -> AppResult<Page<VulnerableRow>> {
    access::require(&actor.principal, Data::Vulnerability, Access::Read)?;
    let persons = persons::list(state, actor, &filter.persons(), page).await?;
    let ids: Vec<i64> = persons.items.iter().map(PersonView::id).collect();
    let (mut quarantines, mut tasks) = if ids.is_empty() {
        (HashMap::new(), HashMap::new())
    } else {
        let quarantines: HashMap<i64, quarantine::Model> = quarantine::Entity::find()
            .filter(quarantine::Column::PersonId.is_in(ids.iter().copied()))
            .filter(quarantine::Column::IsActive.eq(true))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|q| (q.person_id, q))
            .collect();
        // Oldest first, so that the map keeps the newest live task of a person.
        let tasks: HashMap<i64, task::Model> = task::Entity::find()
            .filter(task::Column::PersonId.is_in(ids.iter().copied()))
            .filter(task::Column::Kind.eq(TaskKind::DeliverSupplies))
            .filter(task::Column::Status.is_in([TaskStatus::Open, TaskStatus::Accepted]))
            .order_by_asc(task::Column::Id)
            .all(&state.db)
            .await?
            .into_iter()
            .map(|t| (t.person_id, t))
            .collect();
        (quarantines, tasks)
    };
    Ok(persons.map(|person| VulnerableRow {
        quarantine: quarantines.remove(&person.id()),
        supply_task: tasks.remove(&person.id()),
        person,
    }))
}

/// How many vulnerable residents the list would hold across all pages.
pub async fn count(state: &AppState, actor: &Actor, filter: &VulnerableFilter) -> AppResult<u64> {
    access::require(&actor.principal, Data::Vulnerability, Access::Read)?;
    persons::count(state, actor, &filter.persons()).await
}

/// Whether the principal may see the task itself (its agency sent or receives it); the
/// fact that one is open is part of the list either way.
pub fn shows_task(actor: &Actor, task: &task::Model) -> bool {
    !scope::task_sides(&actor.principal, task).is_empty()
}
