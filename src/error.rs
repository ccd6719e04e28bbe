//! The one error type of the server, and its stable codes.
//!
//! Domain functions return `Result<_, AppError>`; resolvers pass it on with `?`. The
//! GraphQL layer turns it into a response error in one place
//! (`graphql::errors::ErrorCodes`), which sets `extensions.code`, logs internal causes and
//! never sends them to the client.

use sea_orm::DbErr;

use crate::{
    i18n::{self, Locale, Msg},
    msg,
};

pub type AppResult<T> = Result<T, AppError>;

/// Everything that can go wrong in a request, as the client should learn it. Messages are
/// [`Msg`]s, rendered in the reader's language where the error leaves the server; `Display`
/// is the English text (logs, and the rare caller without a request).
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{}", .0.render(Locale::En))]
    Unauthenticated(Msg),
    #[error("{}", .0.render(Locale::En))]
    Forbidden(Msg),
    /// Bad input, naming the input field (e.g. `input.documentNumber`) and what is wrong with
    /// it (`expected-date`).
    #[error("{}", i18n::about_field(field, message.clone()).render(Locale::En))]
    BadUserInput { field: String, message: Msg },
    /// Unknown or out of scope: the message never says which.
    #[error("{}", self.message().render(Locale::En))]
    NotFound { entity: &'static str },
    #[error("{}", self.message().render(Locale::En))]
    Conflict {
        entity: &'static str,
        id: i64,
        current_version: i32,
    },
    #[error("{}", .0.render(Locale::En))]
    LimitExceeded(Msg),
    /// A change-feed cursor older than what the change log keeps: take a new snapshot.
    #[error("{}", .0.render(Locale::En))]
    SnapshotRequired(Msg),
    /// The database cannot be reached; the client may retry.
    #[error("the service is temporarily unavailable, please retry")]
    Unavailable(#[source] DbErr),
    /// Anything else: the cause is logged, the client sees only this message.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    /// The stable code clients switch on (`extensions.code`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::BadUserInput { .. } => "BAD_USER_INPUT",
            Self::NotFound { .. } => "NOT_FOUND",
            Self::Conflict { .. } => "CONFLICT",
            Self::LimitExceeded(_) => "LIMIT_EXCEEDED",
            Self::SnapshotRequired(_) => "SNAPSHOT_REQUIRED",
            Self::Unavailable(_) => "UNAVAILABLE",
            Self::Internal(_) => "INTERNAL",
        }
    }

    /// What the client reads, in any language: never an internal cause.
    pub fn message(&self) -> Msg {
        match self {
            Self::Unauthenticated(m)
            | Self::Forbidden(m)
            | Self::LimitExceeded(m)
            | Self::SnapshotRequired(m) => m.clone(),
            Self::BadUserInput { field, message } => i18n::about_field(field, message.clone()),
            Self::NotFound { entity } => msg!("error-not-found", entity = i18n::entity(entity)),
            Self::Conflict {
                entity,
                id,
                current_version,
            } => msg!(
                "error-conflict",
                entity = i18n::entity(entity),
                id = *id,
                version = *current_version
            ),
            Self::Unavailable(_) => msg!("error-unavailable"),
            Self::Internal(_) => msg!("error-internal"),
        }
    }

    pub fn bad_input(field: impl Into<String>, message: Msg) -> Self {
        Self::BadUserInput {
            field: field.into(),
            message,
        }
    }

    pub fn forbidden(message: Msg) -> Self {
        Self::Forbidden(message)
    }

    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(cause.into())
    }
}

/// An error's message fit for the log: its first line, cut before any `DETAIL` (where
/// PostgreSQL repeats the offending values), with runs of digits and every non-ASCII
/// character masked, so that no name, number, phone or address reaches the log.
pub fn loggable(err: &dyn std::error::Error) -> String {
    let message = err.to_string();
    let first = message.lines().next().unwrap_or_default();
    let first = first.split("DETAIL").next().unwrap_or_default();
    let mut out = String::with_capacity(first.len());
    let mut digits = 0;
    for c in first.chars() {
        if c.is_ascii_digit() {
            digits += 1;
            if digits <= 3 {
                out.push(c);
            } else if digits == 4 {
                out.push('#');
            }
        } else {
            digits = 0;
            out.push(if c.is_ascii() { c } else { '?' });
        }
    }
    out
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        if is_connection_lost(&err) {
            Self::Unavailable(err)
        } else {
            Self::Internal(Box::new(err))
        }
    }
}

/// The database could not be reached, or the connection broke under the statement: the
/// client may try again, unlike an error of the statement itself. A pooled connection is
/// not pinged before each use (src/db.rs), so a database restarted or cut off shows first
/// here, as an I/O error or as the server's "terminating connection" (SQLSTATE class 57P,
/// and 08 for connection exceptions).
fn is_connection_lost(err: &DbErr) -> bool {
    use sea_orm::{sqlx, RuntimeErr};
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Query(RuntimeErr::SqlxError(e)) | DbErr::Exec(RuntimeErr::SqlxError(e)) => {
            match e.as_ref() {
                sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed => true,
                sqlx::Error::Database(db) => db
                    .code()
                    .is_some_and(|code| code.starts_with("57P") || code.starts_with("08")),
                _ => false,
            }
        }
        _ => false,
    }
}

impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(err: sea_orm::TransactionError<AppError>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(app) => app,
        }
    }
}

/// Whether a database error is the violation of the named unique index or constraint, so
/// that a race on a natural key becomes a clean outcome instead of a 500.
pub fn is_unique_violation(err: &DbErr, index_name: &str) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(message))
            if message.contains(index_name) || is_sqlite_unique_message_for(&message, index_name)
    )
}

// SQLite names the columns, not the index: "UNIQUE constraint failed: person.document_type,
// person.document_number". Callers pass index names of the form `uq_<table>_<cols>`.
fn is_sqlite_unique_message_for(message: &str, index_name: &str) -> bool {
    let Some(columns) = message.split("UNIQUE constraint failed: ").nth(1) else {
        return false;
    };
    let Some(table_and_cols) = index_name.strip_prefix("uq_") else {
        return false;
    };
    let mut expected = String::new();
    for (i, column) in columns.trim().split(", ").enumerate() {
        let Some((table, col)) = column.split_once('.') else {
            return false;
        };
        if i == 0 {
            expected.push_str(table);
        }
        expected.push('_');
        expected.push_str(col);
    }
    // Partial indexes are named `uq_<table>_<cols>_where_<condition>`.
    table_and_cols == expected || table_and_cols.starts_with(&format!("{expected}_where_"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_connection_is_unavailable_and_a_bad_statement_is_internal() {
        use sea_orm::{sqlx, RuntimeErr};
        use std::sync::Arc;
        let broken = DbErr::Query(RuntimeErr::SqlxError(Arc::new(sqlx::Error::Io(
            std::io::Error::from(std::io::ErrorKind::ConnectionReset),
        ))));
        assert_eq!(AppError::from(broken).code(), "UNAVAILABLE");
        let timed_out = DbErr::Exec(RuntimeErr::SqlxError(Arc::new(sqlx::Error::PoolTimedOut)));
        assert_eq!(AppError::from(timed_out).code(), "UNAVAILABLE");
        let bad = DbErr::Query(RuntimeErr::SqlxError(Arc::new(sqlx::Error::RowNotFound)));
        assert_eq!(AppError::from(bad).code(), "INTERNAL");
        assert_eq!(AppError::from(DbErr::Custom("x".into())).code(), "INTERNAL");
    }

    #[test]
    fn logged_database_errors_carry_no_personal_values() {
        let err = DbErr::Custom(
            "duplicate key value violates unique constraint \"uq_person_document_type_document_number\"\n\
             DETAIL: Key (document_type, document_number)=(RESIDENT_ID, 339901198506151233) already exists."
                .into(),
        );
        let line = loggable(&err);
        assert!(
            line.contains("uq_person_document_type_document_number"),
            "{line}"
        );
        assert!(!line.contains("339901"), "{line}");
        let err = DbErr::Custom("value 张建国 13800138000 too long".into());
        let line = loggable(&err);
        assert!(
            !line.contains("张") && !line.contains("13800138000") && !line.contains("0013"),
            "{line}"
        );
    }
}
