//! What several rules read from a statement: the operations of an `ALTER TABLE` on an
//! existing table, the options of a column.

use sqlparser::ast::{AlterTableOperation, ColumnDef, ColumnOption, ObjectName, Statement};

use super::Context;

/// The table and operations of `statement` when it is an `ALTER TABLE` of a table that
/// existed before the migration.
pub(super) fn of_existing<'s>(
    statement: &'s Statement,
    context: Context<'_>,
) -> Option<(&'s ObjectName, &'s [AlterTableOperation])> {
    match statement {
        Statement::AlterTable(alter) if context.existing(&alter.name) => {
            Some((&alter.name, &alter.operations))
        }
        _ => None,
    }
}

/// The columns an `ALTER TABLE` adds.
pub(super) fn added_columns(
    operations: &[AlterTableOperation],
) -> impl Iterator<Item = &ColumnDef> {
    operations.iter().filter_map(|operation| match operation {
        AlterTableOperation::AddColumn { column_def, .. } => Some(column_def),
        _ => None,
    })
}

/// The options of a column definition (`NOT NULL`, `DEFAULT …`, `REFERENCES …`).
pub(super) fn options(column: &ColumnDef) -> impl Iterator<Item = &ColumnOption> {
    column.options.iter().map(|option| &option.option)
}
