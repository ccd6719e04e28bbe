//! The benchmark's own connection to the server's database (sqlx, the driver under SeaORM):
//! for reading sample data and for running the floor.

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use sea_orm::sqlx::{
    postgres::PgPoolOptions,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions},
    AssertSqlSafe, PgPool, SqlSafeStr, SqlStr, SqlitePool,
};

/// A pool on either backend.
#[derive(Debug, Clone)]
pub enum Db {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

/// Runs the same sqlx code on whichever pool `$db` holds, with the pool bound to `$pool`.
/// The code compiles once per backend, so the same query builder serves both.
macro_rules! on_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Postgres($pool) => $body,
            $crate::db::Db::Sqlite($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

impl Db {
    /// Connects with at most `max_connections` (the floor uses the server's pool size).
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // As the server's pool (src/db.rs): no ping when a busy connection is taken out.
            let pool = PgPoolOptions::new()
                .max_connections(max_connections)
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await
                .with_context(|| format!("cannot connect to {}", redacted(url)))?;
            Ok(Self::Postgres(pool))
        } else if url.starts_with("sqlite:") {
            // The server's own settings: WAL, a busy timeout, foreign keys.
            let options: SqliteConnectOptions = url
                .parse::<SqliteConnectOptions>()
                .with_context(|| format!("bad SQLite URL {url}"))?
                .create_if_missing(false)
                .journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true);
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections)
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await
                .with_context(|| format!("cannot open {url}"))?;
            Ok(Self::Sqlite(pool))
        } else {
            anyhow::bail!("--database-url must be postgres://... or sqlite:...")
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres(_))
    }

    /// `$n` placeholders as this backend writes them: `$n` on PostgreSQL, `?n` on SQLite.
    /// Every statement is written in this crate (values are bound, never spliced), hence
    /// safe to run; cloning the result shares the text.
    pub fn sql(&self, postgres: &str) -> SqlStr {
        let text: Arc<str> = match self {
            Self::Postgres(_) => postgres.into(),
            Self::Sqlite(_) => numbered_for_sqlite(postgres).into(),
        };
        AssertSqlSafe(text).into_sql_str()
    }

    pub async fn close(&self) {
        on_pool!(self, |pool| pool.close().await);
    }
}

/// `$1` → `?1` (SQLite's numbered parameter); a `$` not followed by a digit stays.
fn numbered_for_sqlite(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

/// The URL without its password, for messages.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_placeholders_become_sqlites() {
        assert_eq!(
            numbered_for_sqlite("SELECT json_extract(v, '$.t') FROM t WHERE a = $1 AND b < $12"),
            "SELECT json_extract(v, '$.t') FROM t WHERE a = ?1 AND b < ?12"
        );
    }

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(
            redacted("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redacted("postgres://u@h/db"), "postgres://u@h/db");
    }
}
