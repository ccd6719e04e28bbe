//! The policy's conditions as SQL: which persons are kept (a case or a contact), which are
//! held ([`policy::HOLDS`]), and which stand-downs cover a path. The purge selects with these,
//! and `purgeAt` reads the same facts, so a record goes when its `purgeAt` says.

use chrono::{DateTime, Utc};
use entity::{case, contact, person, quarantine, stand_down, task, TaskStatus};
use sea_orm::{
    sea_query::{Expr, ExprTrait, Query, SimpleExpr},
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryOrder,
};

use super::policy::{Hold, HOLDS};
use crate::{
    domain::values::OrgPath,
    error::{AppError, AppResult},
};

/// The name an anonymized person keeps (the column may not be empty); shown masked as `(**…`.
pub const ANONYMIZED_NAME: &str = "（已匿名）";

/// The person column a subquery correlates with.
fn person_id() -> SimpleExpr {
    Expr::col((person::Entity, person::Column::Id))
}

fn exists_about<E: EntityTrait>(
    entity: E,
    person_column: E::Column,
    extra: Condition,
) -> SimpleExpr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(entity)
            .and_where(Expr::col((entity, person_column)).eq(person_id()))
            .cond_where(extra)
            .to_owned(),
    )
}

/// The person (`person` in the statement) became a case or a contact: their records are the
/// disease-control archive, kept.
pub fn case_or_contact() -> SimpleExpr {
    exists_about(case::Entity, case::Column::PersonId, Condition::all()).or(exists_about(
        contact::Entity,
        contact::Column::PersonId,
        Condition::all(),
    ))
}

/// The condition of one hold, about the person in the statement.
fn hold(which: Hold) -> SimpleExpr {
    match which {
        Hold::OpenCase => exists_about(
            case::Entity,
            case::Column::PersonId,
            Condition::all().add(case::Column::IsOpen.eq(true)),
        ),
        Hold::LiveTask => exists_about(
            task::Entity,
            task::Column::PersonId,
            Condition::all()
                .add(task::Column::Status.is_in([TaskStatus::Open, TaskStatus::Accepted])),
        ),
        Hold::ActiveObservation => exists_about(
            quarantine::Entity,
            quarantine::Column::PersonId,
            Condition::all().add(quarantine::Column::IsActive.eq(true)),
        ),
    }
}

/// The person is under any of the declared holds.
pub fn held() -> SimpleExpr {
    HOLDS
        .iter()
        .map(|(which, ..)| hold(*which))
        .reduce(|a, b| a.or(b))
        .unwrap_or_else(|| Expr::val(false))
}

/// The person is neither kept nor held: their emergency-only records may go.
pub fn purgeable_person() -> Condition {
    Condition::all()
        .add(case_or_contact().not())
        .add(held().not())
}

/// The declared stand-downs, oldest first.
#[derive(Debug, Clone, Default)]
pub struct StandDowns(Vec<(OrgPath, DateTime<Utc>)>);

impl StandDowns {
    pub async fn load(db: &impl ConnectionTrait) -> AppResult<Self> {
        let rows = stand_down::Entity::find()
            .order_by_asc(stand_down::Column::DeclaredAt)
            .all(db)
            .await?;
        rows.into_iter()
            .map(|row| {
                OrgPath::parse(&row.org_path)
                    .map(|path| (path, row.declared_at))
                    .ok_or_else(|| AppError::internal("a stand-down with a malformed path"))
            })
            .collect::<AppResult<_>>()
            .map(Self)
    }

    /// When the response was first stood down for a record at `path` (by its unit or one
    /// above it); `None` while it is not.
    pub fn at(&self, path: &str) -> Option<DateTime<Utc>> {
        self.0
            .iter()
            .filter(|(unit, _)| unit.contains_str(path))
            .map(|(_, at)| *at)
            .min()
    }

    /// `column` (a materialized path) lies under a stand-down declared at or before `by`.
    /// Never true when none is.
    pub fn covers(&self, column: impl ColumnTrait + Copy, by: DateTime<Utc>) -> Condition {
        self.0
            .iter()
            .filter(|(_, at)| *at <= by)
            .fold(Condition::any(), |any, (unit, _)| {
                any.add(crate::access::scope::within(column, unit))
            })
            .add_option((!self.0.iter().any(|(_, at)| *at <= by)).then(|| Expr::val(false)))
    }
}
