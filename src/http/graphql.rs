//! `POST`/`GET /graphql`: authenticate, bound the body, execute, audit, respond.

use std::{sync::Arc, time::Duration};

use actix_web::{
    http::{header, Method, StatusCode},
    web, HttpRequest, HttpResponse,
};
use async_graphql::{BatchRequest, BatchResponse, Request};
use futures_util::StreamExt;

use crate::{
    audit::Actor,
    auth::{self, TokenVerifier},
    error::AppError,
    graphql::{
        checked::{self, Checked},
        error_codes,
        loaders::Loaders,
        persisted::Registered,
        visibility::ReadOnlyRequest,
        AppSchema,
    },
    state::AppState,
};

use super::rate_limit::SubjectRateLimit;

/// Everything the endpoint needs, shared by all workers.
pub struct Endpoint {
    pub state: Arc<AppState>,
    /// Checks every request, with every extension (and runs subscriptions).
    pub schema: AppSchema,
    /// Executes what `schema` checked, without extensions (`graphql::checked`).
    pub lean: AppSchema,
    pub verifier: TokenVerifier,
    pub max_body_bytes: usize,
    pub max_batch_operations: usize,
    pub registered: Registered,
    pub rate_limit: Option<SubjectRateLimit>,
    pub timeout: Duration,
    /// Turns true when the server is asked to stop: open subscriptions close cleanly.
    pub stopping: tokio::sync::watch::Receiver<bool>,
}

pub async fn handle(
    req: HttpRequest,
    payload: web::Payload,
    endpoint: web::Data<Endpoint>,
) -> HttpResponse {
    let request_id = request_id(&req);
    if req.method() == Method::GET && super::subscriptions::is_upgrade(&req) {
        return super::subscriptions::websocket(req, payload, endpoint, request_id).await;
    }
    let state = &endpoint.state;
    // While the database does not answer, say so at once rather than after a timeout.
    if !state.db_watch.is_up() {
        return error_response(&database_gone(), &request_id);
    }
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    let authenticated = endpoint
        .bounded(
            &request_id,
            auth::authenticate(authorization, &endpoint.verifier, &state.orgs, &state.db),
        )
        .await;
    let principal = match authenticated {
        Ok(Ok(principal)) => principal,
        Ok(Err(err)) | Err(err) => return error_response(&err, &request_id),
    };
    if let Some(limit) = &endpoint.rate_limit {
        if let Err(wait) = limit.check(&format!("{}:{}", principal.agency, principal.subject)) {
            return rate_limited(wait, &request_id);
        }
    }
    let batch = match read_batch(&req, payload, endpoint.max_body_bytes).await {
        Ok(batch) => batch,
        Err(err) => return error_response(&err, &request_id),
    };
    if let BatchRequest::Batch(requests) = &batch {
        if requests.len() > endpoint.max_batch_operations || requests.is_empty() {
            let err = AppError::LimitExceeded(format!(
                "a batch holds 1 to {} operations",
                endpoint.max_batch_operations
            ));
            return error_response(&err, &request_id);
        }
    }

    let requests: Vec<&Request> = match &batch {
        BatchRequest::Single(request) => vec![request],
        BatchRequest::Batch(requests) => requests.iter().collect(),
    };
    for request in requests {
        if let Err(err) = endpoint.registered.check(&principal, request) {
            return error_response(&err, &request_id);
        }
    }

    let actor = Arc::new(Actor::new(principal, request_id.clone()));
    let read_only = req.method() == Method::GET;
    let run = async {
        match batch {
            BatchRequest::Single(request) => {
                BatchResponse::Single(execute(&endpoint, &actor, read_only, request).await)
            }
            BatchRequest::Batch(requests) => {
                let mut responses = Vec::with_capacity(requests.len());
                for request in requests {
                    responses.push(execute(&endpoint, &actor, read_only, request).await);
                }
                BatchResponse::Batch(responses)
            }
        }
    };
    let work = async {
        let response = run.await;
        // Personal data leaves the server only once its reads are on the audit trail.
        actor.flush_reads(&state.audit).await.map(|_| response)
    };
    let response = match endpoint.bounded(&request_id, work).await {
        Ok(Ok(response)) => response,
        Ok(Err(err)) => {
            tracing::error!(request_id = %request_id, error = %crate::error::loggable(&err), "could not write the audit trail");
            return error_response(&err, &request_id);
        }
        Err(err) => return error_response(&err, &request_id),
    };
    // A load balancer should see a request the database could not serve as 503.
    let status = if unavailable(&response) {
        state.db_watch.suspect();
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    json_response(status, &response, &request_id)
}

impl Endpoint {
    /// Runs `work` within the request's time budget, and only while the database answers:
    /// past the one, or once the other stops, UNAVAILABLE, and the work is cancelled (an
    /// unfinished write rolls back).
    async fn bounded<T>(
        &self,
        request_id: &str,
        work: impl std::future::Future<Output = T>,
    ) -> Result<T, AppError> {
        tokio::select! {
            biased;
            outcome = tokio::time::timeout(self.timeout, work) => outcome.map_err(|_| {
                tracing::warn!(request_id, timeout_ms = self.timeout.as_millis() as u64, "request timed out");
                AppError::Unavailable(sea_orm::DbErr::Custom("request timed out".into()))
            }),
            () = self.state.db_watch.gone() => {
                tracing::warn!(request_id, "request cancelled: the database does not answer");
                Err(database_gone())
            }
        }
    }
}

fn database_gone() -> AppError {
    AppError::Unavailable(sea_orm::DbErr::Custom(
        "the database does not answer".into(),
    ))
}

/// One operation: checked by the full schema, then executed by the lean one.
async fn execute(
    endpoint: &Endpoint,
    actor: &Arc<Actor>,
    read_only: bool,
    request: Request,
) -> async_graphql::Response {
    let with_data = |request: Request| {
        let request = request.data(Arc::clone(actor));
        if read_only {
            request.data(ReadOnlyRequest)
        } else {
            request
        }
    };
    let checked = Arc::new(Checked::default());
    let lean = checked::Lean::of(&request);
    let verdict = endpoint
        .schema
        .execute(with_data(request).data(Arc::clone(&checked)))
        .await;
    if !verdict.errors.is_empty() {
        return verdict;
    }
    let Some(document) = checked.take() else {
        // Never expected: the checking pass passed without handing over its document.
        let mut error = async_graphql::ServerError::new("internal error", None);
        error_codes::classify(&mut error);
        return async_graphql::Response::from_errors(vec![error]);
    };
    let request = with_data(lean.with(document)).data(Loaders::new(&endpoint.state));
    let mut response = endpoint.lean.execute(request).await;
    for error in &mut response.errors {
        error_codes::classify(error);
    }
    response
}

fn unavailable(response: &BatchResponse) -> bool {
    let single = |r: &async_graphql::Response| {
        r.errors.iter().any(|e| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .is_some_and(|code| *code == async_graphql::Value::from("UNAVAILABLE"))
        })
    };
    match response {
        BatchResponse::Single(r) => single(r),
        BatchResponse::Batch(rs) => rs.iter().any(single),
    }
}

/// Reads the request: query string for GET, a JSON body (single or batch) for POST, never
/// more than `max_body_bytes`.
async fn read_batch(
    req: &HttpRequest,
    mut payload: web::Payload,
    max_body_bytes: usize,
) -> Result<BatchRequest, AppError> {
    if req.method() == Method::GET {
        return async_graphql::http::parse_query_string(req.query_string())
            .map(BatchRequest::Single)
            .map_err(|e| AppError::bad_input("query", e.to_string()));
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > max_body_bytes) {
        return Err(body_too_large(max_body_bytes));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| AppError::bad_input("body", e.to_string()))?;
        if body.len() + chunk.len() > max_body_bytes {
            return Err(body_too_large(max_body_bytes));
        }
        body.extend_from_slice(&chunk);
    }
    let not_graphql = |e: serde_json::Error| {
        AppError::bad_input("body", format!("not a GraphQL request in JSON: {e}"))
    };
    if body.trim_ascii_start().first() == Some(&b'[') {
        serde_json::from_slice::<Vec<Request>>(&body)
            .map(BatchRequest::Batch)
            .map_err(not_graphql)
    } else {
        serde_json::from_slice::<Request>(&body)
            .map(BatchRequest::Single)
            .map_err(not_graphql)
    }
}

/// LIMIT_EXCEEDED with HTTP 429, a `Retry-After` header and `extensions.retryAfterSeconds`.
pub(super) fn rate_limited(wait: Duration, request_id: &str) -> HttpResponse {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let mut error =
        async_graphql::ServerError::new(format!("too many requests: retry in {seconds} s"), None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", "LIMIT_EXCEEDED");
    extensions.set("retryAfterSeconds", seconds);
    error.extensions = Some(extensions);
    let response = BatchResponse::Single(async_graphql::Response::from_errors(vec![error]));
    let mut http = json_response(StatusCode::TOO_MANY_REQUESTS, &response, request_id);
    if let Ok(value) = header::HeaderValue::from_str(&seconds.to_string()) {
        http.headers_mut().insert(header::RETRY_AFTER, value);
    }
    http
}

fn body_too_large(max: usize) -> AppError {
    AppError::LimitExceeded(format!("the request body exceeds {max} bytes"))
}

fn status_of(err: &AppError) -> StatusCode {
    match err {
        AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::BadUserInput { .. } => StatusCode::BAD_REQUEST,
        AppError::NotFound { .. } => StatusCode::NOT_FOUND,
        AppError::Conflict { .. } => StatusCode::CONFLICT,
        AppError::LimitExceeded(_) => StatusCode::PAYLOAD_TOO_LARGE,
        AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A failure before (or after) GraphQL execution, shaped like a GraphQL response.
pub(super) fn error_response(err: &AppError, request_id: &str) -> HttpResponse {
    let status = status_of(err);
    let mut server_error = async_graphql::ServerError::new(err.to_string(), None);
    server_error.source = None;
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", err.code());
    server_error.extensions = Some(extensions);
    if let AppError::Internal(cause) = err {
        tracing::error!(request_id, error = %crate::error::loggable(cause.as_ref()), "internal error");
    }
    error_codes::classify(&mut server_error);
    let response = BatchResponse::Single(async_graphql::Response::from_errors(vec![server_error]));
    let mut http = json_response(status, &response, request_id);
    if status == StatusCode::UNAUTHORIZED {
        http.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
    }
    http
}

fn json_response(status: StatusCode, body: &BatchResponse, request_id: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json")
        // Responses carry personal data: no cache anywhere may keep them.
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Request-Id", request_id))
        .json(body)
}

/// The caller's `X-Request-Id` when it is short and plain, else a fresh random one.
pub(super) fn request_id(req: &HttpRequest) -> String {
    req.headers()
        .get("X-Request-Id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{:016x}", rand::random::<u64>()))
}
