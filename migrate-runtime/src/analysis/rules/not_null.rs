//! `set-not-null`: `ALTER COLUMN … SET NOT NULL` on an existing table, unless a validated
//! `CHECK (column IS NOT NULL)` already proves it (PostgreSQL 12 and later then skip the
//! scan). The proofs are kept across files: the check is often validated in an earlier
//! migration than the one that sets `NOT NULL`.

use std::collections::{HashMap, HashSet};

use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, Expr, Ident, ObjectName, Statement, TableConstraint,
};

use super::super::name::{Name, Qualified};
use super::{Context, Dialect, Lint, Rule};

/// A column of a table, by normalized names (the table without its schema: a check is
/// rarely added under one spelling and validated under another).
type Column = (Name, Name);

/// What the migrations so far prove about columns.
#[derive(Default)]
pub(super) struct NotNullProofs {
    /// `CHECK (column IS NOT NULL) NOT VALID` constraints not validated yet, by table and
    /// constraint name.
    unvalidated: HashMap<(Name, Name), Name>,
    /// Columns a validated check proves free of `NULL`.
    proven: HashSet<Column>,
}

impl NotNullProofs {
    /// Learns from `statement` and returns the lints of its `SET NOT NULL`s, in order.
    pub(super) fn check(&mut self, statement: &Statement, context: Context<'_>) -> Vec<Lint> {
        let Statement::AlterTable(alter) = statement else {
            return Vec::new();
        };
        let Some(table) = table_name(&alter.name, context.dialect) else {
            return Vec::new();
        };
        let mut lints = Vec::new();
        for operation in &alter.operations {
            match operation {
                AlterTableOperation::AddConstraint {
                    constraint: TableConstraint::Check(check),
                    not_valid,
                } => {
                    let Some(column) = not_null_column(&check.expr, context.dialect) else {
                        continue;
                    };
                    match (&check.name, not_valid) {
                        (_, false) => {
                            self.proven.insert((table.clone(), column));
                        }
                        (Some(name), true) => {
                            let name = Name::of(name, context.dialect);
                            self.unvalidated.insert((table.clone(), name), column);
                        }
                        (None, true) => {}
                    }
                }
                AlterTableOperation::ValidateConstraint { name } => {
                    let key = (table.clone(), Name::of(name, context.dialect));
                    if let Some(column) = self.unvalidated.remove(&key) {
                        self.proven.insert((table.clone(), column));
                    }
                }
                AlterTableOperation::AlterColumn {
                    column_name,
                    op: AlterColumnOperation::SetNotNull,
                } => {
                    let column = (table.clone(), Name::of(column_name, context.dialect));
                    if context.existing(&alter.name) && !self.proven.contains(&column) {
                        lints.push(lint(&alter.name, column_name));
                    }
                }
                _ => {}
            }
        }
        lints
    }
}

fn lint(table: &ObjectName, column: &Ident) -> Lint {
    Lint::new(
        Rule::SetNotNull,
        format!(
            "`SET NOT NULL` on column `{column}` of existing table `{table}` scans every row \
             while the table is locked against reads and writes"
        ),
        format!(
            "first add `CHECK ({column} IS NOT NULL) NOT VALID` and `VALIDATE CONSTRAINT` it; \
             then `SET NOT NULL` needs no scan"
        ),
    )
}

/// The table's own name, normalized.
fn table_name(name: &ObjectName, dialect: Dialect) -> Option<Name> {
    Qualified::of(name, dialect).map(|qualified| qualified.name)
}

/// The column of `column IS NOT NULL`.
fn not_null_column(expr: &Expr, dialect: Dialect) -> Option<Name> {
    match expr {
        Expr::Nested(inner) => not_null_column(inner, dialect),
        Expr::IsNotNull(operand) => match operand.as_ref() {
            Expr::Identifier(column) => Some(Name::of(column, dialect)),
            Expr::CompoundIdentifier(parts) => parts.last().map(|column| Name::of(column, dialect)),
            _ => None,
        },
        _ => None,
    }
}
