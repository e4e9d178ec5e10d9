//! `missing-lock-timeout`: DDL that waits for a lock on an existing table, with no lock
//! timeout set before it in the file.
//!
//! The linter follows the file: `SET [SESSION] lock_timeout` (PostgreSQL) or
//! `SET [SESSION] lock_wait_timeout` (MySQL) holds to the end of the file, `SET LOCAL
//! lock_timeout` to the end of the transaction (in a `-- migrate:no-transaction` file only
//! after an explicit `BEGIN`: elsewhere PostgreSQL ignores it), a zero or `DEFAULT` value and
//! `RESET` take it away. The lint is reported once per file, at the first statement that
//! needs a timeout: one `SET` at the top fixes the whole file, and a file of twenty `ALTER
//! TABLE`s should not say so twenty times.

use sqlparser::ast::{
    ContextModifier, Expr, ObjectName, Reset, ResetStatement, Set, Statement, Value,
};

use super::locking::locking;
use super::{Context, Dialect, Lint, Rule};
use crate::analysis::Transaction;

/// How long a lock timeout set in the file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timeout {
    /// None is set, or it was taken away.
    Unset,
    /// For the session: to the end of the file.
    Session,
    /// `SET LOCAL`: to the end of the transaction.
    Transaction,
}

/// What the file has done so far.
pub(super) struct LockTimeout {
    /// A transaction is open: the file's, or one it began.
    in_transaction: bool,
    /// The lock timeout set so far.
    timeout: Timeout,
    /// The lint was reported in this file.
    reported: bool,
}

impl LockTimeout {
    /// The state at the start of a file.
    pub(super) fn new(transaction: Transaction) -> Self {
        LockTimeout {
            in_transaction: transaction == Transaction::One,
            timeout: Timeout::Unset,
            reported: false,
        }
    }

    /// Learns from `statement`, and returns the lint when it is the file's first locking
    /// statement without a timeout.
    pub(super) fn check(&mut self, statement: &Statement, context: Context<'_>) -> Option<Lint> {
        self.learn(statement, context.dialect);
        if self.reported || self.timeout != Timeout::Unset {
            return None;
        }
        let (what, table) = locking(statement, context)?;
        self.reported = true;
        Some(Lint::new(
            Rule::MissingLockTimeout,
            format!(
                "{what} waits for the running transactions that use {table} while every new \
                 query on it queues behind, and no lock timeout is set before it in this file"
            ),
            self.fix(context.dialect),
        ))
    }

    fn fix(&self, dialect: Dialect) -> &'static str {
        match dialect {
            Dialect::MySql => {
                "put `SET SESSION lock_wait_timeout = 5;` before it, and run the migration \
                 again when it times out"
            }
            _ if self.in_transaction => {
                "put `SET LOCAL lock_timeout = '5s';` before it, and run the migration again \
                 when it times out"
            }
            _ => {
                "put `SET lock_timeout = '5s';` before it (`RESET lock_timeout;` at the end), \
                 and run the migration again when it times out"
            }
        }
    }

    fn learn(&mut self, statement: &Statement, dialect: Dialect) {
        match statement {
            Statement::StartTransaction { .. } => self.in_transaction = true,
            Statement::Commit { .. }
            | Statement::Rollback {
                savepoint: None, ..
            } => {
                self.in_transaction = false;
                if self.timeout == Timeout::Transaction {
                    self.timeout = Timeout::Unset;
                }
            }
            Statement::Set(set) => {
                for (scope, variable, value) in assignments(set) {
                    self.assign(scope, variable, value, dialect);
                }
            }
            Statement::Reset(ResetStatement { reset }) => match reset {
                Reset::ALL => self.timeout = Timeout::Unset,
                Reset::ConfigurationParameter(name) if is_timeout(name, dialect) => {
                    self.timeout = Timeout::Unset;
                }
                _ => {}
            },
            _ => {}
        }
    }

    /// `SET [scope] variable = value`.
    fn assign(
        &mut self,
        scope: Option<ContextModifier>,
        variable: &ObjectName,
        value: Option<&Expr>,
        dialect: Dialect,
    ) {
        if !is_timeout(variable, dialect) {
            return;
        }
        if scope == Some(ContextModifier::Global) || is_global(variable) {
            return;
        }
        // MySQL's `LOCAL` is a synonym of `SESSION`.
        let local = dialect == Dialect::Postgres && scope == Some(ContextModifier::Local);
        self.timeout = if disables(value) {
            Timeout::Unset
        } else if !local {
            Timeout::Session
        } else if self.in_transaction {
            Timeout::Transaction
        } else {
            // Outside a transaction block PostgreSQL ignores `SET LOCAL`.
            self.timeout
        };
    }
}

/// The assignments of a `SET`: scope, variable, value.
fn assignments(set: &Set) -> Vec<(Option<ContextModifier>, &ObjectName, Option<&Expr>)> {
    match set {
        Set::SingleAssignment {
            scope,
            variable,
            values,
            ..
        } => vec![(*scope, variable, values.first())],
        Set::MultipleAssignments { assignments } => assignments
            .iter()
            .map(|assignment| (assignment.scope, &assignment.name, Some(&assignment.value)))
            .collect(),
        _ => Vec::new(),
    }
}

/// `lock_timeout` (PostgreSQL), or `lock_wait_timeout` with or without `@@`, `@@session.`,
/// `@@global.` (MySQL).
fn is_timeout(variable: &ObjectName, dialect: Dialect) -> bool {
    let wanted = match dialect {
        Dialect::MySql => "lock_wait_timeout",
        _ => "lock_timeout",
    };
    variable
        .0
        .last()
        .and_then(|part| part.as_ident())
        .is_some_and(|ident| {
            ident
                .value
                .trim_start_matches("@@")
                .eq_ignore_ascii_case(wanted)
        })
}

/// MySQL `@@global.lock_wait_timeout`: for sessions opened later, not this one.
fn is_global(variable: &ObjectName) -> bool {
    matches!(variable.0.as_slice(), [scope, _]
        if scope.as_ident().is_some_and(|ident| ident.value.eq_ignore_ascii_case("@@global")))
}

/// A value that turns the timeout off: zero, or `DEFAULT` (off in PostgreSQL, a year in
/// MySQL).
fn disables(value: Option<&Expr>) -> bool {
    // `0`, `'0'`, `'0ms'`, `'0.0s'`.
    let zero = |text: &str| {
        let number = text
            .trim()
            .trim_end_matches(|c: char| c.is_ascii_alphabetic());
        number.contains('0') && number.chars().all(|c| c == '0' || c == '.')
    };
    match value {
        Some(Expr::Identifier(word)) => word.value.eq_ignore_ascii_case("default"),
        Some(Expr::Value(value)) => match &value.value {
            Value::Number(number, _) => zero(number),
            Value::SingleQuotedString(text) => zero(text),
            _ => false,
        },
        _ => false,
    }
}
