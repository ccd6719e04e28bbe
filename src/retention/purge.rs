//! The purge (数据清除): what the policy says has had its time goes, in bounded batches, each its
//! own short transaction, so that traffic is never held behind it; then one audit event names
//! the run and its counts.
//!
//! - health checks and checkpoint passages of people never a case or a contact, past their
//!   period and their jurisdiction's stand-down: deleted, with the alerts they raised;
//! - persons registered only for the emergency, past the period after the stand-down:
//!   anonymized (the row and its grid stay, so every count built on it stays); the free-text
//!   notes of their observations and tasks go too, and their lab tests (none positive: a
//!   positive test made a case) are deleted; the change feed carries the change;
//! - audit events past the audit period: the record ids and reason go, who did what stays.
//!
//! A person under a legal hold (`policy::HOLDS`) keeps everything. Daily reports, cases and
//! contacts are never touched. The instants each record goes are the `purgeAt` the operators
//! read (`purge_at`); both come from `rules`.

use chrono::{DateTime, Utc};
use entity::{
    alert, audit_event, checkpoint_entry, health_check, lab_test, person, quarantine, stand_down,
    task, Agency, Role,
};
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, JoinType,
    QueryFilter, QueryOrder, QuerySelect, RelationTrait, Select, Statement, TransactionTrait,
    Value,
};
use serde::Serialize;

use super::{
    months,
    rules::{self, StandDowns, ANONYMIZED_NAME},
    Periods,
};
use crate::{
    db::begin_write,
    error::{AppError, AppResult},
    state::AppState,
};

/// Who the audit trail names for a purge.
pub const SUBJECT: &str = "lianfang-retention";
/// The operation and entity type of a purge's audit event.
pub const OPERATION: &str = "purge";
pub const ENTITY_TYPE: &str = "Retention";

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub health_checks_deleted: u64,
    pub checkpoint_entries_deleted: u64,
    pub alerts_deleted: u64,
    pub persons_anonymized: u64,
    /// Lab tests of the persons anonymized (negative or pending: a positive one made a case).
    pub lab_tests_deleted: u64,
    pub audit_events_unlinked: u64,
    /// Months of checks or passages emptied whole (PostgreSQL), their held rows put back.
    pub months_emptied: u64,
    /// Statements that changed rows: one per batch of each kind.
    pub batches: u64,
}

impl Counts {
    pub fn is_empty(&self) -> bool {
        self.health_checks_deleted
            + self.checkpoint_entries_deleted
            + self.persons_anonymized
            + self.lab_tests_deleted
            + self.audit_events_unlinked
            == 0
    }
}

/// Runs `$batch` (one batch, its own transaction) until one comes back short or empty,
/// letting other tasks run between batches. A macro rather than a function taking an async
/// closure: the server spawns the purge, and such a closure's future is not `Send` here.
macro_rules! drain {
    ($kind:literal, $periods:expr, $batch:expr) => {
        let started = std::time::Instant::now();
        let mut batches = 0u64;
        while let Some(n) = $batch.await? {
            batches += 1;
            if n < $periods.batch_rows {
                break;
            }
            tokio::task::yield_now().await;
        }
        if batches > 0 {
            tracing::info!(
                kind = $kind,
                batches,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "purged in batches"
            );
        }
    };
}

/// Purges what is due at `now` (the server passes the current instant; tests pass a later one
/// to see what a schedule does). Returns the counts; files one audit event when anything went.
#[tracing::instrument(skip(state))]
pub async fn run(state: &AppState, now: DateTime<Utc>) -> AppResult<Counts> {
    let db = &state.db;
    let periods = &state.settings.retention;
    let stand_downs = StandDowns::load(db).await?;
    let mut counts = Counts::default();
    // Rows a benchmark or a far-off clock left in a default partition get their month first.
    if let Err(err) = migration::partitioning::prepare(db).await {
        tracing::warn!(error = %crate::error::loggable(&err), "could not prepare the months' partitions");
    }
    let due = |from, to| {
        due_health_checks(&stand_downs, periods, now)
            .filter(health_check::Column::MeasuredAt.gte(from))
            .filter(health_check::Column::MeasuredAt.lt(to))
    };
    months::empty(
        db,
        &months::HEALTH_CHECKS,
        now - periods.health_check,
        due,
        &mut counts,
    )
    .await?;
    let mut after: Cursor = None;
    drain!(
        "health checks",
        periods,
        health_checks(db, &stand_downs, periods, now, &mut counts, &mut after)
    );
    let due = |from, to| {
        due_checkpoint_entries(&stand_downs, periods, now)
            .filter(checkpoint_entry::Column::PassedAt.gte(from))
            .filter(checkpoint_entry::Column::PassedAt.lt(to))
    };
    months::empty(
        db,
        &months::CHECKPOINT_ENTRIES,
        now - periods.checkpoint_entry,
        due,
        &mut counts,
    )
    .await?;
    let mut after: Cursor = None;
    drain!(
        "checkpoint passages",
        periods,
        checkpoint_entries(db, &stand_downs, periods, now, &mut counts, &mut after)
    );
    drain!(
        "persons",
        periods,
        persons(db, &stand_downs, periods, now, &mut counts)
    );
    drain!(
        "audit events",
        periods,
        audit_events(db, periods, now, &mut counts)
    );
    if !counts.is_empty() {
        file(db, &counts, now).await?;
    }
    Ok(counts)
}

/// One batch at a time: on PostgreSQL several server instances purge on the same schedule,
/// and a transaction-scoped advisory lock makes each batch wait for the one running, so two
/// never pick the same rows (each selects its rows once it holds the lock, after the other
/// committed). Waiting, not giving up: a run that gave up whenever another instance's batch
/// (of any kind) held the lock would leave its rows to a later schedule, however many were
/// due. A batch is short (`PURGE_BATCH_ROWS`), so the wait is too. SQLite's `BEGIN
/// IMMEDIATE` already serializes writers.
///
/// It also plans each batch's look-up for its own values: the driver prepares the statement
/// once per connection, and after five runs PostgreSQL may switch to a generic plan that
/// cannot use the cut-off instant's selectivity (measured: 1.8 s a batch of passages instead of
/// 22 ms on a city aged 90 days).
pub(super) async fn one_at_a_time(txn: &impl ConnectionTrait) -> AppResult<()> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT pg_advisory_xact_lock({LOCK_KEY})"),
        ))
        .await?;
        txn.execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan")
            .await?;
    }
    Ok(())
}

/// Has PostgreSQL read a batch of checks or passages in the order of the `(instant, id)` index,
/// stopping at the batch's size. Left to itself it misjudges how few rows the hold conditions
/// let through, and sorts every row after the cursor to take the first: 3 to 4 s a batch on a
/// city aged 90 days, against 19 ms in index order.
async fn in_index_order(txn: &impl ConnectionTrait) -> AppResult<()> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared("SET LOCAL enable_sort = off")
            .await?;
    }
    Ok(())
}

/// The advisory lock of the purge ("PURGE" in ASCII).
const LOCK_KEY: i64 = 0x0050_5552_4745;

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// The ids of the health checks due at `now`: of persons neither kept nor held, past their
/// period and their residence's stand-down. The batches and the emptied months
/// (`months`) both select by it.
pub(super) fn due_health_checks(
    stand_downs: &StandDowns,
    periods: &Periods,
    now: DateTime<Utc>,
) -> Select<health_check::Entity> {
    health_check::Entity::find()
        .select_only()
        .column(health_check::Column::Id)
        .join(JoinType::InnerJoin, health_check::Relation::Person.def())
        .filter(health_check::Column::MeasuredAt.lte(now - periods.health_check))
        .filter(stand_downs.covers(person::Column::ResidencePath, now))
        .filter(rules::purgeable_person())
}

/// The ids of the checkpoint passages due at `now`: past their period and the stand-down of
/// the checkpoint's unit and of the destination, of no one or of a person neither kept nor
/// held.
pub(super) fn due_checkpoint_entries(
    stand_downs: &StandDowns,
    periods: &Periods,
    now: DateTime<Utc>,
) -> Select<checkpoint_entry::Entity> {
    checkpoint_entry::Entity::find()
        .select_only()
        .column(checkpoint_entry::Column::Id)
        .join(JoinType::LeftJoin, checkpoint_entry::Relation::Person.def())
        .filter(checkpoint_entry::Column::PassedAt.lte(now - periods.checkpoint_entry))
        .filter(stand_downs.covers(checkpoint_entry::Column::OrgPath, now))
        .filter(
            Condition::any()
                .add(checkpoint_entry::Column::DestinationPath.is_null())
                .add(stand_downs.covers(checkpoint_entry::Column::DestinationPath, now)),
        )
        .filter(
            Condition::any()
                .add(checkpoint_entry::Column::PersonId.is_null())
                .add(rules::purgeable_person()),
        )
}

/// Where one run's batches of a kind have got to: the instant and id of the last row taken.
/// A row before it that was not due stays not due for the rest of the run, so each batch
/// starts after it rather than reading such rows again. Kept rows gather at the oldest end
/// (the checks of contacts are most of a city's checks): read again by every batch, they made
/// the batches quadratic (262 batches of checks took 197 s on a city aged 90 days).
type Cursor = Option<(DateTime<Utc>, i64)>;

/// `select` in the order of `(instant, id)`, oldest first (by the index on the instant),
/// after `after`.
fn from_cursor<E: EntityTrait>(
    select: Select<E>,
    instant: E::Column,
    id: E::Column,
    after: Cursor,
) -> Select<E> {
    let select = match after {
        Some((at, last)) => select.filter(instant.gte(at)).filter(
            Expr::tuple([
                Expr::col((E::default(), instant)),
                Expr::col((E::default(), id)),
            ])
            .gt(Expr::tuple([Expr::val(at), Expr::val(last)])),
        ),
        None => select,
    };
    select.order_by_asc(instant).order_by_asc(id)
}

/// The ids of a batch's rows; moves the cursor to its last.
fn advance(after: &mut Cursor, rows: &[(i64, DateTime<Utc>)]) -> Vec<i64> {
    if let Some((id, at)) = rows.last() {
        *after = Some((*at, *id));
    }
    rows.iter().map(|(id, _)| *id).collect()
}

/// One batch of health checks; `None` when there was nothing to delete.
async fn health_checks(
    db: &DatabaseConnection,
    stand_downs: &StandDowns,
    periods: &Periods,
    now: DateTime<Utc>,
    counts: &mut Counts,
    after: &mut Cursor,
) -> AppResult<Option<u64>> {
    let txn = begin_write(db).await?;
    one_at_a_time(&txn).await?;
    in_index_order(&txn).await?;
    let rows: Vec<(i64, DateTime<Utc>)> = from_cursor(
        due_health_checks(stand_downs, periods, now).column(health_check::Column::MeasuredAt),
        health_check::Column::MeasuredAt,
        health_check::Column::Id,
        *after,
    )
    .limit(periods.batch_rows)
    .into_tuple()
    .all(&txn)
    .await?;
    let ids = advance(after, &rows);
    if ids.is_empty() {
        txn.rollback().await?;
        return Ok(None);
    }
    counts.alerts_deleted += raised_by(&txn, "HealthCheck", &ids).await?;
    counts.health_checks_deleted += health_check::Entity::delete_many()
        .filter(health_check::Column::Id.is_in(ids.iter().copied()))
        .exec(&txn)
        .await?
        .rows_affected;
    txn.commit().await?;
    counts.batches += 1;
    Ok(Some(count(ids.len())))
}

/// One batch of checkpoint passages.
async fn checkpoint_entries(
    db: &DatabaseConnection,
    stand_downs: &StandDowns,
    periods: &Periods,
    now: DateTime<Utc>,
    counts: &mut Counts,
    after: &mut Cursor,
) -> AppResult<Option<u64>> {
    let txn = begin_write(db).await?;
    one_at_a_time(&txn).await?;
    in_index_order(&txn).await?;
    let rows: Vec<(i64, DateTime<Utc>)> = from_cursor(
        due_checkpoint_entries(stand_downs, periods, now)
            .column(checkpoint_entry::Column::PassedAt),
        checkpoint_entry::Column::PassedAt,
        checkpoint_entry::Column::Id,
        *after,
    )
    .limit(periods.batch_rows)
    .into_tuple()
    .all(&txn)
    .await?;
    let ids = advance(after, &rows);
    if ids.is_empty() {
        txn.rollback().await?;
        return Ok(None);
    }
    counts.alerts_deleted += raised_by(&txn, "CheckpointEntry", &ids).await?;
    counts.checkpoint_entries_deleted += checkpoint_entry::Entity::delete_many()
        .filter(checkpoint_entry::Column::Id.is_in(ids.iter().copied()))
        .exec(&txn)
        .await?
        .rows_affected;
    txn.commit().await?;
    counts.batches += 1;
    Ok(Some(count(ids.len())))
}

/// Deletes the alerts that records of `entity_type` raised.
async fn raised_by(txn: &impl ConnectionTrait, entity_type: &str, ids: &[i64]) -> AppResult<u64> {
    Ok(alert::Entity::delete_many()
        .filter(alert::Column::EntityType.eq(entity_type))
        .filter(alert::Column::EntityId.is_in(ids.iter().copied()))
        .exec(txn)
        .await?
        .rows_affected)
}

/// One batch of persons to anonymize.
async fn persons(
    db: &DatabaseConnection,
    stand_downs: &StandDowns,
    periods: &Periods,
    now: DateTime<Utc>,
    counts: &mut Counts,
) -> AppResult<Option<u64>> {
    let txn = begin_write(db).await?;
    one_at_a_time(&txn).await?;
    let ids: Vec<i64> = person::Entity::find()
        .select_only()
        .column(person::Column::Id)
        .filter(stand_downs.covers(person::Column::ResidencePath, now - periods.person))
        .filter(person::Column::Vulnerabilities.eq(0))
        .filter(person::Column::Name.ne(ANONYMIZED_NAME))
        .filter(rules::purgeable_person())
        .limit(periods.batch_rows)
        .into_tuple()
        .all(&txn)
        .await?;
    if ids.is_empty() {
        txn.rollback().await?;
        return Ok(None);
    }
    let nothing = |v: Value| Expr::value(v);
    counts.persons_anonymized += person::Entity::update_many()
        .col_expr(person::Column::Name, Expr::value(ANONYMIZED_NAME))
        .col_expr(person::Column::DocumentType, nothing(Value::String(None)))
        .col_expr(person::Column::DocumentNumber, nothing(Value::String(None)))
        .col_expr(person::Column::BirthDate, nothing(Value::ChronoDate(None)))
        .col_expr(person::Column::Phone, nothing(Value::String(None)))
        .col_expr(person::Column::Address, nothing(Value::String(None)))
        .col_expr(
            person::Column::VulnerabilityNote,
            nothing(Value::String(None)),
        )
        .col_expr(person::Column::HeldForId, nothing(Value::BigInt(None)))
        .col_expr(
            person::Column::Version,
            Expr::col(person::Column::Version).add(1),
        )
        .col_expr(person::Column::UpdatedAt, Expr::value(now))
        .filter(person::Column::Id.is_in(ids.iter().copied()))
        .exec(&txn)
        .await?
        .rows_affected;
    // Free text written about them elsewhere goes with their identity.
    quarantine::Entity::update_many()
        .col_expr(quarantine::Column::ReasonNote, nothing(Value::String(None)))
        .col_expr(quarantine::Column::EndNote, nothing(Value::String(None)))
        .col_expr(quarantine::Column::Needs, nothing(Value::String(None)))
        .col_expr(
            quarantine::Column::ReleaseNoticeNo,
            nothing(Value::String(None)),
        )
        .filter(quarantine::Column::PersonId.is_in(ids.iter().copied()))
        .exec(&txn)
        .await?;
    task::Entity::update_many()
        .col_expr(task::Column::Note, nothing(Value::String(None)))
        .col_expr(task::Column::OutcomeNote, nothing(Value::String(None)))
        .filter(task::Column::PersonId.is_in(ids.iter().copied()))
        .exec(&txn)
        .await?;
    // Their lab tests are health data about them and nothing else: they go (with the alerts
    // they raised). A positive test made a case, which holds the person and is never here.
    let tests: Vec<i64> = lab_test::Entity::find()
        .select_only()
        .column(lab_test::Column::Id)
        .filter(lab_test::Column::PersonId.is_in(ids.iter().copied()))
        .into_tuple()
        .all(&txn)
        .await?;
    if !tests.is_empty() {
        counts.alerts_deleted += raised_by(&txn, "LabTest", &tests).await?;
        counts.lab_tests_deleted += lab_test::Entity::delete_many()
            .filter(lab_test::Column::Id.is_in(tests.iter().copied()))
            .exec(&txn)
            .await?
            .rows_affected;
    }
    // Partner systems following the feed get the anonymized record and overwrite theirs.
    crate::events::change_log::append(&txn, "Person", &ids, OPERATION).await?;
    txn.commit().await?;
    counts.batches += 1;
    Ok(Some(count(ids.len())))
}

/// One batch of audit events to unlink from the records they name.
async fn audit_events(
    db: &DatabaseConnection,
    periods: &Periods,
    now: DateTime<Utc>,
    counts: &mut Counts,
) -> AppResult<Option<u64>> {
    let txn = db.begin().await?;
    one_at_a_time(&txn).await?;
    let ids: Vec<i64> = audit_event::Entity::find()
        .select_only()
        .column(audit_event::Column::Id)
        .filter(audit_event::Column::At.lte(now - periods.audit))
        .filter(
            Condition::any()
                .add(audit_event::Column::EntityId.is_not_null())
                .add(audit_event::Column::EntityIds.is_not_null())
                .add(audit_event::Column::Reason.is_not_null()),
        )
        .order_by_asc(audit_event::Column::At)
        .limit(periods.batch_rows)
        .into_tuple()
        .all(&txn)
        .await?;
    if ids.is_empty() {
        txn.rollback().await?;
        return Ok(None);
    }
    counts.audit_events_unlinked += audit_event::Entity::update_many()
        .col_expr(
            audit_event::Column::EntityId,
            Expr::value(Value::BigInt(None)),
        )
        .col_expr(
            audit_event::Column::EntityIds,
            Expr::value(Value::Json(None)),
        )
        .col_expr(
            audit_event::Column::Reason,
            Expr::value(Value::String(None)),
        )
        .filter(audit_event::Column::Id.is_in(ids.iter().copied()))
        .exec(&txn)
        .await?
        .rows_affected;
    txn.commit().await?;
    counts.batches += 1;
    Ok(Some(count(ids.len())))
}

/// The run's one audit event: who (the retention job), when, and the counts as its reason.
/// Filed under the unit that holds every stand-down, so that its auditors see it.
async fn file(db: &DatabaseConnection, counts: &Counts, now: DateTime<Utc>) -> AppResult<()> {
    let paths: Vec<String> = stand_down::Entity::find()
        .select_only()
        .column(stand_down::Column::OrgPath)
        .into_tuple()
        .all(db)
        .await?;
    let reason = serde_json::to_string(counts)
        .map_err(|_| AppError::internal("purge counts could not be written"))?;
    audit_event::Entity::insert(audit_event::ActiveModel {
        at: Set(Utc::now()),
        subject: Set(SUBJECT.to_owned()),
        agency: Set(Agency::Command),
        role: Set(Role::Admin),
        actor_path: Set(common_unit(&paths)),
        operation: Set(OPERATION.to_owned()),
        entity_type: Set(ENTITY_TYPE.to_owned()),
        entity_id: Set(None),
        entity_ids: Set(None),
        reason: Set(Some(reason)),
        grant_id: Set(None),
        request_id: Set(format!("purge-{}", now.timestamp())),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The deepest unit containing every path (`/1/4/` and `/1/5/7/` → `/1/`); `/` when none.
fn common_unit(paths: &[String]) -> String {
    let Some(first) = paths.first() else {
        return "/".to_owned();
    };
    let mut common: &str = first;
    for path in &paths[1..] {
        while !path.starts_with(common) {
            let trimmed = common.trim_end_matches('/');
            common = match trimmed.rfind('/') {
                Some(i) => &common[..=i],
                None => "/",
            };
            if common == "/" {
                break;
            }
        }
    }
    common.to_owned()
}

/// Purges every PURGE_EVERY_MINUTES while the server runs (never, when zero). The first run
/// waits a full period, so that starting a server costs no statement beyond its own.
pub fn keep(state: std::sync::Arc<AppState>) {
    let minutes = state.settings.retention.purge_every_minutes;
    if minutes == 0 {
        return;
    }
    tokio::spawn(async move {
        let every = std::time::Duration::from_secs(u64::from(minutes) * 60);
        let mut ticks = tokio::time::interval(every);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            match run(&state, Utc::now()).await {
                Ok(counts) if counts.is_empty() => {}
                Ok(counts) => tracing::info!(?counts, "purged what the retention policy retires"),
                Err(err) => tracing::warn!(code = err.code(), "could not purge"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::common_unit;

    #[test]
    fn a_run_is_filed_under_the_unit_that_holds_every_stand_down() {
        let paths = |p: &[&str]| p.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(common_unit(&paths(&["/1/4/"])), "/1/4/");
        assert_eq!(common_unit(&paths(&["/1/4/", "/1/5/7/"])), "/1/");
        assert_eq!(common_unit(&paths(&["/1/4/17/", "/1/4/"])), "/1/4/");
        assert_eq!(common_unit(&paths(&["/1/", "/2/"])), "/");
        assert_eq!(common_unit(&[]), "/");
    }
}
