//! Imports of line lists (台账导入): a CSV or XLSX file of people, each row registered as a
//! single registration would be, and a report of what happened to every row.
//!
//! An import runs in the background: the upload is checked (size, rows, headers) before it
//! is accepted, then read row by row from disk and written in chunks of rows, one
//! transaction each, every chunk audited as `importPersons` with the rows it wrote. A dry
//! run does exactly the same work and rolls every chunk back, so its report is the one the
//! real import would give. A row that changes nothing writes nothing, so importing the same
//! file again writes nothing twice.

pub mod columns;
pub mod reader;
pub mod row;

use std::{
    collections::{hash_map::DefaultHasher, HashMap},
    hash::{Hash, Hasher},
    path::PathBuf,
    sync::Arc,
};

use chrono::Utc;
use entity::{person, person_import, person_import_row, OrgLevel};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;

use self::{
    columns::{Columns, Field, Mapping},
    reader::Format,
    row::{Draft, Rejection},
};
use super::{
    guesses,
    org_units::OrgUnit,
    persons::{self, Plan, Registration},
};
use crate::{
    access::{self, scope, Access, Data},
    audit::Actor,
    auth::Principal,
    db::{self, WriteError},
    error::{AppError, AppResult},
    state::AppState,
};

/// The operation an import's writes are audited under.
pub const OPERATION: &str = "importPersons";

/// A file received for import, on disk until the import has read it.
pub struct Upload {
    pub file: tempfile::TempPath,
    pub file_name: Option<String>,
    pub sha256: String,
    pub format: Format,
}

/// What the caller asked of the import.
#[derive(Debug, Default)]
pub struct Options {
    pub dry_run: bool,
    pub mapping: Mapping,
    /// The grid of rows without one (its code or, inside the caller's community, its name).
    pub grid: Option<String>,
}

/// What happened to one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
    PossibleDuplicate,
    Rejected,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "CREATED",
            Self::Updated => "UPDATED",
            Self::Unchanged => "UNCHANGED",
            Self::PossibleDuplicate => "POSSIBLE_DUPLICATE",
            Self::Rejected => "REJECTED",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Created,
            Self::Updated,
            Self::Unchanged,
            Self::PossibleDuplicate,
            Self::Rejected,
        ]
        .into_iter()
        .find(|o| o.as_str() == text)
    }
}

/// An import as its caller follows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportStatus {
    pub id: i64,
    /// `RUNNING`, `DONE` or `FAILED`.
    pub status: String,
    pub dry_run: bool,
    pub file_name: Option<String>,
    pub format: String,
    pub columns: serde_json::Value,
    pub total_rows: i64,
    pub processed_rows: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub possible_duplicates: i64,
    pub rejected: i64,
    pub error: Option<String>,
    pub started_at: chrono::DateTime<Utc>,
    pub finished_at: Option<chrono::DateTime<Utc>>,
}

impl From<person_import::Model> for ImportStatus {
    fn from(m: person_import::Model) -> Self {
        Self {
            id: m.id,
            status: m.status,
            dry_run: m.dry_run,
            file_name: m.file_name,
            format: m.format,
            columns: m.columns,
            total_rows: m.total_rows,
            processed_rows: m.processed_rows,
            created: m.created,
            updated: m.updated,
            unchanged: m.unchanged,
            possible_duplicates: m.possible_duplicates,
            rejected: m.rejected,
            error: m.error,
            started_at: m.started_at,
            finished_at: m.finished_at,
        }
    }
}

/// One row of an import's report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportRow {
    /// The row's number in the spreadsheet (the header is row 1, or further down when
    /// title rows stand above it).
    pub row: i64,
    pub outcome: &'static str,
    /// The person the row created or updated, or matched (unchanged); none for a dry
    /// run's new records, which were never kept.
    pub person_id: Option<i64>,
    /// The header of the column a rejection is about.
    pub column: Option<String>,
    /// A stored message (`Msg::to_stored`), rendered where the report is read.
    pub reason: Option<String>,
}

/// Checks an upload and starts importing it; returns at once with its status.
#[tracing::instrument(skip_all, fields(request_id = %actor.request_id))]
pub async fn start(
    state: Arc<AppState>,
    actor: &Actor,
    upload: Upload,
    options: Options,
) -> AppResult<ImportStatus> {
    let principal = &actor.principal;
    access::require(principal, Data::PersonIdentity, Access::ReadWrite)?;
    let default_grid = match &options.grid {
        None => None,
        Some(text) => Some(
            resolve_grid(&state, principal, text)
                .await?
                .map_err(|m| AppError::bad_input("grid", m))?,
        ),
    };
    let max_rows = state.settings.max_import_rows;
    let path = upload.file.to_path_buf();
    let format = upload.format;
    let survey = tokio::task::spawn_blocking(move || survey(&path, format, max_rows))
        .await
        .map_err(|e| AppError::internal(format!("the import survey stopped: {e}")))??;
    if survey.data_rows > max_rows as u64 {
        return Err(AppError::LimitExceeded(crate::msg!(
            "import-too-many-rows",
            max = max_rows
        )));
    }
    let columns = Columns::from_headers(survey.headers, &options.mapping)?;
    let now = Utc::now();
    let import = person_import::Entity::insert(person_import::ActiveModel {
        subject: Set(principal.subject.clone()),
        agency: Set(principal.agency),
        role: Set(principal.role),
        actor_path: Set(principal.jurisdiction().as_str().to_owned()),
        request_id: Set(actor.request_id.clone()),
        file_name: Set(upload.file_name.clone()),
        format: Set(format.name().to_owned()),
        file_sha256: Set(upload.sha256.clone()),
        dry_run: Set(options.dry_run),
        status: Set("RUNNING".to_owned()),
        columns: Set(columns.to_json()),
        total_rows: Set(i64::try_from(survey.data_rows).unwrap_or(i64::MAX)),
        processed_rows: Set(0),
        created: Set(0),
        updated: Set(0),
        unchanged: Set(0),
        possible_duplicates: Set(0),
        rejected: Set(0),
        error: Set(None),
        started_at: Set(now),
        finished_at: Set(None),
        heartbeat_at: Set(Some(now)),
        ..Default::default()
    })
    .exec_with_returning(&state.db)
    .await?;
    let job = Job {
        state: Arc::clone(&state),
        actor: Actor::new(principal.clone(), actor.request_id.clone()),
        import_id: import.id,
        columns,
        dry_run: options.dry_run,
        default_grid,
        header_row: survey.header_row,
    };
    tokio::spawn(job.run(upload));
    Ok(import.into())
}

/// How long a RUNNING import may go without keeping a chunk before it counts as
/// interrupted (its server stopped). A chunk takes seconds; this leaves room for a slow one.
const STALE_AFTER_MINUTES: i64 = 5;

/// Marks FAILED the RUNNING imports (of `id`, or all) whose server stopped running them: their
/// heartbeat is older than [`STALE_AFTER_MINUTES`]. Safe with several servers on one
/// database: a live import beats well within that time.
pub async fn fail_interrupted(db: &impl ConnectionTrait, id: Option<i64>) -> AppResult<u64> {
    let now = Utc::now();
    let stale = now - chrono::Duration::minutes(STALE_AFTER_MINUTES);
    let mut update = person_import::Entity::update_many()
        .set(person_import::ActiveModel {
            status: Set("FAILED".to_owned()),
            error: Set(Some(crate::msg!("import-interrupted").to_stored())),
            finished_at: Set(Some(now)),
            ..Default::default()
        })
        .filter(person_import::Column::Status.eq("RUNNING"))
        .filter(
            Condition::any()
                .add(person_import::Column::HeartbeatAt.lt(stale))
                .add(
                    Condition::all()
                        .add(person_import::Column::HeartbeatAt.is_null())
                        .add(person_import::Column::StartedAt.lt(stale)),
                ),
        );
    if let Some(id) = id {
        update = update.filter(person_import::Column::Id.eq(id));
    }
    Ok(update.exec(db).await?.rows_affected)
}

/// The status of one of the caller's imports; NOT_FOUND for anyone else's.
pub async fn status(state: &AppState, principal: &Principal, id: i64) -> AppResult<ImportStatus> {
    Ok(own(state, principal, id).await?.into())
}

/// A page of an import's report, in row order after row `after`, optionally of one outcome.
pub async fn report(
    state: &AppState,
    principal: &Principal,
    id: i64,
    after: Option<i64>,
    first: u64,
    outcome: Option<Outcome>,
) -> AppResult<(Vec<ReportRow>, bool)> {
    own(state, principal, id).await?;
    let mut select =
        person_import_row::Entity::find().filter(person_import_row::Column::ImportId.eq(id));
    if let Some(after) = after {
        select = select.filter(person_import_row::Column::RowNumber.gt(after));
    }
    if let Some(outcome) = outcome {
        select = select.filter(person_import_row::Column::Outcome.eq(outcome.as_str()));
    }
    let mut rows = select
        .order_by_asc(person_import_row::Column::RowNumber)
        .limit(first + 1)
        .all(&state.db)
        .await?;
    let more = rows.len() as u64 > first;
    rows.truncate(usize::try_from(first).unwrap_or(usize::MAX));
    Ok((
        rows.into_iter()
            .map(|r| ReportRow {
                row: r.row_number,
                outcome: Outcome::parse(&r.outcome).map_or("REJECTED", Outcome::as_str),
                person_id: r.person_id,
                column: r.column_name,
                reason: r.reason,
            })
            .collect(),
        more,
    ))
}

async fn own(state: &AppState, principal: &Principal, id: i64) -> AppResult<person_import::Model> {
    fail_interrupted(&state.db, Some(id)).await?;
    person_import::Entity::find_by_id(id)
        .filter(person_import::Column::Subject.eq(principal.subject.as_str()))
        .filter(person_import::Column::Agency.eq(principal.agency))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound {
            entity: "PersonImport",
        })
}

/// What the first pass over a file learns: its header and how many rows follow it.
struct Survey {
    headers: Vec<String>,
    header_row: u64,
    data_rows: u64,
}

/// Finds the header (the first row with two or more cells: a title merged across the
/// columns above it is skipped) and counts the rows below it, stopping past `max_rows`.
fn survey(path: &std::path::Path, format: Format, max_rows: usize) -> AppResult<Survey> {
    let mut header: Option<(u64, Vec<String>)> = None;
    let mut data_rows = 0u64;
    reader::for_each_row(path, format, &mut |number, cells| {
        if header.is_none() {
            if cells.iter().filter(|c| !c.trim().is_empty()).count() >= 2 {
                header = Some((number, cells));
            }
            return Ok(true);
        }
        data_rows += 1;
        Ok(data_rows <= max_rows as u64)
    })?;
    let (header_row, headers) =
        header.ok_or_else(|| AppError::bad_input("file", crate::msg!("import-no-header")))?;
    Ok(Survey {
        headers,
        header_row,
        data_rows,
    })
}

/// One import, running in the background.
struct Job {
    state: Arc<AppState>,
    actor: Actor,
    import_id: i64,
    columns: Columns,
    dry_run: bool,
    default_grid: Option<Arc<OrgUnit>>,
    header_row: u64,
}

/// Rows read ahead of the writer, in chunks: what bounds the import's memory.
const CHUNKS_AHEAD: usize = 2;

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    processed: i64,
    created: i64,
    updated: i64,
    unchanged: i64,
    possible_duplicates: i64,
    rejected: i64,
}

impl Counts {
    fn add(&mut self, outcome: Outcome) {
        self.processed += 1;
        match outcome {
            Outcome::Created => self.created += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::PossibleDuplicate => self.possible_duplicates += 1,
            Outcome::Rejected => self.rejected += 1,
        }
    }
}

/// State carried from chunk to chunk.
#[derive(Default)]
struct Progress {
    counts: Counts,
    /// The first row of the file each person key appeared in (hashed: a few bytes a row).
    seen: HashMap<u64, i64>,
    /// Grids as written in the file, resolved once each.
    grids: HashMap<String, Result<Arc<OrgUnit>, crate::i18n::Msg>>,
}

impl Job {
    async fn run(self, upload: Upload) {
        let id = self.import_id;
        let outcome = self.import(upload).await;
        let (status, error) = match outcome {
            Ok(()) => ("DONE", None),
            Err(err) => {
                if let AppError::Internal(cause) = &err {
                    tracing::error!(import = id, error = %crate::error::loggable(cause.as_ref()), "import failed");
                }
                ("FAILED", Some(err.message().to_stored()))
            }
        };
        let finished = person_import::Entity::update_many()
            .set(person_import::ActiveModel {
                status: Set(status.to_owned()),
                error: Set(error),
                finished_at: Set(Some(Utc::now())),
                ..Default::default()
            })
            .filter(person_import::Column::Id.eq(id))
            .filter(person_import::Column::Status.eq("RUNNING"))
            .exec(&self.state.db)
            .await;
        if let Err(err) = finished {
            tracing::error!(import = id, error = %crate::error::loggable(&err), "could not record the end of an import");
        }
    }

    async fn import(&self, upload: Upload) -> AppResult<()> {
        let chunk_rows = self.state.settings.import_chunk_rows;
        let (send, mut receive) =
            tokio::sync::mpsc::channel::<(u64, Vec<String>)>(chunk_rows * CHUNKS_AHEAD);
        let path: PathBuf = upload.file.to_path_buf();
        let format = upload.format;
        let header_row = self.header_row;
        let reading = tokio::task::spawn_blocking(move || {
            reader::for_each_row(&path, format, &mut |number, cells| {
                if number <= header_row {
                    return Ok(true);
                }
                // A closed channel means the writer stopped: stop reading too.
                Ok(send.blocking_send((number, cells)).is_ok())
            })
        });
        let mut progress = Progress::default();
        let mut chunk = Vec::with_capacity(chunk_rows);
        loop {
            let Some(row) = receive.recv().await else {
                break;
            };
            chunk.push(row);
            if chunk.len() >= chunk_rows {
                self.chunk(std::mem::take(&mut chunk), &mut progress)
                    .await?;
            }
        }
        if !chunk.is_empty() {
            self.chunk(chunk, &mut progress).await?;
        }
        reading
            .await
            .map_err(|e| AppError::internal(format!("the import reader stopped: {e}")))??;
        drop(upload);
        Ok(())
    }

    /// Settles one chunk of rows in one transaction and files their report rows with it
    /// (a dry run rolls the rows back and files the report alone). A chunk that lost a race
    /// with another writer (the same new number registered a moment ago, a record changed
    /// under it) is settled again from the start: the second time it finds the other's row.
    async fn chunk(&self, rows: Vec<(u64, Vec<String>)>, progress: &mut Progress) -> AppResult<()> {
        let mut prepared = Vec::with_capacity(rows.len());
        for (number, cells) in rows {
            let number = i64::try_from(number).unwrap_or(i64::MAX);
            let draft = row::read(&self.columns, &cells);
            prepared.push((number, self.prepare(draft, progress).await?));
        }
        const ATTEMPTS: u32 = 3;
        for attempt in 1..=ATTEMPTS {
            let txn = db::begin_write(&self.state.db).await?;
            match self.settle(&txn, &prepared, progress).await {
                Ok((report, seen)) => return self.finish(txn, report, seen, progress).await,
                Err(WriteError::Retry) if attempt < ATTEMPTS => txn.rollback().await?,
                Err(WriteError::Retry) => {
                    txn.rollback().await?;
                    return Err(AppError::internal(
                        "an import chunk kept racing other writers",
                    ));
                }
                Err(WriteError::App(err)) => {
                    txn.rollback().await?;
                    return Err(err);
                }
            }
        }
        Err(AppError::internal("an import chunk was never settled"))
    }

    /// The chunk's rows settled in `txn`: its report and the person keys it saw first. A
    /// constant number of statements for the whole chunk, plus one per updated record.
    async fn settle(
        &self,
        txn: &DatabaseTransaction,
        prepared: &[(i64, Result<Registration, Rejection>)],
        progress: &Progress,
    ) -> Result<(Vec<ReportRow>, HashMap<u64, i64>), WriteError> {
        let principal = &self.actor.principal;
        let now = Utc::now();
        let mut report: Vec<ReportRow> = Vec::with_capacity(prepared.len());
        let mut seen: HashMap<u64, i64> = HashMap::new();
        // Rows to settle: their place in the report, the registration, the person matched.
        let mut candidates: Vec<(usize, &Registration, Option<person::Model>)> = Vec::new();
        let registrations: Vec<&Registration> = prepared
            .iter()
            .filter_map(|(_, r)| r.as_ref().ok())
            .collect();
        let same_person = SamePerson::load(txn, principal, &registrations).await?;
        for (number, prepared) in prepared {
            let line = |outcome: Outcome, reason: Option<String>| ReportRow {
                row: *number,
                outcome: outcome.as_str(),
                person_id: None,
                column: None,
                reason,
            };
            let registration = match prepared {
                Err(rejection) => {
                    report.push(ReportRow {
                        column: Some(rejection.column.clone()),
                        ..line(Outcome::Rejected, Some(rejection.reason.to_stored()))
                    });
                    continue;
                }
                Ok(registration) => registration,
            };
            // The same person twice in one file: the first row counts.
            let keys = person_keys(registration);
            let first = keys
                .iter()
                .find_map(|k| progress.seen.get(k).or_else(|| seen.get(k)));
            if let Some(first) = first {
                let reason = crate::msg!("import-same-as-row", row = *first).to_stored();
                report.push(line(Outcome::PossibleDuplicate, Some(reason)));
                continue;
            }
            for key in keys {
                seen.insert(key, *number);
            }
            let matched = if registration.document.is_none() {
                match same_person.of(registration).as_slice() {
                    [] => None,
                    [one] => Some((*one).clone()),
                    many => {
                        let ids: Vec<String> = many.iter().map(|p| p.id.to_string()).collect();
                        let reason = crate::msg!(
                            "import-matches-several",
                            count = many.len(),
                            ids = ids.join(", ")
                        )
                        .to_stored();
                        report.push(line(Outcome::PossibleDuplicate, Some(reason)));
                        continue;
                    }
                }
            } else {
                None
            };
            candidates.push((report.len(), registration, matched));
            report.push(line(Outcome::Rejected, None));
        }

        let entry = if self.dry_run {
            guesses::Entry::Trial
        } else {
            guesses::Entry::Kept
        };
        let rows: Vec<(&Registration, Option<person::Model>)> = candidates
            .iter()
            .map(|(_, registration, matched)| (*registration, matched.clone()))
            .collect();
        let plans = persons::plan_imported(txn, principal, &rows, entry).await?;
        let mut inserts: Vec<(usize, (&Registration, Option<i64>))> = Vec::new();
        let mut kept: Vec<(usize, i64)> = Vec::new();
        let mut written = Vec::new();
        // Two rows of a chunk that land on one record (one by its number, one by name and
        // phone) are one person: the second is reported as the first's, never written over
        // it from a copy the first already changed.
        let mut targets: HashMap<i64, i64> = HashMap::new();
        for ((at, registration, _), plan) in candidates.into_iter().zip(plans) {
            if let Some(target) = plan.as_ref().ok().and_then(Plan::target) {
                if let Some(first) = targets.get(&target) {
                    let reason = crate::msg!("import-same-as-row", row = *first).to_stored();
                    report[at].outcome = Outcome::PossibleDuplicate.as_str();
                    report[at].reason = Some(reason);
                    continue;
                }
                targets.insert(target, report[at].row);
            }
            match plan {
                Err(err) => {
                    let rejection = self.rejection(err);
                    let line = &mut report[at];
                    line.column = Some(rejection.column);
                    line.reason = Some(rejection.reason.to_stored());
                }
                Ok(Plan::Insert { held_for }) => inserts.push((at, (registration, held_for))),
                Ok(Plan::Keep(current)) => kept.push((at, current.id)),
                Ok(plan) => {
                    let (model, _) =
                        persons::apply(txn, principal, registration, plan, now).await?;
                    report[at].outcome = Outcome::Updated.as_str();
                    report[at].person_id = Some(model.id);
                    written.push(model.id);
                }
            }
        }
        let rows: Vec<(&Registration, Option<i64>)> = inserts.iter().map(|(_, r)| *r).collect();
        let inserted = persons::insert_all(txn, principal, &rows, now).await?;
        for ((at, _), model) in inserts.iter().zip(inserted) {
            report[*at].outcome = Outcome::Created.as_str();
            report[*at].person_id = Some(model.id);
            written.push(model.id);
        }
        // Known and unchanged: news only if the caller's agency had not reported them.
        let ids: Vec<i64> = kept.iter().map(|(_, id)| *id).collect();
        let reported = persons::reported_by(txn, principal, &ids).await?;
        for (at, id) in kept {
            report[at].person_id = Some(id);
            if reported.contains(&id) {
                report[at].outcome = Outcome::Unchanged.as_str();
            } else {
                report[at].outcome = Outcome::Updated.as_str();
                written.push(id);
            }
        }
        if !written.is_empty() {
            persons::record_provenance(txn, &written, principal, now).await?;
            let (first, last) = (
                report.first().map_or(0, |r| r.row),
                report.last().map_or(0, |r| r.row),
            );
            let reason = format!("import {}, rows {first}-{last}", self.import_id);
            self.actor
                .record_write(txn, OPERATION, "Person", &written, Some(&reason))
                .await?;
        }
        Ok((report, seen))
    }

    /// Files a settled chunk's report and counts, and keeps its writes (a dry run's are
    /// rolled back first).
    async fn finish(
        &self,
        txn: DatabaseTransaction,
        mut report: Vec<ReportRow>,
        seen: HashMap<u64, i64>,
        progress: &mut Progress,
    ) -> AppResult<()> {
        for line in &report {
            progress
                .counts
                .add(Outcome::parse(line.outcome).unwrap_or(Outcome::Rejected));
        }
        progress.seen.extend(seen);
        if self.dry_run {
            txn.rollback().await?;
            for line in &mut report {
                if line.outcome == Outcome::Created.as_str() {
                    line.person_id = None;
                }
            }
            let txn = db::begin_write(&self.state.db).await?;
            self.file_report(&txn, &report, progress.counts).await?;
            txn.commit().await?;
        } else {
            self.file_report(&txn, &report, progress.counts).await?;
            txn.commit().await?;
        }
        Ok(())
    }

    /// A row read into a registration, checked as `registerPerson` checks one (grid in
    /// the caller's jurisdiction, birth date and sex agreeing with a resident ID number),
    /// and against the rows before it in the file.
    async fn prepare(
        &self,
        draft: Result<Draft, Rejection>,
        progress: &mut Progress,
    ) -> AppResult<Result<Registration, Rejection>> {
        let draft = match draft {
            Ok(draft) => draft,
            Err(rejection) => return Ok(Err(rejection)),
        };
        let principal = &self.actor.principal;
        let grid_header = self.columns.header_of(Field::Grid);
        let residence = match &draft.grid {
            Some(text) => {
                if !progress.grids.contains_key(text) {
                    let resolved = resolve_grid(&self.state, principal, text).await?;
                    progress.grids.insert(text.clone(), resolved);
                }
                match progress.grids.get(text) {
                    Some(Ok(unit)) => Arc::clone(unit),
                    Some(Err(reason)) => {
                        return Ok(Err(self.reject(Field::Grid, reason.clone())));
                    }
                    None => return Err(AppError::internal("a grid resolved and lost")),
                }
            }
            None => match self.own_grid() {
                Some(unit) => unit,
                None => return Ok(Err(self.reject(Field::Grid, crate::msg!("import-no-grid")))),
            },
        };
        if let Err(err) = persons::check_residence(principal, &residence, &grid_header) {
            return Ok(Err(self.rejection(err)));
        }
        let registration = Registration {
            document: draft.document,
            name: draft.name,
            sex: draft.sex,
            birth_date: draft.birth_date,
            phone: draft.phone,
            address: draft.address,
            residence,
        };
        Ok(persons::reconcile_with_document(registration).map_err(|err| self.rejection(err)))
    }

    /// The grid rows without one go to: the list's, or the caller's own when it is one.
    fn own_grid(&self) -> Option<Arc<OrgUnit>> {
        self.default_grid.clone().or_else(|| {
            let own = &self.actor.principal.org;
            (own.level == OrgLevel::Grid).then(|| Arc::clone(own))
        })
    }

    fn reject(&self, field: Field, reason: crate::i18n::Msg) -> Rejection {
        Rejection::new(&self.columns, field, reason)
    }

    /// A refusal of the registration rules, as a rejection of the column it is about.
    fn rejection(&self, err: AppError) -> Rejection {
        match err {
            AppError::BadUserInput { field, message } => {
                let column = if field.ends_with("birthDate") {
                    Field::BirthDate
                } else if field.ends_with("sex") {
                    Field::Sex
                } else if field.ends_with("name") {
                    Field::Name
                } else {
                    Field::Document
                };
                self.reject(column, message)
            }
            AppError::Forbidden(message) => self.reject(Field::Grid, message),
            AppError::LimitExceeded(message) => self.reject(Field::Document, message),
            other => self.reject(Field::Name, other.message()),
        }
    }

    async fn file_report(
        &self,
        txn: &DatabaseTransaction,
        report: &[ReportRow],
        counts: Counts,
    ) -> AppResult<()> {
        if !report.is_empty() {
            person_import_row::Entity::insert_many(report.iter().map(|r| {
                person_import_row::ActiveModel {
                    import_id: Set(self.import_id),
                    row_number: Set(r.row),
                    outcome: Set(r.outcome.to_owned()),
                    person_id: Set(r.person_id),
                    column_name: Set(r.column.clone()),
                    reason: Set(r.reason.clone()),
                    ..Default::default()
                }
            }))
            .exec_without_returning(txn)
            .await?;
        }
        let updated = person_import::Entity::update_many()
            .set(person_import::ActiveModel {
                processed_rows: Set(counts.processed),
                created: Set(counts.created),
                updated: Set(counts.updated),
                unchanged: Set(counts.unchanged),
                possible_duplicates: Set(counts.possible_duplicates),
                rejected: Set(counts.rejected),
                heartbeat_at: Set(Some(Utc::now())),
                ..Default::default()
            })
            .filter(person_import::Column::Id.eq(self.import_id))
            .filter(person_import::Column::Status.eq("RUNNING"))
            .exec(txn)
            .await?;
        // Counted as interrupted (this server was too slow to beat): stop, keeping nothing
        // of this chunk, as the caller was told.
        if updated.rows_affected == 0 {
            return Err(AppError::internal(
                "an import was counted as interrupted while it still ran",
            ));
        }
        Ok(())
    }
}

/// Keys under which a row is the same person as an earlier row: its document, or else its
/// name with its phone and its name with its birth date.
fn person_keys(registration: &Registration) -> Vec<u64> {
    let hash = |parts: &[&str]| {
        let mut hasher = DefaultHasher::new();
        parts.hash(&mut hasher);
        hasher.finish()
    };
    if let Some(document) = &registration.document {
        return vec![hash(&[
            "document",
            &document.kind().to_string(),
            document.number(),
        ])];
    }
    let name = registration.name.as_str();
    let mut keys = Vec::new();
    if let Some(phone) = &registration.phone {
        keys.push(hash(&["phone", name, phone.as_str()]));
    }
    if let Some(birth) = registration.birth_date {
        keys.push(hash(&["birth", name, &birth.to_string()]));
    }
    keys
}

/// How the rows without a document number of a chunk are matched to persons in the caller's
/// jurisdiction: the same name, with the same phone or (for those who see birth dates) the
/// same birth date. Nothing outside the jurisdiction is consulted, so an answer tells nothing
/// about anyone else. One statement for the chunk; each row then picks its own.
struct SamePerson {
    candidates: Vec<person::Model>,
    sees_birth_dates: bool,
}

/// At most this many persons are named for one row (more: merge them first).
const MATCHES_NAMED: usize = 10;

impl SamePerson {
    async fn load(
        txn: &DatabaseTransaction,
        principal: &Principal,
        rows: &[&Registration],
    ) -> AppResult<Self> {
        // Matching by birth date would let whoever cannot see birth dates (they sit hidden in
        // a masked resident ID) test dates one row at a time, as `possibleDuplicates` does
        // not.
        let sees_birth_dates =
            access::may_see(principal.agency, principal.role, "Person.birthDate");
        let rows: Vec<&&Registration> = rows.iter().filter(|r| r.document.is_none()).collect();
        let phones: Vec<&str> = rows
            .iter()
            .filter_map(|r| r.phone.as_ref().map(|p| p.as_str()))
            .collect();
        let births: Vec<chrono::NaiveDate> = rows
            .iter()
            .filter_map(|r| r.birth_date)
            .filter(|_| sees_birth_dates)
            .collect();
        let mut either = Condition::any();
        if !phones.is_empty() {
            either = either.add(person::Column::Phone.is_in(phones));
        }
        if !births.is_empty() {
            either = either.add(person::Column::BirthDate.is_in(births));
        }
        let candidates = if either.is_empty() {
            Vec::new()
        } else {
            person::Entity::find()
                .filter(scope::persons_in_jurisdiction(principal))
                .filter(person::Column::Name.is_in(rows.iter().map(|r| r.name.as_str())))
                .filter(either)
                .order_by_asc(person::Column::Id)
                .limit(u64::try_from(rows.len() * MATCHES_NAMED).unwrap_or(u64::MAX))
                .all(txn)
                .await?
        };
        Ok(Self {
            candidates,
            sees_birth_dates,
        })
    }

    /// The persons a row may be, in the order of their ids.
    fn of(&self, registration: &Registration) -> Vec<&person::Model> {
        self.candidates
            .iter()
            .filter(|p| p.name == registration.name.as_str())
            .filter(|p| {
                let phone = registration
                    .phone
                    .as_ref()
                    .is_some_and(|phone| p.phone.as_deref() == Some(phone.as_str()));
                let birth = self.sees_birth_dates
                    && registration
                        .birth_date
                        .is_some_and(|birth| p.birth_date == Some(birth));
                phone || birth
            })
            .take(MATCHES_NAMED)
            .collect()
    }
}

/// A grid named by its code, or by its name among the grids of the caller's community
/// (or the caller's own grid). `Err` carries the reason a row is refused for it.
async fn resolve_grid(
    state: &AppState,
    principal: &Principal,
    text: &str,
) -> AppResult<Result<Arc<OrgUnit>, crate::i18n::Msg>> {
    if let Some(unit) = state.orgs.by_code(&state.db, text).await? {
        return Ok(Ok(unit));
    }
    let own = &principal.org;
    let candidates = match own.level {
        OrgLevel::Grid => vec![Arc::clone(own)],
        OrgLevel::Community => state.orgs.children(Some(own.id))?,
        _ => Vec::new(),
    };
    Ok(candidates
        .into_iter()
        .find(|unit| unit.level == OrgLevel::Grid && unit.name == text)
        .ok_or_else(|| crate::msg!("import-unknown-grid")))
}
