//! Writing many rows fast, all in one transaction so that a failed run leaves the database
//! as it was: `COPY ... FROM STDIN` on PostgreSQL, multi-row INSERTs on SQLite.
//!
//! Rows are the entities' own `Model`s, read column by column through `ModelTrait::get`:
//! the generator cannot name a column its table lacks, and SQLite receives every value
//! encoded exactly as the server's own writes encode it.

use std::{fmt::Write as _, marker::PhantomData};

use sea_orm::{
    sea_query::OptionEnum,
    sqlx::{self, postgres::PgCopyIn, AssertSqlSafe, PgConnection, Postgres},
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait, IdenStatic,
    Iterable, ModelTrait, Statement, Value,
};

use super::{
    progress::{Phase, Progress},
    GenerateError,
};

/// SQLite refuses a statement with more bind parameters than this.
const SQLITE_MAX_PARAMETERS: usize = 32_766;
/// Rows per SQLite INSERT at most: past this a bigger statement stops paying off.
const SQLITE_MAX_ROWS: usize = 2_000;
/// COPY text sent to PostgreSQL at a time.
const COPY_CHUNK_BYTES: usize = 1 << 20;

/// The one transaction everything is written in.
pub enum Bulk {
    Postgres(sqlx::Transaction<'static, Postgres>),
    Sqlite(DatabaseTransaction),
}

impl Bulk {
    pub async fn begin(db: &DatabaseConnection) -> Result<Self, GenerateError> {
        match db.get_database_backend() {
            DbBackend::Postgres => {
                let mut txn = db.get_postgres_connection_pool().begin().await?;
                // Nothing here needs to wait for the WAL flush of each statement; the
                // commit at the end is the one that counts.
                sqlx::raw_sql("SET LOCAL synchronous_commit = off")
                    .execute(&mut *txn)
                    .await?;
                Ok(Self::Postgres(txn))
            }
            DbBackend::Sqlite => {
                let txn = crate::db::begin_write(db).await?;
                // A page cache big enough for the indexes of a million persons (in KiB):
                // with the default 2 MB every insert into a secondary index misses.
                txn.execute_unprepared("PRAGMA cache_size = -1048576")
                    .await?;
                Ok(Self::Sqlite(txn))
            }
            other => Err(GenerateError::Unsupported(format!("{other:?}"))),
        }
    }

    /// Starts writing the rows of one table; `expected` is for the progress line.
    pub async fn table<E: EntityTrait>(
        &mut self,
        progress: &Progress,
        expected: usize,
    ) -> Result<TableWriter<'_, E>, GenerateError> {
        let table = E::default().table_name().to_owned();
        let columns: Vec<E::Column> = E::Column::iter().collect();
        let names = columns
            .iter()
            .map(|c| format!("\"{}\"", c.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        let target = match self {
            Self::Postgres(txn) => {
                let conn: &mut PgConnection = txn;
                let copy = conn
                    .copy_in_raw(&format!("COPY \"{table}\" ({names}) FROM STDIN"))
                    .await?;
                Target::Postgres {
                    copy,
                    buffer: String::with_capacity(COPY_CHUNK_BYTES + 4096),
                }
            }
            Self::Sqlite(txn) => {
                let per_statement = (SQLITE_MAX_PARAMETERS / columns.len()).min(SQLITE_MAX_ROWS);
                Target::Sqlite {
                    txn,
                    prefix: format!("INSERT INTO \"{table}\" ({names}) VALUES "),
                    placeholders: format!("({})", vec!["?"; columns.len()].join(", ")),
                    per_statement,
                    values: Vec::with_capacity(per_statement * columns.len()),
                    rows: 0,
                }
            }
        };
        Ok(TableWriter {
            target,
            columns,
            phase: progress.start(table, expected),
            entity: PhantomData,
        })
    }

    /// Points each table's id sequence past the ids written (they were given explicitly),
    /// then commits.
    pub async fn commit(self, tables: &[&str]) -> Result<(), GenerateError> {
        match self {
            Self::Postgres(mut txn) => {
                for table in tables {
                    let sql = format!(
                        "SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), \
                         (SELECT COALESCE(MAX(id), 0) + 1 FROM \"{table}\"), false)"
                    );
                    sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut *txn).await?;
                }
                txn.commit().await?;
            }
            // AUTOINCREMENT keys follow the largest id inserted by themselves.
            Self::Sqlite(txn) => txn.commit().await?,
        }
        Ok(())
    }
}

enum Target<'a> {
    Postgres {
        copy: PgCopyIn<&'a mut PgConnection>,
        buffer: String,
    },
    Sqlite {
        txn: &'a DatabaseTransaction,
        prefix: String,
        placeholders: String,
        per_statement: usize,
        values: Vec<Value>,
        rows: usize,
    },
}

/// Rows of one table on their way into the database.
pub struct TableWriter<'a, E: EntityTrait> {
    target: Target<'a>,
    columns: Vec<E::Column>,
    phase: Phase,
    entity: PhantomData<E>,
}

impl<E: EntityTrait> TableWriter<'_, E> {
    pub async fn push(&mut self, row: &E::Model) -> Result<(), GenerateError> {
        match &mut self.target {
            Target::Postgres { copy, buffer } => {
                for (i, column) in self.columns.iter().enumerate() {
                    if i > 0 {
                        buffer.push('\t');
                    }
                    copy_text(buffer, &row.get(*column))?;
                }
                buffer.push('\n');
                if buffer.len() >= COPY_CHUNK_BYTES {
                    copy.send(std::mem::take(buffer).into_bytes()).await?;
                }
            }
            Target::Sqlite {
                values,
                rows,
                per_statement,
                ..
            } => {
                values.extend(self.columns.iter().map(|c| row.get(*c)));
                *rows += 1;
                if *rows == *per_statement {
                    self.flush_sqlite().await?;
                }
            }
        }
        self.phase.add(1);
        Ok(())
    }

    pub async fn push_all<'r>(
        &mut self,
        rows: impl IntoIterator<Item = &'r E::Model>,
    ) -> Result<(), GenerateError>
    where
        E::Model: 'r,
    {
        for row in rows {
            self.push(row).await?;
        }
        Ok(())
    }

    async fn flush_sqlite(&mut self) -> Result<(), GenerateError> {
        if let Target::Sqlite {
            txn,
            prefix,
            placeholders,
            values,
            rows,
            ..
        } = &mut self.target
        {
            if *rows == 0 {
                return Ok(());
            }
            let mut sql = String::with_capacity(prefix.len() + *rows * (placeholders.len() + 2));
            sql.push_str(prefix);
            for i in 0..*rows {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(placeholders);
            }
            let statement =
                Statement::from_sql_and_values(DbBackend::Sqlite, sql, std::mem::take(values));
            txn.execute_raw(statement).await?;
            *rows = 0;
        }
        Ok(())
    }

    /// Sends what is left and ends the table; the phase goes to `progress`.
    pub async fn finish(mut self, progress: &mut Progress) -> Result<usize, GenerateError> {
        self.flush_sqlite().await?;
        if let Target::Postgres { copy, buffer } = self.target {
            let mut copy = copy;
            if !buffer.is_empty() {
                copy.send(buffer.into_bytes()).await?;
            }
            copy.finish().await?;
        }
        let rows = self.phase.rows();
        progress.finish(self.phase);
        Ok(rows)
    }
}

/// One value in COPY's text format: `\N` for NULL, backslash escapes for the characters
/// that delimit fields and rows.
fn copy_text(out: &mut String, value: &Value) -> Result<(), GenerateError> {
    // Writing into a String cannot fail.
    let _ = match value {
        Value::Bool(Some(b)) => write!(out, "{}", if *b { 't' } else { 'f' }),
        Value::Int(Some(n)) => write!(out, "{n}"),
        Value::BigInt(Some(n)) => write!(out, "{n}"),
        Value::String(Some(s)) => {
            escape(out, s);
            Ok(())
        }
        Value::Enum(OptionEnum::Some(e)) => {
            escape(out, &e.value);
            Ok(())
        }
        Value::ChronoDate(Some(date)) => write!(out, "{}", date.format("%Y-%m-%d")),
        Value::ChronoDateTimeUtc(Some(at)) => {
            write!(out, "{}", at.format("%Y-%m-%d %H:%M:%S%.6f+00"))
        }
        Value::Json(Some(json)) => {
            escape(out, &json.to_string());
            Ok(())
        }
        Value::Bool(None)
        | Value::Int(None)
        | Value::BigInt(None)
        | Value::String(None)
        | Value::Enum(OptionEnum::None(_))
        | Value::ChronoDate(None)
        | Value::ChronoDateTimeUtc(None)
        | Value::Json(None) => write!(out, "\\N"),
        other => {
            return Err(GenerateError::Unsupported(format!(
                "a {other:?} value in COPY"
            )))
        }
    };
    Ok(())
}

fn escape(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_delimiters_and_writes_null_as_backslash_n() {
        let mut out = String::new();
        copy_text(&mut out, &Value::String(Some("a\tb\\c\nd".into()))).unwrap();
        out.push('|');
        copy_text(&mut out, &Value::String(None)).unwrap();
        out.push('|');
        copy_text(&mut out, &Value::Bool(Some(true))).unwrap();
        assert_eq!(out, "a\\tb\\\\c\\nd|\\N|t");
    }

    #[test]
    fn copy_text_writes_utc_timestamps_postgres_reads_back_exactly() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-23T08:15:00Z")
            .unwrap()
            .to_utc();
        let mut out = String::new();
        copy_text(&mut out, &Value::ChronoDateTimeUtc(Some(at))).unwrap();
        assert_eq!(out, "2026-11-23 08:15:00.000000+00");
    }
}
