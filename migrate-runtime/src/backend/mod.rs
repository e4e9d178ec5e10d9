//! The seam between the database-independent migrator and each database.
//!
//! A [`Pool`] (implemented for sqlx pools of the enabled backends) opens a [`Session`]: one
//! dedicated connection, with the operations the migrator needs. Each backend lives in its own
//! file; MySQL comes next and implements the same two traits.

use std::future::Future;
use std::time::Duration;

use crate::history::{AppliedMigration, HistoryTable};
use crate::migration::{Migration, Script};
use crate::Error;

#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

mod sealed {
    pub trait Sealed {}
}

/// A connection pool that migrations can be applied through: `sqlx::PgPool` with the
/// `postgres` feature, `sqlx::SqlitePool` with the `sqlite` feature.
///
/// This trait is sealed; its methods are an implementation detail.
pub trait Pool: sealed::Sealed + Send + Sync {
    #[doc(hidden)]
    type Session: Session;

    #[doc(hidden)]
    fn open_session(&self) -> impl Future<Output = Result<Self::Session, Error>> + Send + '_;
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

    /// Applies one migration and records it (called under the lock).
    fn apply(
        &mut self,
        table: &HistoryTable,
        migration: &'static Migration,
    ) -> impl Future<Output = Result<Outcome, Error>> + Send;

    /// Ends the session: the connection goes back to the pool, or is closed when `dirty`
    /// (a migration ran on it and may have changed session settings).
    fn finish(self, dirty: bool) -> impl Future<Output = ()> + Send;
}

/// A row of the history table as the backends read it: version, name, checksum, success.
pub(crate) type HistoryRow = (i64, String, Vec<u8>, bool);

/// The query that reads the history, oldest first.
pub(crate) fn select_history(table: &HistoryTable, quote: char) -> String {
    format!(
        "SELECT version, name, checksum, success FROM {} ORDER BY version",
        table.quoted(quote)
    )
}

/// The statement that records one migration; `params` are the backend's six placeholders.
pub(crate) fn insert_history(table: &HistoryTable, quote: char, params: [&str; 6]) -> String {
    let [version, name, checksum, success, duration, down] = params;
    format!(
        "INSERT INTO {} (version, name, checksum, success, duration_us, down_script) \
         VALUES ({version}, {name}, {checksum}, {success}, {duration}, {down})",
        table.quoted(quote)
    )
}

/// The result of reading the history: `Ok(None)` when the table does not exist yet.
pub(crate) fn history_from_rows(
    rows: Result<Vec<HistoryRow>, sqlx::Error>,
    is_missing_table: impl Fn(&sqlx::Error) -> bool,
) -> Result<Option<Vec<AppliedMigration>>, Error> {
    match rows {
        Ok(rows) => Ok(Some(
            rows.into_iter()
                .map(|(version, name, checksum, success)| AppliedMigration {
                    version,
                    name,
                    checksum,
                    success,
                })
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

/// Turns a failed statement into [`Error::Migration`], with the database's message and,
/// where the database reports a character position, the line and column in the file.
pub(crate) fn migration_error(
    migration: &Migration,
    script: &Script,
    source: sqlx::Error,
    rolled_back: bool,
    position: Option<usize>,
) -> Error {
    let mut message = match &source {
        sqlx::Error::Database(db) => db.message().to_owned(),
        other => other.to_string(),
    };
    if let Some((line, column)) = position.and_then(|p| line_column(script.sql(), p)) {
        message = format!("{message} (at {}:{line}:{column})", script.file());
    }
    Error::Migration {
        version: migration.version(),
        file: script.file().to_owned(),
        message,
        rolled_back,
        source,
    }
}

/// Line and column (1-based) of a 1-based character position in `sql`.
fn line_column(sql: &str, position: usize) -> Option<(usize, usize)> {
    let before: String = sql.chars().take(position.checked_sub(1)?).collect();
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Some((line, column))
}

#[cfg(test)]
mod tests {
    #[test]
    fn positions_map_to_lines_and_columns() {
        let sql = "CREATE TABLE a (id INT);\nCREATE TABLE b (id INTT);";
        assert_eq!(super::line_column(sql, 1), Some((1, 1)));
        assert_eq!(super::line_column(sql, 45), Some((2, 20)));
        assert_eq!(super::line_column(sql, 0), None);
    }
}
