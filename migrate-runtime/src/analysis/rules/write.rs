//! `update-without-where`, `delete-without-where`: a data statement that touches every row
//! of an existing table. A `WHERE`, a `LIMIT` or a join condition bounds it.

use sqlparser::ast::{FromTable, ObjectName, SetExpr, Statement, TableFactor, TableWithJoins};

use super::{Context, Lint, Rule};

/// The rules of this file.
pub(super) fn check(statement: &Statement, context: Context<'_>, lints: &mut Vec<Lint>) {
    let statement = data_statement(statement);
    lints.extend(update(statement, context));
    lints.extend(delete(statement, context));
}

/// The `UPDATE` or `DELETE` of `WITH … UPDATE …`, or the statement itself.
fn data_statement(statement: &Statement) -> &Statement {
    match statement {
        Statement::Query(query) => match query.body.as_ref() {
            SetExpr::Update(inner) | SetExpr::Delete(inner) => inner,
            _ => statement,
        },
        _ => statement,
    }
}

fn update(statement: &Statement, context: Context<'_>) -> Option<Lint> {
    let Statement::Update(update) = statement else {
        return None;
    };
    if update.selection.is_some() || update.limit.is_some() || joined(&update.table) {
        return None;
    }
    let table = target(&update.table);
    if table.is_some_and(|table| !context.existing(table)) {
        return None;
    }
    let table = table.map_or_else(|| update.table.relation.to_string(), ToString::to_string);
    Some(Lint::new(
        Rule::UpdateWithoutWhere,
        format!(
            "`UPDATE` without `WHERE` changes every row of `{table}` and holds their locks until \
             the migration commits"
        ),
        "add the `WHERE` you mean; backfill a large table in batches of bounded `WHERE` ranges",
    ))
}

fn delete(statement: &Statement, context: Context<'_>) -> Option<Lint> {
    let Statement::Delete(delete) = statement else {
        return None;
    };
    let from = match &delete.from {
        FromTable::WithFromKeyword(tables) | FromTable::WithoutKeyword(tables) => tables,
    };
    if delete.selection.is_some() || delete.limit.is_some() || from.iter().any(joined) {
        return None;
    }
    // MySQL's multi-table form names the targets before `FROM`; otherwise the first table.
    let table = match (delete.tables.first(), from.first()) {
        (Some(table), _) => Some(table),
        (None, Some(first)) => target(first),
        (None, None) => None,
    };
    if table.is_some_and(|table| !context.existing(table)) {
        return None;
    }
    let table = table.map_or_else(|| "the table".to_owned(), |table| format!("`{table}`"));
    Some(Lint::new(
        Rule::DeleteWithoutWhere,
        format!("`DELETE` without `WHERE` deletes every row of {table}"),
        "add the `WHERE` you mean, or write `TRUNCATE` when emptying the table is the intent",
    ))
}

/// MySQL's `UPDATE a JOIN b ON …` and `DELETE a FROM a JOIN b ON …`: the join condition
/// bounds the rows as a `WHERE` would.
fn joined(table: &TableWithJoins) -> bool {
    !table.joins.is_empty()
}

/// The table a data statement writes, when it is a plain table name.
fn target(table: &TableWithJoins) -> Option<&ObjectName> {
    match &table.relation {
        TableFactor::Table { name, .. } => Some(name),
        _ => None,
    }
}
