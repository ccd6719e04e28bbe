//! `GET /exports/{ledger}.{csv|xlsx}`: a list downloaded as a ledger (台账).
//!
//! The rows are the list query's own answer, page after page by its keyset cursor, run
//! through the same endpoint as any GraphQL request of the principal (authentication,
//! visibility, limits, scope, masks, pseudonymization): nothing here decides what a row
//! shows. Each page's reads are on the audit trail before its bytes leave. The body is
//! streamed: a page in memory at a time, no request time-out over the whole download (each
//! page has the request budget of its own).

use std::{io::Write, sync::Arc};

use actix_web::{http::header, web, HttpRequest, HttpResponse};
use async_graphql::{Request, Variables};
use chrono::NaiveDate;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::{
    graphql::{error_response, execute, locale_of, rate_limited, request_id},
    Endpoint,
};
use crate::{
    audit::Actor,
    auth,
    error::{AppError, AppResult},
    exports::{
        ledgers::{self, Ledger, Shape},
        query::{self, Cell},
        sheet::{csv_rows, FileKind, XlsxSheet, UTF8_BOM},
    },
    i18n::Locale,
};

/// Bytes handed to the client at a time.
type Chunk = Result<web::Bytes, std::io::Error>;

/// Pages waiting to be sent (or written to the sheet) at most: what bounds the memory.
const QUEUED_PAGES: usize = 2;

pub async fn download(
    req: HttpRequest,
    file: web::Path<String>,
    endpoint: web::Data<Endpoint>,
) -> HttpResponse {
    let request_id = request_id(&req);
    let locale = locale_of(&req);
    match start(&req, &file, endpoint.into_inner(), &request_id, locale).await {
        Ok(response) => response,
        Err(err) => error_response(&err, &request_id, locale),
    }
}

async fn start(
    req: &HttpRequest,
    file: &str,
    endpoint: Arc<Endpoint>,
    request_id: &str,
    locale: Locale,
) -> AppResult<HttpResponse> {
    let not_found = AppError::NotFound { entity: "Ledger" };
    let (name, extension) = file.rsplit_once('.').ok_or(not_found)?;
    let ledger = ledgers::find(name).ok_or(AppError::NotFound { entity: "Ledger" })?;
    let kind = FileKind::parse(extension).ok_or(AppError::NotFound { entity: "Ledger" })?;
    let state = &endpoint.state;
    if !state.db_watch.is_up() {
        return Err(AppError::Unavailable(sea_orm::DbErr::Custom(
            "the database does not answer".into(),
        )));
    }
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    let principal =
        auth::authenticate(authorization, &endpoint.verifier, &state.orgs, &state.db).await?;
    if let Some(limit) = &endpoint.rate_limit {
        if let Err(wait) = limit.check(&format!("{}:{}", principal.agency, principal.subject)) {
            return Ok(rate_limited(wait, request_id, locale));
        }
    }
    // A list the principal does not read does not exist for it, as in its schema.
    if !query::readable(ledger, &principal) {
        return Err(AppError::NotFound { entity: "Ledger" });
    }
    let mut arguments = arguments(ledger, req.query_string())?;
    let days = match ledger.shape {
        Shape::Days => Some(days(&mut arguments, state.settings.clock.today())?),
        Shape::Connection | Shape::Single => None,
    };
    let columns = query::visible_columns(ledger, &principal);
    let export = Arc::new(Export {
        endpoint: Arc::clone(&endpoint),
        actor: Arc::new(Actor::new(principal, request_id.to_owned())),
        ledger,
        document: query::document(ledger, &columns),
        operation: format!("export {file}"),
        page_size: i64::from(endpoint.state.settings.max_page_size),
        locale,
        arguments,
        days,
        columns,
    });
    // The first page is read before anything is sent: a refusal is an error response,
    // never a file that looks empty.
    let first = export.page(None).await?;
    let headers: Vec<&'static str> = export.columns.iter().map(|c| c.header).collect();
    let (body, stream) = mpsc::channel::<Chunk>(QUEUED_PAGES);
    match kind {
        FileKind::Csv => {
            actix_web::rt::spawn(csv(Arc::clone(&export), first, headers, body));
        }
        FileKind::Xlsx => {
            actix_web::rt::spawn(xlsx(Arc::clone(&export), first, headers, body));
        }
    }
    let stream = futures_util::stream::unfold(stream, |mut stream| async move {
        stream.recv().await.map(|chunk| (chunk, stream))
    });
    let filename = format!("{}.{}", ledger.name, kind.extension());
    let title = utf8_percent(&format!("{}.{}", ledger.title, kind.extension()));
    Ok(HttpResponse::Ok()
        .content_type(kind.content_type())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\"; filename*=UTF-8''{title}"),
        ))
        // Ledgers carry personal data: no cache anywhere may keep them.
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Request-Id", request_id))
        .streaming(stream))
}

/// One download in progress.
struct Export {
    endpoint: Arc<Endpoint>,
    actor: Arc<Actor>,
    ledger: &'static Ledger,
    document: String,
    operation: String,
    page_size: i64,
    /// The language of the download's errors and of the list's own messages.
    locale: Locale,
    arguments: serde_json::Map<String, Value>,
    /// The first and last day of a [`Shape::Days`] ledger.
    days: Option<(NaiveDate, NaiveDate)>,
    columns: Vec<&'static ledgers::Column>,
}

/// A page of rows, and where the next one starts.
struct Page {
    rows: Vec<Vec<Cell>>,
    next: Option<String>,
}

impl Export {
    /// One page of the list query, exactly as the principal would read it, filed on the
    /// audit trail under this export before it is returned.
    async fn page(&self, after: Option<String>) -> AppResult<Page> {
        let mut variables = Value::Object(self.arguments.clone());
        // A series of days is read a day at a time: the cursor is the day.
        let mut next_day = None;
        match (self.ledger.shape, self.days) {
            (Shape::Connection, _) => {
                variables["first"] = json!(self.page_size);
                variables["after"] = json!(after);
            }
            (Shape::Days, Some((from, to))) => {
                let day = after
                    .as_deref()
                    .and_then(|a| a.parse::<NaiveDate>().ok())
                    .unwrap_or(from);
                variables["date"] = json!(day.to_string());
                next_day = day.succ_opt().filter(|next| *next <= to);
            }
            _ => {}
        }
        let request = Request::new(self.document.clone())
            .operation_name("Export")
            .variables(Variables::from_json(variables));
        let endpoint = &self.endpoint;
        // A client held to its registered operations runs no other query here either.
        endpoint.registered.check(&self.actor.principal, &request)?;
        let response = endpoint
            .bounded(
                &self.actor.request_id,
                execute(endpoint, &self.actor, true, self.locale, request),
            )
            .await?;
        if let Some(error) = response.errors.first() {
            return Err(refusal(error));
        }
        let data = response
            .data
            .into_json()
            .map_err(|e| AppError::internal(e.to_string()))?;
        let answer = &data[self.ledger.field];
        let (nodes, next): (Vec<&Value>, Option<String>) = match self.ledger.shape {
            Shape::Single | Shape::Days if answer.is_null() => (Vec::new(), None),
            Shape::Single => (vec![answer], None),
            Shape::Days => (vec![answer], next_day.map(|d| d.to_string())),
            Shape::Connection => {
                let nodes = answer["edges"]
                    .as_array()
                    .map(|edges| edges.iter().map(|edge| &edge["node"]).collect())
                    .unwrap_or_default();
                let more = answer["pageInfo"]["hasNextPage"].as_bool() == Some(true);
                let cursor = answer["pageInfo"]["endCursor"].as_str().map(str::to_owned);
                (nodes, cursor.filter(|_| more))
            }
        };
        let rows = nodes
            .into_iter()
            .map(|node| query::cells(node, &self.columns))
            .collect();
        self.actor.set_operation(self.operation.clone());
        // Personal data leaves the server only once its reads are on the audit trail.
        self.actor.flush_reads(&endpoint.state.audit).await?;
        Ok(Page { rows, next })
    }
}

/// The error the list query answered with, as the download's.
fn refusal(error: &async_graphql::ServerError) -> AppError {
    let code = error
        .extensions
        .as_ref()
        .and_then(|x| x.get("code"))
        .map(ToString::to_string)
        .unwrap_or_default();
    // Already in the reader's language: passed on as it is.
    let message = crate::msg!("graphql-verbatim", detail = error.message.clone());
    match code.trim_matches('"') {
        "UNAUTHENTICATED" => AppError::Unauthenticated(message),
        "FORBIDDEN" => AppError::Forbidden(message),
        "NOT_FOUND" => AppError::NotFound { entity: "Ledger" },
        "LIMIT_EXCEEDED" => AppError::LimitExceeded(message),
        "UNAVAILABLE" => AppError::Unavailable(sea_orm::DbErr::Custom(error.message.clone())),
        "INTERNAL" => AppError::internal(error.message.clone()),
        _ => AppError::BadUserInput {
            field: "query".into(),
            message,
        },
    }
}

/// The list query's arguments from the URL: `filter` as JSON, the others as text. A
/// parameter the ledger does not take is BAD_USER_INPUT, so a typo never widens a download.
fn arguments(ledger: &Ledger, query_string: &str) -> AppResult<serde_json::Map<String, Value>> {
    let pairs = web::Query::<Vec<(String, String)>>::from_query(query_string)
        .map_err(|e| {
            AppError::bad_input(
                "query",
                crate::msg!("graphql-verbatim", detail = e.to_string()),
            )
        })?
        .into_inner();
    let mut arguments = serde_json::Map::new();
    for (name, value) in pairs {
        let arg = ledger
            .args
            .iter()
            .find(|arg| arg.name == name)
            .ok_or_else(|| {
                let known: Vec<&str> = ledger.args.iter().map(|a| a.name).collect();
                AppError::bad_input(
                    name.clone(),
                    crate::msg!("export-parameter-unknown", known = known.join(", ")),
                )
            })?;
        let value = if arg.json {
            serde_json::from_str(&value).map_err(|e| {
                AppError::bad_input(
                    name.clone(),
                    crate::msg!("export-parameter-not-json", detail = e.to_string()),
                )
            })?
        } else {
            Value::String(value)
        };
        arguments.insert(name, value);
    }
    Ok(arguments)
}

/// The days of a series (`from` and `to`, taken out of the query's arguments): today when
/// neither is given, at most [`ledgers::MAX_DAYS`] days, never backwards nor past today.
fn days(
    arguments: &mut serde_json::Map<String, Value>,
    today: NaiveDate,
) -> AppResult<(NaiveDate, NaiveDate)> {
    let mut day = |name: &str| -> AppResult<Option<NaiveDate>> {
        match arguments.remove(name) {
            None => Ok(None),
            Some(value) => {
                let text = value.as_str().unwrap_or_default().to_owned();
                text.parse::<NaiveDate>().map(Some).map_err(|_| {
                    AppError::bad_input(name, crate::msg!("expected-date-got", value = text))
                })
            }
        }
    };
    let to = day("to")?;
    let from = day("from")?;
    let (from, to) = match (from, to) {
        (None, None) => (today, today),
        (Some(from), None) => (from, today.max(from)),
        (None, Some(to)) => (to, to),
        (Some(from), Some(to)) => (from, to),
    };
    if to > today {
        return Err(AppError::bad_input(
            "to",
            crate::msg!("must-not-be-in-the-future"),
        ));
    }
    if to < from {
        return Err(AppError::bad_input("to", crate::msg!("out-of-range")));
    }
    if (to - from).num_days() >= ledgers::MAX_DAYS {
        return Err(AppError::bad_input(
            "to",
            crate::msg!("period-at-most-days", max = ledgers::MAX_DAYS),
        ));
    }
    Ok((from, to))
}

/// Writes the pages as CSV, each as soon as it is read; stops when the client goes away.
async fn csv(
    export: Arc<Export>,
    first: Page,
    headers: Vec<&'static str>,
    body: mpsc::Sender<Chunk>,
) {
    let header_row = vec![headers
        .iter()
        .map(|h| Cell::Text((*h).to_owned()))
        .collect::<Vec<_>>()];
    let mut start = UTF8_BOM.to_vec();
    let bytes = csv_rows(&header_row).map(|header| {
        start.extend(header);
        start
    });
    if !send(&body, bytes).await {
        return;
    }
    let mut page = first;
    loop {
        if !send(&body, csv_rows(&page.rows)).await {
            return;
        }
        let Some(after) = page.next.take() else {
            return;
        };
        page = match export.page(Some(after)).await {
            Ok(page) => page,
            Err(err) => {
                fail(&body, &export, &err).await;
                return;
            }
        };
    }
}

/// Writes the pages into a constant-memory workbook on a blocking thread, then zips it
/// straight into the response.
async fn xlsx(
    export: Arc<Export>,
    first: Page,
    headers: Vec<&'static str>,
    body: mpsc::Sender<Chunk>,
) {
    let (pages, mut pages_in) = mpsc::channel::<Vec<Vec<Cell>>>(QUEUED_PAGES);
    let sheet_body = body.clone();
    let title = export.ledger.title;
    let writer = tokio::task::spawn_blocking(move || -> AppResult<()> {
        let mut sheet = XlsxSheet::new(title)?;
        sheet.header(&headers)?;
        while let Some(rows) = pages_in.blocking_recv() {
            sheet.rows(&rows)?;
        }
        let mut out = ChunkWriter::new(sheet_body);
        sheet.finish(&mut out)?;
        out.flush().map_err(AppError::internal)
    });
    let mut page = first;
    loop {
        if pages.send(std::mem::take(&mut page.rows)).await.is_err() {
            break;
        }
        let Some(after) = page.next.take() else {
            break;
        };
        page = match export.page(Some(after)).await {
            Ok(page) => page,
            Err(err) => {
                fail(&body, &export, &err).await;
                return;
            }
        };
    }
    drop(pages);
    match writer.await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => fail(&body, &export, &err).await,
        Err(join) => fail(&body, &export, &AppError::internal(join.to_string())).await,
    }
}

/// Sends bytes; false once the client has gone (or the bytes could not be made).
async fn send(body: &mpsc::Sender<Chunk>, bytes: AppResult<Vec<u8>>) -> bool {
    match bytes {
        Ok(bytes) => body.send(Ok(web::Bytes::from(bytes))).await.is_ok(),
        Err(err) => {
            let _ = body.send(Err(std::io::Error::other(err.to_string()))).await;
            false
        }
    }
}

/// Breaks the download off: the client sees a failed transfer, never a file that merely
/// looks shorter.
async fn fail(body: &mpsc::Sender<Chunk>, export: &Export, err: &AppError) {
    tracing::warn!(request_id = %export.actor.request_id, code = err.code(), "export broken off");
    let _ = body
        .send(Err(std::io::Error::other(err.code().to_owned())))
        .await;
}

/// A `Write` that hands its bytes to the response in chunks of 64 KiB, from a blocking
/// thread.
struct ChunkWriter {
    body: mpsc::Sender<Chunk>,
    buffer: Vec<u8>,
}

const CHUNK_BYTES: usize = 64 * 1024;

impl ChunkWriter {
    fn new(body: mpsc::Sender<Chunk>) -> Self {
        Self {
            body,
            buffer: Vec::with_capacity(CHUNK_BYTES),
        }
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK_BYTES {
            self.flush()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = web::Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(CHUNK_BYTES),
        ));
        self.body
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::other("the client went away"))
    }
}

/// RFC 5987 percent-encoding of a file name.
fn utf8_percent(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
