//! The audit trail (审计日志): every read of personal data and every write.
//!
//! Writes are audited inside the transaction of the write they record ([`Actor::record_write`]),
//! so a write is never committed without its event nor an event without its write. Reads are
//! collected while a request runs ([`Actor::record_reads`]), one event per kind of record, and
//! handed to the group-committing writer before the response leaves the server
//! ([`Actor::flush_reads`], [`group_commit`]): the response waits until they are committed,
//! together with those of the requests that waited beside it; if that fails the client gets an
//! error instead of the data.

pub mod group_commit;

pub use group_commit::AuditWriter;

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Mutex,
};

use chrono::Utc;
use entity::audit_event;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbBackend, EntityTrait, Statement, Value,
};

use crate::{
    auth::Principal,
    error::{AppError, AppResult},
};

/// Who acts in this request, and what they have read so far.
pub struct Actor {
    pub principal: Principal,
    pub request_id: String,
    operation: Mutex<String>,
    reads: Mutex<BTreeSet<ReadRecord>>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ReadRecord {
    entity_type: &'static str,
    entity_id: Option<i64>,
    grant_id: Option<i64>,
}

impl Actor {
    pub fn new(principal: Principal, request_id: String) -> Self {
        Self {
            principal,
            request_id,
            operation: Mutex::new("query".to_owned()),
            reads: Mutex::new(BTreeSet::new()),
        }
    }

    /// Names the operation read events are filed under, e.g. `query persons,me`.
    pub fn set_operation(&self, operation: String) {
        if let Ok(mut slot) = self.operation.lock() {
            *slot = operation;
        }
    }

    pub fn operation(&self) -> String {
        self.operation
            .lock()
            .map(|op| op.clone())
            .unwrap_or_default()
    }

    /// Notes records returned to the client; each id is filed once per request.
    pub fn record_reads(
        &self,
        entity_type: &'static str,
        ids: impl IntoIterator<Item = i64>,
    ) -> AppResult<()> {
        let mut reads = self
            .reads
            .lock()
            .map_err(|_| AppError::internal("audit trail lock poisoned"))?;
        reads.extend(ids.into_iter().map(|entity_id| ReadRecord {
            entity_type,
            entity_id: Some(entity_id),
            grant_id: None,
        }));
        Ok(())
    }

    /// Notes a record read under a break-the-glass grant, filed with the grant's id.
    pub fn record_read_under_grant(
        &self,
        entity_type: &'static str,
        entity_id: i64,
        grant_id: i64,
    ) -> AppResult<()> {
        self.reads
            .lock()
            .map_err(|_| AppError::internal("audit trail lock poisoned"))?
            .insert(ReadRecord {
                entity_type,
                entity_id: Some(entity_id),
                grant_id: Some(grant_id),
            });
        Ok(())
    }

    /// Notes a read of a list that is not about single records (e.g. the audit trail itself).
    pub fn record_list_read(&self, entity_type: &'static str) -> AppResult<()> {
        self.reads
            .lock()
            .map_err(|_| AppError::internal("audit trail lock poisoned"))?
            .insert(ReadRecord {
                entity_type,
                entity_id: None,
                grant_id: None,
            });
        Ok(())
    }

    /// Files the collected reads before responding: one event per kind of record (and grant)
    /// the request read, naming all its records, so a page of 50 cases with their contacts
    /// files a handful of rows, not one per record (see
    /// `m20261202_000019_group_audit_records`); they are committed with the reads of the
    /// requests waiting beside it. Returns once they are durable. Called once per request.
    pub async fn flush_reads(&self, writer: &AuditWriter) -> AppResult<usize> {
        let reads: Vec<ReadRecord> = {
            let mut guard = self
                .reads
                .lock()
                .map_err(|_| AppError::internal("audit trail lock poisoned"))?;
            std::mem::take(&mut *guard).into_iter().collect()
        };
        if reads.is_empty() {
            return Ok(0);
        }
        let operation = self.operation();
        let mut grouped: BTreeMap<(&'static str, Option<i64>), Vec<i64>> = BTreeMap::new();
        for read in &reads {
            let ids = grouped
                .entry((read.entity_type, read.grant_id))
                .or_default();
            ids.extend(read.entity_id);
        }
        let rows = grouped
            .into_iter()
            .map(|((entity_type, grant_id), ids)| {
                self.event(&operation, entity_type, &ids, None, grant_id)
            })
            .collect();
        writer.write(rows).await?;
        Ok(reads.len())
    }

    /// Appends the event of a write, naming every record it wrote, on the caller's
    /// transaction, and the records to the change log.
    pub async fn record_write(
        &self,
        txn: &impl ConnectionTrait,
        operation: &str,
        entity_type: &'static str,
        ids: &[i64],
        reason: Option<&str>,
    ) -> AppResult<()> {
        let operation = format!("mutation {operation}");
        let event = self.event(&operation, entity_type, ids, reason, None);
        if txn.get_database_backend() == DbBackend::Postgres
            && !crate::events::change_log::is_live(entity_type)
        {
            return self.record_write_at_once(txn, event, ids).await;
        }
        audit_event::Entity::insert(event)
            .exec_without_returning(txn)
            .await?;
        crate::events::change_log::append(txn, entity_type, ids, &operation).await
    }

    /// The event and the change log's rows in one statement (PostgreSQL runs the insert in
    /// `WITH` to completion whether or not the rest reads it): a write costs one statement
    /// fewer. Records that wake subscriptions also NOTIFY, and take the two statements above.
    async fn record_write_at_once(
        &self,
        txn: &impl ConnectionTrait,
        event: audit_event::ActiveModel,
        ids: &[i64],
    ) -> AppResult<()> {
        const SQL: &str = r#"WITH event AS (
    INSERT INTO "audit_event" ("at", "subject", "agency", "role", "actor_path", "operation",
        "entity_type", "entity_id", "entity_ids", "reason", "request_id")
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
)
INSERT INTO "change_log" ("entity_type", "entity_id", "operation", "at")
SELECT $7, written.id::bigint, $6, $1 FROM jsonb_array_elements($12::jsonb) AS written(id)"#;
        use audit_event::Column as C;
        let mut values: Vec<Value> = [
            C::At,
            C::Subject,
            C::Agency,
            C::Role,
            C::ActorPath,
            C::Operation,
            C::EntityType,
            C::EntityId,
            C::EntityIds,
            C::Reason,
            C::RequestId,
        ]
        .into_iter()
        .map(|column| {
            event
                .get(column)
                .into_value()
                .ok_or_else(|| AppError::internal("an audit event without every field"))
        })
        .collect::<AppResult<_>>()?;
        values.push(Value::Json(Some(Box::new(serde_json::Value::from(
            ids.to_vec(),
        )))));
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            SQL,
            values,
        ))
        .await?;
        Ok(())
    }

    /// One event about `ids`: the one record in `entity_id`, several in `entity_ids`.
    fn event(
        &self,
        operation: &str,
        entity_type: &str,
        ids: &[i64],
        reason: Option<&str>,
        grant_id: Option<i64>,
    ) -> audit_event::ActiveModel {
        let principal = &self.principal;
        let (entity_id, entity_ids) = match ids {
            [] => (None, None),
            [one] => (Some(*one), None),
            many => (None, Some(serde_json::Value::from(many.to_vec()))),
        };
        audit_event::ActiveModel {
            at: Set(Utc::now()),
            subject: Set(principal.subject.clone()),
            agency: Set(principal.agency),
            role: Set(principal.role),
            actor_path: Set(principal.jurisdiction().as_str().to_owned()),
            operation: Set(operation.to_owned()),
            entity_type: Set(entity_type.to_owned()),
            entity_id: Set(entity_id),
            entity_ids: Set(entity_ids),
            reason: Set(reason.map(str::to_owned)),
            grant_id: Set(grant_id),
            request_id: Set(self.request_id.clone()),
            ..Default::default()
        }
    }
}
