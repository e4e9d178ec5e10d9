//! `foreign-key-without-not-valid`, `check-without-not-valid`, `unique-without-index`:
//! constraints added to an existing table that check or index every row under a lock.

use sqlparser::ast::{
    AlterTableOperation, ColumnOption, Ident, ObjectName, Statement, TableConstraint,
};

use super::{alter, Context, Lint, Rule};

/// The rules of this file.
pub(super) fn check(statement: &Statement, context: Context<'_>, lints: &mut Vec<Lint>) {
    let Some((table, operations)) = alter::of_existing(statement, context) else {
        return;
    };
    for operation in operations {
        match operation {
            AlterTableOperation::AddConstraint {
                constraint,
                not_valid,
            } => lints.extend(table_constraint(table, constraint, *not_valid)),
            AlterTableOperation::AddColumn { column_def, .. } => {
                for option in alter::options(column_def) {
                    lints.extend(column_constraint(table, &column_def.name, option));
                }
            }
            _ => {}
        }
    }
}

/// `ADD [CONSTRAINT name] FOREIGN KEY | CHECK | UNIQUE | PRIMARY KEY`.
fn table_constraint(
    table: &ObjectName,
    constraint: &TableConstraint,
    not_valid: bool,
) -> Option<Lint> {
    match constraint {
        TableConstraint::ForeignKey(key) if !not_valid => Some(foreign_key(
            table,
            &named("foreign key", key.name.as_ref()),
            &key.foreign_table,
            "add it with `NOT VALID`, then `VALIDATE CONSTRAINT` it in a later statement",
        )),
        TableConstraint::Check(check) if !not_valid => Some(check_constraint(
            table,
            &named("check constraint", check.name.as_ref()),
            "add it with `NOT VALID`, then `VALIDATE CONSTRAINT` it in a later statement",
        )),
        TableConstraint::Unique(unique) => Some(unique_constraint(
            table,
            &named("unique constraint", unique.name.as_ref()),
            INDEX_FIRST,
        )),
        TableConstraint::PrimaryKey(key) => Some(unique_constraint(
            table,
            &named("primary key", key.name.as_ref()),
            INDEX_FIRST,
        )),
        _ => None,
    }
}

/// `ADD COLUMN c … REFERENCES | CHECK | UNIQUE | PRIMARY KEY`: the same locks, and
/// `NOT VALID` cannot be written there.
fn column_constraint(table: &ObjectName, column: &Ident, option: &ColumnOption) -> Option<Lint> {
    let what = |kind: &str| format!("{kind} on new column `{column}`");
    let separately = "add the column first, then the constraint with `NOT VALID`, then \
                      `VALIDATE CONSTRAINT` it";
    match option {
        ColumnOption::ForeignKey(key) => Some(foreign_key(
            table,
            &what("foreign key"),
            &key.foreign_table,
            separately,
        )),
        ColumnOption::Check(_) => Some(check_constraint(
            table,
            &what("check constraint"),
            separately,
        )),
        ColumnOption::Unique(_) => Some(unique_constraint(
            table,
            &what("unique constraint"),
            COLUMN_THEN_INDEX,
        )),
        ColumnOption::PrimaryKey(_) => Some(unique_constraint(
            table,
            &what("primary key"),
            COLUMN_THEN_INDEX,
        )),
        _ => None,
    }
}

fn foreign_key(table: &ObjectName, what: &str, referenced: &ObjectName, fix: &str) -> Lint {
    Lint::new(
        Rule::ForeignKeyWithoutNotValid,
        format!(
            "adding {what} to existing table `{table}` checks every row while writes to \
             `{table}` and `{referenced}` wait"
        ),
        fix,
    )
}

fn check_constraint(table: &ObjectName, what: &str, fix: &str) -> Lint {
    Lint::new(
        Rule::CheckWithoutNotValid,
        format!(
            "adding {what} to existing table `{table}` checks every row while the table is \
             locked against reads and writes"
        ),
        fix,
    )
}

const INDEX_FIRST: &str = "build a unique index with `CREATE UNIQUE INDEX CONCURRENTLY` first, \
                           then add the constraint `USING INDEX`";

const COLUMN_THEN_INDEX: &str = "add the column first, build a unique index on it with \
                                 `CREATE UNIQUE INDEX CONCURRENTLY`, then add the constraint \
                                 `USING INDEX`";

fn unique_constraint(table: &ObjectName, what: &str, fix: &str) -> Lint {
    Lint::new(
        Rule::UniqueWithoutIndex,
        format!(
            "adding {what} to existing table `{table}` builds its index while the table is \
             locked against reads and writes"
        ),
        fix,
    )
}

/// `foreign key `name`` or `a foreign key`.
fn named(kind: &str, name: Option<&Ident>) -> String {
    match name {
        Some(name) => format!("{kind} `{name}`"),
        None => format!("a {kind}"),
    }
}
