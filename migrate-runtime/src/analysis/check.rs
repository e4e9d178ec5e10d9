//! The driver: folds the model over the files in order, and turns what each statement needs
//! but certainly lacks, what cannot run in its file's transaction, and the lints into
//! findings.

use sqlparser::ast::Ident;

use super::allow::allowed;
use super::allow::Allowed;
use super::effects::{effects, Effect, Expect, Need};
use super::message::{already_exists, missing};
use super::model::{Knowledge, Model, Object};
use super::parse::{parse, Parsed};
use super::rules::{Linter, Tables};
use super::transaction::refuses_transaction;
use super::{Content, Dialect, File, Finding, Kind, Problem, Transaction};
use crate::statements::{kind, StatementKind};

/// Runs the analysis over `files` (see [`super::analyze_files`]); lints only from version
/// `lints_from` on (the linter still reads every file: what an earlier one proves counts).
pub(crate) fn run(files: &[File<'_>], dialect: Dialect, lints_from: Option<i64>) -> Vec<Finding> {
    let mut model = Model::new(dialect);
    let mut linter = Linter::new(dialect);
    let mut findings = Vec::new();
    for file in files {
        match file.content {
            Content::Rust => model.apply(super::model::Change::Open),
            Content::Up { sql, transaction } => {
                model.begin_migration();
                linter.begin_file(transaction);
                let first = findings.len();
                let mut run = FileRun {
                    file,
                    sql,
                    transaction,
                    findings: &mut findings,
                };
                run.statements(&mut model, Some(&mut linter));
                if lints_from.is_some_and(|from| file.version < from) {
                    drop_from(&mut findings, first, |kind| matches!(kind, Kind::Lint(_)));
                }
            }
            Content::Down { sql, transaction } => {
                // A down script runs against the schema after its up; what it leaves is not
                // what the next migration sees.
                let mut after_down = model.clone();
                let mut run = FileRun {
                    file,
                    sql,
                    transaction,
                    findings: &mut findings,
                };
                run.statements(&mut after_down, None);
            }
        }
    }
    findings
}

/// One file being checked.
struct FileRun<'a, 'f> {
    file: &'a File<'a>,
    sql: &'a str,
    transaction: Transaction,
    findings: &'f mut Vec<Finding>,
}

impl FileRun<'_, '_> {
    /// Checks and applies every statement; lints only with a linter (not for down scripts).
    fn statements(&mut self, model: &mut Model, mut linter: Option<&mut Linter>) {
        let dialect = model.dialect();
        let mut own_transaction_control = false;
        for statement in parse(self.sql, dialect) {
            let first_finding = self.findings.len();
            let opt_outs = allowed(statement.before, statement.text);
            for (name, index) in &opt_outs.unknown {
                let before_lines = statement.before.matches('\n').count();
                let line = (statement.line + index).saturating_sub(before_lines);
                self.unknown_rule(&statement, name, line);
            }
            if kind(statement.text) == StatementKind::TransactionControl {
                own_transaction_control = true;
            }
            if self.transaction == Transaction::One && !own_transaction_control {
                if let Some(what) = refuses_transaction(statement.text, dialect) {
                    self.needs_no_transaction(&statement, what);
                }
            }
            if let Some(linter) = linter.as_deref_mut() {
                let tables = ModelTables { model, dialect };
                for lint in linter.check(&statement, &tables) {
                    self.push(
                        Kind::Lint(lint.rule),
                        &statement,
                        None,
                        lint.message,
                        lint.fix,
                    );
                }
            }
            for effect in effects(&statement, model) {
                match effect {
                    Effect::Need(need) => self.need(model, &statement, need),
                    Effect::Change(change) => model.apply(change),
                }
            }
            self.opt_out(first_finding, &opt_outs);
        }
    }

    /// Drops the findings from `first` on that the statement's comments allow.
    fn opt_out(&mut self, first: usize, opt_outs: &Allowed) {
        drop_from(self.findings, first, |kind| opt_outs.allows(kind));
    }

    fn need(&mut self, model: &Model, statement: &Parsed<'_>, need: Need) {
        let failed = match (need.expect, model.knows(&need.object)) {
            (Expect::Present, Knowledge::Absent) => Some(missing(model, &need.object)),
            (Expect::Absent, Knowledge::Present) => Some(already_exists(&need.object)),
            _ => None,
        };
        if let Some((problem, message, fix)) = failed {
            self.push(
                Kind::Error(problem),
                statement,
                need.at.as_ref(),
                message,
                fix,
            );
        }
    }

    fn needs_no_transaction(&mut self, statement: &Parsed<'_>, what: &str) {
        self.push(
            Kind::Error(Problem::NeedsNoTransaction),
            statement,
            None,
            format!("`{what}` cannot run inside a transaction, and this file runs in one"),
            "add `-- migrate:no-transaction` at the top of the file (and keep that file to statements that may run without one)".to_owned(),
        );
    }

    fn unknown_rule(&mut self, statement: &Parsed<'_>, name: &str, line: usize) {
        let fix = match super::Settings::closest_name(name) {
            Some(known) => format!("did you mean `{known}`?"),
            None => format!(
                "write one of: {}",
                super::Settings::allowable_names().join(", ")
            ),
        };
        self.findings.push(Finding::new(
            Kind::Error(Problem::UnknownRule),
            self.file.name,
            (line, 1),
            statement.text,
            format!("`-- migrate:allow {name}`: there is no rule or error `{name}`"),
            fix,
        ));
    }

    fn push(
        &mut self,
        kind: Kind,
        statement: &Parsed<'_>,
        at: Option<&Ident>,
        message: String,
        fix: String,
    ) {
        let position = at
            .and_then(|ident| position_of(statement, ident))
            .unwrap_or((statement.line, statement.column));
        self.findings.push(Finding::new(
            kind,
            self.file.name,
            position,
            statement.text,
            message,
            fix,
        ));
    }
}

/// Drops the findings from index `first` on whose kind `drop` selects.
fn drop_from(findings: &mut Vec<Finding>, first: usize, drop: impl Fn(Kind) -> bool) {
    let tail = findings.split_off(first.min(findings.len()));
    findings.extend(tail.into_iter().filter(|finding| !drop(finding.kind)));
}

/// Where `ident` is in the file: its span is relative to the statement's text.
fn position_of(statement: &Parsed<'_>, ident: &Ident) -> Option<(usize, usize)> {
    let start = ident.span.start;
    let (line, column) = (
        usize::try_from(start.line).ok()?,
        usize::try_from(start.column).ok()?,
    );
    if line == 0 || column == 0 {
        return None;
    }
    if line == 1 {
        Some((statement.line, statement.column + column - 1))
    } else {
        Some((statement.line + line - 1, column))
    }
}

/// The linter's view of the model.
struct ModelTables<'m> {
    model: &'m Model,
    dialect: Dialect,
}

impl Tables for ModelTables<'_> {
    fn is_new(&self, table: &sqlparser::ast::ObjectName) -> bool {
        super::name::Qualified::of(table, self.dialect).is_some_and(|name| {
            self.model.is_new(&name)
                || self.model.knows(&Object::Relation(name)) == Knowledge::Absent
        })
    }

    fn column_type(&self, table: &sqlparser::ast::ObjectName, column: &Ident) -> Option<String> {
        let table = super::name::Qualified::of(table, self.dialect)?;
        let column = super::name::Name::of(column, self.dialect);
        self.model.column_type(&table, &column)
    }

    fn index_on_new_table(&self, index: &sqlparser::ast::ObjectName) -> bool {
        super::name::Qualified::of(index, self.dialect).is_some_and(|name| {
            self.model.is_index_on_new_table(&name)
                || self.model.knows(&Object::Relation(name)) == Knowledge::Absent
        })
    }
}
