//! Safety lints: statements that work but are risky on a live database.
//!
//! Every rule that is about locking or rewriting a table applies only to a table that existed
//! before the migration: on a table the same migration created, the statement is harmless
//! (nobody else uses the table yet). The driver says which tables are new.
//!
//! Each concern has its file: [`Rule`] (names, dialects, the documentation of each rule),
//! the linter here (runs the rules, keeps what one statement tells about the next), and one
//! file per family of rules. A rule reads the parsed statement; on an opaque one (the parser
//! rejected it) only the rules that read text run, where the text is certain enough.

mod add_column;
mod alter;
mod column;
mod constraint;
mod definer;
mod index;
mod lock_timeout;
mod locking;
mod not_null;
mod password;
mod rename_drop;
mod rule;
mod text;
mod write;

#[cfg(test)]
mod tests;

use sqlparser::ast::ObjectName;

pub use rule::Rule;

use super::parse::Parsed;
use super::{Dialect, Transaction};
use lock_timeout::LockTimeout;
use not_null::NotNullProofs;

/// Whether a table was created by the migration being checked, before the statement.
pub(crate) trait Tables {
    /// True when `table` is not one that existed before this migration: it was created
    /// earlier in the same migration, or it certainly does not exist (`DROP TABLE IF EXISTS`
    /// of a table that is gone is no risk).
    fn is_new(&self, table: &ObjectName) -> bool;

    /// True when `index` belongs to a table created earlier in the same migration (for
    /// `DROP INDEX`, which does not name the table in PostgreSQL), or certainly does not exist.
    fn index_on_new_table(&self, index: &ObjectName) -> bool;

    /// The type of `column` of `table` as its migration wrote it, when the model knows it.
    fn column_type(&self, table: &ObjectName, column: &sqlparser::ast::Ident) -> Option<String>;
}

/// What a rule found.
#[derive(Debug)]
pub(crate) struct Lint {
    /// The rule that found it.
    pub rule: Rule,
    /// What is risky, in one sentence.
    pub message: String,
    /// The safe pattern, in one line.
    pub fix: String,
}

impl Lint {
    /// A lint. Messages show names in backticks; a MySQL name's own backticks (sqlparser
    /// prints them) would double them, so they are dropped.
    fn new(rule: Rule, message: String, fix: impl Into<String>) -> Self {
        let single = |text: String| text.replace("``", "`");
        Lint {
            rule,
            message: single(message),
            fix: single(fix.into()),
        }
    }
}

/// What a rule reads besides the statement.
#[derive(Clone, Copy)]
struct Context<'a> {
    dialect: Dialect,
    tables: &'a dyn Tables,
}

impl Context<'_> {
    /// True when `table` existed before this migration (or the model cannot tell).
    fn existing(&self, table: &ObjectName) -> bool {
        !self.tables.is_new(table)
    }
}

/// Runs every rule over the statements of one file after another; it keeps what a rule
/// needs to know about earlier statements: in the file, whether a lock timeout was set; in
/// every file so far, which columns a validated check proves `NOT NULL`.
pub(crate) struct Linter {
    dialect: Dialect,
    lock_timeout: LockTimeout,
    not_null: NotNullProofs,
}

impl Linter {
    /// A linter for `dialect`.
    pub fn new(dialect: Dialect) -> Self {
        Linter {
            dialect,
            lock_timeout: LockTimeout::new(Transaction::One),
            not_null: NotNullProofs::default(),
        }
    }

    /// Starts a new file.
    pub fn begin_file(&mut self, transaction: Transaction) {
        self.lock_timeout = LockTimeout::new(transaction);
    }

    /// The lints of one statement (opaque or not), before the model applies it. On an opaque
    /// statement only the rules that read text run: `password-literal` and
    /// `security-definer-search-path`.
    pub fn check(&mut self, statement: &Parsed<'_>, tables: &dyn Tables) -> Vec<Lint> {
        let context = Context {
            dialect: self.dialect,
            tables,
        };
        let mut lints = Vec::new();
        match &statement.ast {
            Some(ast) => {
                index::check(ast, context, &mut lints);
                constraint::check(ast, context, &mut lints);
                lints.extend(self.not_null.check(ast, context));
                column::check(ast, context, &mut lints);
                add_column::check(ast, context, &mut lints);
                rename_drop::check(ast, context, &mut lints);
                lints.extend(definer::check(ast));
                lints.extend(password::check(ast));
                write::check(ast, context, &mut lints);
                lints.extend(self.lock_timeout.check(ast, context));
            }
            None => {
                lints.extend(definer::check_text(statement.text, self.dialect));
                lints.extend(password::check_text(statement.text, self.dialect));
            }
        }
        lints.retain(|lint| lint.rule.applies_to(self.dialect));
        lints
    }
}
