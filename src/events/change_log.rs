//! The change log: appending on the writer's transaction, and reading it forward in commit
//! order, for live events and for the change feed alike.
//!
//! Every row carries the id of the transaction that wrote it (`tx`, set by PostgreSQL; 0
//! on SQLite). Readers take rows in `(tx, id)` order, and on PostgreSQL only below the
//! oldest transaction still running: every transaction below that line has committed or
//! rolled back, so a row can never appear behind a reader that has moved on. Writers take
//! no lock for this, so they commit side by side. SQLite runs one writer at a time, so its
//! ids are in commit order already.
//!
//! Writers of what subscriptions carry (alerts and tasks) also send a NOTIFY, which
//! PostgreSQL delivers to every instance's listener only when (and if) the transaction
//! commits. Other writes do not: a NOTIFY serializes its transaction's commit with every
//! other notifying one, and the readers look every 100 ms anyway.

use chrono::{DateTime, Utc};
use entity::change_log;
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ActiveValue::Set,
    Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Select, Statement,
};

use crate::error::AppResult;

/// Channel every instance listens on.
pub const CHANNEL: &str = "lianfang_changes";

/// The kinds of record live subscriptions carry: writing one wakes every instance.
const LIVE: [&str; 2] = ["Alert", "Task"];

/// Below this transaction id every transaction has ended (PostgreSQL).
const HORIZON: &str = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint";

/// A place in the change log, in commit order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub tx: i64,
    pub id: i64,
}

impl Position {
    pub fn of(row: &change_log::Model) -> Self {
        Self {
            tx: row.tx,
            id: row.id,
        }
    }
}

/// Whether writing a record of this kind wakes the subscribers of every instance.
pub fn is_live(entity_type: &str) -> bool {
    LIVE.contains(&entity_type)
}

/// Records that `ids` of `entity_type` were created or changed by `operation`.
pub async fn append(
    txn: &impl ConnectionTrait,
    entity_type: &str,
    ids: &[i64],
    operation: &str,
) -> AppResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let backend = txn.get_database_backend();
    if backend == DbBackend::Postgres && LIVE.contains(&entity_type) {
        // Delivered on commit only.
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            "SELECT pg_notify($1, '')",
            [CHANNEL.into()],
        ))
        .await?;
    }
    let now = Utc::now();
    change_log::Entity::insert_many(ids.iter().map(|id| change_log::ActiveModel {
        entity_type: Set(entity_type.to_owned()),
        entity_id: Set(*id),
        operation: Set(operation.to_owned()),
        at: Set(now),
        // `tx` is the database's own.
        ..Default::default()
    }))
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// The rows after `position` that are final: no transaction still running can add one
/// before them.
pub fn after(position: Position, backend: DbBackend) -> Condition {
    let past = Expr::tuple([
        Expr::col(change_log::Column::Tx),
        Expr::col(change_log::Column::Id),
    ])
    .gt(Expr::tuple([
        Expr::val(position.tx),
        Expr::val(position.id),
    ]));
    let condition = Condition::all().add(past);
    match backend {
        DbBackend::Postgres => {
            condition.add(Expr::col(change_log::Column::Tx).lt(Expr::cust(HORIZON)))
        }
        _ => condition,
    }
}

/// Rows in commit order.
pub fn in_order(select: Select<change_log::Entity>) -> Select<change_log::Entity> {
    select
        .order_by_asc(change_log::Column::Tx)
        .order_by_asc(change_log::Column::Id)
}

/// Where the final part of the log ends now: a reader starting here sees every change
/// committed from now on.
pub async fn end(db: &impl ConnectionTrait) -> AppResult<Position> {
    let backend = db.get_database_backend();
    let last = change_log::Entity::find()
        .filter(after(Position::default(), backend))
        .order_by_desc(change_log::Column::Tx)
        .order_by_desc(change_log::Column::Id)
        .limit(1)
        .one(db)
        .await?;
    Ok(last.as_ref().map(Position::of).unwrap_or_default())
}

/// When the oldest row still held back behind an open transaction was written (PostgreSQL;
/// `None` when nothing waits): what an operator needs to know when live events stall.
pub async fn held_back_since(db: &impl ConnectionTrait) -> AppResult<Option<DateTime<Utc>>> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(None);
    }
    let oldest = change_log::Entity::find()
        .filter(Expr::col(change_log::Column::Tx).gte(Expr::cust(HORIZON)))
        .order_by_asc(change_log::Column::Tx)
        .limit(1)
        .one(db)
        .await?;
    Ok(oldest.map(|row| row.at))
}
