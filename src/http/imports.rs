//! `POST /imports`: upload a line list (CSV or XLSX) as `multipart/form-data`, and follow
//! its import at `GET /imports/{id}` and its report at `GET /imports/{id}/rows`.
//!
//! Plain HTTP multipart, so that `curl -F file=@list.xlsx` and any upload client work. The
//! file goes to a temporary file as it arrives, never more than `MAX_IMPORT_BYTES`; the
//! domain (`domain::imports`) checks and imports it from there.

use std::{io::Write, time::Duration};

use actix_multipart::Multipart;
use actix_web::{
    http::{header, StatusCode},
    web, HttpRequest, HttpResponse,
};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::graphql::{error_response, locale_of, rate_limited, request_id};
use crate::{
    audit::Actor,
    auth::{self, Principal},
    domain::imports::{self, columns::Mapping, reader::Format, Options, Outcome, Upload},
    error::{AppError, AppResult},
};

use super::Endpoint;

/// Longest a form field other than the file may be (a mapping, a grid code).
const MAX_FIELD_BYTES: usize = 64 * 1024;
/// Longest `?wait=` a caller may ask the upload to wait for its import to finish.
const MAX_WAIT_SECONDS: u64 = 30;
/// Largest page of a report.
const MAX_REPORT_PAGE: u64 = 1000;

#[derive(Debug, Deserialize)]
pub struct UploadQuery {
    /// Seconds to wait for the import to finish before answering (0 to 30).
    wait: Option<u64>,
}

pub async fn upload(
    req: HttpRequest,
    payload: web::Payload,
    query: web::Query<UploadQuery>,
    endpoint: web::Data<Endpoint>,
) -> HttpResponse {
    let request_id = request_id(&req);
    let principal = match principal(&req, &endpoint).await {
        Ok(principal) => principal,
        Err(err) => return error_response(&err, &request_id, locale_of(&req)),
    };
    if let Some(limit) = &endpoint.rate_limit {
        if let Err(wait) = limit.check(&format!("{}:{}", principal.agency, principal.subject)) {
            return rate_limited(wait, &request_id, locale_of(&req));
        }
    }
    let actor = Actor::new(principal, request_id.clone());
    let state = &endpoint.state;
    let form = match read_form(&req, payload, state.settings.max_import_bytes).await {
        Ok(form) => form,
        Err(err) => return error_response(&err, &request_id, locale_of(&req)),
    };
    let started = imports::start(std::sync::Arc::clone(state), &actor, form.0, form.1).await;
    let mut status = match started {
        Ok(status) => status,
        Err(err) => return error_response(&err, &request_id, locale_of(&req)),
    };
    let wait = Duration::from_secs(query.wait.unwrap_or(0).min(MAX_WAIT_SECONDS));
    let deadline = tokio::time::Instant::now() + wait;
    while status.status == "RUNNING" && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        status = match imports::status(state, &actor.principal, status.id).await {
            Ok(status) => status,
            Err(err) => return error_response(&err, &request_id, locale_of(&req)),
        };
    }
    let code = if status.status == "RUNNING" {
        StatusCode::ACCEPTED
    } else {
        StatusCode::CREATED
    };
    HttpResponse::build(code)
        .insert_header((header::LOCATION, format!("/imports/{}", status.id)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Request-Id", request_id))
        .json(status)
}

pub async fn status(
    req: HttpRequest,
    id: web::Path<i64>,
    endpoint: web::Data<Endpoint>,
) -> HttpResponse {
    let request_id = request_id(&req);
    let outcome = async {
        let principal = principal(&req, &endpoint).await?;
        imports::status(&endpoint.state, &principal, id.into_inner()).await
    }
    .await;
    match outcome {
        Ok(mut status) => {
            let locale = locale_of(&req);
            status.error = status
                .error
                .map(|stored| crate::i18n::render_stored(stored, locale));
            ok_json(&status, &request_id)
        }
        Err(err) => error_response(&err, &request_id, locale_of(&req)),
    }
}

#[derive(Debug, Deserialize)]
pub struct RowsQuery {
    first: Option<u64>,
    /// The `endCursor` of the page before: the last row number it held.
    after: Option<String>,
    /// Only rows of this outcome (`REJECTED`, ...).
    outcome: Option<String>,
}

pub async fn rows(
    req: HttpRequest,
    id: web::Path<i64>,
    query: web::Query<RowsQuery>,
    endpoint: web::Data<Endpoint>,
) -> HttpResponse {
    let request_id = request_id(&req);
    let outcome = async {
        let principal = principal(&req, &endpoint).await?;
        let first = query.first.unwrap_or(100);
        if !(1..=MAX_REPORT_PAGE).contains(&first) {
            return Err(AppError::bad_input(
                "first",
                crate::msg!("import-report-page", max = MAX_REPORT_PAGE),
            ));
        }
        let after = query
            .after
            .as_deref()
            .map(|a| {
                a.parse::<i64>()
                    .map_err(|_| AppError::bad_input("after", crate::msg!("import-report-cursor")))
            })
            .transpose()?;
        let only = query
            .outcome
            .as_deref()
            .map(|o| {
                Outcome::parse(o).ok_or_else(|| {
                    AppError::bad_input("outcome", crate::msg!("import-report-outcome"))
                })
            })
            .transpose()?;
        imports::report(
            &endpoint.state,
            &principal,
            id.into_inner(),
            after,
            first,
            only,
        )
        .await
    }
    .await;
    match outcome {
        Ok((mut rows, more)) => {
            let end = rows.last().map(|r| r.row.to_string());
            // Reasons are kept as messages and read in the reader's language.
            let locale = locale_of(&req);
            for row in &mut rows {
                row.reason = row
                    .reason
                    .take()
                    .map(|stored| crate::i18n::render_stored(stored, locale));
            }
            ok_json(
                &json!({ "rows": rows, "pageInfo": { "hasNextPage": more, "endCursor": end } }),
                &request_id,
            )
        }
        Err(err) => error_response(&err, &request_id, locale_of(&req)),
    }
}

async fn principal(req: &HttpRequest, endpoint: &Endpoint) -> AppResult<Principal> {
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
    auth::authenticate(authorization, &endpoint.verifier, &state.orgs, &state.db).await
}

fn ok_json(body: &impl serde::Serialize, request_id: &str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Request-Id", request_id))
        .json(body)
}

/// Reads the form: `file` (required) to a temporary file, `mapping`, `dryRun` and `grid`.
async fn read_form(
    req: &HttpRequest,
    payload: web::Payload,
    max_bytes: usize,
) -> AppResult<(Upload, Options)> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > max_bytes + MAX_FIELD_BYTES * 4) {
        return Err(too_large(max_bytes));
    }
    let not_multipart = |e: actix_multipart::MultipartError| {
        AppError::bad_input(
            "body",
            crate::msg!("import-not-multipart", detail = e.to_string()),
        )
    };
    let mut form = Multipart::new(req.headers(), payload);
    let mut upload = None;
    let mut options = Options::default();
    while let Some(field) = form.next().await {
        let mut field = field.map_err(not_multipart)?;
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let file_name = field
                .content_disposition()
                .and_then(|d| d.get_filename())
                .map(|n| n.chars().take(200).collect::<String>());
            let mut temp = tempfile::NamedTempFile::new()
                .map_err(|e| AppError::internal(format!("no temporary file for an upload: {e}")))?;
            let mut hasher = Sha256::new();
            let mut size = 0usize;
            let mut head = Vec::new();
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(not_multipart)?;
                size += chunk.len();
                if size > max_bytes {
                    return Err(too_large(max_bytes));
                }
                if head.len() < 8 {
                    head.extend_from_slice(&chunk[..chunk.len().min(8 - head.len())]);
                }
                hasher.update(&chunk);
                temp.write_all(&chunk)
                    .map_err(|e| AppError::internal(format!("could not keep an upload: {e}")))?;
            }
            if size == 0 {
                return Err(AppError::bad_input(
                    "file",
                    crate::msg!("import-file-empty"),
                ));
            }
            temp.flush()
                .map_err(|e| AppError::internal(format!("could not keep an upload: {e}")))?;
            upload = Some(Upload {
                file: temp.into_temp_path(),
                file_name,
                sha256: format!("{:x}", hasher.finalize()),
                format: Format::sniff(&head)?,
            });
            continue;
        }
        let mut value = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(not_multipart)?;
            if value.len() + chunk.len() > MAX_FIELD_BYTES {
                return Err(AppError::LimitExceeded(crate::msg!(
                    "import-field-too-large",
                    name = name.as_str(),
                    max = MAX_FIELD_BYTES
                )));
            }
            value.extend_from_slice(&chunk);
        }
        let value = String::from_utf8(value)
            .map_err(|_| AppError::bad_input(name.clone(), crate::msg!("import-field-not-utf8")))?;
        match name.as_str() {
            "mapping" => options.mapping = Mapping::parse(&value)?,
            "dryRun" => {
                options.dry_run = match value.trim() {
                    "true" | "1" => true,
                    "false" | "0" | "" => false,
                    _ => {
                        return Err(AppError::bad_input(
                            "dryRun",
                            crate::msg!("import-not-a-flag"),
                        ))
                    }
                }
            }
            "grid" => {
                let grid = value.trim();
                options.grid = (!grid.is_empty()).then(|| grid.to_owned());
            }
            other => {
                return Err(AppError::bad_input(
                    other,
                    crate::msg!("import-unknown-form-field"),
                ))
            }
        }
    }
    let upload =
        upload.ok_or_else(|| AppError::bad_input("file", crate::msg!("import-file-required")))?;
    Ok((upload, options))
}

fn too_large(max: usize) -> AppError {
    AppError::LimitExceeded(crate::msg!("import-file-too-large", max = max))
}
