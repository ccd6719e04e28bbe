//! What resolvers take from the request context.

use std::sync::Arc;

use async_graphql::Context;

use crate::{audit::Actor, error::AppError, state::AppState};

pub fn state<'a>(ctx: &Context<'a>) -> Result<&'a Arc<AppState>, AppError> {
    ctx.data::<Arc<AppState>>()
        .map_err(|_| AppError::internal("application state missing from the schema"))
}

pub fn actor<'a>(ctx: &Context<'a>) -> Result<&'a Arc<Actor>, AppError> {
    ctx.data::<Arc<Actor>>()
        .map_err(|_| AppError::Unauthenticated(crate::msg!("authentication-required")))
}

/// Parses a GraphQL `ID` into a row id; anything else is BAD_USER_INPUT on that field.
pub fn row_id(id: &async_graphql::ID, field: &str) -> Result<i64, AppError> {
    id.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| AppError::bad_input(field, crate::msg!("not-a-valid-id")))
}

/// The reader's language (HTTP: `Accept-Language`; subscriptions: the connection's).
pub fn locale(ctx: &Context<'_>) -> crate::i18n::Locale {
    ctx.data_opt::<crate::i18n::Locale>()
        .copied()
        .unwrap_or_default()
}
