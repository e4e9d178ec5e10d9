//! SQLite: each migration runs whole in a `BEGIN IMMEDIATE` transaction that first checks,
//! under SQLite's own write lock, that no other runner has applied it meanwhile. Runners
//! exclude each other with a lock file beside the database (see [`crate::lock`]).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sqlx::{AssertSqlSafe, Connection, Row, Sqlite};

use super::conn::Conn;
use super::sql::{hex_literal, no_position, no_statement};
use super::{
    history_from_rows, locate_by_replay, run_code_on, sealed, step_plainly, with_duration,
    BoxFuture, CodeError, Driver, HistoryRow, Outcome, Pool, PoolExecutor, SessionLock, Sql, Step,
    StepError, Steps, TextRows, WholeScripts,
};
use crate::code::{Backend, Code};
use crate::history::{AppliedMigration, HistoryTable};
use crate::location::migration_error;
use crate::migration::Migration;
use crate::statements::Dialect;
use crate::summary::{parse_versions, Checksums, Summary};
use crate::Error;

static SQL: Sql = Sql {
    backend: Backend::Sqlite,
    dialect: Dialect::Sqlite,
    quote: '"',
    now_ms: "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
    text,
    bytes: hex_literal,
    text_type: "TEXT",
    create_schema: None,
    history_columns: "
                version INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                checksum BLOB NOT NULL,
                success BOOLEAN NOT NULL,
                applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
                duration_us INTEGER NOT NULL,
                down_script TEXT,
                statements_applied INTEGER NOT NULL DEFAULT 0,
                progress_checksum BLOB,
                error TEXT
            ",
    revert_column: "revert_checksum BLOB",
    is_missing_column,
    // Recorded in UTC to the millisecond (the default above); normalised in case a row was
    // written otherwise, and given the microsecond digits of the other databases.
    applied_at_utc: "strftime('%Y-%m-%dT%H:%M:%f', applied_at) || '000Z'",
    error_position: no_position,
    for_update: "",
    steps: Steps::Alone,
    bounded_lock_wait: no_statement,
    bounded_idle: no_statement,
};

/// A standard string literal: quotes doubled.
fn text(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

impl sealed::Sealed for sqlx::SqlitePool {}

impl Pool for sqlx::SqlitePool {
    fn driver(&self) -> BoxFuture<'_, Result<Box<dyn Driver>, Error>> {
        Box::pin(async move {
            Ok(Box::new(SqliteDriver {
                conn: Conn::acquire(self).await?,
                lock_file: lock_file(self.connect_options().get_filename()),
            }) as Box<dyn Driver>)
        })
    }
}

/// The lock file for a database file, `<database>.migrate-lock`; `None` for in-memory
/// databases.
fn lock_file(database: &Path) -> Option<PathBuf> {
    let name = database.to_str()?;
    if name.is_empty() || name == ":memory:" || name.starts_with("file:") {
        return None;
    }
    let absolute = database
        .canonicalize()
        .unwrap_or_else(|_| database.to_path_buf());
    let mut lock = absolute.into_os_string();
    lock.push(".migrate-lock");
    Some(PathBuf::from(lock))
}

/// A SQLite connection. See [`Driver`].
struct SqliteDriver {
    conn: Conn<Sqlite>,
    lock_file: Option<PathBuf>,
}

fn is_missing_table(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.message().starts_with("no such table"))
}

/// Whether `error` says that a column does not exist.
fn is_missing_column(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.message().starts_with("no such column"))
}

impl SqliteDriver {
    async fn summary(&mut self, table: &HistoryTable) -> Result<Option<Summary>, sqlx::Error> {
        // `version` is the rowid, so the table is read in version order without a sort (and
        // the versions and checksums come in the same order whatever it is). group_concat
        // keeps a blob's bytes as they are; the cast gives them back as a blob.
        let sql = format!(
            "SELECT count(*), min(success AND length(checksum) = 32), group_concat(version), \
             CAST(group_concat(checksum, '') AS BLOB) FROM {}",
            SQL.table(table)
        );
        let row = match sqlx::query(AssertSqlSafe(sql))
            .fetch_one(self.conn.get())
            .await
        {
            Ok(row) => row,
            Err(error) if is_missing_table(&error) => return Ok(None),
            Err(error) => return Err(error),
        };
        let all_applied: Option<i64> = row.try_get(1)?;
        Ok(Some(Summary {
            rows: row.try_get(0)?,
            all_applied: all_applied.map(|ok| ok == 1),
            versions: row
                .try_get::<Option<String>, _>(2)?
                .and_then(|v| parse_versions(&v)),
            checksums: row
                .try_get::<Option<Vec<u8>>, _>(3)?
                .map(Checksums::Concatenated),
        }))
    }

    async fn apply(
        &mut self,
        table: &HistoryTable,
        migration: &'static Migration,
        record: String,
    ) -> Result<Outcome, Error> {
        let script = migration.up();
        let started = Instant::now();
        // IMMEDIATE takes SQLite's write lock now, so the check below cannot race another
        // process that uses a different lock file path for the same database.
        let mut tx = self
            .conn
            .get()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(Error::db("starting a transaction"))?;
        let exists = sqlx::raw_sql(AssertSqlSafe(SQL.find(table, migration.version())))
            .fetch_optional(&mut *tx)
            .await
            .map_err(Error::db("reading the history table"))?;
        if exists.is_some() {
            tx.rollback()
                .await
                .map_err(Error::db("ending a transaction"))?;
            return Ok(Outcome::AlreadyApplied);
        }
        if let Err(error) = sqlx::raw_sql(script.sql()).execute(&mut *tx).await {
            if let Err(rollback) = tx.rollback().await {
                tracing::warn!(error = %rollback, "rollback after a failed migration failed");
            }
            // SQLite never says which statement of a batch failed.
            let location = locate_by_replay(self, script.sql(), &error).await;
            return Err(migration_error(migration, script, error, true, location));
        }
        sqlx::raw_sql(AssertSqlSafe(with_duration(&record, started)))
            .execute(&mut *tx)
            .await
            .map_err(Error::db("recording a migration in the history table"))?;
        tx.commit()
            .await
            .map_err(|error| migration_error(migration, script, error, true, None))?;
        Ok(Outcome::Applied(started.elapsed()))
    }
}

impl Driver for SqliteDriver {
    fn sql(&self) -> &'static Sql {
        &SQL
    }

    fn execute(&mut self, sql: String) -> BoxFuture<'_, Result<u64, sqlx::Error>> {
        Box::pin(self.conn.execute(sql))
    }

    fn fetch_text(&mut self, sql: String) -> BoxFuture<'_, Result<TextRows, sqlx::Error>> {
        Box::pin(self.conn.fetch_text(sql))
    }

    fn read_history(
        &mut self,
        select: String,
    ) -> BoxFuture<'_, Result<Option<Vec<AppliedMigration>>, Error>> {
        Box::pin(async move {
            let rows = sqlx::query_as::<_, HistoryRow>(AssertSqlSafe(select))
                .fetch_all(self.conn.get())
                .await;
            history_from_rows(rows, is_missing_table)
        })
    }

    fn history_summary<'a>(
        &'a mut self,
        table: &'a HistoryTable,
    ) -> BoxFuture<'a, Result<Option<Summary>, sqlx::Error>> {
        Box::pin(self.summary(table))
    }

    fn whole_scripts(&mut self) -> Option<&mut dyn WholeScripts> {
        Some(self)
    }

    fn step<'a>(&'a mut self, step: Step<'a>) -> BoxFuture<'a, Result<(), StepError>> {
        // Outside a transaction: `no-transaction` files hold statements such as VACUUM or
        // PRAGMA foreign_keys that SQLite refuses, or ignores, inside one.
        Box::pin(step_plainly(self, step))
    }

    fn run_code(
        &mut self,
        code: &'static Code,
        recheck: Option<String>,
        record: String,
    ) -> BoxFuture<'_, Result<Option<Duration>, CodeError>> {
        Box::pin(run_code_on::<Sqlite>(
            self.conn.get(),
            "BEGIN IMMEDIATE",
            code,
            recheck,
            record,
        ))
    }

    fn session_lock(&self) -> SessionLock {
        SessionLock::File(self.lock_file.clone())
    }

    fn pool_executor(&self) -> PoolExecutor {
        self.conn.pool_executor()
    }

    fn finish(mut self: Box<Self>, dirty: bool) -> BoxFuture<'static, ()> {
        self.conn.finish(dirty)
    }
}

impl WholeScripts for SqliteDriver {
    fn apply_whole<'a>(
        &'a mut self,
        table: &'a HistoryTable,
        migration: &'static Migration,
        record: String,
        _durable: bool,
    ) -> BoxFuture<'a, Result<Outcome, Error>> {
        Box::pin(self.apply(table, migration, record))
    }
}
