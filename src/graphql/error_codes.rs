//! The one place errors become what the client sees: a stable `extensions.code`, a safe
//! message, and the internal cause in the server log only.

use std::sync::Arc;

use futures_util::{stream::BoxStream, StreamExt};

use async_graphql::{
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextRequest, NextSubscribe},
    Response, ServerError, Value,
};

use crate::error::{loggable, AppError};

/// Messages async-graphql uses when a request breaks one of the configured limits.
const LIMIT_MESSAGES: [&str; 5] = [
    "Query is nested too deep.",
    "Query is too complex.",
    "The recursion depth of the query cannot be greater than",
    "The number of directives on the field",
    // A fragment that spreads itself would expand without end.
    "Cannot spread fragment",
];

pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodes)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for ErrorCodes {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        for error in &mut response.errors {
            classify(error);
        }
        response
    }

    /// Subscriptions too: every response of the stream (a refused or invalid subscription,
    /// an error in an event) carries its code over graphql-transport-ws as over HTTP.
    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        next.run(ctx, stream)
            .map(|mut response| {
                for error in &mut response.errors {
                    classify(error);
                }
                response
            })
            .boxed()
    }
}

/// Sets `extensions.code` on an error that has none, from its source or its message.
pub fn classify(error: &mut ServerError) {
    let has_code = error
        .extensions
        .as_ref()
        .is_some_and(|extensions| extensions.get("code").is_some());
    if has_code {
        return;
    }
    let mut details: Vec<(&str, Value)> = Vec::new();
    let code = match error.source::<AppError>() {
        Some(app) => {
            match app {
                AppError::Internal(cause) => {
                    tracing::error!(error = %loggable(cause.as_ref()), "internal error")
                }
                AppError::Unavailable(cause) => {
                    tracing::warn!(error = %loggable(cause), "database unavailable")
                }
                AppError::Conflict {
                    current_version, ..
                } => {
                    details.push(("currentVersion", Value::from(*current_version)));
                }
                AppError::BadUserInput { field, .. } => {
                    details.push(("field", Value::from(field.as_str())))
                }
                _ => {}
            }
            app.code()
        }
        None if LIMIT_MESSAGES.iter().any(|m| error.message.starts_with(m)) => "LIMIT_EXCEEDED",
        // Everything else async-graphql reports before running a resolver is the
        // client's query: parse errors, validation, input coercion.
        None => "BAD_USER_INPUT",
    };
    let extensions = error.extensions.get_or_insert_with(Default::default);
    extensions.set("code", code);
    for (key, value) in details {
        extensions.set(key, value);
    }
}
