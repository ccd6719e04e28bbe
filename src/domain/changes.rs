//! The change feed (变更流): every record created or changed in the caller's reach since a
//! cursor, in commit order, so that a mobile client back from an offline shift, or a
//! partner agency's system, catches up exactly without reading whole lists again.
//!
//! It reads the change log (`events::change_log`), whose ids are handed out in commit
//! order, forward from the cursor. A record changed several times since the cursor comes
//! once, at its latest change, as it is now: a reader that pages to the end has every
//! record's current state once. Whether a record is in reach is decided in the same
//! statement, by the same scope rules as the record's own query, so a page holds only
//! what the caller may see and its cursor never points into someone else's records.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{
    alert, case, change_log, checkpoint_entry, contact, health_check, lab_test, person, quarantine,
    task,
};
use sea_orm::{
    sea_query::{Alias, Expr, ExprTrait, Query},
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Related,
};

use super::{
    alerts,
    cases::CaseRow,
    contacts::ContactRow,
    pagination::{not_this_list, Page, PageRequest},
    quarantines::QuarantineRow,
    tasks::TaskRow,
    values::Cursor,
};
use crate::{
    access::{self, scope, Access, Data},
    audit::Actor,
    auth::Principal,
    error::{AppError, AppResult},
    events::change_log::{self as log, Position},
    state::AppState,
};

/// The list name in the feed's cursors.
pub const LIST: &str = "changes";

/// The kinds of record the feed carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeType {
    Person,
    Case,
    Contact,
    Quarantine,
    HealthCheck,
    LabTest,
    CheckpointEntry,
    Task,
    Alert,
}

impl ChangeType {
    pub const ALL: [Self; 9] = [
        Self::Person,
        Self::Case,
        Self::Contact,
        Self::Quarantine,
        Self::HealthCheck,
        Self::LabTest,
        Self::CheckpointEntry,
        Self::Task,
        Self::Alert,
    ];

    /// The name the change log (and the audit trail) files records of this kind under.
    pub fn entity_type(self) -> &'static str {
        match self {
            Self::Person => "Person",
            Self::Case => "Case",
            Self::Contact => "Contact",
            Self::Quarantine => "Quarantine",
            Self::HealthCheck => "HealthCheck",
            Self::LabTest => "LabTest",
            Self::CheckpointEntry => "CheckpointEntry",
            Self::Task => "Task",
            Self::Alert => "Alert",
        }
    }

    fn from_entity_type(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.entity_type() == name)
    }

    /// What one must be able to read to see changes of this kind: what the kind's own
    /// query needs.
    pub fn needs(self) -> (Data, Access) {
        match self {
            Self::Person => (Data::PersonIdentity, Access::Pseudonymized),
            Self::Case => (Data::CaseStatus, Access::Pseudonymized),
            Self::Contact => (Data::Contacts, Access::Pseudonymized),
            Self::Quarantine => (Data::Quarantine, Access::Pseudonymized),
            Self::HealthCheck => (Data::HealthChecks, Access::Pseudonymized),
            Self::LabTest => (Data::CaseClinical, Access::Pseudonymized),
            Self::CheckpointEntry => (Data::CheckpointEntries, Access::Pseudonymized),
            Self::Task => (Data::Tasks, Access::Pseudonymized),
            Self::Alert => (Data::CaseStatus, Access::Read),
        }
    }

    fn readable_by(self, principal: &Principal) -> bool {
        let (data, required) = self.needs();
        access::access(principal.agency, principal.role, data) >= required
    }

    /// The change log row's record, of this kind, is in the principal's reach: the scope
    /// rule of the kind's own query, as a correlated `EXISTS` (one index probe per row).
    fn in_reach(self, principal: &Principal, visible_alerts: &[entity::AlertKind]) -> Condition {
        Condition::all()
            .add(change_log::Column::EntityType.eq(self.entity_type()))
            .add(self.reach(principal, visible_alerts))
    }

    /// The scope rule of the kind's own query, as an `EXISTS` on the kind's table correlated
    /// with `change_log.entity_id`.
    fn reach(self, principal: &Principal, visible_alerts: &[entity::AlertKind]) -> Expr {
        let scope = self.scope(principal, visible_alerts);
        match self {
            Self::Person => exists_in::<person::Entity>(person::Column::Id, scope),
            Self::Case => exists_in::<case::Entity>(case::Column::Id, scope),
            Self::Contact => exists_in::<contact::Entity>(contact::Column::Id, scope),
            Self::Quarantine => exists_in::<quarantine::Entity>(quarantine::Column::Id, scope),
            Self::HealthCheck => exists_in::<health_check::Entity>(health_check::Column::Id, scope),
            Self::LabTest => exists_in::<lab_test::Entity>(lab_test::Column::Id, scope),
            Self::CheckpointEntry => {
                exists_in::<checkpoint_entry::Entity>(checkpoint_entry::Column::Id, scope)
            }
            Self::Task => exists_in::<task::Entity>(task::Column::Id, scope),
            Self::Alert => exists_in::<alert::Entity>(alert::Column::Id, scope),
        }
    }

    /// The scope rule of the kind's own query, on the kind's own table: what a snapshot of
    /// this kind holds (`domain::snapshot`).
    pub fn scope(self, principal: &Principal, visible_alerts: &[entity::AlertKind]) -> Condition {
        match self {
            Self::Person => scope::persons_in_jurisdiction(principal),
            Self::Case => scope::cases_in_reach(principal),
            Self::Contact => scope::contacts_in_reach(principal),
            Self::Quarantine => scope::about_residents(quarantine::Column::PersonId, principal),
            Self::HealthCheck => scope::about_residents(health_check::Column::PersonId, principal),
            Self::LabTest => scope::about_residents(lab_test::Column::PersonId, principal),
            Self::CheckpointEntry => scope::entries_in_reach(principal),
            Self::Task => scope::tasks_in_reach(principal),
            Self::Alert => Condition::all()
                .add(scope::within(
                    alert::Column::OrgPath,
                    principal.jurisdiction(),
                ))
                .add(alert::Column::Kind.is_in(visible_alerts.iter().copied())),
        }
    }
}

/// `EXISTS (SELECT 1 FROM <E> WHERE <E>.id = change_log.entity_id AND <reach>)`.
fn exists_in<E: EntityTrait>(id: E::Column, reach: Condition) -> Expr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(E::default())
            .and_where(
                Expr::col((E::default(), id))
                    .equals((change_log::Entity, change_log::Column::EntityId)),
            )
            .cond_where(reach)
            .to_owned(),
    )
}

/// One record's latest change since the cursor.
#[derive(Debug, Clone)]
pub struct Change {
    /// Its place in the feed: where it is in the change log.
    pub position: Position,
    pub kind: ChangeType,
    pub entity_id: i64,
    /// The mutation that made the change, e.g. `mutation recordHealthChecks`, or `alert`.
    pub operation: String,
    pub at: DateTime<Utc>,
}

/// The kinds a request reads: those asked for, or every kind the principal may read. Asking
/// for a kind one may not read is BAD_USER_INPUT, so a client is never silently short.
pub fn kinds(principal: &Principal, wanted: Option<&[ChangeType]>) -> AppResult<Vec<ChangeType>> {
    match wanted {
        None => Ok(ChangeType::ALL
            .into_iter()
            .filter(|t| t.readable_by(principal))
            .collect()),
        Some(wanted) => {
            if let Some(refused) = wanted.iter().find(|t| !t.readable_by(principal)) {
                return Err(AppError::bad_input(
                    "types",
                    crate::msg!(
                        "changes-kind-not-read",
                        agency = principal.agency.to_string(),
                        kind = refused.entity_type()
                    ),
                ));
            }
            let mut kinds: Vec<ChangeType> = Vec::new();
            for kind in wanted {
                if !kinds.contains(kind) {
                    kinds.push(*kind);
                }
            }
            Ok(kinds)
        }
    }
}

/// Where a page starts: the beginning, or the position a cursor of this list names.
fn start(page: &PageRequest) -> AppResult<Position> {
    match page.after {
        None => Ok(Position::default()),
        Some(Cursor::Pair(tx, id)) => Ok(Position { tx, id }),
        Some(Cursor::Id(_) | Cursor::PathId(..)) => Err(not_this_list()),
    }
}

/// The cursor of a change in the feed.
pub fn cursor_of(change: &Change) -> String {
    Cursor::Pair(change.position.tx, change.position.id).encode(LIST)
}

/// A page of the feed after the cursor, oldest first: one statement, whatever the page.
#[tracing::instrument(skip(state, actor), fields(request_id = %actor.request_id))]
pub async fn list(
    state: &AppState,
    actor: &Actor,
    kinds: &[ChangeType],
    page: &PageRequest,
) -> AppResult<Page<Change>> {
    if kinds.is_empty() || page.first == 0 {
        return Ok(Page {
            items: Vec::new(),
            has_next_page: false,
        });
    }
    // A cursor older than what the log keeps would skip what was pruned.
    super::super::events::retention::require_kept(
        &state.db,
        page.after.is_some().then_some(start(page)?),
    )
    .await?;
    let principal = &actor.principal;
    let visible_alerts = alerts::visible_kinds(actor);
    let in_reach = kinds.iter().fold(Condition::any(), |any, kind| {
        any.add(kind.in_reach(principal, &visible_alerts))
    });
    // A later row for the same record: this one is superseded, the record comes there.
    let later = Alias::new("later");
    let superseded = Query::select()
        .expr(Expr::val(1))
        .from_as(change_log::Entity, later.clone())
        .and_where(
            Expr::col((later.clone(), change_log::Column::EntityType))
                .equals((change_log::Entity, change_log::Column::EntityType)),
        )
        .and_where(
            Expr::col((later.clone(), change_log::Column::EntityId))
                .equals((change_log::Entity, change_log::Column::EntityId)),
        )
        .and_where(
            Expr::tuple([
                Expr::col((later.clone(), change_log::Column::Tx)),
                Expr::col((later, change_log::Column::Id)),
            ])
            .gt(Expr::tuple([
                Expr::col((change_log::Entity, change_log::Column::Tx)),
                Expr::col((change_log::Entity, change_log::Column::Id)),
            ])),
        )
        .to_owned();
    let select = change_log::Entity::find()
        .filter(log::after(start(page)?, state.db.get_database_backend()))
        .filter(in_reach)
        .filter(Expr::exists(superseded).not());
    let rows = log::in_order(select)
        .limit(page.first + 1)
        .all(&state.db)
        .await?;
    let changes = rows
        .into_iter()
        .filter_map(|row| {
            Some(Change {
                position: Position::of(&row),
                kind: ChangeType::from_entity_type(&row.entity_type)?,
                entity_id: row.entity_id,
                operation: row.operation,
                at: row.at,
            })
        })
        .collect();
    Ok(Page::from_overfetch(changes, page.first))
}

/// The changed records of a page as they are now, one statement per kind present.
#[derive(Default)]
pub struct Records {
    pub persons: HashMap<i64, person::Model>,
    pub cases: HashMap<i64, CaseRow>,
    pub contacts: HashMap<i64, ContactRow>,
    pub quarantines: HashMap<i64, QuarantineRow>,
    pub health_checks: HashMap<i64, health_check::Model>,
    pub lab_tests: HashMap<i64, lab_test::Model>,
    pub checkpoint_entries: HashMap<i64, checkpoint_entry::Model>,
    pub tasks: HashMap<i64, TaskRow>,
    pub alerts: HashMap<i64, alert::Model>,
}

pub async fn records(db: &impl ConnectionTrait, changes: &[Change]) -> AppResult<Records> {
    let ids = |kind: ChangeType| -> Vec<i64> {
        changes
            .iter()
            .filter(|c| c.kind == kind)
            .map(|c| c.entity_id)
            .collect()
    };
    Ok(Records {
        persons: by_id::<person::Entity>(db, person::Column::Id, ids(ChangeType::Person), |p| p.id)
            .await?,
        cases: with_persons::<case::Entity>(db, case::Column::Id, ids(ChangeType::Case))
            .await?
            .into_iter()
            .map(|(case, person)| (case.id, CaseRow { case, person }))
            .collect(),
        contacts: with_persons::<contact::Entity>(
            db,
            contact::Column::Id,
            ids(ChangeType::Contact),
        )
        .await?
        .into_iter()
        .map(|(contact, person)| (contact.id, ContactRow { contact, person }))
        .collect(),
        quarantines: with_persons::<quarantine::Entity>(
            db,
            quarantine::Column::Id,
            ids(ChangeType::Quarantine),
        )
        .await?
        .into_iter()
        .map(|(quarantine, person)| (quarantine.id, QuarantineRow { quarantine, person }))
        .collect(),
        health_checks: by_id::<health_check::Entity>(
            db,
            health_check::Column::Id,
            ids(ChangeType::HealthCheck),
            |c| c.id,
        )
        .await?,
        lab_tests: by_id::<lab_test::Entity>(
            db,
            lab_test::Column::Id,
            ids(ChangeType::LabTest),
            |t| t.id,
        )
        .await?,
        checkpoint_entries: by_id::<checkpoint_entry::Entity>(
            db,
            checkpoint_entry::Column::Id,
            ids(ChangeType::CheckpointEntry),
            |e| e.id,
        )
        .await?,
        tasks: with_persons::<task::Entity>(db, task::Column::Id, ids(ChangeType::Task))
            .await?
            .into_iter()
            .map(|(task, person)| (task.id, TaskRow { task, person }))
            .collect(),
        alerts: by_id::<alert::Entity>(db, alert::Column::Id, ids(ChangeType::Alert), |a| a.id)
            .await?,
    })
}

async fn by_id<E: EntityTrait>(
    db: &impl ConnectionTrait,
    id: E::Column,
    ids: Vec<i64>,
    key: impl Fn(&E::Model) -> i64,
) -> AppResult<HashMap<i64, E::Model>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = E::find().filter(id.is_in(ids)).all(db).await?;
    Ok(rows.into_iter().map(|row| (key(&row), row)).collect())
}

async fn with_persons<E>(
    db: &impl ConnectionTrait,
    id: E::Column,
    ids: Vec<i64>,
) -> AppResult<Vec<(E::Model, person::Model)>>
where
    E: EntityTrait + Related<person::Entity>,
{
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = E::find()
        .find_also_related(person::Entity)
        .filter(id.is_in(ids))
        .all(db)
        .await?;
    // Every record has its person (a foreign key).
    Ok(rows
        .into_iter()
        .filter_map(|(row, person)| person.map(|p| (row, p)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::policy::{need, Need};

    fn field(kind: ChangeType) -> &'static str {
        match kind {
            ChangeType::Person => "Change.person",
            ChangeType::Case => "Change.case",
            ChangeType::Contact => "Change.contact",
            ChangeType::Quarantine => "Change.quarantine",
            ChangeType::HealthCheck => "Change.healthCheck",
            ChangeType::LabTest => "Change.labTest",
            ChangeType::CheckpointEntry => "Change.checkpointEntry",
            ChangeType::Task => "Change.task",
            ChangeType::Alert => "Change.alert",
        }
    }

    #[test]
    fn each_kind_of_change_needs_what_its_field_in_the_schema_needs() {
        for kind in ChangeType::ALL {
            let (data, access) = kind.needs();
            assert_eq!(need(field(kind)), Need::Data(data, access), "{kind:?}");
        }
    }

    #[test]
    fn every_kind_is_named_as_the_change_log_names_it() {
        for kind in ChangeType::ALL {
            assert_eq!(ChangeType::from_entity_type(kind.entity_type()), Some(kind));
        }
    }
}
