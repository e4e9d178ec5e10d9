//! SQLite: a lock file beside the database serialises runners across processes, and each
//! migration runs in a `BEGIN IMMEDIATE` transaction that first checks, under SQLite's own
//! write lock, that no other runner has applied it meanwhile.
//!
//! The lock file is `<database>.migrate-lock`, locked with the operating system's file lock
//! (released by the OS when the process dies, so a crash never leaves it held). It is left
//! in place after the run. In-memory databases are private to one process and need none.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::Instant;

use sqlx::pool::PoolConnection;
use sqlx::{AssertSqlSafe, Connection, Sqlite};

use super::{
    history_from_rows, insert_history, micros, migration_error, sealed, select_history, HistoryRow,
    Outcome, Pool, Session,
};
use crate::history::{AppliedMigration, HistoryTable};
use crate::migration::Migration;
use crate::Error;

impl sealed::Sealed for sqlx::SqlitePool {}

impl Pool for sqlx::SqlitePool {
    type Session = SqliteSession;

    async fn open_session(&self) -> Result<SqliteSession, Error> {
        let conn = self
            .acquire()
            .await
            .map_err(Error::db("acquiring a connection from the pool"))?;
        let options = self.connect_options();
        Ok(SqliteSession {
            conn: Some(conn),
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
    lock_path: Option<PathBuf>,
    /// The open, locked lock file while this session holds the lock.
    lock: Option<File>,
}

impl SqliteSession {
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
                down_script TEXT
            )",
            table.quoted('"')
        );
        sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(&mut **self.conn())
            .await
            .map_err(Error::db("creating the history table"))?;
        Ok(())
    }

    async fn apply(
        &mut self,
        table: &HistoryTable,
        migration: &'static Migration,
    ) -> Result<Outcome, Error> {
        let quoted = table.quoted('"');
        let insert = insert_history(table, '"', ["?"; 6]);
        let record = |success: bool, micros: i64| {
            sqlx::query(AssertSqlSafe(insert.clone()))
                .bind(migration.version())
                .bind(migration.name())
                .bind(&migration.checksum()[..])
                .bind(success)
                .bind(micros)
                .bind(migration.down().map(|d| d.sql()))
        };
        let script = migration.up();
        let started = Instant::now();
        let conn = self.conn();

        if script.no_transaction() {
            let result = sqlx::raw_sql(script.sql()).execute(&mut **conn).await;
            let micros = micros(started);
            return match result {
                Ok(_) => {
                    record(true, micros)
                        .execute(&mut **conn)
                        .await
                        .map_err(Error::db("recording a migration in the history table"))?;
                    Ok(Outcome::Applied(started.elapsed()))
                }
                Err(error) => {
                    if let Err(mark_error) = record(false, micros).execute(&mut **conn).await {
                        tracing::error!(version = migration.version(), error = %mark_error, "could not mark the failed migration as dirty");
                    }
                    Err(migration_error(migration, script, error, false, None))
                }
            };
        }

        // IMMEDIATE takes SQLite's write lock now, so the check below cannot race another
        // process that uses a different lock file path for the same database.
        let mut tx = conn
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
            return Err(migration_error(migration, script, error, true, None));
        }
        record(true, micros(started))
            .execute(&mut *tx)
            .await
            .map_err(Error::db("recording a migration in the history table"))?;
        tx.commit()
            .await
            .map_err(|error| migration_error(migration, script, error, true, None))?;
        Ok(Outcome::Applied(started.elapsed()))
    }

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
