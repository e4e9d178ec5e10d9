//! Which statements wait for a lock that blocks the queries of an existing table, for
//! `missing-lock-timeout`.

use sqlparser::ast::{
    AlterTableOperation, ColumnOption, ObjectName, ObjectType, Statement, TableConstraint,
};

use super::{Context, Dialect};

/// What locks an existing table, and which: `ALTER TABLE` (unless it only validates
/// constraints), a plain `CREATE INDEX` or `DROP INDEX`, `DROP TABLE`, `TRUNCATE`, MySQL
/// `RENAME TABLE`, and in PostgreSQL a foreign key to an existing table (it locks that
/// table too, even from a new one).
pub(super) fn locking(
    statement: &Statement,
    context: Context<'_>,
) -> Option<(&'static str, String)> {
    let existing = |table: &ObjectName| context.existing(table).then(|| described(table));
    match statement {
        Statement::AlterTable(alter) => {
            let validates_only = alter.operations.iter().all(|operation| {
                matches!(operation, AlterTableOperation::ValidateConstraint { .. })
            });
            let altered = existing(&alter.name).filter(|_| !validates_only);
            let referenced = || {
                let keys = alter
                    .operations
                    .iter()
                    .flat_map(foreign_tables_of_operation);
                first_existing_referenced(keys, &alter.name, context)
            };
            Some(("`ALTER TABLE`", altered.or_else(referenced)?))
        }
        Statement::CreateTable(create) => {
            let keys = create
                .columns
                .iter()
                .flat_map(|column| column.options.iter().map(|option| &option.option))
                .filter_map(column_foreign_table)
                .chain(create.constraints.iter().filter_map(table_foreign_table));
            let table = first_existing_referenced(keys, &create.name, context)?;
            Some(("`CREATE TABLE` with a foreign key", table))
        }
        Statement::CreateIndex(index) if !index.concurrently => {
            Some(("`CREATE INDEX`", existing(&index.table_name)?))
        }
        Statement::Drop {
            object_type,
            names,
            table,
            ..
        } => match (object_type, table) {
            (ObjectType::Index, Some(table)) => Some(("`DROP INDEX`", existing(table)?)),
            (ObjectType::Index, None) => {
                let index = names
                    .iter()
                    .find(|index| !context.tables.index_on_new_table(index))?;
                Some(("`DROP INDEX`", format!("the table of index `{index}`")))
            }
            (ObjectType::Table, _) => Some(("`DROP TABLE`", names.iter().find_map(existing)?)),
            _ => None,
        },
        Statement::Truncate(truncate) => {
            let table = truncate
                .table_names
                .iter()
                .find_map(|target| existing(&target.name))?;
            Some(("`TRUNCATE`", table))
        }
        Statement::RenameTable(renames) => {
            let table = renames
                .iter()
                .find_map(|rename| existing(&rename.old_name))?;
            Some(("`RENAME TABLE`", table))
        }
        _ => None,
    }
}

/// The first table among `referenced` that existed before the migration and is not `table`
/// itself (PostgreSQL only: MySQL's metadata locks on the parent table are not modelled).
fn first_existing_referenced<'s>(
    referenced: impl Iterator<Item = &'s ObjectName>,
    table: &ObjectName,
    context: Context<'_>,
) -> Option<String> {
    if context.dialect != Dialect::Postgres {
        return None;
    }
    referenced
        .filter(|referenced| *referenced != table && context.existing(referenced))
        .map(described)
        .next()
}

fn foreign_tables_of_operation(operation: &AlterTableOperation) -> Vec<&ObjectName> {
    match operation {
        AlterTableOperation::AddConstraint { constraint, .. } => {
            table_foreign_table(constraint).into_iter().collect()
        }
        AlterTableOperation::AddColumn { column_def, .. } => column_def
            .options
            .iter()
            .filter_map(|option| column_foreign_table(&option.option))
            .collect(),
        _ => Vec::new(),
    }
}

fn column_foreign_table(option: &ColumnOption) -> Option<&ObjectName> {
    match option {
        ColumnOption::ForeignKey(key) => Some(&key.foreign_table),
        _ => None,
    }
}

fn table_foreign_table(constraint: &TableConstraint) -> Option<&ObjectName> {
    match constraint {
        TableConstraint::ForeignKey(key) => Some(&key.foreign_table),
        _ => None,
    }
}

fn described(table: &ObjectName) -> String {
    format!("existing table `{table}`")
}
