//! Layer 2 of the policy as SQL: rows inside the principal's jurisdiction.
//!
//! A person is inside when their residence grid is. A case is in reach when its person
//! lives inside or it was reported by a unit inside; a contact when its person lives
//! inside, it was traced by a unit inside, or its source case is in reach. Everything else
//! about a person (observation, checks, tests) follows the person's residence. A checkpoint
//! entry is in reach at the checkpoint's unit and at the traveller's destination.

use entity::{
    case, checkpoint_entry, contact, person, quarantine, task, Agency, TaskKind, TaskStatus,
};
use sea_orm::{
    sea_query::{Expr, ExprTrait, Query, SelectStatement},
    ColumnTrait, Condition,
};

use super::{
    person_view::Reach,
    policy::{person_rows, task_widens, PersonRows},
};
use crate::{
    auth::Principal,
    domain::{task_rules::Side, values::OrgPath},
};

/// `column` (a materialized path) lies in the subtree of `path`: a range on a
/// byte-ordered index.
pub fn within(column: impl ColumnTrait, path: &OrgPath) -> Condition {
    Condition::all()
        .add(column.gte(path.as_str()))
        .add(column.lt(path.upper_bound()))
}

/// The persons a principal reaches in its own jurisdiction: residents of its subtree, not
/// merged away, narrowed per agency (civil affairs: vulnerable or under observation).
pub fn persons_in_jurisdiction(principal: &Principal) -> Condition {
    let base = residents(principal);
    match person_rows(principal.agency) {
        PersonRows::All => base,
        PersonRows::VulnerableOrIsolated => base.add(
            Condition::any()
                .add(person::Column::Vulnerabilities.ne(0))
                .add(person::Column::Id.in_subquery(isolated_person_ids())),
        ),
    }
}

/// Residents of the principal's jurisdiction, whatever the agency.
fn residents(principal: &Principal) -> Condition {
    Condition::all()
        .add(within(
            person::Column::ResidencePath,
            principal.jurisdiction(),
        ))
        .add(person::Column::MergedIntoId.is_null())
}

/// The row's person (`person_column`) meets `condition`: `EXISTS (SELECT 1 FROM person
/// WHERE person.id = <person_column> AND <condition>)`. Correlated, so the database probes
/// the person's primary key for each row it considers, and a page read newest first stops
/// after a page; `person_column IN (SELECT id FROM person WHERE ...)` would instead read
/// every resident of the jurisdiction first, a million of them for a city, whenever it sits
/// under an OR.
fn person_where(person_column: impl ColumnTrait, condition: Condition) -> Condition {
    Condition::all().add(Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(person::Entity)
            .and_where(
                Expr::col((person::Entity, person::Column::Id))
                    .equals(person_column.as_column_ref()),
            )
            .cond_where(condition)
            .to_owned(),
    ))
}

/// `SELECT person_id FROM quarantine WHERE <active>`.
pub fn isolated_person_ids() -> SelectStatement {
    Query::select()
        .column(quarantine::Column::PersonId)
        .from(quarantine::Entity)
        .and_where(quarantine::Column::IsActive.eq(true))
        .to_owned()
}

/// Records whose person lives in `unit` (a filter; it narrows, never widens, the scope).
pub fn persons_living_in(person_column: impl ColumnTrait, unit: &OrgPath) -> Condition {
    person_where(person_column, within(person::Column::ResidencePath, unit))
}

/// Records about a person (observation, checks, tests): the person lives inside.
pub fn about_residents(person_column: impl ColumnTrait, principal: &Principal) -> Condition {
    person_where(person_column, residents(principal))
}

/// Cases in reach: the person lives inside, or a unit inside reported it.
pub fn cases_in_reach(principal: &Principal) -> Condition {
    Condition::any()
        .add(within(
            case::Column::ReportingPath,
            principal.jurisdiction(),
        ))
        .add(about_residents(case::Column::PersonId, principal))
}

/// Contacts in reach: the person lives inside, a unit inside traced it, or its source case
/// is in reach.
pub fn contacts_in_reach(principal: &Principal) -> Condition {
    Condition::any()
        .add(about_residents(contact::Column::PersonId, principal))
        .add(within(
            contact::Column::TracedByPath,
            principal.jurisdiction(),
        ))
        .add(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(case::Entity)
                .and_where(
                    Expr::col((case::Entity, case::Column::Id))
                        .equals((contact::Entity, contact::Column::SourceCaseId)),
                )
                .cond_where(cases_in_reach(principal))
                .to_owned(),
        ))
}

/// Checkpoint entries in reach: the checkpoint is inside, the traveller was heading inside
/// (as recorded), or the entry's person lives inside.
pub fn entries_in_reach(principal: &Principal) -> Condition {
    Condition::any()
        .add(within(
            checkpoint_entry::Column::OrgPath,
            principal.jurisdiction(),
        ))
        .add(within(
            checkpoint_entry::Column::DestinationPath,
            principal.jurisdiction(),
        ))
        .add(about_residents(
            checkpoint_entry::Column::PersonId,
            principal,
        ))
}

/// Entries at a checkpoint in `unit` or heading into it (a filter), and those of persons
/// living in it when `unit` overlaps the principal's jurisdiction (only there: whose home
/// an entry leads to outside it must not show through a filter).
pub fn entries_touching(principal: &Principal, unit: &OrgPath) -> Condition {
    let j = principal.jurisdiction();
    let homes = if j.contains(unit) {
        Some(unit)
    } else if unit.contains(j) {
        Some(j)
    } else {
        None
    };
    let mut condition = Condition::any()
        .add(within(checkpoint_entry::Column::OrgPath, unit))
        .add(within(checkpoint_entry::Column::DestinationPath, unit));
    if let Some(homes) = homes {
        condition = condition.add(persons_living_in(checkpoint_entry::Column::PersonId, homes));
    }
    condition
}

/// The principal's unit and every unit above it, as stored paths (`/1/`, `/1/5/`, ...).
fn ancestors_and_self(path: &OrgPath) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::from("/");
    for segment in path.as_str().split('/').filter(|s| !s.is_empty()) {
        current.push_str(segment);
        current.push('/');
        out.push(current.clone());
    }
    out
}

/// Tasks addressed to the principal's agency for its unit, a unit below it, or a unit above
/// it (an officer of a station receives what is sent to the district).
fn received(principal: &Principal) -> Condition {
    Condition::all()
        .add(task::Column::ToAgency.eq(principal.agency))
        .add(
            Condition::any()
                .add(within(task::Column::ToPath, principal.jurisdiction()))
                .add(task::Column::ToPath.is_in(ancestors_and_self(principal.jurisdiction()))),
        )
}

/// Tasks sent by the principal's agency from inside its jurisdiction.
fn sent(principal: &Principal) -> Condition {
    Condition::all()
        .add(task::Column::FromAgency.eq(principal.agency))
        .add(within(task::Column::FromPath, principal.jurisdiction()))
}

/// Tasks in reach: those the principal's agency sent or receives; the command reads every
/// task touching its jurisdiction.
pub fn tasks_in_reach(principal: &Principal) -> Condition {
    if principal.agency == Agency::Command {
        return Condition::any()
            .add(within(task::Column::FromPath, principal.jurisdiction()))
            .add(within(task::Column::ToPath, principal.jurisdiction()));
    }
    Condition::any()
        .add(sent(principal))
        .add(received(principal))
}

/// The sides of a task the principal acts on.
pub fn task_sides(principal: &Principal, task: &task::Model) -> Vec<Side> {
    let j = principal.jurisdiction();
    let mut sides = Vec::new();
    if task.from_agency == principal.agency && j.contains_str(&task.from_path) {
        sides.push(Side::Sender);
    }
    let below_or_at = j.contains_str(&task.to_path);
    let above = ancestors_and_self(j).contains(&task.to_path);
    if task.to_agency == principal.agency && (below_or_at || above) {
        sides.push(Side::Receiver);
    }
    sides
}

/// Persons who are the subject of a live task the principal receives: the widening a task
/// gives, for its life; `None` for roles a task does not widen.
pub fn persons_with_live_tasks(principal: &Principal) -> Option<SelectStatement> {
    task_widens(principal.role).then(|| {
        Query::select()
            .column(task::Column::PersonId)
            .from(task::Entity)
            .cond_where(
                received(principal)
                    .add(task::Column::Status.is_in([TaskStatus::Open, TaskStatus::Accepted])),
            )
            .to_owned()
    })
}

/// Persons who are the subject of a live task of this kind, whoever sent or received it
/// (a filter on persons already in scope, never a widening).
pub fn persons_with_live_task(kind: TaskKind) -> SelectStatement {
    Query::select()
        .column(task::Column::PersonId)
        .from(task::Entity)
        .and_where(task::Column::Kind.eq(kind))
        .and_where(task::Column::Status.is_in([TaskStatus::Open, TaskStatus::Accepted]))
        .to_owned()
}

/// How a principal reaches a person it meets through another record: in full (per the
/// policy) when the person lives inside and the agency's row rule admits them, else
/// pseudonymized. `isolated`: the person is under active observation.
pub fn reach_of(principal: &Principal, person: &person::Model, isolated: bool) -> Reach {
    let inside = person.merged_into_id.is_none()
        && principal
            .jurisdiction()
            .contains_str(&person.residence_path);
    let admitted = match person_rows(principal.agency) {
        PersonRows::All => true,
        PersonRows::VulnerableOrIsolated => person.vulnerabilities != 0 || isolated,
    };
    if inside && admitted {
        Reach::Jurisdiction
    } else {
        Reach::Related
    }
}

/// Whether `reach_of` needs to know if a person is under observation (only for agencies
/// whose row rule looks at it), so others skip that look-up.
pub fn reach_needs_isolation(principal: &Principal) -> bool {
    person_rows(principal.agency) == PersonRows::VulnerableOrIsolated
}
