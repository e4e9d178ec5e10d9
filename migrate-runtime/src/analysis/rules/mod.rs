//! Safety lints: statements that work but are risky on a live database.
//!
//! Every rule that is about locking or rewriting a table applies only to a table that existed
//! before the migration: on a table the same migration created, the statement is harmless
//! (nobody else uses the table yet).

use sqlparser::ast::ObjectName;

use super::parse::Parsed;
use super::{Dialect, Transaction};

/// A lint rule. Its name (`index-without-concurrently`) is what `-- migrate:allow` and the
/// macro's `allow = [...]` take.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// `CREATE INDEX` without `CONCURRENTLY` on an existing table (PostgreSQL).
    IndexWithoutConcurrently,
    /// `DROP INDEX` without `CONCURRENTLY` (PostgreSQL).
    DropIndexWithoutConcurrently,
    /// `ADD FOREIGN KEY` / `REFERENCES` on an existing table without `NOT VALID` (PostgreSQL).
    ForeignKeyWithoutNotValid,
    /// `ADD CHECK` on an existing table without `NOT VALID` (PostgreSQL).
    CheckWithoutNotValid,
    /// `ADD UNIQUE` / `ADD PRIMARY KEY` on an existing table without `USING INDEX`.
    UniqueWithoutIndex,
    /// `ALTER COLUMN … SET NOT NULL` on an existing table (PostgreSQL).
    SetNotNull,
    /// `ALTER COLUMN … TYPE` / `MODIFY COLUMN` on an existing table.
    ColumnTypeChange,
    /// `ADD COLUMN … NOT NULL` without a default on an existing table.
    RequiredColumnWithoutDefault,
    /// `ADD COLUMN` with a volatile default on an existing table (PostgreSQL).
    VolatileDefault,
    /// `DROP TABLE`.
    DropTable,
    /// `DROP COLUMN`.
    DropColumn,
    /// `RENAME` of a table.
    RenameTable,
    /// `RENAME COLUMN`.
    RenameColumn,
    /// A `SECURITY DEFINER` function without `SET search_path` (PostgreSQL).
    SecurityDefinerSearchPath,
    /// A password written in the migration.
    PasswordLiteral,
    /// `UPDATE` without `WHERE`.
    UpdateWithoutWhere,
    /// `DELETE` without `WHERE`.
    DeleteWithoutWhere,
    /// Locking DDL on an existing table without a lock timeout set before it.
    MissingLockTimeout,
}

impl Rule {
    /// Every rule.
    pub const ALL: &'static [Rule] = &[
        Rule::IndexWithoutConcurrently,
        Rule::DropIndexWithoutConcurrently,
        Rule::ForeignKeyWithoutNotValid,
        Rule::CheckWithoutNotValid,
        Rule::UniqueWithoutIndex,
        Rule::SetNotNull,
        Rule::ColumnTypeChange,
        Rule::RequiredColumnWithoutDefault,
        Rule::VolatileDefault,
        Rule::DropTable,
        Rule::DropColumn,
        Rule::RenameTable,
        Rule::RenameColumn,
        Rule::SecurityDefinerSearchPath,
        Rule::PasswordLiteral,
        Rule::UpdateWithoutWhere,
        Rule::DeleteWithoutWhere,
        Rule::MissingLockTimeout,
    ];

    /// The rule's name.
    pub fn name(self) -> &'static str {
        match self {
            Rule::IndexWithoutConcurrently => "index-without-concurrently",
            Rule::DropIndexWithoutConcurrently => "drop-index-without-concurrently",
            Rule::ForeignKeyWithoutNotValid => "foreign-key-without-not-valid",
            Rule::CheckWithoutNotValid => "check-without-not-valid",
            Rule::UniqueWithoutIndex => "unique-without-index",
            Rule::SetNotNull => "set-not-null",
            Rule::ColumnTypeChange => "column-type-change",
            Rule::RequiredColumnWithoutDefault => "required-column-without-default",
            Rule::VolatileDefault => "volatile-default",
            Rule::DropTable => "drop-table",
            Rule::DropColumn => "drop-column",
            Rule::RenameTable => "rename-table",
            Rule::RenameColumn => "rename-column",
            Rule::SecurityDefinerSearchPath => "security-definer-search-path",
            Rule::PasswordLiteral => "password-literal",
            Rule::UpdateWithoutWhere => "update-without-where",
            Rule::DeleteWithoutWhere => "delete-without-where",
            Rule::MissingLockTimeout => "missing-lock-timeout",
        }
    }

    /// The rule named `name`.
    pub fn from_name(name: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|rule| rule.name() == name)
    }
}

/// Whether a table was created by the migration being checked, before the statement.
pub(crate) trait Tables {
    /// True when `table` was created earlier in the same migration.
    fn is_new(&self, table: &ObjectName) -> bool;
}

/// What a rule found.
#[derive(Debug)]
pub(crate) struct Lint {
    pub rule: Rule,
    /// What is risky, in one sentence.
    pub message: String,
    /// The safe pattern, in one line.
    pub fix: String,
}

/// Runs every rule over the statements of one file after another; it keeps what a rule
/// needs to know about earlier statements of the same file (a lock timeout set before).
pub(crate) struct Linter {
    dialect: Dialect,
}

impl Linter {
    /// A linter for `dialect`.
    pub fn new(dialect: Dialect) -> Self {
        Linter { dialect }
    }

    /// Starts a new file.
    pub fn begin_file(&mut self, transaction: Transaction) {
        let _ = transaction;
    }

    /// The lints of one statement (opaque or not), before the model applies it.
    pub fn check(&mut self, statement: &Parsed<'_>, tables: &dyn Tables) -> Vec<Lint> {
        let _ = (statement, tables, self.dialect);
        Vec::new()
    }
}
