//! Tests of the rules. Each SQL text is split and parsed as the driver does, then linted
//! statement by statement with a stand-in for the schema model that knows which tables the
//! migration created.

mod add_column;
mod column;
mod constraint;
mod definer;
mod index;
mod lock_timeout;
mod not_null;
mod password;
mod rename_drop;
mod rule;
mod write;

use sqlparser::ast::ObjectName;

use super::super::parse::parse;
use super::{Lint, Linter, Rule, Tables};
use crate::analysis::{Dialect, Transaction};

use Dialect::{MySql, Postgres, Sqlite};

/// The model's answer in the tests: tables (and indexes of tables) the migration created,
/// compared by their last name part, ignoring case.
struct Created<'a> {
    tables: &'a [&'a str],
    indexes: &'a [&'a str],
}

/// Nothing created: every table exists.
const NOTHING: Created<'static> = Created {
    tables: &[],
    indexes: &[],
};

fn last_part(name: &ObjectName) -> String {
    name.0
        .last()
        .and_then(|part| part.as_ident())
        .map_or_else(String::new, |ident| ident.value.to_lowercase())
}

impl Tables for Created<'_> {
    fn is_new(&self, table: &ObjectName) -> bool {
        self.tables.contains(&last_part(table).as_str())
    }

    fn index_on_new_table(&self, index: &ObjectName) -> bool {
        self.indexes.contains(&last_part(index).as_str())
    }

    fn column_type(&self, _: &ObjectName, _: &sqlparser::ast::Ident) -> Option<String> {
        None
    }
}

/// The tables created earlier in the migration.
fn created<'a>(tables: &'a [&'a str]) -> Created<'a> {
    Created {
        tables,
        indexes: &[],
    }
}

/// The lints of `sql`, one file run the way `transaction` says.
fn lint_file(
    sql: &str,
    dialect: Dialect,
    transaction: Transaction,
    created: &Created<'_>,
) -> Vec<Lint> {
    let mut linter = Linter::new(dialect);
    linter.begin_file(transaction);
    parse(sql, dialect)
        .iter()
        .flat_map(|statement| linter.check(statement, created))
        .collect()
}

/// The rules that fire on each file of `files`, linted one after another by one linter, every
/// table existing.
fn lint_files(dialect: Dialect, files: &[&str]) -> Vec<Vec<Rule>> {
    let mut linter = Linter::new(dialect);
    files
        .iter()
        .map(|sql| {
            linter.begin_file(Transaction::One);
            parse(&with_timeout(dialect, sql), dialect)
                .iter()
                .flat_map(|statement| linter.check(statement, &NOTHING))
                .map(|lint| lint.rule)
                .collect()
        })
        .collect()
}

/// `sql` after a statement that sets a lock timeout: `missing-lock-timeout` has its own
/// tests, the others should not see it.
fn with_timeout(dialect: Dialect, sql: &str) -> String {
    let timeout = match dialect {
        Postgres => "SET lock_timeout = '1s';\n",
        MySql => "SET lock_wait_timeout = 1;\n",
        Sqlite => "",
    };
    format!("{timeout}{sql}")
}

/// The rules that fire on `sql` (one file in a transaction, the tables of `created` new,
/// a lock timeout set first).
fn rules_in(dialect: Dialect, created: &Created<'_>, sql: &str) -> Vec<Rule> {
    lint_file(
        &with_timeout(dialect, sql),
        dialect,
        Transaction::One,
        created,
    )
    .into_iter()
    .map(|lint| lint.rule)
    .collect()
}

/// The rules that fire on `sql` on PostgreSQL, every table existing.
fn postgres(sql: &str) -> Vec<Rule> {
    rules_in(Postgres, &NOTHING, sql)
}

/// The rules that fire on `sql` on MySQL, every table existing.
fn mysql(sql: &str) -> Vec<Rule> {
    rules_in(MySql, &NOTHING, sql)
}

/// The rules that fire on `sql` on SQLite, every table existing.
fn sqlite(sql: &str) -> Vec<Rule> {
    rules_in(Sqlite, &NOTHING, sql)
}

/// The one lint of `sql` on `dialect` (every table existing, a lock timeout set), for its
/// message and fix.
fn only_lint(dialect: Dialect, sql: &str) -> Lint {
    let mut lints = lint_file(
        &with_timeout(dialect, sql),
        dialect,
        Transaction::One,
        &NOTHING,
    );
    assert_eq!(lints.len(), 1, "{sql}: {lints:?}");
    lints.remove(0)
}

/// Asserts that the parser rejects `sql` on `dialect` (the statement is opaque), so that a
/// test of the text rules tests what it means to.
fn assert_opaque(dialect: Dialect, sql: &str) {
    let parsed = parse(sql, dialect);
    assert_eq!(parsed.len(), 1, "{sql}");
    assert!(parsed[0].ast.is_none(), "{sql} parses: {:?}", parsed[0].ast);
}
