//! `drop-table`, `drop-column`, `rename-table`, `rename-column`: the previous release still
//! runs during a rolling deploy, and still uses the old names.

use sqlparser::ast::{AlterTableOperation, Ident, ObjectName, ObjectType, Statement};

use super::{alter, Context, Lint, Rule};

const TWO_STEPS: &str = "in this release stop using it; remove it in a migration of the next \
                         release";

/// The rules of this file.
pub(super) fn check(statement: &Statement, context: Context<'_>, lints: &mut Vec<Lint>) {
    lints.extend(drop_table(statement, context));
    lints.extend(rename_statement(statement, context));
    if let Some((table, operations)) = alter::of_existing(statement, context) {
        lints.extend(drop_columns(table, operations));
        for operation in operations {
            lints.extend(rename(table, operation));
        }
    }
}

/// `DROP TABLE` of existing tables: one lint naming them all.
fn drop_table(statement: &Statement, context: Context<'_>) -> Option<Lint> {
    let Statement::Drop {
        object_type: ObjectType::Table,
        names,
        ..
    } = statement
    else {
        return None;
    };
    let tables = listed("table", names.iter().filter(|name| context.existing(name)))?;
    Some(Lint::new(
        Rule::DropTable,
        format!(
            "dropping existing {tables} breaks the previous release, which still queries it \
             during a rolling deploy"
        ),
        TWO_STEPS,
    ))
}

/// `DROP COLUMN`s of one `ALTER TABLE`: one lint naming them all.
fn drop_columns(table: &ObjectName, operations: &[AlterTableOperation]) -> Option<Lint> {
    let columns = operations
        .iter()
        .filter_map(|operation| match operation {
            AlterTableOperation::DropColumn { column_names, .. } => Some(column_names),
            _ => None,
        })
        .flatten();
    let columns = listed("column", columns)?;
    Some(Lint::new(
        Rule::DropColumn,
        format!(
            "dropping {columns} of existing table `{table}` breaks the previous release, which \
             still reads and writes it during a rolling deploy"
        ),
        TWO_STEPS,
    ))
}

/// `ALTER TABLE … RENAME TO`, `RENAME [COLUMN]`, MySQL `CHANGE COLUMN` to another name.
fn rename(table: &ObjectName, operation: &AlterTableOperation) -> Option<Lint> {
    match operation {
        AlterTableOperation::RenameTable { .. } => Some(table_renamed(table)),
        AlterTableOperation::RenameColumn {
            old_column_name,
            new_column_name,
        } => Some(column_renamed(table, old_column_name, new_column_name)),
        AlterTableOperation::ChangeColumn {
            old_name, new_name, ..
        } if old_name.value != new_name.value => Some(column_renamed(table, old_name, new_name)),
        _ => None,
    }
}

/// MySQL `RENAME TABLE a TO b, c TO d`.
fn rename_statement(statement: &Statement, context: Context<'_>) -> Option<Lint> {
    let Statement::RenameTable(renames) = statement else {
        return None;
    };
    renames
        .iter()
        .find(|rename| context.existing(&rename.old_name))
        .map(|rename| table_renamed(&rename.old_name))
}

fn table_renamed(table: &ObjectName) -> Lint {
    Lint::new(
        Rule::RenameTable,
        format!(
            "renaming existing table `{table}` breaks the previous release, which still uses \
             the old name during a rolling deploy"
        ),
        "keep the old name working meanwhile (e.g. a view of that name), and remove it in the \
         next release",
    )
}

fn column_renamed(table: &ObjectName, old: &Ident, new: &Ident) -> Lint {
    Lint::new(
        Rule::RenameColumn,
        format!(
            "renaming column `{old}` of existing table `{table}` to `{new}` breaks the previous \
             release, which still uses the old name during a rolling deploy"
        ),
        "add the new column, write both and backfill, switch reads, then drop the old column \
         in the next release",
    )
}

/// `` table `a` `` or `` tables `a`, `b` ``; `None` for no names.
fn listed<T: std::fmt::Display>(kind: &str, names: impl Iterator<Item = T>) -> Option<String> {
    let listed: Vec<String> = names.map(|name| format!("`{name}`")).collect();
    match listed.len() {
        0 => None,
        1 => Some(format!("{kind} {}", listed.join(""))),
        _ => Some(format!("{kind}s {}", listed.join(", "))),
    }
}
