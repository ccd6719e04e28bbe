//! Authentication: a bearer JWT becomes a [`Principal`], or the request is refused.

mod jwt;
mod principal;
mod watched;

pub use jwt::{mint_token, TokenClaims, TokenSpec, TokenVerifier};
pub use principal::Principal;

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{
    domain::org_units::OrgDirectory,
    error::{AppError, AppResult},
};

/// Verifies an `Authorization` header value and resolves the token's org unit.
///
/// Every failure is UNAUTHENTICATED with a short reason; nothing else is read before this
/// succeeds.
pub async fn authenticate(
    header: Option<&str>,
    verifier: &TokenVerifier,
    orgs: &OrgDirectory,
    db: &DatabaseConnection,
) -> AppResult<Principal> {
    let header = header.ok_or_else(|| unauthenticated(crate::msg!("token-missing")))?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| unauthenticated(crate::msg!("token-header-shape")))?;
    let claims = verifier.verify(token)?;
    let org = orgs
        .by_code(db, &claims.org)
        .await?
        .ok_or_else(|| unauthenticated(crate::msg!("token-org-unknown")))?;
    Ok(Principal {
        subject: claims.sub,
        name: claims.name,
        agency: claims.agency,
        role: claims.role,
        org: Arc::clone(&org),
        token_id: claims.jti,
        client: claims.client,
    })
}

fn unauthenticated(reason: crate::i18n::Msg) -> AppError {
    AppError::Unauthenticated(reason)
}
