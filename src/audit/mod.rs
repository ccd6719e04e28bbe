//! The audit trail (审计日志): every read of personal data and every write.
//!
//! Writes are audited inside the transaction of the write they record ([`Actor::record_write`]),
//! so a write is never committed without its event nor an event without its write. Reads are
//! collected while a request runs ([`Actor::record_reads`]) and written in one statement
//! before the response leaves the server ([`Actor::flush_reads`]); if that fails the client
//! gets an error instead of the data.

use std::{collections::BTreeSet, sync::Mutex};

use chrono::Utc;
use entity::audit_event;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbBackend, EntityTrait, Statement};

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

    /// Writes the collected read events in one statement, however many records the request
    /// returned: the records travel as one JSON array parameter, unpacked by the database
    /// (`jsonb_to_recordset` on PostgreSQL, `json_each` on SQLite). Called once per request,
    /// before responding.
    pub async fn flush_reads(&self, db: &impl ConnectionTrait) -> AppResult<usize> {
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
        let records: Vec<serde_json::Value> = reads
            .iter()
            .map(|r| serde_json::json!({ "t": r.entity_type, "i": r.entity_id, "g": r.grant_id }))
            .collect();
        let principal = &self.principal;
        let backend = db.get_database_backend();
        let sql = match backend {
            DbBackend::Postgres => {
                "INSERT INTO audit_event (at, subject, agency, role, actor_path, operation, entity_type, entity_id, grant_id, request_id) \
                 SELECT $1, $2, $3, $4, $5, $6, e.t, e.i, e.g, $7 \
                 FROM jsonb_to_recordset($8::jsonb) AS e(t text, i bigint, g bigint)"
            }
            _ => {
                "INSERT INTO audit_event (at, subject, agency, role, actor_path, operation, entity_type, entity_id, grant_id, request_id) \
                 SELECT ?, ?, ?, ?, ?, ?, json_extract(value, '$.t'), json_extract(value, '$.i'), json_extract(value, '$.g'), ? \
                 FROM json_each(?)"
            }
        };
        let values: Vec<sea_orm::Value> = vec![
            Utc::now().into(),
            principal.subject.clone().into(),
            principal.agency.as_str().into(),
            principal.role.as_str().into(),
            principal.jurisdiction().as_str().into(),
            self.operation().into(),
            self.request_id.clone().into(),
            serde_json::Value::Array(records).to_string().into(),
        ];
        db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        Ok(reads.len())
    }

    /// Appends write events, one per record, on the caller's transaction.
    pub async fn record_write(
        &self,
        txn: &impl ConnectionTrait,
        operation: &str,
        entity_type: &'static str,
        ids: &[i64],
        reason: Option<&str>,
    ) -> AppResult<()> {
        let operation = format!("mutation {operation}");
        let rows: Vec<_> = if ids.is_empty() {
            vec![self.event(&operation, entity_type, None, reason, None)]
        } else {
            ids.iter()
                .map(|id| self.event(&operation, entity_type, Some(*id), reason, None))
                .collect()
        };
        audit_event::Entity::insert_many(rows).exec(txn).await?;
        crate::events::change_log::append(txn, entity_type, ids, &operation).await
    }

    fn event(
        &self,
        operation: &str,
        entity_type: &str,
        entity_id: Option<i64>,
        reason: Option<&str>,
        grant_id: Option<i64>,
    ) -> audit_event::ActiveModel {
        let principal = &self.principal;
        audit_event::ActiveModel {
            at: Set(Utc::now()),
            subject: Set(principal.subject.clone()),
            agency: Set(principal.agency),
            role: Set(principal.role),
            actor_path: Set(principal.jurisdiction().as_str().to_owned()),
            operation: Set(operation.to_owned()),
            entity_type: Set(entity_type.to_owned()),
            entity_id: Set(entity_id),
            reason: Set(reason.map(str::to_owned)),
            grant_id: Set(grant_id),
            request_id: Set(self.request_id.clone()),
            ..Default::default()
        }
    }
}
