//! A partner's first full copy (首次全量同步): every record in the caller's reach, paged,
//! that ends in a change-feed cursor to follow from then on.
//!
//! The snapshot is taken at a position of the change log, fixed by its first page and
//! carried in its cursor. A page holds records of the kinds the caller reads, kind after
//! kind, by id, each with the scope of its kind's query and shown as the feed shows it,
//! except records changed after that position: those the feed from the position carries
//! (once, at their latest change). So a record changed while the snapshot is read comes in
//! the feed and not in the snapshot; one changed after its page was read comes in both, each
//! time as it then was, which is the feed's own rule. Following `changes` from the snapshot's
//! cursor therefore misses nothing and repeats nothing. The snapshot reads the tables, not
//! the log: seeded and generated cities, whose records never passed through the log, are in
//! it, and the log can be pruned (`events::retention`) without losing anyone's copy.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::Utc;
use entity::{
    alert, case, change_log, checkpoint_entry, contact, health_check, lab_test, person, quarantine,
    task,
};
use sea_orm::{
    sea_query::{Expr, ExprTrait, Query},
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};

use super::{
    alerts,
    changes::{Change, ChangeType},
    values::Cursor,
};
use crate::{
    audit::Actor,
    error::{AppError, AppResult},
    events::{
        change_log::{self as log, Position},
        retention,
    },
    state::AppState,
};

/// The operation a snapshot's records carry in place of the change that made them.
pub const OPERATION: &str = "snapshot";

/// Where a snapshot stands: the log position it is taken at, and the last record read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotCursor {
    pub at: Position,
    /// The kind of the last record read (its place in [`ChangeType::ALL`]).
    pub kind: usize,
    pub last_id: i64,
}

const PREFIX: &str = "snapshot:";
const MAX_CURSOR_LEN: usize = 200;

impl SnapshotCursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!(
            "{PREFIX}{}~{}~{}~{}",
            self.at.tx, self.at.id, self.kind, self.last_id
        ))
    }

    pub fn decode(raw: &str) -> Option<Self> {
        if raw.len() > MAX_CURSOR_LEN {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
        let text = std::str::from_utf8(&bytes).ok()?.strip_prefix(PREFIX)?;
        let mut parts = text.split('~');
        let mut next = || -> Option<i64> {
            let part = parts.next()?;
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            part.parse().ok()
        };
        let (tx, id, kind, last_id) = (next()?, next()?, next()?, next()?);
        let kind = usize::try_from(kind)
            .ok()
            .filter(|k| *k < ChangeType::ALL.len())?;
        if parts.next().is_some() {
            return None;
        }
        Some(Self {
            at: Position { tx, id },
            kind,
            last_id,
        })
    }
}

/// One page of a snapshot.
pub struct SnapshotPage {
    pub items: Vec<Change>,
    pub has_next_page: bool,
    /// Where the next page starts.
    pub end: SnapshotCursor,
    /// The change-feed cursor to follow once the snapshot has been read to its end.
    pub changes_cursor: String,
}

/// A page of the snapshot after `after` (from the start without one): at most `first`
/// records of the given kinds.
#[tracing::instrument(skip(state, actor), fields(request_id = %actor.request_id))]
pub async fn page(
    state: &AppState,
    actor: &Actor,
    kinds: &[ChangeType],
    first: u64,
    after: Option<&str>,
) -> AppResult<SnapshotPage> {
    let after = after
        .map(|raw| {
            SnapshotCursor::decode(raw)
                .ok_or_else(|| AppError::bad_input("after", crate::msg!("snapshot-cursor-invalid")))
        })
        .transpose()?;
    let at = match after {
        Some(cursor) => cursor.at,
        // Where the log ends now; after a pruning that left it empty, the pruning's line.
        None => log::end(&state.db).await?.max(
            retention::pruned_through(&state.db)
                .await?
                .unwrap_or_default(),
        ),
    };
    // A snapshot whose position the log no longer holds would end in a gap.
    retention::require_kept(&state.db, Some(at)).await?;
    let mut end = after.unwrap_or(SnapshotCursor {
        at,
        kind: 0,
        last_id: 0,
    });
    let visible_alerts = alerts::visible_kinds(actor);
    let now = Utc::now();
    let txn = state.db.begin().await?;
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        // A page reads a kind's records in id order until it has `first + 1` in scope. A
        // scope such as "the checkpoint is inside, or the traveller lives inside" is an OR
        // with an EXISTS on the persons, which PostgreSQL plans for the whole table, not the
        // page: it hashes every resident of the jurisdiction first (135,000 for a district,
        // 50 ms a page) rather than probe the few hundred rows the page reads (4 ms). A hash
        // only fits in a small memory budget when the jurisdiction is small (a community's
        // residents, where hashing is the cheaper way), so this budget makes the planner
        // probe exactly where probing is cheaper. It holds for this transaction only.
        txn.execute_unprepared("SET LOCAL work_mem = '64kB'")
            .await?;
    }
    let mut items: Vec<Change> = Vec::new();
    let mut has_next_page = false;
    for (index, kind) in ChangeType::ALL.into_iter().enumerate() {
        if index < end.kind || !kinds.contains(&kind) {
            continue;
        }
        let from = if index == end.kind { end.last_id } else { 0 };
        let room = first.saturating_sub(items.len() as u64);
        let scope = kind.scope(&actor.principal, &visible_alerts);
        // One more than there is room for: it only says that there is more.
        let ids = unchanged_since(&txn, kind, scope, at, from, room + 1).await?;
        let more = ids.len() as u64 > room;
        for id in ids
            .into_iter()
            .take(usize::try_from(room).unwrap_or(usize::MAX))
        {
            end = SnapshotCursor {
                at,
                kind: index,
                last_id: id,
            };
            items.push(Change {
                position: at,
                kind,
                entity_id: id,
                operation: OPERATION.to_owned(),
                at: now,
            });
        }
        if more {
            has_next_page = true;
            break;
        }
    }
    txn.commit().await?;
    Ok(SnapshotPage {
        items,
        has_next_page,
        end,
        changes_cursor: Cursor::Pair(at.tx, at.id).encode(super::changes::LIST),
    })
}

/// Ids of the records of a kind in scope, after `from`, that no change after `at` touched.
async fn unchanged_since(
    db: &impl ConnectionTrait,
    kind: ChangeType,
    scope: Condition,
    at: Position,
    from: i64,
    limit: u64,
) -> AppResult<Vec<i64>> {
    match kind {
        ChangeType::Person => {
            ids::<person::Entity>(db, person::Column::Id, kind, scope, at, from, limit).await
        }
        ChangeType::Case => {
            ids::<case::Entity>(db, case::Column::Id, kind, scope, at, from, limit).await
        }
        ChangeType::Contact => {
            ids::<contact::Entity>(db, contact::Column::Id, kind, scope, at, from, limit).await
        }
        ChangeType::Quarantine => {
            ids::<quarantine::Entity>(db, quarantine::Column::Id, kind, scope, at, from, limit)
                .await
        }
        ChangeType::HealthCheck => {
            ids::<health_check::Entity>(db, health_check::Column::Id, kind, scope, at, from, limit)
                .await
        }
        ChangeType::LabTest => {
            ids::<lab_test::Entity>(db, lab_test::Column::Id, kind, scope, at, from, limit).await
        }
        ChangeType::CheckpointEntry => {
            ids::<checkpoint_entry::Entity>(
                db,
                checkpoint_entry::Column::Id,
                kind,
                scope,
                at,
                from,
                limit,
            )
            .await
        }
        ChangeType::Task => {
            ids::<task::Entity>(db, task::Column::Id, kind, scope, at, from, limit).await
        }
        ChangeType::Alert => {
            ids::<alert::Entity>(db, alert::Column::Id, kind, scope, at, from, limit).await
        }
    }
}

async fn ids<E: EntityTrait>(
    db: &impl ConnectionTrait,
    id: E::Column,
    kind: ChangeType,
    scope: Condition,
    at: Position,
    from: i64,
    limit: u64,
) -> AppResult<Vec<i64>> {
    // A change after the snapshot's position: the feed carries this record.
    let changed_since = Query::select()
        .expr(Expr::val(1))
        .from(change_log::Entity)
        .and_where(
            Expr::col((change_log::Entity, change_log::Column::EntityType)).eq(kind.entity_type()),
        )
        .and_where(
            Expr::col((change_log::Entity, change_log::Column::EntityId))
                .equals((E::default(), id)),
        )
        .and_where(
            Expr::tuple([
                Expr::col((change_log::Entity, change_log::Column::Tx)),
                Expr::col((change_log::Entity, change_log::Column::Id)),
            ])
            .gt(Expr::tuple([Expr::val(at.tx), Expr::val(at.id)])),
        )
        .to_owned();
    Ok(E::find()
        .select_only()
        .column(id)
        .filter(scope)
        .filter(id.gt(from))
        .filter(Expr::exists(changed_since).not())
        .order_by_asc(id)
        .limit(limit)
        .into_tuple::<i64>()
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_cursors_round_trip_and_refuse_others() {
        let cursor = SnapshotCursor {
            at: Position { tx: 7, id: 42 },
            kind: 3,
            last_id: 99,
        };
        assert_eq!(SnapshotCursor::decode(&cursor.encode()), Some(cursor));
        assert_eq!(
            SnapshotCursor::decode(&Cursor::Pair(7, 42).encode("changes")),
            None
        );
        let beyond = URL_SAFE_NO_PAD.encode("snapshot:1~2~9~3");
        assert_eq!(SnapshotCursor::decode(&beyond), None);
    }
}
