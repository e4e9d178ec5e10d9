//! `index-without-concurrently`, `drop-index-without-concurrently`.

use sqlparser::ast::{ObjectName, ObjectType, Statement};

use super::{Context, Lint, Rule};

/// The rules of this file.
pub(super) fn check(statement: &Statement, context: Context<'_>, lints: &mut Vec<Lint>) {
    lints.extend(create_index(statement, context));
    lints.extend(drop_index(statement, context));
}

/// A plain `CREATE INDEX` on an existing table.
fn create_index(statement: &Statement, context: Context<'_>) -> Option<Lint> {
    let Statement::CreateIndex(index) = statement else {
        return None;
    };
    if index.concurrently || !context.existing(&index.table_name) {
        return None;
    }
    Some(Lint::new(
        Rule::IndexWithoutConcurrently,
        format!(
            "`CREATE INDEX` on existing table `{}` without `CONCURRENTLY` blocks every write \
             to the table until the index is built",
            index.table_name
        ),
        "write `CREATE INDEX CONCURRENTLY` in a file of its own marked \
         `-- migrate:no-transaction`",
    ))
}

/// A `DROP INDEX` of an index on an existing table. The parser rejects
/// `DROP INDEX CONCURRENTLY` (that statement is opaque), so every parsed one is plain.
fn drop_index(statement: &Statement, context: Context<'_>) -> Option<Lint> {
    let Statement::Drop {
        object_type: ObjectType::Index,
        names,
        table,
        ..
    } = statement
    else {
        return None;
    };
    let on_existing = |index: &&ObjectName| match table {
        // MySQL names the table: `DROP INDEX i ON t`.
        Some(table) => context.existing(table),
        None => !context.tables.index_on_new_table(index),
    };
    let index = names.iter().find(on_existing)?;
    Some(Lint::new(
        Rule::DropIndexWithoutConcurrently,
        format!(
            "`DROP INDEX` of `{index}` without `CONCURRENTLY` locks its table against reads \
             and writes, and queues every query behind the running ones"
        ),
        "write `DROP INDEX CONCURRENTLY` in a file of its own marked \
         `-- migrate:no-transaction`",
    ))
}
