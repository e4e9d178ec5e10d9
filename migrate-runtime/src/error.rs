//! The error type.

use std::time::Duration;

/// Everything that can go wrong while migrating. Each variant names the migration and file
/// involved and says what to do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An applied migration's file was edited after it was applied.
    #[error(
        "migration {version} (`{file}`) was edited after it was applied: the database recorded checksum {applied}, the file now has {embedded}; \
         restore the file as it was and put the change in a new migration"
    )]
    ChecksumMismatch {
        /// The version.
        version: i64,
        /// The file in the binary.
        file: String,
        /// Hex checksum recorded in the history table.
        applied: String,
        /// Hex checksum of the file in this binary.
        embedded: String,
    },

    /// The database has a migration that this binary does not contain.
    #[error(
        "migration {version} `{name}` is applied in the database but missing from this binary: \
         deploy a binary that contains it, or restore its file to the migrations directory"
    )]
    MissingFromBinary {
        /// The version.
        version: i64,
        /// The description recorded in the history table.
        name: String,
    },

    /// A pending migration has a lower version than one already applied, typically after two
    /// branches each added a migration.
    #[error(
        "migration {version} (`{file}`) is pending but migration {highest_applied} is already applied: \
         renumber `{file}` above {highest_applied} so that migrations apply in order"
    )]
    OutOfOrder {
        /// The version of the pending migration.
        version: i64,
        /// Its file.
        file: String,
        /// The highest version already applied.
        highest_applied: i64,
    },

    /// A migration that runs statement by statement stopped part-way, and cannot simply be
    /// resumed: the message says what was applied and what to do.
    #[error("migration {version} (`{file}`) is unfinished: {message}")]
    Dirty {
        /// The version.
        version: i64,
        /// Its file (or, when the binary lacks it, its recorded name).
        file: String,
        /// How many of its statements were applied.
        statements_applied: usize,
        /// What happened and how to proceed.
        message: String,
    },

    /// A revert that runs statement by statement (on MySQL, or of a `-- migrate:no-transaction`
    /// down file) stopped part-way: the migration is half reverted. Nothing else runs until
    /// the revert is finished: the message says which statements of which down file were
    /// applied and what to do.
    #[error("the revert of migration {version} (`{file}`) is unfinished: {message}")]
    RevertUnfinished {
        /// The version.
        version: i64,
        /// Its down file (or, when the binary lacks it, where the down script comes from).
        file: String,
        /// How many statements of the down script were applied.
        statements_applied: usize,
        /// What happened and how to proceed.
        message: String,
    },

    /// A migration failed. Transactional migrations leave nothing behind; one that runs
    /// statement by statement keeps the statements before the failing one and is recorded as
    /// unfinished (see [`Error::Dirty`]). The message ends with a hint where the fix is
    /// known: a statement that refuses to run in a transaction (`CREATE INDEX CONCURRENTLY`,
    /// `VACUUM`, …) in a file that ran in one.
    #[error(
        "migration {version} (`{file}`) failed{}{}: {message}{}{}",
        match .location { Some(l) => format!(" at {file}:{}:{}", l.line, l.column), None => String::new() },
        if *.rolled_back { ", and was rolled back" } else { "; the statements before it stay applied" },
        match .location.as_ref().and_then(|l| l.statement.as_ref()) { Some(s) => format!("\n  in statement {}: {}", s.0, s.1), None => String::new() },
        hint(file, *.rolled_back, error)
    )]
    Migration {
        /// The version.
        version: i64,
        /// The file that failed.
        file: String,
        /// The database's message.
        message: String,
        /// Where in the file, when known.
        location: Option<Box<Location>>,
        /// Whether the failure was rolled back completely.
        rolled_back: bool,
        /// The database's error, whose message is `message` (not a `source()`, so that an
        /// error chain does not print it twice).
        error: sqlx::Error,
    },

    /// A migration written in Rust returned an error. Its transaction was rolled back: nothing
    /// of it, nor its history row, stays applied.
    #[error("migration {version} (`{file}`) failed in its `{function}` function, and was rolled back: {error}")]
    Code {
        /// The version.
        version: i64,
        /// The `.rs` file.
        file: String,
        /// The function's name, e.g. `up` or `down_postgres`.
        function: &'static str,
        /// What the function returned, shown in the message (not a `source()`, so that an
        /// error chain does not print it twice).
        error: crate::BoxError,
    },

    /// A migration written in Rust has no function for the database being migrated: its
    /// functions take the connections of other databases. Nothing was applied.
    #[error(
        "migration {version} (`{file}`) has no function for {database}: it is written for {} \
         (its functions take {}); nothing was applied. Add a function that takes `&mut {}`, \
         or keep the migrations of each database in their own directory",
        list(written_for, |b| b.to_string()),
        list(written_for, |b| format!("`&mut {}`", b.connection_type())),
        database.connection_type()
    )]
    WrongBackend {
        /// The version.
        version: i64,
        /// The `.rs` file.
        file: String,
        /// The databases its functions are written for.
        written_for: Vec<crate::Backend>,
        /// The database being migrated.
        database: crate::Backend,
    },

    /// Another runner held the migration lock for longer than the configured deadline.
    #[error("timed out after {waited:?} waiting for the migration lock on `{table}`{}; another runner is still migrating, or died holding the lock (raise `Migrator::lock_timeout` if migrations legitimately take this long)", match .holder { Some(h) => format!(" held by {h}"), None => String::new() })]
    LockTimeout {
        /// How long this runner waited.
        waited: Duration,
        /// The history table whose lock was awaited.
        table: String,
        /// Who holds it, when the database can tell.
        holder: Option<String>,
    },

    /// Another runner took over this runner's lease (lock mode [`LockMode::Lease`](crate::LockMode)):
    /// its heartbeat could not renew it for longer than the stale timeout. Every write under
    /// a lease is fenced, so the run changed nothing after it lost the lease: the write that
    /// found the lease gone was rolled back.
    #[error(
        "the migration lease on `{table}` was taken over by another runner after `{owner}` could not renew it in time; \
         this run stopped, and the other runner continues (raise the lease's stale timeout if the database was only slow)"
    )]
    LeaseLost {
        /// The history table whose lease was lost.
        table: String,
        /// This runner's name in the lease.
        owner: String,
    },

    /// A revert would pass a migration that has no down script: neither a `.down.sql` in this
    /// binary nor one recorded when it was applied. Nothing was reverted.
    #[error(
        "migration {version} (`{file}`) cannot be reverted: it has no down script (it is a simple migration, \
         or was applied by a version that did not record one); nothing was reverted. Revert it by hand and \
         record that with mark-reverted, or stop the revert above it"
    )]
    Irreversible {
        /// The version.
        version: i64,
        /// Its file, or its recorded name.
        file: String,
    },

    /// A target that is not one of this migrator's migrations (an item of another
    /// `embed_migrations!`).
    #[error("migration {version} (`{file}`) is not one of this migrator's migrations; use an item of the same `migrations` module")]
    UnknownTarget {
        /// Its version.
        version: i64,
        /// Its file.
        file: String,
    },

    /// The history table name is not a plain identifier.
    #[error("invalid history table name `{0}`: use letters, digits and `_` (at most 63), optionally as `schema.table`")]
    InvalidTableName(String),

    /// A database error outside any one migration (connecting, locking, reading the history).
    #[error("database error while {context}: {error}")]
    Database {
        /// What the migrator was doing.
        context: &'static str,
        /// The database's error, shown in the message (not a `source()`).
        error: sqlx::Error,
    },

    /// An I/O error outside the database (the SQLite lock file).
    #[error("I/O error while {context}: {error}")]
    Io {
        /// What the migrator was doing.
        context: String,
        /// The operating system's error, shown in the message (not a `source()`).
        error: std::io::Error,
    },
}

/// Where in a migration file a failure happened.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Location {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The failing statement: its 1-based index in the file and its text (shortened to one
    /// line of at most 200 characters).
    pub statement: Option<(usize, String)>,
}

/// The hint at the end of an [`Error::Migration`] message, or nothing.
///
/// SQLSTATE 25001 (`active_sql_transaction`) is PostgreSQL's "cannot run inside a
/// transaction block" (`CREATE INDEX CONCURRENTLY`, `VACUUM`, `CREATE DATABASE`,
/// `ALTER SYSTEM`, …). `rolled_back` says the file ran in a transaction: then the directive
/// is the fix. (MySQL's 25001 comes from files that run statement by statement, never
/// rolled back, where the directive changes nothing.)
fn hint(file: &str, rolled_back: bool, error: &sqlx::Error) -> String {
    let refuses_a_transaction = matches!(error, sqlx::Error::Database(db)
        if db.code().as_deref() == Some("25001"));
    if rolled_back && refuses_a_transaction {
        format!(
            "\n  hint: this statement cannot run in a transaction: add `-- migrate:no-transaction` \
             as the first line of `{file}`, so that the file runs outside one, statement by statement"
        )
    } else {
        String::new()
    }
}

/// `a`, `a and b`, `a, b and c`.
fn list(backends: &[crate::Backend], show: impl Fn(&crate::Backend) -> String) -> String {
    let shown: Vec<String> = backends.iter().map(show).collect();
    match shown.split_last() {
        None => "no database".to_owned(),
        Some((last, [])) => last.clone(),
        Some((last, init)) => format!("{} and {last}", init.join(", ")),
    }
}

impl Error {
    pub(crate) fn db(context: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
        move |error| Error::Database { context, error }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    /// The message and the chain of `source()`s, as anyhow's `{:#}` prints them.
    fn chain(error: &Error) -> String {
        let mut text = error.to_string();
        let mut next = error.source();
        while let Some(source) = next {
            text.push_str(": ");
            text.push_str(&source.to_string());
            next = source.source();
        }
        text
    }

    #[test]
    fn a_cause_is_in_the_message_and_printed_once_in_a_chain() {
        let cause = "connection reset by peer";
        let errors = [
            Error::db("reading the history table")(sqlx::Error::Protocol(cause.to_owned())),
            Error::Io {
                context: "locking `db.migrate-lock`".to_owned(),
                error: std::io::Error::other(cause),
            },
            Error::Code {
                version: 2,
                file: "0002_backfill.rs".to_owned(),
                function: "up",
                error: cause.into(),
            },
            Error::Migration {
                version: 3,
                file: "0003_x.sql".to_owned(),
                message: cause.to_owned(),
                location: None,
                rolled_back: true,
                error: sqlx::Error::Protocol(cause.to_owned()),
            },
        ];
        for error in errors {
            let shown = chain(&error);
            assert_eq!(shown.matches(cause).count(), 1, "{shown}");
            assert!(error.to_string().contains(cause), "{error}");
        }
    }
}
