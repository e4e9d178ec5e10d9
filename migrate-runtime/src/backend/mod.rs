//! The seam between the database-independent migrator and each database.
//!
//! A [`Pool`] (implemented for sqlx pools of the enabled backends) opens a [`Session`]: one
//! dedicated connection, with the operations the migrator needs. Each backend lives in its own
//! file; MySQL comes next and implements the same two traits.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use lease::LeaseSql;

use crate::error::Location;
use crate::history::{AppliedMigration, HistoryTable};
use crate::migration::{Migration, Script};
use crate::statements::{self, Dialect, Statement};
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
}

/// Why a [`Session::step`] failed.
#[doc(hidden)]
pub enum StepError {
    /// The statement failed; its progress was not recorded.
    Statement(sqlx::Error),
    /// The statement ran, but recording its progress failed.
    Record(sqlx::Error),
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

    /// One attempt at the migration lock: `true` when this session now holds it.
    fn try_lock(
        &mut self,
        table: &HistoryTable,
    ) -> impl Future<Output = Result<bool, Error>> + Send;

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
    fn apply_in_transaction(
        &mut self,
        table: &HistoryTable,
        migration: &'static Migration,
    ) -> impl Future<Output = Result<Outcome, Error>> + Send;

    /// Records `migration` as started and unfinished, with no statement applied.
    fn start_unfinished(
        &mut self,
        table: &HistoryTable,
        migration: &'static Migration,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Runs one statement of an unfinished migration, then records that `applied` statements
    /// (with checksum `progress`) are done, in one transaction where the database allows.
    fn step(
        &mut self,
        table: &HistoryTable,
        version: i64,
        statement: &str,
        applied: usize,
        progress: &[u8],
    ) -> impl Future<Output = Result<(), StepError>> + Send;

    /// Records the error of the statement that failed (and clears it with `None` on resume).
    fn record_error(
        &mut self,
        table: &HistoryTable,
        version: i64,
        error: Option<&str>,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Marks an unfinished migration as applied, with the checksum of the file as it is now.
    fn complete(
        &mut self,
        table: &HistoryTable,
        migration: &'static Migration,
        micros: i64,
    ) -> impl Future<Output = Result<(), Error>> + Send;

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

#[cfg(any(feature = "mysql", feature = "sqlite"))]
/// A row of the history table as the backends read it: version, name, checksum, success.
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

#[cfg(any(feature = "mysql", feature = "sqlite"))]
/// The statement that records one migration; `params` are the backend's six placeholders.
pub(crate) fn insert_history(table: &HistoryTable, quote: char, params: [&str; 6]) -> String {
    let [version, name, checksum, success, duration, down] = params;
    format!(
        "INSERT INTO {} (version, name, checksum, success, duration_us, down_script) \
         VALUES ({version}, {name}, {checksum}, {success}, {duration}, {down})",
        table.quoted(quote)
    )
}

#[cfg(any(feature = "mysql", feature = "sqlite"))]
/// The statements that keep an unfinished migration's row up to date. `param(n)` is the
/// backend's placeholder for the n-th (1-based) parameter; `quote` its identifier quote.
pub(crate) struct ProgressSql {
    pub start: String,
    pub step: String,
    pub error: String,
    pub complete: String,
}

#[cfg(any(feature = "mysql", feature = "sqlite"))]
impl ProgressSql {
    pub fn new(table: &HistoryTable, quote: char, param: impl Fn(usize) -> String) -> ProgressSql {
        let t = table.quoted(quote);
        let p = |n| param(n);
        ProgressSql {
            // version, name, checksum, down_script
            start: format!(
                "INSERT INTO {t} (version, name, checksum, success, duration_us, down_script, statements_applied) \
                 VALUES ({}, {}, {}, FALSE, 0, {}, 0)",
                p(1), p(2), p(3), p(4)
            ),
            // statements_applied, progress_checksum, version
            step: format!(
                "UPDATE {t} SET statements_applied = {}, progress_checksum = {} WHERE version = {}",
                p(1), p(2), p(3)
            ),
            // error, version
            error: format!("UPDATE {t} SET error = {} WHERE version = {}", p(1), p(2)),
            // name, checksum, duration_us, down_script, version
            complete: format!(
                "UPDATE {t} SET success = TRUE, error = NULL, name = {}, checksum = {}, duration_us = {}, down_script = {} \
                 WHERE version = {}",
                p(1), p(2), p(3), p(4), p(5)
            ),
        }
    }
}

/// The checksum of the first statements of a file, recorded as they are applied, so that a
/// resumed migration can tell whether they were edited since.
pub(crate) fn progress_checksum(statements: &[Statement<'_>]) -> [u8; 32] {
    let joined: Vec<&str> = statements.iter().map(|s| s.sql).collect();
    crate::migration::checksum(joined.join("\n;\n").as_bytes())
}

#[cfg(any(feature = "mysql", feature = "sqlite"))]
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

    /// `text`, or `NULL`.
    pub fn opt_text(text: Option<&str>) -> String {
        text.map_or_else(|| "NULL".to_owned(), self::text)
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

    #[test]
    fn dollar_quotes_cannot_be_closed_early() {
        assert_eq!(pg_literal::text("it's"), "$m$it's$m$");
        assert_eq!(pg_literal::text("a $m$ b"), "$m1$a $m$ b$m1$");
        assert_eq!(pg_literal::text("ends in $m"), "$m1$ends in $m$m1$");
        assert_eq!(pg_literal::opt_text(None), "NULL");
        assert_eq!(pg_literal::bytes(&[0, 255]), "decode('00ff', 'hex')");
    }

    #[test]
    fn long_statements_are_shortened_to_one_line() {
        let long = format!("SELECT\n{}", "x, ".repeat(100));
        let short = one_line(&long);
        assert!(!short.contains('\n') && short.chars().count() == 200 && short.ends_with('…'));
    }
}
