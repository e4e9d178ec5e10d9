//! `column-type-change`: a column of an existing table gets another type.

use sqlparser::ast::{AlterColumnOperation, AlterTableOperation, Statement};

use super::{alter, Context, Lint, Rule};

const FIX: &str = "add a column of the new type, backfill it in batches, switch the \
                   application to it, then drop the old column";

/// The rule of this file.
pub(super) fn check(statement: &Statement, context: Context<'_>, lints: &mut Vec<Lint>) {
    let Some((table, operations)) = alter::of_existing(statement, context) else {
        return;
    };
    for operation in operations {
        let message = match operation {
            AlterTableOperation::AlterColumn {
                column_name,
                op: AlterColumnOperation::SetDataType { data_type, .. },
            } if !context
                .tables
                .column_type(table, column_name)
                .is_some_and(|old| keeps_the_bytes(&old, &data_type.to_string())) =>
            {
                format!(
                    "changing column `{column_name}` of existing table `{table}` to `{data_type}` \
                 rewrites the table while it is locked against reads and writes, unless the \
                 old type converts without a rewrite"
                )
            }
            // MySQL restates the whole column: the old type is not in the statement.
            AlterTableOperation::ModifyColumn {
                col_name,
                data_type,
                ..
            } if !same_type(context, table, col_name, data_type) => redefined(col_name, table),
            AlterTableOperation::ChangeColumn {
                old_name,
                data_type,
                ..
            } if !same_type(context, table, old_name, data_type) => redefined(old_name, table),
            _ => continue,
        };
        lints.push(Lint::new(Rule::ColumnTypeChange, message, FIX));
    }
}

fn redefined(column: &impl std::fmt::Display, table: &impl std::fmt::Display) -> String {
    format!(
        "redefining column `{column}` of existing table `{table}` copies the table and blocks \
         writes to it when the type changes"
    )
}

/// MySQL: the statement restates the type the model knows (it changes something else).
fn same_type(
    context: Context<'_>,
    table: &sqlparser::ast::ObjectName,
    column: &sqlparser::ast::Ident,
    data_type: &sqlparser::ast::DataType,
) -> bool {
    context
        .tables
        .column_type(table, column)
        .is_some_and(|old| normalized(&old) == normalized(&data_type.to_string()))
}

/// PostgreSQL changes these types without rewriting the table (or scanning it): a longer
/// or unlimited `varchar`, `varchar` to `text`, a wider `numeric` with the same scale,
/// `cidr` to `inet`, and the same type.
pub(super) fn keeps_the_bytes(old: &str, new: &str) -> bool {
    let (old, new) = (normalized(old), normalized(new));
    if old == new {
        return true;
    }
    let (old_name, old_args) = split(&old);
    let (new_name, new_args) = split(&new);
    match (old_name, new_name) {
        ("varchar", "text") | ("varchar", "varchar") | ("text", "varchar") => {
            match (old_args.first(), new_args.first()) {
                (_, None) => true,
                (Some(old), Some(new)) => new >= old,
                (None, Some(_)) => false,
            }
        }
        ("numeric", "numeric") => match (old_args.as_slice(), new_args.as_slice()) {
            (_, []) => true,
            ([p], [q]) => q >= p,
            ([p, s], [q, t]) => q >= p && s == t,
            _ => false,
        },
        ("cidr", "inet") => true,
        _ => false,
    }
}

/// Lower case, single spaces, and PostgreSQL's long names for `varchar` and `numeric`.
fn normalized(data_type: &str) -> String {
    let flat = data_type
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    flat.replace("character varying", "varchar")
        .replace("decimal", "numeric")
}

/// `varchar(10)` → (`varchar`, [10]).
fn split(data_type: &str) -> (&str, Vec<u64>) {
    match data_type.split_once('(') {
        Some((name, args)) => (
            name.trim(),
            args.trim_end_matches(')')
                .split(',')
                .filter_map(|arg| arg.trim().parse().ok())
                .collect(),
        ),
        None => (data_type.trim(), Vec::new()),
    }
}
