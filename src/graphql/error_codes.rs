//! The one place errors become what the client sees: a stable `extensions.code`, a safe
//! message, and the internal cause in the server log only.

use std::{
    any::TypeId,
    sync::{Arc, OnceLock},
};

use futures_util::{stream::BoxStream, StreamExt};

use async_graphql::{
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest, NextRequest,
        NextSubscribe,
    },
    Request, Response, ServerError, ServerResult, Value,
};

use crate::{
    error::{loggable, AppError},
    i18n::{self, Locale, Msg},
    msg,
};

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
        Arc::new(Codes::default())
    }
}

/// One request's: its language, read from the request's data once it is prepared (the
/// request hook runs before the request's data reaches the extensions' context).
#[derive(Default)]
struct Codes {
    locale: OnceLock<Locale>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for Codes {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        if let Some(locale) = request
            .data
            .get(&TypeId::of::<Locale>())
            .and_then(|data| data.downcast_ref::<Locale>())
        {
            let _ = self.locale.set(*locale);
        }
        next.run(ctx, request).await
    }

    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        let locale = self
            .locale
            .get()
            .copied()
            .or_else(|| ctx.data_opt::<Locale>().copied())
            .unwrap_or_default();
        for error in &mut response.errors {
            classify(error, locale);
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
        let locale = ctx.data_opt::<Locale>().copied().unwrap_or_default();
        next.run(ctx, stream)
            .map(move |mut response| {
                for error in &mut response.errors {
                    classify(error, locale);
                }
                response
            })
            .boxed()
    }
}

/// Sets `extensions.code` on an error that has none, from its source or its message, and
/// writes its message in the reader's language. An error of ours carries its message as a
/// [`Msg`] (in an [`AppError`], or alone as the source); async-graphql's own are recognised
/// by their English text. Safe to run twice on the same error.
pub fn classify(error: &mut ServerError, locale: Locale) {
    let mut details: Vec<(&str, Value)> = Vec::new();
    let source = error.source.clone();
    let source = source.as_deref();
    let code = if let Some(app) = source.and_then(|s| s.downcast_ref::<AppError>()) {
        let first_time = error
            .extensions
            .as_ref()
            .is_none_or(|extensions| extensions.get("code").is_none());
        match app {
            AppError::Internal(cause) if first_time => {
                tracing::error!(error = %loggable(cause.as_ref()), "internal error")
            }
            AppError::Unavailable(cause) if first_time => {
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
        error.message = app.message().render(locale);
        Some(app.code())
    } else if let Some(message) = source.and_then(|s| s.downcast_ref::<Msg>()) {
        // Ours, before any resolver ran (limits set their own code first).
        error.message = message.render(locale);
        Some("BAD_USER_INPUT")
    } else {
        let (message, field) = graphql_message(&error.message);
        if let Some(field) = field {
            details.push(("field", Value::from(field)));
        }
        let limit = LIMIT_MESSAGES.iter().any(|m| error.message.starts_with(m));
        // English keeps async-graphql's wording, except where ours names the field.
        if locale != Locale::En || !details.is_empty() {
            error.message = message.render(locale);
        }
        // Everything else async-graphql reports before running a resolver is the
        // client's query: parse errors, validation, input coercion.
        Some(if limit {
            "LIMIT_EXCEEDED"
        } else {
            "BAD_USER_INPUT"
        })
    };
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_none() {
        if let Some(code) = code {
            extensions.set("code", code);
        }
    }
    for (key, value) in details {
        extensions.set(key, value);
    }
}

/// async-graphql's message (validation, input coercion, limits) as a [`Msg`], and the input
/// field it is about when it names one.
fn graphql_message(message: &str) -> (Msg, Option<String>) {
    let quoted = quoted(message);
    let q = |i: usize| quoted.get(i).map(|s| s.to_string()).unwrap_or_default();
    if message.starts_with("Unknown field ") && message.contains(" on input type ") {
        return (
            msg!("unknown-input-field", field = q(0), r#type = q(1)),
            None,
        );
    }
    if message.starts_with("Unknown field ") {
        return (msg!("unknown-field", field = q(0), r#type = q(1)), None);
    }
    if message.starts_with("Unknown argument ") {
        // Ours say `on field "Type.field"`, async-graphql's `on field "field" of type "Type"`.
        let field = if quoted.len() >= 3 {
            format!("{}.{}", q(2), q(1))
        } else {
            q(1)
        };
        return (
            msg!("unknown-argument", argument = q(0), field = field),
            None,
        );
    }
    if let Some(rest) = message.strip_prefix("Invalid value for argument ") {
        let path = q(0);
        let reason = rest.split_once(", ").map(|(_, r)| r).unwrap_or_default();
        let problem = if reason.starts_with("expected type ") {
            expected_form(&q(1), None)
        } else if reason.starts_with("enumeration type ") {
            msg!("enum-value-unknown", r#type = q(1), value = q(2))
        } else if reason.starts_with("unknown field ") {
            let field = format!("{path}.{}", q(1));
            return (
                i18n::about_field(&field, msg!("unknown-input-field-problem", r#type = q(2))),
                Some(field),
            );
        } else {
            msg!("graphql-error", detail = reason)
        };
        return (i18n::about_field(&path, problem), Some(path));
    }
    if message.starts_with("Field ") && message.ends_with("is required but not provided") {
        let path = q(1);
        let problem = msg!("argument-required", r#type = q(2));
        return (i18n::about_field(&path, problem), Some(path));
    }
    if message.starts_with("Query is nested too deep") {
        return (msg!("limit-too-deep"), None);
    }
    if message.starts_with("Query is too complex") {
        return (msg!("limit-too-complex"), None);
    }
    // Apollo clients match these exact words to send the query's text again.
    if message.starts_with("PersistedQuery") {
        return (msg!("graphql-verbatim", detail = message), None);
    }
    (msg!("graphql-error", detail = message), None)
}

/// The form a value of a GraphQL input type is written in.
pub fn expected_form(type_name: &str, got: Option<&str>) -> Msg {
    let type_name = type_name.trim_end_matches('!');
    match (type_name, got) {
        ("NaiveDate", None) => msg!("expected-date"),
        ("NaiveDate", Some(value)) => msg!("expected-date-got", value = value),
        ("DateTime", None) => msg!("expected-datetime"),
        ("DateTime", Some(value)) => msg!("expected-datetime-got", value = value),
        ("Int", _) => msg!("expected-int"),
        ("Float", _) => msg!("expected-float"),
        ("Boolean", _) => msg!("expected-boolean"),
        ("String", _) => msg!("expected-text"),
        ("ID", _) => msg!("expected-id"),
        (other, None) => msg!("expected-type", r#type = other),
        (other, Some(value)) => msg!("expected-type-got", r#type = other, value = value),
    }
}

/// The `"…"`-quoted parts of a message, in order.
fn quoted(message: &str) -> Vec<&str> {
    message.split('"').skip(1).step_by(2).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(message: &str, locale: Locale) -> (String, Option<String>) {
        let (msg, field) = graphql_message(message);
        (msg.render(locale), field)
    }

    #[test]
    fn an_invalid_argument_names_its_path_and_the_expected_form() {
        let message = r#"Invalid value for argument "input.birthDate", expected type "NaiveDate""#;
        assert_eq!(
            rendered(message, Locale::En),
            (
                "input.birthDate: expected YYYY-MM-DD".to_owned(),
                Some("input.birthDate".to_owned())
            )
        );
        assert_eq!(
            rendered(message, Locale::ZhCn).0,
            "出生日期（input.birthDate）应为 YYYY-MM-DD"
        );
    }

    #[test]
    fn hidden_and_unknown_fields_read_the_same_in_chinese() {
        let (zh, _) = rendered(r#"Unknown field "phone" on type "Person"."#, Locale::ZhCn);
        assert_eq!(zh, r#"类型 "Person" 上没有字段 "phone"。"#);
        let ours = rendered(
            r#"Unknown argument "x" on field "Query.person"."#,
            Locale::ZhCn,
        );
        let theirs = rendered(
            r#"Unknown argument "x" on field "person" of type "Query"."#,
            Locale::ZhCn,
        );
        assert_eq!(ours, theirs);
    }

    #[test]
    fn an_unrecognised_message_is_kept_under_a_chinese_preface() {
        let (zh, field) = rendered("Variable \"$x\" is not defined", Locale::ZhCn);
        assert_eq!(zh, "请求有误：Variable \"$x\" is not defined");
        assert_eq!(field, None);
    }
}
