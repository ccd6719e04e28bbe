//! How the floor files its reads on the audit trail: not at all (`--floor-no-audit`, the
//! database's work without the trail), one statement and commit per request (`--floor-only`
//! alone, as lianfang filed reads before group commit), or group-committed
//! (`--floor-group-commit`, as lianfang files them now, src/audit/group_commit.rs): one
//! writer takes every request waiting and files all their events in one statement, and each
//! request goes on only once that statement has committed.
//!
//! The grouped floor against the floor without audit is the audit's share of a read's
//! database work, measured with nothing of the server in between.

use std::sync::atomic::Ordering;

use chrono::Utc;
use sea_orm::sqlx::{self, SqlStr};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use crate::{db::on_pool, db::Db, scenarios::Ctx};

/// Events in one grouped statement: as the server's writer (`MAX_ROWS`).
const MAX_EVENTS: usize = 2_000;

/// Which way the floor files its reads.
pub enum Filing {
    Off,
    PerRequest(SqlStr),
    Grouped(GroupWriter),
}

impl Filing {
    pub fn new(db: &Db, audit: bool, grouped: bool) -> Self {
        // One statement serves one request or many: each event carries its request's
        // operation and id.
        let sql = db.sql(if db.is_postgres() {
            AUDIT_PG
        } else {
            AUDIT_SQLITE
        });
        match (audit, grouped) {
            (false, _) => Self::Off,
            (true, false) => Self::PerRequest(sql),
            (true, true) => Self::Grouped(GroupWriter::start(db.clone(), sql)),
        }
    }

    /// The name of the floor's rows in the report.
    pub fn suffix(&self) -> &'static str {
        match self {
            Self::Off => "floor-no-audit",
            Self::PerRequest(_) => "floor",
            Self::Grouped(_) => "floor-grouped",
        }
    }

    /// Files the reads of one request, one event per kind of record, naming the one record
    /// or the several, as the server does; the statements this request ran for it (a grouped
    /// statement counts once for each request it served).
    pub async fn file(
        &self,
        db: &Db,
        ctx: &Ctx,
        operation: &str,
        reads: &[(&str, Vec<i64>)],
    ) -> Result<u64, sqlx::Error> {
        if matches!(self, Self::Off) {
            return Ok(0);
        }
        let request = format!(
            "{}-floor-{}",
            ctx.run_id,
            ctx.counter.fetch_add(1, Ordering::Relaxed)
        );
        let events: Vec<Value> = reads
            .iter()
            .filter(|(_, ids)| !ids.is_empty())
            .map(|(kind, ids)| {
                let mut event = match ids.as_slice() {
                    [one] => serde_json::json!({ "t": kind, "i": one }),
                    many => serde_json::json!({ "t": kind, "j": many }),
                };
                event["o"] = operation.into();
                event["r"] = request.as_str().into();
                event
            })
            .collect();
        if events.is_empty() {
            return Ok(0);
        }
        let path = ctx.sample.city.path.clone();
        match self {
            Self::Off => Ok(0),
            Self::PerRequest(sql) => {
                insert(db, sql, &path, Value::Array(events).to_string()).await?;
                Ok(1)
            }
            Self::Grouped(writer) => {
                writer.write(path, events).await?;
                Ok(1)
            }
        }
    }
}

/// One statement for the events of one request or of many; autocommit, so it returns once
/// committed.
async fn insert(db: &Db, sql: &SqlStr, path: &str, events: String) -> Result<(), sqlx::Error> {
    on_pool!(db, |pool| sqlx::query(sql.clone())
        .bind(Utc::now())
        .bind("loadgen-floor")
        .bind("HEALTH")
        .bind("OPERATOR")
        .bind(path)
        .bind(&events)
        .execute(pool)
        .await
        .map(|_| ()))
}

struct Job {
    path: String,
    events: Vec<Value>,
    done: oneshot::Sender<Result<(), String>>,
}

/// The handle of the one writing task.
pub struct GroupWriter {
    queue: mpsc::UnboundedSender<Job>,
}

impl GroupWriter {
    fn start(db: Db, sql: SqlStr) -> Self {
        let (queue, jobs) = mpsc::unbounded_channel();
        tokio::spawn(run(db, sql, jobs));
        Self { queue }
    }

    async fn write(&self, path: String, events: Vec<Value>) -> Result<(), sqlx::Error> {
        let (done, committed) = oneshot::channel();
        let gone = || sqlx::Error::Protocol("the floor's audit writer has stopped".into());
        self.queue
            .send(Job { path, events, done })
            .map_err(|_| gone())?;
        committed
            .await
            .map_err(|_| gone())?
            .map_err(sqlx::Error::Protocol)
    }
}

/// Takes the first job waiting and every other job queued meanwhile (all of one run share
/// the city's path), writes them as one statement, then answers each.
async fn run(db: Db, sql: SqlStr, mut jobs: mpsc::UnboundedReceiver<Job>) {
    let mut carried: Option<Job> = None;
    loop {
        let first = match carried.take() {
            Some(job) => job,
            None => match jobs.recv().await {
                Some(job) => job,
                None => return,
            },
        };
        let path = first.path.clone();
        let mut events = first.events;
        let mut waiting = vec![first.done];
        while events.len() < MAX_EVENTS {
            match jobs.try_recv() {
                Ok(job) if job.path != path || events.len() + job.events.len() > MAX_EVENTS => {
                    carried = Some(job);
                    break;
                }
                Ok(job) => {
                    events.extend(job.events);
                    waiting.push(job.done);
                }
                Err(_) => break,
            }
        }
        let result = insert(&db, &sql, &path, Value::Array(events).to_string())
            .await
            .map_err(|err| err.to_string());
        for done in waiting {
            let _ = done.send(result.clone());
        }
    }
}

const AUDIT_PG: &str = "INSERT INTO audit_event \
  (at, subject, agency, role, actor_path, operation, entity_type, entity_id, entity_ids, request_id) \
  SELECT $1, $2, $3, $4, $5, e.o, e.t, e.i, e.j, e.r \
  FROM jsonb_to_recordset($6::jsonb) AS e(o text, t text, i bigint, j jsonb, r text)";

const AUDIT_SQLITE: &str = "INSERT INTO audit_event \
  (at, subject, agency, role, actor_path, operation, entity_type, entity_id, entity_ids, request_id) \
  SELECT $1, $2, $3, $4, $5, json_extract(value, '$.o'), json_extract(value, '$.t'), \
         json_extract(value, '$.i'), json_extract(value, '$.j'), json_extract(value, '$.r') \
  FROM json_each($6)";
