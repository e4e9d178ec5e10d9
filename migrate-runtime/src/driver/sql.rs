//! The facts of each database's SQL, as data ([`Sql`]), and the statements of the history
//! table built from them once for every database. Values go in as literals, so that every
//! statement runs through PostgreSQL's simple query protocol (connection poolers in
//! transaction mode work) and is one round trip.

use crate::code::Backend;
use crate::history::HistoryTable;
use crate::migration::{Migration, Script};
use crate::statements::Dialect;

/// How one database spells what the migrator needs.
#[doc(hidden)]
#[derive(Debug)]
pub struct Sql {
    /// The database.
    pub backend: Backend,
    /// Its lexical rules, for splitting files into statements.
    pub dialect: Dialect,
    /// The identifier quote.
    pub quote: char,
    /// The database's clock in milliseconds since the epoch, as an SQL expression.
    pub now_ms: &'static str,
    /// `text` as a string literal.
    pub text: fn(&str) -> String,
    /// `bytes` as a binary literal.
    pub bytes: fn(&[u8]) -> String,
    /// The type that `CAST(… AS …)` turns a value into text with.
    pub text_type: &'static str,
    /// The statement that creates the schema of a qualified history table, before the
    /// schema's quoted name (`None` where there are no schemas).
    pub create_schema: Option<&'static str>,
    /// The columns of the history table, as in `CREATE TABLE`, but for
    /// [`Sql::revert_column`].
    pub history_columns: &'static str,
    /// The column that records an unfinished revert (`revert_checksum`), as in `CREATE
    /// TABLE`: the last column of a new history table, and added by `ALTER TABLE` to a table
    /// created by an earlier version, which lacks it.
    pub revert_column: &'static str,
    /// Whether an error says that a column does not exist (reading a history table of an
    /// earlier version).
    pub is_missing_column: fn(&sqlx::Error) -> bool,
    /// `applied_at` as text in RFC 3339, in UTC, to the microsecond
    /// (`2026-12-02T06:35:25.123456Z`), whatever the session's time zone.
    pub applied_at_utc: &'static str,
    /// The 1-based character position in the statement that an error reports, if the
    /// database reports one.
    pub error_position: fn(&sqlx::Error) -> Option<usize>,
    /// What follows a query to lock the rows it reads until the transaction ends (empty
    /// where a write transaction locks the whole database: SQLite).
    pub for_update: &'static str,
    /// Whether a statement of a migration run statement by statement may share a
    /// transaction with the update of its progress.
    pub steps: Steps,
    /// A statement that bounds how long the statements after it in the same message wait
    /// for a row lock (empty where the database's own bound applies: MySQL's
    /// `innodb_lock_wait_timeout`, SQLite's busy timeout).
    pub bounded_lock_wait: fn(std::time::Duration) -> String,
    /// A statement that makes the server end this session when it sits idle inside a
    /// transaction for longer than the given time, so that a stalled runner's open
    /// transaction does not hold its locks for ever (empty where none is needed: SQLite).
    pub bounded_idle: fn(std::time::Duration) -> String,
}

/// No statement: the database's own bound applies.
#[cfg(any(feature = "sqlite", feature = "mysql"))]
pub(crate) fn no_statement(_: std::time::Duration) -> String {
    String::new()
}

/// How a database runs the statements of a migration that runs statement by statement.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Steps {
    /// Each statement (or a group of consecutive data statements) commits together with its
    /// progress, in one message (MySQL, where DDL commits on its own anyway, and PostgreSQL,
    /// where a statement that refuses a transaction block then runs alone).
    Together,
    /// Each statement runs alone, then its progress: SQLite ignores some settings of a
    /// `no-transaction` file (`PRAGMA foreign_keys`) inside a transaction, without an error.
    Alone,
}

/// No position: the database reports none.
#[cfg(any(feature = "sqlite", feature = "mysql"))]
pub(crate) fn no_position(_: &sqlx::Error) -> Option<usize> {
    None
}

impl Sql {
    /// `table`, quoted.
    pub(crate) fn table(&self, table: &HistoryTable) -> String {
        table.quoted(self.quote)
    }

    /// `expr` cast to text.
    pub(crate) fn cast_text(&self, expr: &str) -> String {
        format!("CAST({expr} AS {})", self.text_type)
    }

    /// The statements that create the history table (and its schema) where missing.
    pub(crate) fn create_history(&self, table: &HistoryTable) -> Vec<String> {
        let schema = self
            .create_schema
            .zip(table.schema())
            .map(|(create, schema)| format!("{create} {q}{schema}{q}", q = self.quote));
        let create = format!(
            "CREATE TABLE IF NOT EXISTS {} ({}, {})",
            self.table(table),
            self.history_columns.trim_end(),
            self.revert_column
        );
        schema.into_iter().chain([create]).collect()
    }

    /// The query that reads the history, oldest first.
    pub(crate) fn select_history(&self, table: &HistoryTable) -> String {
        self.select_history_with(table, "revert_checksum")
    }

    /// [`Sql::select_history`] for a table created by an earlier version, without
    /// `revert_checksum`: no revert of it can be unfinished.
    pub(crate) fn select_earlier_history(&self, table: &HistoryTable) -> String {
        self.select_history_with(table, "NULL")
    }

    fn select_history_with(&self, table: &HistoryTable, revert_checksum: &str) -> String {
        format!(
            "SELECT version, name, checksum, success, statements_applied, progress_checksum, error, \
             {revert_checksum} FROM {} ORDER BY version",
            self.table(table)
        )
    }

    /// The ALTER TABLE that adds [`Sql::revert_column`] to a history table of an earlier
    /// version.
    pub(crate) fn add_revert_column(&self, table: &HistoryTable) -> String {
        format!(
            "ALTER TABLE {} ADD COLUMN {}",
            self.table(table),
            self.revert_column
        )
    }

    /// The INSERT of a history row for `migration`; `micros` is an SQL expression (or
    /// [`super::DURATION_SLOT`]).
    pub(crate) fn insert_row(
        &self,
        table: &HistoryTable,
        migration: &Migration,
        success: bool,
        micros: &str,
    ) -> String {
        format!(
            "INSERT INTO {} (version, name, checksum, success, duration_us, down_script, statements_applied) \
             VALUES ({}, {}, {}, {}, {micros}, {}, 0)",
            self.table(table),
            migration.version(),
            (self.text)(migration.name()),
            (self.bytes)(migration.checksum()),
            if success { "TRUE" } else { "FALSE" },
            self.recorded_down(migration),
        )
    }

    /// The UPDATE that marks `migration` as applied, in `micros` (an SQL expression, or
    /// [`super::DURATION_SLOT`]), with the checksum of its file as it is now.
    pub(crate) fn complete(
        &self,
        table: &HistoryTable,
        migration: &Migration,
        micros: &str,
    ) -> String {
        format!(
            "UPDATE {} SET success = TRUE, error = NULL, name = {}, checksum = {}, duration_us = {micros}, down_script = {} \
             WHERE version = {}",
            self.table(table),
            (self.text)(migration.name()),
            (self.bytes)(migration.checksum()),
            self.recorded_down(migration),
            migration.version(),
        )
    }

    /// The down script recorded with a migration, so that a binary without it can still
    /// revert it: the SQL of its down file. A Rust `down` function cannot be recorded.
    fn recorded_down(&self, migration: &Migration) -> String {
        migration
            .down()
            .filter(|down| !down.is_rust())
            .map(Script::sql)
            .map_or_else(|| "NULL".to_owned(), |sql| (self.text)(sql))
    }

    /// The UPDATE that records `applied` statements (with checksum `progress`) as done.
    pub(crate) fn progress(
        &self,
        table: &HistoryTable,
        version: i64,
        applied: usize,
        progress: &[u8],
    ) -> String {
        format!(
            "UPDATE {} SET statements_applied = {applied}, progress_checksum = {} WHERE version = {version}",
            self.table(table),
            (self.bytes)(progress)
        )
    }

    /// The UPDATE that records the error of the statement that failed (clears it with `None`).
    pub(crate) fn record_error(
        &self,
        table: &HistoryTable,
        version: i64,
        error: Option<&str>,
    ) -> String {
        format!(
            "UPDATE {} SET error = {} WHERE version = {version}",
            self.table(table),
            error.map_or_else(|| "NULL".to_owned(), |e| (self.text)(e))
        )
    }

    /// The UPDATE that records the start of a revert of `version` that runs statement by
    /// statement: unfinished, none of the statements of the down script with checksum
    /// `down` applied yet.
    pub(crate) fn start_revert(&self, table: &HistoryTable, version: i64, down: &[u8]) -> String {
        format!(
            "UPDATE {} SET success = FALSE, statements_applied = 0, progress_checksum = NULL, error = NULL, revert_checksum = {} \
             WHERE version = {version}",
            self.table(table),
            (self.bytes)(down)
        )
    }

    /// The UPDATE that records the resumption of an unfinished revert of `version` with the
    /// down script of checksum `down`: its error is cleared, its progress kept.
    pub(crate) fn resume_revert(&self, table: &HistoryTable, version: i64, down: &[u8]) -> String {
        format!(
            "UPDATE {} SET error = NULL, revert_checksum = {} WHERE version = {version}",
            self.table(table),
            (self.bytes)(down)
        )
    }

    /// The DELETE of the history row of `version`.
    pub(crate) fn delete(&self, table: &HistoryTable, version: i64) -> String {
        format!(
            "DELETE FROM {} WHERE version = {version}",
            self.table(table)
        )
    }

    /// The query that finds the row of `version`, if it exists.
    pub(crate) fn find(&self, table: &HistoryTable, version: i64) -> String {
        format!(
            "SELECT version FROM {} WHERE version = {version}",
            self.table(table)
        )
    }

    /// The UPDATE that replaces the checksum recorded for `version`.
    pub(crate) fn set_checksum(
        &self,
        table: &HistoryTable,
        version: i64,
        checksum: &[u8],
    ) -> String {
        format!(
            "UPDATE {} SET checksum = {} WHERE version = {version}",
            self.table(table),
            (self.bytes)(checksum)
        )
    }

    /// The query of the down script recorded when `version` was applied.
    pub(crate) fn recorded_down_script(&self, table: &HistoryTable, version: i64) -> String {
        format!(
            "SELECT down_script FROM {} WHERE version = {version}",
            self.table(table)
        )
    }

    /// The query of (version, applied at in RFC 3339 UTC, µs, has down script) of every
    /// row, as text.
    pub(crate) fn applied_details(&self, table: &HistoryTable) -> String {
        format!(
            "SELECT {}, {}, {}, {} FROM {} ORDER BY version",
            self.cast_text("version"),
            self.applied_at_utc,
            self.cast_text("duration_us"),
            self.cast_text("CASE WHEN down_script IS NULL THEN 0 ELSE 1 END"),
            self.table(table)
        )
    }

    /// The statements that append to the audit trail `<history>_audit` (created if needed)
    /// what an operator did by hand.
    pub(crate) fn audit(
        &self,
        table: &HistoryTable,
        action: &str,
        version: Option<i64>,
        detail: &str,
    ) -> [String; 2] {
        let audit = table.audit_table().quoted(self.quote);
        [
            format!(
                "CREATE TABLE IF NOT EXISTS {audit} (at_ms BIGINT NOT NULL, action VARCHAR(32) NOT NULL, version BIGINT, detail TEXT)"
            ),
            format!(
                "INSERT INTO {audit} (at_ms, action, version, detail) VALUES ({}, {}, {}, {})",
                self.now_ms,
                (self.text)(action),
                version.map_or_else(|| "NULL".to_owned(), |v| v.to_string()),
                (self.text)(detail)
            ),
        ]
    }
}

/// A binary literal of MySQL and SQLite: `X'…'`.
#[cfg(any(feature = "mysql", feature = "sqlite"))]
pub(crate) fn hex_literal(bytes: &[u8]) -> String {
    format!("X'{}'", crate::migration::hex(bytes))
}

/// PostgreSQL-like facts for unit tests that build statements.
#[cfg(test)]
pub(crate) static TEST_SQL: Sql = Sql {
    backend: Backend::Postgres,
    dialect: Dialect::Postgres,
    quote: '"',
    now_ms: "NOW_MS",
    text: |text| format!("'{text}'"),
    bytes: |bytes| format!("'{}'", crate::migration::hex(bytes)),
    text_type: "TEXT",
    create_schema: Some("CREATE SCHEMA IF NOT EXISTS"),
    history_columns: "version BIGINT PRIMARY KEY",
    revert_column: "revert_checksum BYTEA",
    is_missing_column: |_| false,
    applied_at_utc: "APPLIED_AT_UTC",
    error_position: |_| None,
    for_update: " FOR UPDATE",
    steps: Steps::Together,
    bounded_lock_wait: |_| String::new(),
    bounded_idle: |_| String::new(),
};
