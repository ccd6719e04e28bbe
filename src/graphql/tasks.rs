//! Tasks between agencies (工作任务).

use async_graphql::{
    connection::{Connection, Edge, EmptyFields},
    Context, Enum, InputObject, Object, Result, SimpleObject, ID,
};
use chrono::{DateTime, Utc};

use super::{
    cases::{text, unit},
    context::{actor, row_id, state},
    enums::{Agency, TaskKind, TaskPriority, TaskStatus},
    org_units::OrgUnit,
    persons::{reached, Person},
    prefetch,
};
use crate::{
    access::{PersonView, Reach},
    domain::{
        pagination::PageRequest,
        tasks::{self, Action, NewTask, TaskBox as DomainBox, TaskFilter as DomainFilter, TaskRow},
        values::{BoundedText, Cursor},
    },
    error::{AppError, AppResult},
    state::AppState,
};

#[derive(Default)]
pub struct TaskQuery;

#[Object]
impl TaskQuery {
    /// One task your agency sent or receives.
    #[graphql(visible = "super::visibility::query_tasks")]
    async fn task(&self, ctx: &Context<'_>, id: ID) -> Result<Task> {
        let row = tasks::get(state(ctx)?, actor(ctx)?, row_id(&id, "id")?).await?;
        Task::from_row(ctx, row)
    }

    /// Tasks your agency sent from your jurisdiction (OUTBOX) or receives for it (INBOX),
    /// newest first. The command reads every task touching its jurisdiction.
    #[graphql(
        visible = "super::visibility::query_tasks",
        complexity = "super::limits::list_cost(first, child_complexity, 1)"
    )]
    async fn tasks(
        &self,
        ctx: &Context<'_>,
        filter: Option<TaskFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Task, TaskCount, EmptyFields>> {
        let state = state(ctx)?;
        let page = PageRequest::parse(
            tasks::LIST,
            first,
            after.as_deref(),
            state.settings.max_page_size,
        )?;
        let filter = filter.unwrap_or_default().into_domain()?;
        let rows = tasks::list(state, actor(ctx)?, &filter, &page).await?;
        let person_ids: Vec<i64> = rows.items.iter().map(|r| r.person.id).collect();
        prefetch::persons(ctx, &prefetch::nodes(ctx).field("person"), &person_ids).await?;
        let mut connection = Connection::with_additional_fields(
            page.after.is_some(),
            rows.has_next_page,
            TaskCount { filter },
        );
        for row in rows.items {
            let cursor = Cursor::Id(row.task.id).encode(tasks::LIST);
            connection
                .edges
                .push(Edge::new(cursor, Task::from_row(ctx, row)?));
        }
        Ok(connection)
    }
}

#[derive(Default)]
pub struct TaskMutation;

#[Object]
impl TaskMutation {
    /// Send a task about a person in your jurisdiction to another agency, for a unit of
    /// theirs (e.g. the police of a district). Which agency may send which kind to whom is
    /// the access policy's; anything else is FORBIDDEN. While the task is open or accepted,
    /// the receiving officers see the person as their agency may.
    #[graphql(visible = "super::visibility::mutation_create_task")]
    async fn create_task(&self, ctx: &Context<'_>, input: CreateTaskInput) -> Result<Task> {
        let state = state(ctx)?;
        let new = input.into_domain(state).await?;
        let row = tasks::create(state, actor(ctx)?, new).await?;
        Task::from_row(ctx, row)
    }

    /// Take up a task sent to your agency (OPEN → ACCEPTED).
    #[graphql(visible = "super::visibility::mutation_create_task")]
    async fn accept_task(&self, ctx: &Context<'_>, id: ID, expected_version: i32) -> Result<Task> {
        act(ctx, id, expected_version, Action::Accept).await
    }

    /// Report a task done, with what was done (ACCEPTED → DONE).
    #[graphql(visible = "super::visibility::mutation_create_task")]
    async fn complete_task(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        outcome: Option<String>,
    ) -> Result<Task> {
        let outcome = text(outcome, 1000, "outcome")?;
        act(ctx, id, expected_version, Action::Complete(outcome)).await
    }

    /// Refuse a task sent to your agency, saying why (OPEN → REJECTED).
    #[graphql(visible = "super::visibility::mutation_create_task")]
    async fn reject_task(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        reason: String,
    ) -> Result<Task> {
        let reason =
            BoundedText::parse(&reason, 1000).map_err(|m| AppError::bad_input("reason", m))?;
        act(ctx, id, expected_version, Action::Reject(reason)).await
    }

    /// Withdraw a task your agency sent (OPEN or ACCEPTED → CANCELLED).
    #[graphql(visible = "super::visibility::mutation_create_task")]
    async fn cancel_task(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        reason: Option<String>,
    ) -> Result<Task> {
        let reason = text(reason, 1000, "reason")?;
        act(ctx, id, expected_version, Action::Cancel(reason)).await
    }
}

async fn act(ctx: &Context<'_>, id: ID, expected_version: i32, action: Action) -> Result<Task> {
    let row = tasks::act(
        state(ctx)?,
        actor(ctx)?,
        row_id(&id, "id")?,
        expected_version,
        action,
    )
    .await?;
    Task::from_row(ctx, row)
}

/// A task one agency hands another (工作任务).
pub struct Task {
    row: TaskRow,
}

impl Task {
    /// A task pushed to a subscriber (its read is recorded by the subscription).
    pub(super) fn live(row: TaskRow) -> Self {
        Self { row }
    }

    pub(super) fn from_row(ctx: &Context<'_>, row: TaskRow) -> Result<Self> {
        actor(ctx)?.record_reads("Task", [row.task.id])?;
        Ok(Self { row })
    }
}

#[Object]
impl Task {
    async fn id(&self) -> ID {
        ID::from(self.row.task.id.to_string())
    }

    async fn kind(&self) -> TaskKind {
        self.row.task.kind.into()
    }

    /// The person the task is about: while it is live, the receiving officers see them as
    /// their agency may, wherever they live.
    async fn person(&self, ctx: &Context<'_>) -> Result<Person> {
        let principal = &actor(ctx)?.principal;
        if tasks::receiver_sees_subject(principal, &self.row.task) {
            actor(ctx)?.record_reads("Person", [self.row.person.id])?;
            return Ok(Person(PersonView::new(
                principal,
                self.row.person.clone(),
                Reach::Task,
            )));
        }
        reached(ctx, self.row.person.clone()).await
    }

    async fn from_agency(&self) -> Agency {
        self.row.task.from_agency.into()
    }

    /// The sending unit.
    #[graphql(name = "fromUnit")]
    async fn sending_unit(&self, ctx: &Context<'_>) -> Result<Option<OrgUnit>> {
        Ok(state(ctx)?
            .orgs
            .cached_by_id(self.row.task.from_org_id)?
            .map(|u| OrgUnit(u.clone())))
    }

    async fn to_agency(&self) -> Agency {
        self.row.task.to_agency.into()
    }

    /// The receiving unit: officers of the receiving agency there (and in the units below)
    /// receive the task.
    async fn to_unit(&self, ctx: &Context<'_>) -> Result<Option<OrgUnit>> {
        Ok(state(ctx)?
            .orgs
            .cached_by_id(self.row.task.to_org_id)?
            .map(|u| OrgUnit(u.clone())))
    }

    async fn priority(&self) -> TaskPriority {
        self.row.task.priority.into()
    }

    async fn status(&self) -> TaskStatus {
        self.row.task.status.into()
    }

    async fn due_at(&self) -> Option<DateTime<Utc>> {
        self.row.task.due_at
    }

    /// Still open or accepted after its due time.
    async fn overdue(&self) -> bool {
        crate::domain::task_rules::is_live(self.row.task.status)
            && self.row.task.due_at.is_some_and(|due| due < Utc::now())
    }

    /// What the sender asks, free text.
    #[graphql(visible = "super::visibility::task_notes")]
    async fn note(&self) -> Option<&str> {
        self.row.task.note.as_deref()
    }

    /// What was done, or why the task was refused or withdrawn.
    #[graphql(visible = "super::visibility::task_notes")]
    async fn outcome_note(&self) -> Option<&str> {
        self.row.task.outcome_note.as_deref()
    }

    /// The record whose change opened the task by itself (an absconding, a vulnerable
    /// resident put under home observation), if it was not sent by hand.
    async fn source(&self) -> Option<TaskSource> {
        match (
            &self.row.task.source_entity_type,
            self.row.task.source_entity_id,
        ) {
            (Some(entity_type), Some(id)) => Some(TaskSource {
                entity_type: entity_type.clone(),
                entity_id: ID::from(id.to_string()),
            }),
            _ => None,
        }
    }

    /// What you may do with it: SENDER, RECEIVER, or both.
    async fn your_sides(&self, ctx: &Context<'_>) -> Result<Vec<TaskSide>> {
        let principal = &actor(ctx)?.principal;
        Ok(tasks::sides(principal, &self.row.task)
            .into_iter()
            .map(|side| match side {
                crate::domain::task_rules::Side::Sender => TaskSide::Sender,
                crate::domain::task_rules::Side::Receiver => TaskSide::Receiver,
            })
            .collect())
    }

    async fn accepted_at(&self) -> Option<DateTime<Utc>> {
        self.row.task.accepted_at
    }

    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.row.task.closed_at
    }

    async fn version(&self) -> i32 {
        self.row.task.version
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.row.task.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.row.task.updated_at
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum TaskSide {
    /// Your agency sent it: you may cancel it.
    Sender,
    /// Your agency receives it: you may accept, complete or reject it.
    Receiver,
}

/// The record that opened a task.
#[derive(SimpleObject)]
pub struct TaskSource {
    entity_type: String,
    entity_id: ID,
}

/// Extra fields of the tasks list.
pub struct TaskCount {
    filter: DomainFilter,
}

#[Object]
impl TaskCount {
    /// Number of tasks matching, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(tasks::count(state(ctx)?, actor(ctx)?, &self.filter).await?)
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum TaskBox {
    /// Sent to your agency in your jurisdiction.
    Inbox,
    /// Sent by your agency from your jurisdiction.
    Outbox,
    /// Both.
    #[default]
    All,
}

/// Narrows the tasks list.
#[derive(InputObject, Default)]
pub struct TaskFilter {
    #[graphql(name = "box")]
    task_box: Option<TaskBox>,
    status: Option<TaskStatus>,
    kind: Option<TaskKind>,
    /// Only live tasks past their due time (true), or all others (false).
    overdue: Option<bool>,
    /// Tasks about this person.
    person: Option<ID>,
}

impl TaskFilter {
    fn into_domain(self) -> AppResult<DomainFilter> {
        Ok(DomainFilter {
            task_box: match self.task_box.unwrap_or_default() {
                TaskBox::Inbox => DomainBox::Inbox,
                TaskBox::Outbox => DomainBox::Outbox,
                TaskBox::All => DomainBox::All,
            },
            status: self.status.map(Into::into),
            kind: self.kind.map(Into::into),
            overdue: self.overdue,
            person_id: self
                .person
                .map(|id| row_id(&id, "filter.person"))
                .transpose()?,
        })
    }
}

/// A task to send.
#[derive(InputObject)]
pub struct CreateTaskInput {
    kind: TaskKind,
    /// A person in your jurisdiction.
    person: ID,
    to_agency: Agency,
    /// Code of the receiving unit. Omit it: the route names the unit (the police of the
    /// person's district, the civil affairs of their street, ...); a unit given must be
    /// that one or one below it where the person lives.
    to_org_unit: Option<String>,
    priority: Option<TaskPriority>,
    due_at: Option<DateTime<Utc>>,
    note: Option<String>,
}

impl CreateTaskInput {
    async fn into_domain(self, state: &AppState) -> AppResult<NewTask> {
        Ok(NewTask {
            kind: self.kind.into(),
            person_id: row_id(&self.person, "input.person")?,
            to_agency: self.to_agency.into(),
            to_unit: match &self.to_org_unit {
                Some(code) => Some(unit(state, code, "input.toOrgUnit").await?),
                None => None,
            },
            priority: self
                .priority
                .map_or(entity::TaskPriority::Normal, Into::into),
            due_at: self.due_at,
            note: text(self.note, 1000, "input.note")?,
        })
    }
}
