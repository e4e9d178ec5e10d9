//! The seam between the migrator and each database: a [`Pool`] opens a [`Driver`], one
//! dedicated connection with the few operations the migrator needs. What differs between
//! databases as *facts* (quoting, literals, the history table's column types) is data, in
//! [`Sql`]; what differs as *behaviour* is a method of [`Driver`], implemented once per
//! database in its own file. "Where does MySQL differ?" is answered by `mysql.rs`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::code::Code;
use crate::history::{AppliedMigration, HistoryTable};
use crate::migration::Migration;
use crate::summary::Summary;
use crate::Error;

mod conn;
#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "postgres")]
mod postgres;
mod replay;
mod sql;
#[cfg(feature = "sqlite")]
mod sqlite;

pub(crate) use replay::locate_by_replay;
#[cfg(test)]
pub(crate) use sql::TEST_SQL;
pub(crate) use sql::{Sql, Steps};

mod sealed {
    pub trait Sealed {}
}

/// A boxed future, as the object-safe [`Driver`] and [`Pool`] return them.
#[doc(hidden)]
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A connection pool that migrations can be applied through: `sqlx::PgPool` with the
/// `postgres` feature, `sqlx::MySqlPool` with the `mysql` feature (MySQL and MariaDB),
/// `sqlx::SqlitePool` with the `sqlite` feature.
///
/// This trait is sealed; its method is an implementation detail.
pub trait Pool: sealed::Sealed + Send + Sync {
    /// Takes one connection from the pool for a whole operation.
    #[doc(hidden)]
    fn driver(&self) -> BoxFuture<'_, Result<Box<dyn Driver>, Error>>;
}

/// One dedicated connection of one database, used for a whole operation.
///
/// Dropping a driver without [`Driver::finish`] (an error path that skipped it, a panic, a
/// cancelled future) closes its connection instead of returning it to the pool, so that a
/// session lock it may hold dies with it.
#[doc(hidden)]
pub trait Driver: Send {
    /// The facts of this database's SQL.
    fn sql(&self) -> &'static Sql;

    /// Runs plain SQL (one statement or several, no parameters; PostgreSQL's simple query
    /// protocol) on this connection; the number of rows affected.
    fn execute(&mut self, sql: String) -> BoxFuture<'_, Result<u64, sqlx::Error>>;

    /// Runs a plain query whose columns are all text (or NULL).
    fn fetch_text(&mut self, sql: String) -> BoxFuture<'_, Result<TextRows, sqlx::Error>>;

    /// Reads the history with `select` (one of [`Sql`]'s history queries), oldest first;
    /// `None` when the table does not exist yet.
    fn read_history(
        &mut self,
        select: String,
    ) -> BoxFuture<'_, Result<Option<Vec<AppliedMigration>>, Error>>;

    /// The history table in one small row (see [`Summary`]); `None` when the table does not
    /// exist yet.
    fn history_summary<'a>(
        &'a mut self,
        table: &'a HistoryTable,
    ) -> BoxFuture<'a, Result<Option<Summary>, sqlx::Error>>;

    /// Where DDL is transactional, the way to run a script whole with its history row in
    /// one transaction; `None` where every migration runs statement by statement (MySQL).
    fn whole_scripts(&mut self) -> Option<&mut dyn WholeScripts>;

    /// Runs one step of a migration that runs statement by statement: a statement with the
    /// bookkeeping that records it, in one transaction where the database allows.
    fn step<'a>(&'a mut self, step: Step<'a>) -> BoxFuture<'a, Result<(), StepError>>;

    /// Runs the function of a Rust migration in a transaction on this connection, then
    /// `record` (with [`DURATION_SLOT`] where the duration goes) in the same transaction, and
    /// commits. With `recheck`, a query run first in the transaction: when it returns a row,
    /// the transaction ends with `Ok(None)` (another runner applied it).
    fn run_code(
        &mut self,
        code: &'static Code,
        recheck: Option<String>,
        record: String,
    ) -> BoxFuture<'_, Result<Option<Duration>, CodeError>>;

    /// The database's own lock that serialises runners in [`LockMode::Session`](crate::LockMode).
    fn session_lock(&self) -> SessionLock;

    /// Something that runs plain statements on the pool rather than on this busy
    /// connection: the lease heartbeat.
    fn pool_executor(&self) -> PoolExecutor;

    /// Ends the operation: the connection goes back to the pool, or is closed when `dirty`
    /// (a migration ran on it and may have changed session settings, or the lock could not
    /// be released).
    fn finish(self: Box<Self>, dirty: bool) -> BoxFuture<'static, ()>;
}

/// Running a migration's script whole, where DDL is transactional.
#[doc(hidden)]
pub trait WholeScripts: Send {
    /// Applies `migration` and its history row `record` (with [`DURATION_SLOT`] where the
    /// duration goes) in one transaction. Without `durable`, the commit need not wait for
    /// the disk (PostgreSQL: asynchronous commit); the migrator asks for it on the last
    /// migration of a run, whose commit then makes every earlier one durable too.
    fn apply_whole<'a>(
        &'a mut self,
        table: &'a HistoryTable,
        migration: &'static Migration,
        record: String,
        durable: bool,
    ) -> BoxFuture<'a, Result<Outcome, Error>>;
}

/// The database's session lock, for [`crate::lock`].
#[doc(hidden)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionLock {
    /// A PostgreSQL advisory lock on the history table's key.
    Advisory,
    /// A MySQL `GET_LOCK` named after the database and history table.
    Named,
    /// An operating system lock on this file beside a SQLite database; `None` for an
    /// in-memory database, which is private to one process and needs none.
    File(Option<std::path::PathBuf>),
}

/// One step of a migration run statement by statement.
#[doc(hidden)]
pub enum Step<'a> {
    /// Record the migration as started and unfinished (`insert`, fenced), before its first
    /// statement.
    Start {
        /// The INSERT of its unfinished history row; for a revert, whose row exists, the
        /// UPDATE that marks it as an unfinished revert (or resumes one).
        insert: String,
    },
    /// Run statements of the file with the update of the progress that records them.
    Run(Run<'a>),
    /// Record the migration as applied without a statement to run (an empty file, or a
    /// resumed one whose statements were all applied); its SQL is fenced.
    Complete(Complete),
}

/// Consecutive statements of a file and the bookkeeping that records them as done.
#[doc(hidden)]
pub struct Run<'a> {
    /// One statement, or (with [`Steps::Together`]) several consecutive data statements.
    pub statements: Vec<&'a str>,
    /// Whether they may share a transaction with their bookkeeping.
    pub shape: Steps,
    /// The lease's fence ([`crate::lock`]), run before each write: before a statement that
    /// commits on its own, and in the transaction of the bookkeeping.
    pub fence: Option<&'a str>,
    /// The UPDATE that records them as done.
    pub progress: String,
    /// For the last statements of the file, the UPDATE that records the migration as applied.
    pub complete: Option<Complete>,
}

impl Run<'_> {
    /// The fence (if any), the progress and the completion, as one message.
    pub(crate) fn bookkeeping(&self) -> String {
        let mut sql = self
            .fence
            .map(|fence| format!("{fence};\n"))
            .unwrap_or_default();
        sql.push_str(&self.progress);
        if let Some(complete) = &self.complete {
            sql.push_str(";\n");
            sql.push_str(&complete.sql());
        }
        sql
    }

    /// The statements joined into one script; the newline before each `;` ends a trailing
    /// `--` comment.
    pub(crate) fn script(&self) -> String {
        self.statements.join("\n;\n")
    }
}

/// The UPDATE that records a migration as applied, with [`DURATION_SLOT`] where the time
/// since `started` goes.
#[doc(hidden)]
pub struct Complete {
    /// The UPDATE.
    pub sql: String,
    /// When the migration (or its resumption) started.
    pub started: std::time::Instant,
}

impl Complete {
    /// The UPDATE with the time since the start.
    pub(crate) fn sql(&self) -> String {
        with_duration(&self.sql, self.started)
    }
}

/// Why a [`Driver::step`] failed.
#[doc(hidden)]
pub enum StepError {
    /// A statement failed (or the fence refused it); nothing of the step was recorded, and
    /// statements that share its transaction were rolled back.
    Statement {
        /// The database's error.
        error: sqlx::Error,
        /// For a step of one statement, the 1-based character position in it that the
        /// error reports, if any.
        position: Option<usize>,
    },
    /// The statements ran, but recording them failed.
    Record(sqlx::Error),
}

impl StepError {
    /// The error of a bookkeeping step (one without a statement of the file) that failed
    /// while `context`.
    pub(crate) fn during(self, context: &'static str) -> Error {
        match self {
            StepError::Statement { error, .. } | StepError::Record(error) => {
                Error::db(context)(error)
            }
        }
    }
}

/// Why [`Driver::run_code`] failed.
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

/// What applying one migration led to.
#[doc(hidden)]
pub enum Outcome {
    /// Applied and recorded, in this much time.
    Applied(Duration),
    /// Another runner applied it first (seen after taking the database's write lock).
    AlreadyApplied,
}

/// Rows of a query whose columns are all text.
pub type TextRows = Vec<Vec<Option<String>>>;

/// Runs a plain statement on a pool; returns the number of rows affected.
#[doc(hidden)]
pub type PoolExecutor = Arc<
    dyn Fn(String) -> Pin<Box<dyn Future<Output = Result<u64, sqlx::Error>> + Send>> + Send + Sync,
>;

/// Where a history row's duration goes in its INSERT when it is only known after the
/// migration ran; it precedes every free-text value of the row (only the version, a
/// validated name, hex and a boolean come before it), so its first occurrence is the slot.
pub(crate) const DURATION_SLOT: &str = "__migrate_duration_us__";

/// `record` with the time since `started` in its [`DURATION_SLOT`].
pub(crate) fn with_duration(record: &str, started: std::time::Instant) -> String {
    record.replacen(DURATION_SLOT, &micros(started).to_string(), 1)
}

/// Microseconds since `started`, for the history table.
pub(crate) fn micros(started: std::time::Instant) -> i64 {
    i64::try_from(started.elapsed().as_micros()).unwrap_or(i64::MAX)
}

/// A row of the history table as the drivers read it: version, name, checksum, success,
/// statements applied, progress checksum, error, revert checksum.
#[cfg(any(feature = "postgres", feature = "sqlite", feature = "mysql"))]
pub(crate) type HistoryRow = (
    i64,
    String,
    Vec<u8>,
    bool,
    i64,
    Option<Vec<u8>>,
    Option<String>,
    Option<Vec<u8>>,
);

/// The result of reading the history: `Ok(None)` when the table does not exist yet.
#[cfg(any(feature = "postgres", feature = "sqlite", feature = "mysql"))]
pub(crate) fn history_from_rows(
    rows: Result<Vec<HistoryRow>, sqlx::Error>,
    is_missing_table: impl Fn(&sqlx::Error) -> bool,
) -> Result<Option<Vec<AppliedMigration>>, Error> {
    match rows {
        Ok(rows) => Ok(Some(
            rows.into_iter()
                .map(
                    |(
                        version,
                        name,
                        checksum,
                        success,
                        applied,
                        progress_checksum,
                        error,
                        revert_checksum,
                    )| {
                        AppliedMigration {
                            version,
                            name,
                            checksum,
                            success,
                            statements_applied: usize::try_from(applied).unwrap_or(0),
                            progress_checksum,
                            error,
                            revert_checksum,
                        }
                    },
                )
                .collect(),
        )),
        Err(error) if is_missing_table(&error) => Ok(None),
        Err(error) => Err(Error::db("reading the history table")(error)),
    }
}

/// [`Driver::step`] where each statement runs on its own, then its bookkeeping (SQLite,
/// and PostgreSQL's statements that refuse a transaction block). Under a lease, the fence
/// runs just before each statement: a statement that commits on its own cannot be fenced,
/// and is run only while the lease was this runner's a moment before.
#[cfg(any(feature = "postgres", feature = "sqlite", feature = "mysql"))]
pub(crate) async fn step_plainly(driver: &mut dyn Driver, step: Step<'_>) -> Result<(), StepError> {
    let bookkeeping = match step {
        Step::Start { insert } => insert,
        Step::Complete(complete) => complete.sql(),
        Step::Run(run) => {
            if let Some(fence) = run.fence {
                driver
                    .execute(fence.to_owned())
                    .await
                    .map_err(StepError::Record)?;
            }
            let single = run.statements.len() == 1;
            for statement in &run.statements {
                if let Err(error) = driver.execute((*statement).to_owned()).await {
                    let position = single
                        .then(|| (driver.sql().error_position)(&error))
                        .flatten();
                    return Err(StepError::Statement { error, position });
                }
            }
            run.bookkeeping()
        }
    };
    driver
        .execute(bookkeeping)
        .await
        .map_err(StepError::Record)?;
    Ok(())
}

/// [`Driver::run_code`] on a connection of any database: `begin` opens the transaction.
#[cfg(any(feature = "postgres", feature = "sqlite", feature = "mysql"))]
pub(crate) async fn run_code_on<DB>(
    conn: &mut DB::Connection,
    begin: &'static str,
    code: &'static Code,
    recheck: Option<String>,
    record: String,
) -> Result<Option<Duration>, CodeError>
where
    DB: sqlx::Database,
    DB::Connection: std::any::Any,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    use sqlx::{AssertSqlSafe, Connection as _};
    let started = std::time::Instant::now();
    // An owned statement: a borrowed one would make the future's `Send` depend on a
    // lifetime the compiler cannot name.
    let mut tx = conn
        .begin_with(AssertSqlSafe(begin.to_owned()))
        .await
        .map_err(CodeError::db("starting a transaction"))?;
    if let Some(recheck) = recheck {
        let found = sqlx::raw_sql(AssertSqlSafe(recheck))
            .fetch_optional(&mut *tx)
            .await
            .map_err(CodeError::db("reading the history table"))?;
        if found.is_some() {
            tx.rollback()
                .await
                .map_err(CodeError::db("ending a transaction"))?;
            return Ok(None);
        }
    }
    let connection: &mut (dyn std::any::Any + Send) = &mut *tx;
    if let Err(error) = code.run(connection).await {
        if let Err(rollback) = tx.rollback().await {
            tracing::warn!(error = %rollback, "rollback after a failed migration failed");
        }
        return Err(CodeError::Code(error));
    }
    sqlx::raw_sql(AssertSqlSafe(with_duration(&record, started)))
        .execute(&mut *tx)
        .await
        .map_err(CodeError::db(
            "recording the migration in the history table",
        ))?;
    tx.commit()
        .await
        .map_err(CodeError::db("committing the migration's transaction"))?;
    Ok(Some(started.elapsed()))
}

/// The first column of the first row of a text query.
pub(crate) async fn first_text(
    driver: &mut dyn Driver,
    sql: String,
) -> Result<Option<String>, sqlx::Error> {
    let rows = driver.fetch_text(sql).await?;
    Ok(rows
        .into_iter()
        .next()
        .and_then(|row| row.into_iter().next().flatten()))
}
