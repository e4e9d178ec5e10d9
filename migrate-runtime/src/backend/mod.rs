//! The seam between the database-independent migrator and each database.
//!
//! A [`Pool`] (implemented for sqlx pools of the enabled backends) opens a [`Session`]: one
//! dedicated connection, with the operations the migrator needs. Each backend lives in its own
//! file; MySQL comes next and implements the same two traits.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lease::LeaseSql;

use crate::error::Location;
use crate::history::{AppliedMigration, HistoryTable};
use crate::migration::{Migration, Script};
use crate::migrator::{Migrator, Op};
use crate::operations::{MigrationStatus, Operation, PlannedStep};
use crate::report::Report;
use crate::statements::{self, Dialect, Statement};
use crate::summary::Summary;
use crate::Error;

pub(crate) mod lease;
#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

mod sealed {
    pub trait Sealed {}
}

/// A connection pool that migrations can be applied through: `sqlx::PgPool` with the
/// `postgres` feature, `sqlx::MySqlPool` with the `mysql` feature (MySQL and MariaDB),
/// `sqlx::SqlitePool` with the `sqlite` feature.
///
/// This trait is sealed; its methods are an implementation detail.
pub trait Pool: sealed::Sealed + Send + Sync {
    #[doc(hidden)]
    type Session: Session;

    #[doc(hidden)]
    fn open_session(&self) -> impl Future<Output = Result<Self::Session, Error>> + Send + '_;

    // The entry points of the migrator, each implemented once per pool type in this crate:
    // the migrator's generic code is instantiated here, and the application's crate, whose
    // generic `run` calls these, only awaits a boxed future (see `pool_entry_points!`).

    /// `Migrator::execute_on` with this pool.
    #[doc(hidden)]
    fn execute<'a>(
        &'a self,
        migrator: &'a Migrator,
        op: Op,
    ) -> BoxFuture<'a, Result<Report, Error>>;

    /// `Migrator::status_on` with this pool.
    #[doc(hidden)]
    fn status<'a>(
        &'a self,
        migrator: &'a Migrator,
    ) -> BoxFuture<'a, Result<Vec<MigrationStatus>, Error>>;

    /// `Migrator::plan_on` with this pool.
    #[doc(hidden)]
    fn plan<'a>(
        &'a self,
        migrator: &'a Migrator,
        operation: Operation,
    ) -> BoxFuture<'a, Result<Vec<PlannedStep>, Error>>;
}

/// What the entry points of [`Pool`] return.
#[doc(hidden)]
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The entry points of [`Pool`], the same for every backend.
#[cfg(any(feature = "postgres", feature = "sqlite", feature = "mysql"))]
macro_rules! pool_entry_points {
    () => {
        fn execute<'a>(
            &'a self,
            migrator: &'a Migrator,
            op: Op,
        ) -> BoxFuture<'a, Result<Report, Error>> {
            Box::pin(migrator.execute_on(self, op))
        }

        fn status<'a>(
            &'a self,
            migrator: &'a Migrator,
        ) -> BoxFuture<'a, Result<Vec<MigrationStatus>, Error>> {
            Box::pin(migrator.status_on(self))
        }

        fn plan<'a>(
            &'a self,
            migrator: &'a Migrator,
            operation: Operation,
        ) -> BoxFuture<'a, Result<Vec<PlannedStep>, Error>> {
            Box::pin(migrator.plan_on(self, operation))
        }
    };
}
#[cfg(any(feature = "postgres", feature = "sqlite", feature = "mysql"))]
pub(crate) use pool_entry_points;

/// Why a [`Session::step`] failed.
#[doc(hidden)]
pub enum StepError {
    /// The statement failed; its progress was not recorded.
    Statement(sqlx::Error),
    /// The statement ran, but recording its progress failed.
    Record(sqlx::Error),
}

/// The plain-SQL primitives of [`Session`], the same for every backend whose session has a
/// `conn()` and a `pool`.
macro_rules! plain_sql_methods {
    () => {
        async fn execute_plain(&mut self, sql: String) -> Result<u64, sqlx::Error> {
            let done = sqlx::raw_sql(AssertSqlSafe(sql))
                .execute(&mut **self.conn())
                .await?;
            Ok(done.rows_affected())
        }

        async fn fetch_text_and_number(
            &mut self,
            sql: String,
        ) -> Result<Option<(String, i64)>, sqlx::Error> {
            let row = sqlx::raw_sql(AssertSqlSafe(sql))
                .fetch_optional(&mut **self.conn())
                .await?;
            row.map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
                .transpose()
        }

        async fn fetch_strings(
            &mut self,
            sql: String,
        ) -> Result<Vec<Vec<Option<String>>>, sqlx::Error> {
            let rows = sqlx::raw_sql(AssertSqlSafe(sql))
                .fetch_all(&mut **self.conn())
                .await?;
            rows.iter()
                .map(|row| {
                    (0..row.len())
                        .map(|i| row.try_get::<Option<String>, _>(i))
                        .collect()
                })
                .collect()
        }

        fn pool_executor(&self) -> PoolExecutor {
            let pool = self.pool.clone();
            Arc::new(move |sql| {
                let pool = pool.clone();
                Box::pin(async move {
                    let done = sqlx::raw_sql(AssertSqlSafe(sql)).execute(&pool).await?;
                    Ok(done.rows_affected())
                })
            })
        }
    };
}
pub(crate) use plain_sql_methods;

/// [`Session::run_code`], the same for every backend whose session has a `conn()`: `$begin`
/// is the statement that opens the transaction.
macro_rules! run_code_method {
    ($begin:literal) => {
        async fn run_code(
            &mut self,
            code: &'static crate::code::Code,
            recheck: Option<String>,
            record: String,
        ) -> Result<Option<std::time::Duration>, crate::backend::CodeError> {
            use std::any::Any;
            use sqlx::Connection as _;
            let started = std::time::Instant::now();
            let mut tx = self
                .conn()
                .begin_with($begin)
                .await
                .map_err(crate::backend::CodeError::db("starting a transaction"))?;
            if let Some(recheck) = recheck {
                let found = sqlx::raw_sql(sqlx::AssertSqlSafe(recheck))
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(crate::backend::CodeError::db("reading the history table"))?;
                if found.is_some() {
                    tx.rollback()
                        .await
                        .map_err(crate::backend::CodeError::db("ending a transaction"))?;
                    return Ok(None);
                }
            }
            let connection: &mut (dyn Any + Send) = &mut *tx;
            if let Err(error) = code.run(connection).await {
                if let Err(rollback) = tx.rollback().await {
                    tracing::warn!(error = %rollback, "rollback after a failed migration failed");
                }
                return Err(crate::backend::CodeError::Code(error));
            }
            let record = record.replacen(
                crate::backend::DURATION_SLOT,
                &crate::backend::micros(started).to_string(),
                1,
            );
            sqlx::raw_sql(sqlx::AssertSqlSafe(record))
                .execute(&mut *tx)
                .await
                .map_err(crate::backend::CodeError::db("recording the migration in the history table"))?;
            tx.commit()
                .await
                .map_err(crate::backend::CodeError::db("committing the migration's transaction"))?;
            Ok(Some(started.elapsed()))
        }
    };
}
pub(crate) use run_code_method;

/// The database a session of `dialect` talks to.
pub(crate) fn backend_of(dialect: Dialect) -> crate::code::Backend {
    match dialect {
        Dialect::Postgres => crate::code::Backend::Postgres,
        Dialect::MySql => crate::code::Backend::MySql,
        Dialect::Sqlite => crate::code::Backend::Sqlite,
    }
}

/// Where a history row's duration goes in its INSERT when it is only known after the
/// migration ran; it precedes every free-text value of the row (only the version, a
/// validated name, hex and a boolean come before it), so its first occurrence is the slot.
pub(crate) const DURATION_SLOT: &str = "__migrate_duration_us__";

/// The down script recorded with a migration, so that a binary without it can still revert
/// it: the SQL of its down file. A Rust `down` function cannot be recorded.
fn recorded_down(migration: &Migration) -> Option<&'static str> {
    migration
        .down()
        .filter(|down| !down.is_rust())
        .map(Script::sql)
}

/// Why [`Session::run_code`] failed.
#[doc(hidden)]
pub enum CodeError {
    /// The function returned an error; the transaction was rolled back.
    Code(crate::BoxError),
    /// The database failed around the function (opening, recording, committing).
    Database(&'static str, sqlx::Error),
}

impl CodeError {
    pub(crate) fn db(context: &'static str) -> impl FnOnce(sqlx::Error) -> CodeError {
        move |error| CodeError::Database(context, error)
    }
}

/// Runs a plain statement on a pool; returns the number of rows affected.
#[doc(hidden)]
pub type PoolExecutor = Arc<
    dyn Fn(String) -> Pin<Box<dyn Future<Output = Result<u64, sqlx::Error>> + Send>> + Send + Sync,
>;

/// A duplicate key, or a table that already exists: another runner got there first.
fn is_creation_race(error: &sqlx::Error) -> bool {
    error.as_database_error().is_some_and(|db| {
        db.is_unique_violation() || // 42P07 duplicate table, 42710 duplicate object (its row type), 42S01 MySQL
        matches!(db.code().as_deref(), Some("42P07" | "42710" | "42S01"))
    })
}

/// How a [`Session::wait_for_unlock`] ended.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// The lock was free, or was released during the wait.
    Released,
    /// The wait ran out with the lock still held: nothing to check before the next one.
    StillHeld,
    /// The session cannot tell (it slept).
    Unknown,
}

/// What applying one migration led to.
#[doc(hidden)]
pub enum Outcome {
    /// Applied and recorded, in this much time.
    Applied(Duration),
    /// Another runner applied it first (seen after taking the database's write lock).
    AlreadyApplied,
}

/// One dedicated connection, used for a whole run. Dropping a session that still holds the
/// lock must close its connection instead of returning it to the pool.
#[doc(hidden)]
pub trait Session: Send {
    /// Reads the history; `None` when the table does not exist yet.
    fn read_history(
        &mut self,
        table: &HistoryTable,
    ) -> impl Future<Output = Result<Option<Vec<AppliedMigration>>, Error>> + Send;

    /// The history table in one small row (see [`Summary`]); `None` when the table does not
    /// exist yet.
    fn history_summary(
        &mut self,
        table: &HistoryTable,
    ) -> impl Future<Output = Result<Option<Summary>, sqlx::Error>> + Send;

    /// Drops the seal of earlier versions where it exists (see [`crate::seal`]); called
    /// under the lock. A failure is logged and does not stop the run.
    fn drop_legacy_seal(&mut self, table: &HistoryTable) -> impl Future<Output = ()> + Send {
        let sql = crate::seal::drop_sql(table, self.dialect());
        async move {
            let Some(sql) = sql else { return };
            if let Err(error) = self.execute_plain(sql).await {
                tracing::warn!(table = %table, %error, "cannot drop the seal of an earlier version (its table and triggers)");
            }
        }
    }

    /// One attempt at the migration lock: `true` when this session now holds it.
    fn try_lock(
        &mut self,
        table: &HistoryTable,
    ) -> impl Future<Output = Result<bool, Error>> + Send;

    /// Waits until the holder of the lock releases it, or for `max`, whichever comes first
    /// (so that a waiting runner learns at once that the holder is done). By default it
    /// sleeps for `max`.
    fn wait_for_unlock(
        &mut self,
        table: &HistoryTable,
        max: Duration,
    ) -> impl Future<Output = Wait> + Send {
        let _ = table;
        async move {
            tokio::time::sleep(max).await;
            Wait::Unknown
        }
    }

    /// Who holds the lock, when the database can tell.
    fn lock_holder(&mut self, table: &HistoryTable) -> impl Future<Output = Option<String>> + Send;

    /// Releases the lock.
    fn unlock(&mut self, table: &HistoryTable) -> impl Future<Output = Result<(), Error>> + Send;

    /// Creates the history table if it does not exist (called under the lock).
    fn create_history(
        &mut self,
        table: &HistoryTable,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// The SQL dialect, for splitting files into statements.
    fn dialect(&self) -> Dialect;

    /// The 1-based character position in the statement that `error` reports, if any.
    fn error_position(&self, error: &sqlx::Error) -> Option<usize>;

    /// Whether DDL is transactional: then a migration without `no-transaction` runs with its
    /// history row in one transaction ([`Session::apply_in_transaction`]). Otherwise every
    /// migration runs statement by statement with its progress recorded.
    fn transactional_ddl(&self) -> bool;

    /// Applies one migration and records it, in one transaction (called under the lock).
    /// Without `durable`, the commit need not wait for the disk (PostgreSQL: asynchronous
    /// commit); the migrator asks for it on the last migration of a run, whose commit then
    /// makes every earlier one durable too.
    fn apply_in_transaction(
        &mut self,
        table: &HistoryTable,
        migration: &'static Migration,
        durable: bool,
    ) -> impl Future<Output = Result<Outcome, Error>> + Send;

    /// Runs the function of a Rust migration in a transaction on this session's connection,
    /// then `record` (a statement with [`DURATION_SLOT`] where the duration goes) in the same
    /// transaction, and commits. With `recheck`, a query run first in the transaction: when
    /// it returns a row, the transaction ends with `Ok(None)` (another runner applied it).
    fn run_code(
        &mut self,
        code: &'static crate::code::Code,
        recheck: Option<String>,
        record: String,
    ) -> impl Future<Output = Result<Option<Duration>, CodeError>> + Send;

    /// Records `migration` as started and unfinished, with no statement applied.
    fn start_unfinished(
        &mut self,
        table: &HistoryTable,
        migration: &'static Migration,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        let sql = self.history_row_sql(table, migration, false, "0");
        async move {
            self.execute_plain(sql)
                .await
                .map_err(Error::db("recording the start of a migration"))?;
            Ok(())
        }
    }

    /// Runs one statement of an unfinished migration, then records that `applied` statements
    /// (with checksum `progress`) are done, in one transaction where the database allows.
    /// With `complete` (the migration and when it started; only where
    /// [`Session::completes_in_last_step`]), the statement is the last one and the migration
    /// is recorded as applied with its progress.
    fn step(
        &mut self,
        table: &HistoryTable,
        version: i64,
        statement: &str,
        applied: usize,
        progress: &[u8],
        complete: Option<(&'static Migration, Instant)>,
    ) -> impl Future<Output = Result<(), StepError>> + Send;

    /// Records the error of the statement that failed (and clears it with `None` on resume).
    fn record_error(
        &mut self,
        table: &HistoryTable,
        version: i64,
        error: Option<&str>,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        let sql = format!(
            "UPDATE {} SET error = {} WHERE version = {version}",
            table.quoted(self.quote()),
            error.map_or_else(|| "NULL".to_owned(), |e| self.text_literal(e))
        );
        async move {
            self.execute_plain(sql)
                .await
                .map_err(Error::db("recording a migration's error"))?;
            Ok(())
        }
    }

    /// Whether [`Session::step`] records the migration as applied itself when it is given
    /// the last statement (`complete`), in the same round trip as its progress; otherwise
    /// the migrator calls [`Session::complete`] after it.
    fn completes_in_last_step(&self) -> bool {
        false
    }

    /// Marks an unfinished migration as applied, with the checksum of the file as it is now.
    fn complete(
        &mut self,
        table: &HistoryTable,
        migration: &'static Migration,
        micros: i64,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        let sql = self.complete_sql(table, migration, micros);
        async move {
            self.execute_plain(sql)
                .await
                .map_err(Error::db("recording a migration as applied"))?;
            Ok(())
        }
    }

    /// The UPDATE that marks `migration` as applied, in `micros`.
    fn complete_sql(&self, table: &HistoryTable, migration: &Migration, micros: i64) -> String {
        format!(
            "UPDATE {} SET success = TRUE, error = NULL, name = {}, checksum = {}, duration_us = {micros}, down_script = {} \
             WHERE version = {}",
            table.quoted(self.quote()),
            self.text_literal(migration.name()),
            self.bytes_literal(migration.checksum()),
            recorded_down(migration).map_or_else(|| "NULL".to_owned(), |sql| self.text_literal(sql)),
            migration.version(),
        )
    }

    /// The INSERT of a history row for `migration`; `micros` is an SQL expression.
    fn history_row_sql(
        &self,
        table: &HistoryTable,
        migration: &Migration,
        success: bool,
        micros: &str,
    ) -> String {
        format!(
            "INSERT INTO {} (version, name, checksum, success, duration_us, down_script, statements_applied) \
             VALUES ({}, {}, {}, {}, {micros}, {}, 0)",
            table.quoted(self.quote()),
            migration.version(),
            self.text_literal(migration.name()),
            self.bytes_literal(migration.checksum()),
            if success { "TRUE" } else { "FALSE" },
            recorded_down(migration).map_or_else(|| "NULL".to_owned(), |sql| self.text_literal(sql)),
        )
    }

    /// The UPDATE that records `applied` statements (with checksum `progress`) as done.
    fn progress_sql(
        &self,
        table: &HistoryTable,
        version: i64,
        applied: usize,
        progress: &[u8],
    ) -> String {
        format!(
            "UPDATE {} SET statements_applied = {applied}, progress_checksum = {} WHERE version = {version}",
            table.quoted(self.quote()),
            self.bytes_literal(progress)
        )
    }

    /// Identifier quote of this database.
    fn quote(&self) -> char;

    /// The database's clock in milliseconds since the epoch, as an SQL expression.
    fn now_ms(&self) -> &'static str;

    /// Runs one plain statement (no parameters) on this session's connection; the number of
    /// rows it affected.
    fn execute_plain(
        &mut self,
        sql: String,
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send;

    /// Runs a plain query whose first row is (text, bigint).
    fn fetch_text_and_number(
        &mut self,
        sql: String,
    ) -> impl Future<Output = Result<Option<(String, i64)>, sqlx::Error>> + Send;

    /// Something that runs plain statements on the pool rather than on this session's busy
    /// connection: the lease heartbeat.
    fn pool_executor(&self) -> PoolExecutor;

    /// `text` as an SQL string literal of this database.
    fn text_literal(&self, text: &str) -> String;

    /// `bytes` as an SQL binary literal of this database.
    fn bytes_literal(&self, bytes: &[u8]) -> String;

    /// `expr` cast to text, for [`Session::fetch_strings`].
    fn cast_text(&self, expr: &str) -> String;

    /// Runs a plain query whose columns are all text (or NULL).
    fn fetch_strings(
        &mut self,
        sql: String,
    ) -> impl Future<Output = Result<Vec<Vec<Option<String>>>, sqlx::Error>> + Send;

    /// Records `migration` as applied without running it.
    fn insert_applied(
        &mut self,
        table: &HistoryTable,
        migration: &'static Migration,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        let sql = self.history_row_sql(table, migration, true, "0");
        async move {
            self.execute_plain(sql)
                .await
                .map_err(Error::db("recording a migration as applied"))?;
            Ok(())
        }
    }

    /// The DELETE of the history row of `version`.
    fn delete_sql(&self, table: &HistoryTable, version: i64) -> String {
        format!(
            "DELETE FROM {} WHERE version = {version}",
            table.quoted(self.quote())
        )
    }

    /// Deletes the history row of `version`.
    fn delete_record(
        &mut self,
        table: &HistoryTable,
        version: i64,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        let sql = self.delete_sql(table, version);
        async move {
            self.execute_plain(sql)
                .await
                .map_err(Error::db("deleting a history row"))?;
            Ok(())
        }
    }

    /// Replaces the checksum recorded for `version`.
    fn set_checksum(
        &mut self,
        table: &HistoryTable,
        version: i64,
        checksum: &[u8],
    ) -> impl Future<Output = Result<(), Error>> + Send {
        let sql = format!(
            "UPDATE {} SET checksum = {} WHERE version = {version}",
            table.quoted(self.quote()),
            self.bytes_literal(checksum)
        );
        async move {
            self.execute_plain(sql)
                .await
                .map_err(Error::db("updating a checksum"))?;
            Ok(())
        }
    }

    /// Marks `version` as unfinished with `error` (a revert that failed part-way).
    fn mark_failed(
        &mut self,
        table: &HistoryTable,
        version: i64,
        error: &str,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        let sql = format!(
            "UPDATE {} SET success = FALSE, statements_applied = 0, progress_checksum = NULL, error = {} WHERE version = {version}",
            table.quoted(self.quote()),
            self.text_literal(error)
        );
        async move {
            self.execute_plain(sql)
                .await
                .map_err(Error::db("marking a migration as failed"))?;
            Ok(())
        }
    }

    /// The down script recorded when `version` was applied.
    fn recorded_down_script(
        &mut self,
        table: &HistoryTable,
        version: i64,
    ) -> impl Future<Output = Result<Option<String>, Error>> + Send {
        let sql = format!(
            "SELECT down_script FROM {} WHERE version = {version}",
            table.quoted(self.quote())
        );
        async move {
            let rows = self
                .fetch_strings(sql)
                .await
                .map_err(Error::db("reading a recorded down script"))?;
            Ok(rows
                .into_iter()
                .next()
                .and_then(|row| row.into_iter().next().flatten()))
        }
    }

    /// When each migration was applied, how long it took, and whether a down script was
    /// recorded: (version, applied at, µs, has down script), in one query.
    fn applied_details(
        &mut self,
        table: &HistoryTable,
    ) -> impl Future<Output = Result<Vec<(i64, String, i64, bool)>, Error>> + Send {
        let sql = format!(
            "SELECT {}, {}, {}, {} FROM {} ORDER BY version",
            self.cast_text("version"),
            self.cast_text("applied_at"),
            self.cast_text("duration_us"),
            self.cast_text("CASE WHEN down_script IS NULL THEN 0 ELSE 1 END"),
            table.quoted(self.quote())
        );
        async move {
            let rows = self
                .fetch_strings(sql)
                .await
                .map_err(Error::db("reading the history table"))?;
            Ok(rows
                .into_iter()
                .filter_map(|row| {
                    let mut columns = row.into_iter();
                    let version = columns.next()??.parse().ok()?;
                    let at = columns.next().flatten().unwrap_or_default();
                    let micros = columns
                        .next()
                        .flatten()
                        .and_then(|m| m.parse().ok())
                        .unwrap_or(0);
                    let has_down = columns.next().flatten().is_some_and(|d| d == "1");
                    Some((version, at, micros, has_down))
                })
                .collect())
        }
    }

    /// Appends to the audit trail `<history>_audit` (created if needed): what an operator did
    /// by hand, such as marking, repairing or reverting.
    fn audit(
        &mut self,
        table: &HistoryTable,
        action: &str,
        version: Option<i64>,
        detail: &str,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        let audit = table.audit_table().quoted(self.quote());
        let create = format!(
            "CREATE TABLE IF NOT EXISTS {audit} (at_ms BIGINT NOT NULL, action VARCHAR(32) NOT NULL, version BIGINT, detail TEXT)"
        );
        let insert = format!(
            "INSERT INTO {audit} (at_ms, action, version, detail) VALUES ({}, {}, {}, {})",
            self.now_ms(),
            self.text_literal(action),
            version.map_or_else(|| "NULL".to_owned(), |v| v.to_string()),
            self.text_literal(detail)
        );
        async move {
            self.execute_plain(create)
                .await
                .map_err(Error::db("creating the audit table"))?;
            self.execute_plain(insert)
                .await
                .map_err(Error::db("writing the audit trail"))?;
            Ok(())
        }
    }

    /// Runs a down script and deletes the migration's row, in one transaction where DDL is
    /// transactional. Elsewhere, one statement at a time; a failure then marks the row as
    /// unfinished with the error. Returns the statement that failed, with the error.
    fn revert(
        &mut self,
        table: &HistoryTable,
        version: i64,
        down: &str,
        no_transaction: bool,
    ) -> impl Future<Output = Result<(), (Option<usize>, sqlx::Error)>> + Send {
        let delete = self.delete_sql(table, version);
        let transactional = self.transactional_ddl() && !no_transaction;
        let dialect = self.dialect();
        let down = down.to_owned();
        async move {
            if transactional {
                self.execute_plain("BEGIN".to_owned())
                    .await
                    .map_err(|e| (None, e))?;
                let result = match self.execute_plain(down).await {
                    Ok(_) => self.execute_plain(delete).await.map_err(|e| (None, e)),
                    Err(error) => Err((None, error)),
                };
                if let Err(error) = result {
                    if let Err(rollback) = self.execute_plain("ROLLBACK".to_owned()).await {
                        tracing::warn!(error = %rollback, "rollback after a failed revert failed");
                    }
                    return Err(error);
                }
                self.execute_plain("COMMIT".to_owned())
                    .await
                    .map_err(|e| (None, e))?;
                return Ok(());
            }
            for (index, statement) in statements::split(&down, dialect).iter().enumerate() {
                self.execute_plain(statement.sql.to_owned())
                    .await
                    .map_err(|e| (Some(index), e))?;
            }
            self.execute_plain(delete).await.map_err(|e| (None, e))?;
            Ok(())
        }
    }

    /// Creates the lease lock table if needed. `false` when another runner was creating it
    /// at the same moment (try again).
    fn prepare_lease(
        &mut self,
        sql: &LeaseSql,
    ) -> impl Future<Output = Result<bool, Error>> + Send {
        let create = sql.create.clone();
        async move {
            match self.execute_plain(create).await {
                Ok(_) => Ok(true),
                Err(error) if is_creation_race(&error) => Ok(false),
                Err(error) => Err(Error::db("creating the lock table")(error)),
            }
        }
    }

    /// One attempt at the lease: expire a stale one, then insert ours. `true` when taken.
    fn try_lease(&mut self, sql: &LeaseSql) -> impl Future<Output = Result<bool, Error>> + Send {
        let (expire, take) = (sql.expire.clone(), sql.take.clone());
        async move {
            self.execute_plain(expire)
                .await
                .map_err(Error::db("expiring a stale lease"))?;
            match self.execute_plain(take).await {
                Ok(_) => Ok(true),
                Err(error) if is_creation_race(&error) => Ok(false),
                Err(error) => Err(Error::db("taking the lease")(error)),
            }
        }
    }

    /// Who holds the lease, and for how much longer unless renewed.
    fn lease_holder(&mut self, sql: &LeaseSql) -> impl Future<Output = Option<String>> + Send {
        let holder = sql.holder.clone();
        async move {
            let (owner, left_ms) = self.fetch_text_and_number(holder).await.ok().flatten()?;
            Some(format!(
                "the lease of `{owner}`, which expires in {}s unless renewed",
                left_ms.max(0) / 1000
            ))
        }
    }

    /// Gives the lease up (a no-op when another runner has taken it over).
    fn release_lease(&mut self, sql: &LeaseSql) -> impl Future<Output = Result<(), Error>> + Send {
        let release = sql.release.clone();
        async move {
            self.execute_plain(release)
                .await
                .map_err(Error::db("releasing the lease"))?;
            Ok(())
        }
    }

    /// Ends the session: the connection goes back to the pool, or is closed when `dirty`
    /// (a migration ran on it and may have changed session settings).
    fn finish(self, dirty: bool) -> impl Future<Output = ()> + Send;
}

/// A row of the history table as the backends read it: version, name, checksum, success,
/// statements applied, progress checksum, error.
pub(crate) type HistoryRow = (
    i64,
    String,
    Vec<u8>,
    bool,
    i64,
    Option<Vec<u8>>,
    Option<String>,
);

/// The query that reads the history, oldest first.
pub(crate) fn select_history(table: &HistoryTable, quote: char) -> String {
    format!(
        "SELECT version, name, checksum, success, statements_applied, progress_checksum, error \
         FROM {} ORDER BY version",
        table.quoted(quote)
    )
}

/// The checksum of the first statements of a file, recorded as they are applied, so that a
/// resumed migration can tell whether they were edited since.
pub(crate) fn progress_checksum(statements: &[Statement<'_>]) -> [u8; 32] {
    let joined: Vec<&str> = statements.iter().map(|s| s.sql).collect();
    crate::migration::checksum(joined.join("\n;\n").as_bytes())
}

/// The result of reading the history: `Ok(None)` when the table does not exist yet.
pub(crate) fn history_from_rows(
    rows: Result<Vec<HistoryRow>, sqlx::Error>,
    is_missing_table: impl Fn(&sqlx::Error) -> bool,
) -> Result<Option<Vec<AppliedMigration>>, Error> {
    match rows {
        Ok(rows) => Ok(Some(
            rows.into_iter()
                .map(
                    |(version, name, checksum, success, applied, progress_checksum, error)| {
                        AppliedMigration {
                            version,
                            name,
                            checksum,
                            success,
                            statements_applied: usize::try_from(applied).unwrap_or(0),
                            progress_checksum,
                            error,
                        }
                    },
                )
                .collect(),
        )),
        Err(error) if is_missing_table(&error) => Ok(None),
        Err(error) => Err(Error::db("reading the history table")(error)),
    }
}

/// Microseconds since `started`, for the history table.
pub(crate) fn micros(started: std::time::Instant) -> i64 {
    i64::try_from(started.elapsed().as_micros()).unwrap_or(i64::MAX)
}

#[cfg(feature = "postgres")]
/// SQL literals for the statements the PostgreSQL backend sends through the simple query
/// protocol (no prepared statements, so connection poolers in transaction mode work).
pub(crate) mod pg_literal {
    /// A dollar-quoted string, with a tag that does not occur in `text`.
    pub fn text(text: &str) -> String {
        let mut tag = String::from("$m$");
        let mut n = 0u32;
        // The body ends where `tag` first occurs after the opening tag: that must be the end.
        while format!("{text}{tag}").find(&tag) != Some(text.len()) {
            n += 1;
            tag = format!("$m{n}$");
        }
        format!("{tag}{text}{tag}")
    }

    /// A `bytea` value.
    pub fn bytes(bytes: &[u8]) -> String {
        format!("decode('{}', 'hex')", crate::migration::hex(bytes))
    }
}

/// The database's own message for an error.
pub(crate) fn db_message(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(db) => db.message().to_owned(),
        other => other.to_string(),
    }
}

/// Where a failure happened: `byte` is a byte offset into `sql` (the whole file) reported
/// by the database or the start of the failing statement. The statement is the one of
/// `split(sql)` that contains `byte`.
pub(crate) fn locate(sql: &str, dialect: Dialect, byte: usize) -> Location {
    let byte = byte.min(sql.len());
    let before = sql.get(..byte).unwrap_or(sql);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    let statement = statements::split(sql, dialect)
        .into_iter()
        .enumerate()
        .find(|(_, s)| s.offset <= byte && byte <= s.offset + s.sql.len())
        .map(|(index, s)| (index + 1, one_line(s.sql)));
    Location {
        line,
        column,
        statement,
    }
}

/// A statement on one line, shortened to 200 characters.
fn one_line(sql: &str) -> String {
    let flat: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 200 {
        let cut: String = flat.chars().take(199).collect();
        format!("{cut}…")
    } else {
        flat
    }
}

/// The byte offset of a 1-based character position in `sql`.
pub(crate) fn char_to_byte(sql: &str, position: usize) -> Option<usize> {
    let index = position.checked_sub(1)?;
    Some(
        sql.char_indices()
            .nth(index)
            .map_or(sql.len(), |(byte, _)| byte),
    )
}

/// Builds [`Error::Migration`].
pub(crate) fn migration_error(
    migration: &Migration,
    script: &Script,
    source: sqlx::Error,
    rolled_back: bool,
    location: Option<Location>,
) -> Error {
    Error::Migration {
        version: migration.version(),
        file: script.file().to_owned(),
        message: db_message(&source),
        location: location.map(Box::new),
        rolled_back,
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_name_line_column_and_statement() {
        let sql = "CREATE TABLE a (id INT);\nCREATE TABLE b (id INTT);";
        let at = char_to_byte(sql, 45).expect("position");
        let location = locate(sql, Dialect::Postgres, at);
        assert_eq!((location.line, location.column), (2, 20));
        assert_eq!(
            location.statement,
            Some((2, "CREATE TABLE b (id INTT)".to_owned()))
        );
        assert_eq!(char_to_byte(sql, 0), None);
        assert_eq!(locate("é;\nx", Dialect::MySql, 4).column, 1);
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn dollar_quotes_cannot_be_closed_early() {
        assert_eq!(pg_literal::text("it's"), "$m$it's$m$");
        assert_eq!(pg_literal::text("a $m$ b"), "$m1$a $m$ b$m1$");
        assert_eq!(pg_literal::text("ends in $m"), "$m1$ends in $m$m1$");
        assert_eq!(pg_literal::bytes(&[0, 255]), "decode('00ff', 'hex')");
    }

    #[test]
    fn long_statements_are_shortened_to_one_line() {
        let long = format!("SELECT\n{}", "x, ".repeat(100));
        let short = one_line(&long);
        assert!(!short.contains('\n') && short.chars().count() == 200 && short.ends_with('…'));
    }
}
