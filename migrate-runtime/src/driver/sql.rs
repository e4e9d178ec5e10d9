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
    /// The columns of the history table, as in `CREATE TABLE`.
    pub history_columns: &'static str,
    /// `applied_at` as text in RFC 3339, in UTC, to the microsecond
    /// (`2026-12-02T06:35:25.123456Z`), whatever the session's time zone.
    pub applied_at_utc: &'static str,
    /// The 1-based character position in the statement that an error reports, if the
    /// database reports one.
    pub error_position: fn(&sqlx::Error) -> Option<usize>,
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
            "CREATE TABLE IF NOT EXISTS {} ({})",
            self.table(table),
            self.history_columns
        );
        schema.into_iter().chain([create]).collect()
    }

    /// The query that reads the history, oldest first.
    pub(crate) fn select_history(&self, table: &HistoryTable) -> String {
        format!(
            "SELECT version, name, checksum, success, statements_applied, progress_checksum, error \
             FROM {} ORDER BY version",
            self.table(table)
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

    /// The UPDATE that marks `version` as unfinished with `error` (a revert that failed
    /// part-way).
    pub(crate) fn mark_failed(&self, table: &HistoryTable, version: i64, error: &str) -> String {
        format!(
            "UPDATE {} SET success = FALSE, statements_applied = 0, progress_checksum = NULL, error = {} WHERE version = {version}",
            self.table(table),
            (self.text)(error)
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
    applied_at_utc: "APPLIED_AT_UTC",
    error_position: |_| None,
};
