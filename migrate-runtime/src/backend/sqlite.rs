//! SQLite: a lock file beside the database serialises runners across processes, and each
//! migration runs in a `BEGIN IMMEDIATE` transaction that first checks, under SQLite's own
//! write lock, that no other runner has applied it meanwhile.
//!
//! The lock file is `<database>.migrate-lock`, locked with the operating system's file lock
//! (released by the OS when the process dies, so a crash never leaves it held). It is left
//! in place after the run. In-memory databases are private to one process and need none.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use sqlx::pool::PoolConnection;
use sqlx::{AssertSqlSafe, Connection, Row, Sqlite};

use super::{
    history_from_rows, locate, micros, migration_error, plain_sql_methods, pool_entry_points,
    run_code_method, sealed, select_history, BoxFuture, HistoryRow, Outcome, Pool, PoolExecutor,
    Session, StepError,
};
use crate::error::Location;
use crate::history::{AppliedMigration, HistoryTable};
use crate::migration::Migration;
use crate::migrator::{Migrator, Op};
use crate::operations::{MigrationStatus, Operation, PlannedStep};
use crate::report::Report;
use crate::statements::{self, Dialect};
use crate::summary::{parse_versions, Checksums, Summary};
use crate::Error;

impl sealed::Sealed for sqlx::SqlitePool {}

impl Pool for sqlx::SqlitePool {
    type Session = SqliteSession;

    pool_entry_points!();

    async fn open_session(&self) -> Result<SqliteSession, Error> {
        let conn = self
            .acquire()
            .await
            .map_err(Error::db("acquiring a connection from the pool"))?;
        let options = self.connect_options();
        Ok(SqliteSession {
            conn: Some(conn),
            pool: self.clone(),
            lock_path: lock_path(options.get_filename()),
            lock: None,
        })
    }
}

/// The lock file for a database file; `None` for in-memory databases.
fn lock_path(database: &Path) -> Option<PathBuf> {
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

/// A SQLite session. See [`Session`].
#[doc(hidden)]
pub struct SqliteSession {
    conn: Option<PoolConnection<Sqlite>>,
    pool: sqlx::SqlitePool,
    lock_path: Option<PathBuf>,
    /// The open, locked lock file while this session holds the lock.
    lock: Option<File>,
}

impl SqliteSession {
    /// SQLite does not say which statement of a batch failed. The whole file ran as one
    /// batch (so that splitting can never change what runs); after it failed, replay it one
    /// statement at a time in a transaction that is rolled back, to find the failing one.
    async fn find_failing_statement(&mut self, sql: &str) -> Option<Location> {
        let mut tx = self.conn().begin().await.ok()?;
        let mut failed = None;
        for statement in statements::split(sql, Dialect::Sqlite) {
            if sqlx::raw_sql(AssertSqlSafe(statement.sql.to_owned()))
                .execute(&mut *tx)
                .await
                .is_err()
            {
                failed = Some(locate(sql, Dialect::Sqlite, statement.offset));
                break;
            }
        }
        if let Err(error) = tx.rollback().await {
            tracing::warn!(%error, "rolling back the replay of a failed migration failed");
        }
        failed
    }

    fn conn(&mut self) -> &mut PoolConnection<Sqlite> {
        // Only `finish` takes the connection, and it consumes the session.
        self.conn.as_mut().expect("session used after finish")
    }
}

fn is_missing_table(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.message().starts_with("no such table"))
}

impl Session for SqliteSession {
    async fn read_history(
        &mut self,
        table: &HistoryTable,
    ) -> Result<Option<Vec<AppliedMigration>>, Error> {
        let rows = sqlx::query_as::<_, HistoryRow>(AssertSqlSafe(select_history(table, '"')))
            .fetch_all(&mut **self.conn())
            .await;
        history_from_rows(rows, is_missing_table)
    }

    async fn history_summary(
        &mut self,
        table: &HistoryTable,
    ) -> Result<Option<Summary>, sqlx::Error> {
        // `version` is the rowid, so the table is read in version order without a sort (and
        // the versions and checksums come in the same order whatever it is). group_concat
        // keeps a blob's bytes as they are; the cast gives them back as a blob.
        let sql = format!(
            "SELECT count(*), min(success AND length(checksum) = 32), group_concat(version), \
             CAST(group_concat(checksum, '') AS BLOB) FROM {}",
            table.quoted('"')
        );
        let row = match sqlx::query(AssertSqlSafe(sql))
            .fetch_one(&mut **self.conn())
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

    async fn try_lock(&mut self, _table: &HistoryTable) -> Result<bool, Error> {
        let Some(path) = &self.lock_path else {
            return Ok(true);
        };
        let io_error = |source| Error::Io {
            context: format!("locking `{}`", path.display()),
            source,
        };
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(io_error)?;
        match file.try_lock() {
            Ok(()) => {
                self.lock = Some(file);
                Ok(true)
            }
            Err(TryLockError::WouldBlock) => Ok(false),
            Err(TryLockError::Error(source)) => Err(io_error(source)),
        }
    }

    async fn lock_holder(&mut self, _table: &HistoryTable) -> Option<String> {
        self.lock_path
            .as_ref()
            .map(|path| format!("another process (lock file `{}`)", path.display()))
    }

    async fn unlock(&mut self, _table: &HistoryTable) -> Result<(), Error> {
        // Closing the file releases the lock.
        self.lock = None;
        Ok(())
    }

    async fn create_history(&mut self, table: &HistoryTable) -> Result<(), Error> {
        let sql = format!(
            "CREATE TABLE IF NOT EXISTS {} (
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
            )",
            table.quoted('"')
        );
        sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(&mut **self.conn())
            .await
            .map_err(Error::db("creating the history table"))?;
        Ok(())
    }

    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn error_position(&self, _error: &sqlx::Error) -> Option<usize> {
        None
    }

    fn transactional_ddl(&self) -> bool {
        true
    }

    async fn apply_in_transaction(
        &mut self,
        table: &HistoryTable,
        migration: &'static Migration,
        _durable: bool,
    ) -> Result<Outcome, Error> {
        let quoted = table.quoted('"');
        let script = migration.up();
        let insert = self.history_row_sql(table, migration, true, super::DURATION_SLOT);
        let started = Instant::now();
        // IMMEDIATE takes SQLite's write lock now, so the check below cannot race another
        // process that uses a different lock file path for the same database.
        let mut tx = self
            .conn()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(Error::db("starting a transaction"))?;
        let exists: Option<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT version FROM {quoted} WHERE version = ?"
        )))
        .bind(migration.version())
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
            let location = self.find_failing_statement(script.sql()).await;
            return Err(migration_error(migration, script, error, true, location));
        }
        let insert = insert.replacen(super::DURATION_SLOT, &micros(started).to_string(), 1);
        sqlx::raw_sql(AssertSqlSafe(insert))
            .execute(&mut *tx)
            .await
            .map_err(Error::db("recording a migration in the history table"))?;
        tx.commit()
            .await
            .map_err(|error| migration_error(migration, script, error, true, None))?;
        Ok(Outcome::Applied(started.elapsed()))
    }

    async fn step(
        &mut self,
        table: &HistoryTable,
        version: i64,
        statement: &str,
        applied: usize,
        progress: &[u8],
        _complete: Option<(&'static Migration, Instant)>,
    ) -> Result<(), StepError> {
        let record = self.progress_sql(table, version, applied, progress);
        // Outside a transaction: `no-transaction` files hold statements such as VACUUM or
        // PRAGMA foreign_keys that SQLite refuses, or ignores, inside one.
        let conn = self.conn();
        sqlx::raw_sql(AssertSqlSafe(statement.to_owned()))
            .execute(&mut **conn)
            .await
            .map_err(StepError::Statement)?;
        sqlx::raw_sql(AssertSqlSafe(record))
            .execute(&mut **conn)
            .await
            .map_err(StepError::Record)?;
        Ok(())
    }

    fn quote(&self) -> char {
        '"'
    }

    fn now_ms(&self) -> &'static str {
        "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
    }

    fn text_literal(&self, text: &str) -> String {
        format!("'{}'", text.replace('\'', "''"))
    }

    fn bytes_literal(&self, bytes: &[u8]) -> String {
        format!("X'{}'", crate::migration::hex(bytes))
    }

    fn cast_text(&self, expr: &str) -> String {
        format!("CAST({expr} AS TEXT)")
    }

    plain_sql_methods!();
    run_code_method!("BEGIN IMMEDIATE");

    async fn finish(mut self, dirty: bool) {
        self.lock = None;
        let Some(conn) = self.conn.take() else { return };
        if dirty {
            if let Err(error) = conn.close().await {
                tracing::debug!(%error, "closing the migration connection failed");
            }
        }
    }
}
