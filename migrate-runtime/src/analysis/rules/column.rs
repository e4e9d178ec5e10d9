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
            } => format!(
                "changing column `{column_name}` of existing table `{table}` to `{data_type}` \
                 rewrites the table while it is locked against reads and writes, unless the \
                 old type converts without a rewrite"
            ),
            // MySQL restates the whole column: the old type is not in the statement.
            AlterTableOperation::ModifyColumn { col_name, .. } => redefined(col_name, table),
            AlterTableOperation::ChangeColumn { old_name, .. } => redefined(old_name, table),
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
