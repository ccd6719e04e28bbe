//! Tasks between agencies (协查/工作任务): one agency hands another work about a person.
//! Which agency may send which kind to whom is the policy's (`access::policy::TASK_ROUTES`);
//! how a task moves is `task_rules`'. A live task lets the receiving officers see its
//! subject, and no more.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::{person, task, Agency, TaskKind, TaskPriority, TaskStatus};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter,
};

use super::{
    org_units::{self, OrgDirectory, OrgUnit},
    pagination::{newest_with_persons, Page, PageRequest},
    persons,
    task_rules::{self, Side},
    values::BoundedText,
};
use crate::{
    access::{self, policy, scope, Access, Data},
    audit::Actor,
    auth::Principal,
    db::{self, WriteError},
    error::{AppError, AppResult},
    state::AppState,
};

pub const LIST: &str = "tasks";

#[derive(Debug, Clone)]
pub struct TaskRow {
    pub task: task::Model,
    pub person: person::Model,
}

#[derive(Debug, Clone)]
pub struct NewTask {
    pub kind: TaskKind,
    pub person_id: i64,
    pub to_agency: Agency,
    /// The receiving jurisdiction: officers of `to_agency` there receive it. `None`: the
    /// unit the route names (see [`route_unit`]).
    pub to_unit: Option<Arc<OrgUnit>>,
    pub priority: TaskPriority,
    pub due_at: Option<DateTime<Utc>>,
    pub note: Option<BoundedText>,
}

/// What the principal does to a task.
#[derive(Debug, Clone)]
pub enum Action {
    Accept,
    Complete(Option<BoundedText>),
    Reject(BoundedText),
    Cancel(Option<BoundedText>),
}

impl Action {
    fn target(&self) -> TaskStatus {
        match self {
            Self::Accept => TaskStatus::Accepted,
            Self::Complete(_) => TaskStatus::Done,
            Self::Reject(_) => TaskStatus::Rejected,
            Self::Cancel(_) => TaskStatus::Cancelled,
        }
    }

    fn operation(&self) -> &'static str {
        match self {
            Self::Accept => "acceptTask",
            Self::Complete(_) => "completeTask",
            Self::Reject(_) => "rejectTask",
            Self::Cancel(_) => "cancelTask",
        }
    }
}

/// Which tasks a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TaskBox {
    /// Sent to my agency in my jurisdiction.
    Inbox,
    /// Sent by my agency from my jurisdiction.
    Outbox,
    /// Both.
    #[default]
    All,
}

#[derive(Debug, Default, Clone)]
pub struct TaskFilter {
    pub task_box: TaskBox,
    pub status: Option<TaskStatus>,
    pub kind: Option<TaskKind>,
    /// Live tasks past their due time.
    pub overdue: Option<bool>,
    pub person_id: Option<i64>,
}

/// Sends a task about a person in the sender's reach.
#[tracing::instrument(skip(state, actor, new), fields(request_id = %actor.request_id))]
pub async fn create(state: &AppState, actor: &Actor, new: NewTask) -> AppResult<TaskRow> {
    let principal = &actor.principal;
    access::require(principal, Data::Tasks, Access::ReadWrite)?;
    if !policy::may_send(new.kind, principal.agency, new.to_agency) {
        return Err(AppError::forbidden(crate::msg!(
            "task-may-not-send",
            agency = principal.agency.to_string(),
            kind = new.kind.to_string(),
            to = new.to_agency.to_string()
        )));
    }
    if new.due_at.is_some_and(|due| due < Utc::now()) {
        return Err(AppError::bad_input(
            "input.dueAt",
            crate::msg!("must-not-be-in-the-past"),
        ));
    }
    db::write_retrying!(&state.db, |txn| {
        let person = persons::find_for_write(&txn, principal, new.person_id).await?;
        let to_unit = route_unit(
            &state.orgs,
            new.kind,
            new.to_agency,
            &person,
            new.to_unit.as_ref(),
        )?;
        let task = open_in(
            &txn,
            actor,
            Opening {
                kind: new.kind,
                person: &person,
                to_agency: new.to_agency,
                to_unit: &to_unit,
                priority: new.priority,
                due_at: new.due_at,
                note: new.note.clone().map(BoundedText::into_inner),
                source: None,
            },
            "createTask",
        )
        .await?;
        Ok(TaskRow { task, person })
    })
}

/// The unit a task of this kind about this person goes to: the receiving agency's unit at
/// the route's level above the person's residence, or a unit below it that still contains
/// the residence (a police station of the person's street, say). Anything else would widen
/// the person to officers the route does not name, and is refused.
pub fn route_unit(
    orgs: &OrgDirectory,
    kind: TaskKind,
    to_agency: Agency,
    person: &person::Model,
    asked: Option<&Arc<OrgUnit>>,
) -> AppResult<Arc<OrgUnit>> {
    let level = policy::receiving_level(kind)
        .ok_or_else(|| AppError::internal(format!("no route for {kind} tasks")))?;
    let named = orgs
        .ancestor_at(&person.residence_path, org_units::depth(level))?
        .ok_or_else(|| AppError::internal("a residence lies above the route's level"))?;
    match asked {
        None => Ok(named),
        Some(unit)
            if named.path.contains(&unit.path)
                && unit.path.contains_str(&person.residence_path) =>
        {
            Ok(unit.clone())
        }
        Some(unit) => Err(AppError::forbidden(crate::msg!(
            "task-route",
            kind = kind.to_string(),
            to = to_agency.to_string(),
            level = level.to_string(),
            code = named.code.clone(),
            name = named.name.clone(),
            asked_code = unit.code.clone(),
            asked_name = unit.name.clone()
        ))),
    }
}

/// A task to open, by hand or by a flow that calls for one.
pub struct Opening<'a> {
    pub kind: TaskKind,
    pub person: &'a person::Model,
    pub to_agency: Agency,
    pub to_unit: &'a OrgUnit,
    pub priority: TaskPriority,
    pub due_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    /// The record whose change opened the task, e.g. ("Quarantine", 7).
    pub source: Option<(&'static str, i64)>,
}

/// Opens a task on the caller's transaction (also used by flows: an absconding opens an
/// ENFORCE_ISOLATION task for the police, and so on).
pub async fn open_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    opening: Opening<'_>,
    operation: &str,
) -> Result<task::Model, WriteError> {
    let principal = &actor.principal;
    let now = Utc::now();
    let inserted = task::Entity::insert(task::ActiveModel {
        kind: Set(opening.kind),
        person_id: Set(opening.person.id),
        from_agency: Set(principal.agency),
        from_org_id: Set(principal.org.id),
        from_path: Set(principal.jurisdiction().as_str().to_owned()),
        from_subject: Set(principal.subject.clone()),
        to_agency: Set(opening.to_agency),
        to_org_id: Set(opening.to_unit.id),
        to_path: Set(opening.to_unit.path.as_str().to_owned()),
        priority: Set(opening.priority),
        status: Set(TaskStatus::Open),
        due_at: Set(opening.due_at),
        note: Set(opening.note),
        outcome_note: Set(None),
        source_entity_type: Set(opening.source.map(|s| s.0.to_owned())),
        source_entity_id: Set(opening.source.map(|s| s.1)),
        accepted_at: Set(None),
        closed_at: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(txn)
    .await?;
    actor
        .record_write(txn, operation, "Task", &[inserted.id], None)
        .await?;
    Ok(inserted)
}

/// Moves a task along `task_rules`: the receiver accepts, completes or rejects; the sender
/// cancels.
#[tracing::instrument(skip(state, actor, action), fields(request_id = %actor.request_id))]
pub async fn act(
    state: &AppState,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    action: Action,
) -> AppResult<TaskRow> {
    let principal = &actor.principal;
    access::require(principal, Data::Tasks, Access::ReadWrite)?;
    db::write_retrying!(&state.db, |txn| {
        let (current, person) = task::Entity::find_by_id(id)
            .find_also_related(person::Entity)
            .filter(scope::tasks_in_reach(principal))
            .one(&txn)
            .await?
            .ok_or(AppError::NotFound { entity: "Task" })?;
        let person =
            person.ok_or_else(|| AppError::internal(format!("task {id} has no person")))?;
        if current.version != expected_version {
            return Err(AppError::Conflict {
                entity: "Task",
                id,
                current_version: current.version,
            }
            .into());
        }
        let sides = scope::task_sides(principal, &current);
        let next = action.target();
        task_rules::check(current.status, next, &sides)
            .map_err(|m| AppError::bad_input("id", m))?;
        let now = Utc::now();
        let mut changes = task::ActiveModel {
            status: Set(next),
            version: Set(current.version + 1),
            updated_at: Set(now),
            ..Default::default()
        };
        let mut reason = None;
        match &action {
            Action::Accept => changes.accepted_at = Set(Some(now)),
            Action::Complete(note) | Action::Cancel(note) => {
                changes.closed_at = Set(Some(now));
                changes.outcome_note = Set(note.clone().map(BoundedText::into_inner));
            }
            Action::Reject(why) => {
                changes.closed_at = Set(Some(now));
                changes.outcome_note = Set(Some(why.clone().into_inner()));
                reason = Some(why.clone().into_inner());
            }
        }
        let mut rows = task::Entity::update_many()
            .set(changes)
            .filter(task::Column::Id.eq(id))
            .filter(task::Column::Version.eq(current.version))
            .exec_with_returning(&txn)
            .await?;
        let Some(updated) = rows.pop() else {
            return Err(super::versioning::lost_update::<task::Entity>(
                &txn,
                "Task",
                id,
                task::Column::Id,
                task::Column::Version,
            )
            .await
            .into());
        };
        actor
            .record_write(&txn, action.operation(), "Task", &[id], reason.as_deref())
            .await?;
        Ok(TaskRow {
            task: updated,
            person,
        })
    })
}

/// One task in reach.
pub async fn get(state: &AppState, actor: &Actor, id: i64) -> AppResult<TaskRow> {
    access::require(&actor.principal, Data::Tasks, Access::Pseudonymized)?;
    let (task, person) = task::Entity::find_by_id(id)
        .find_also_related(person::Entity)
        .filter(scope::tasks_in_reach(&actor.principal))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound { entity: "Task" })?;
    let person = person.ok_or_else(|| AppError::internal(format!("task {id} has no person")))?;
    Ok(TaskRow { task, person })
}

/// Tasks in reach, newest first.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    filter: &TaskFilter,
    page: &PageRequest,
) -> AppResult<Page<TaskRow>> {
    access::require(&actor.principal, Data::Tasks, Access::Pseudonymized)?;
    let condition = list_condition(&actor.principal, filter);
    let page =
        newest_with_persons::<task::Entity>(&state.db, condition, task::Column::Id, page).await?;
    Ok(page.map(|(task, person)| TaskRow { task, person }))
}

pub async fn count(state: &AppState, actor: &Actor, filter: &TaskFilter) -> AppResult<u64> {
    access::require(&actor.principal, Data::Tasks, Access::Pseudonymized)?;
    Ok(task::Entity::find()
        .filter(list_condition(&actor.principal, filter))
        .count(&state.db)
        .await?)
}

fn list_condition(principal: &Principal, filter: &TaskFilter) -> Condition {
    let mut condition = Condition::all().add(scope::tasks_in_reach(principal));
    match filter.task_box {
        TaskBox::All => {}
        TaskBox::Inbox => condition = condition.add(task::Column::ToAgency.eq(principal.agency)),
        TaskBox::Outbox => condition = condition.add(task::Column::FromAgency.eq(principal.agency)),
    }
    if let Some(status) = filter.status {
        condition = condition.add(task::Column::Status.eq(status));
    }
    if let Some(kind) = filter.kind {
        condition = condition.add(task::Column::Kind.eq(kind));
    }
    if let Some(overdue) = filter.overdue {
        let live = task::Column::Status.is_in([TaskStatus::Open, TaskStatus::Accepted]);
        let late = Condition::all()
            .add(live)
            .add(task::Column::DueAt.lt(Utc::now()));
        condition = condition.add(if overdue { late } else { late.not() });
    }
    if let Some(person_id) = filter.person_id {
        condition = condition.add(task::Column::PersonId.eq(person_id));
    }
    condition
}

/// Whether the principal receives a live task about this person (the widening of a task).
pub async fn widens(
    db: &impl ConnectionTrait,
    principal: &Principal,
    person_id: i64,
) -> AppResult<bool> {
    let Some(tasked) = scope::persons_with_live_tasks(principal) else {
        return Ok(false);
    };
    Ok(task::Entity::find()
        .filter(task::Column::PersonId.eq(person_id))
        .filter(task::Column::PersonId.in_subquery(tasked))
        .count(db)
        .await?
        > 0)
}

/// Whether a task is in the principal's reach: the rule of `scope::tasks_in_reach`, for one
/// task in memory (live task updates).
pub fn in_reach(principal: &Principal, task: &task::Model) -> bool {
    if principal.agency == Agency::Command {
        let j = principal.jurisdiction();
        return j.contains_str(&task.from_path) || j.contains_str(&task.to_path);
    }
    !sides(principal, task).is_empty()
}

/// The side(s) the principal is on for a task: what it may do with it.
pub fn sides(principal: &Principal, task: &task::Model) -> Vec<Side> {
    scope::task_sides(principal, task)
}

/// The receiver-side view of a task's subject lasts while the task is live.
pub fn receiver_sees_subject(principal: &Principal, task: &task::Model) -> bool {
    policy::task_widens(principal.role)
        && task_rules::is_live(task.status)
        && sides(principal, task).contains(&Side::Receiver)
}
