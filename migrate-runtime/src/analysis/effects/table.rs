//! `CREATE TABLE`, `ALTER TABLE` and MySQL's `RENAME TABLE`.

use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, ColumnOption, CreateTable, Expr,
    ForeignKeyConstraint, IndexColumn, RenameTableNameKind, Statement, TableConstraint,
};

use super::{Effects, Expect};
use crate::analysis::model::{Change, ColumnDef, Object};
use crate::analysis::name::Qualified;
use crate::analysis::Dialect;

/// Handles table statements; false when `ast` is not one.
pub(super) fn table_statement(effects: &mut Effects<'_>, ast: &Statement) -> bool {
    match ast {
        Statement::CreateTable(create) => create_table(effects, create),
        Statement::AlterTable(alter) => {
            alter_table(effects, &alter.name, alter.if_exists, &alter.operations)
        }
        Statement::RenameTable(renames) => {
            for rename in renames {
                let (Some(from), Some(to)) = (
                    effects.qualified(&rename.old_name),
                    effects.qualified(&rename.new_name),
                ) else {
                    effects.change(Change::Open);
                    continue;
                };
                let from_at = Effects::last_ident(&rename.old_name);
                let to_at = Effects::last_ident(&rename.new_name);
                effects.need(Object::Table(from.clone()), Expect::Present, from_at);
                effects.need(Object::Relation(to.clone()), Expect::Absent, to_at);
                effects.change(Change::RenameRelation { from, to });
            }
        }
        _ => return false,
    }
    true
}

fn create_table(effects: &mut Effects<'_>, create: &CreateTable) {
    if create.temporary {
        // A temporary table lives as long as the migration's session.
        return;
    }
    let Some(name) = effects.qualified(&create.name) else {
        effects.change(Change::Taint(create.name.to_string()));
        return;
    };
    let at = Effects::last_ident(&create.name);
    if !create.if_not_exists && !create.or_replace {
        effects.need(Object::Relation(name.clone()), Expect::Absent, at);
    }
    let derived = create.query.is_some()
        || create.like.is_some()
        || create.clone.is_some()
        || create.inherits.is_some()
        || create.partition_of.is_some();
    let columns: Vec<ColumnDef> = create
        .columns
        .iter()
        .map(|column| column_def(effects, column))
        .collect();
    let known = !derived;
    effects.change(Change::CreateTable {
        name: name.clone(),
        columns: known.then(|| columns.clone()),
        if_not_exists: create.if_not_exists,
    });
    // Constraints are checked after the table exists: a table may reference itself.
    for column in &create.columns {
        for option in &column.options {
            if let ColumnOption::ForeignKey(key) = &option.option {
                references(effects, key);
            }
        }
    }
    for constraint in &create.constraints {
        if known {
            own_columns(effects, &name, constraint);
        }
        if let TableConstraint::ForeignKey(key) = constraint {
            references(effects, key);
        }
    }
}

/// A column definition as the model keeps it.
fn column_def(effects: &Effects<'_>, column: &sqlparser::ast::ColumnDef) -> ColumnDef {
    let mut nullable = true;
    let mut default = None;
    for option in &column.options {
        match &option.option {
            ColumnOption::NotNull | ColumnOption::PrimaryKey(_) => nullable = false,
            ColumnOption::Default(expr) => default = Some(expr.to_string()),
            _ => {}
        }
    }
    ColumnDef {
        name: effects.name(&column.name),
        data_type: column.data_type.to_string(),
        nullable,
        default,
    }
}

/// The columns a table constraint names must be columns of its table.
fn own_columns(effects: &mut Effects<'_>, table: &Qualified, constraint: &TableConstraint) {
    let idents: Vec<&sqlparser::ast::Ident> = match constraint {
        TableConstraint::PrimaryKey(key) => index_columns(&key.columns),
        TableConstraint::Unique(key) => index_columns(&key.columns),
        TableConstraint::ForeignKey(key) => key.columns.iter().collect(),
        TableConstraint::Index(index) => index_columns(&index.columns),
        _ => Vec::new(),
    };
    for ident in idents {
        let column = effects.name(ident);
        effects.need(
            Object::Column(table.clone(), column),
            Expect::Present,
            Some(ident),
        );
    }
}

/// The plain column names among index columns (expressions are skipped).
pub(super) fn index_columns(columns: &[IndexColumn]) -> Vec<&sqlparser::ast::Ident> {
    columns
        .iter()
        .filter_map(|column| match &column.column.expr {
            Expr::Identifier(ident) => Some(ident),
            _ => None,
        })
        .collect()
}

/// `REFERENCES t (c)`: PostgreSQL checks that `t` and `c` exist when the key is created.
/// MySQL does not with `foreign_key_checks = 0`, and SQLite never does.
fn references(effects: &mut Effects<'_>, key: &ForeignKeyConstraint) {
    if effects.dialect != Dialect::Postgres {
        return;
    }
    let Some(table) = effects.qualified(&key.foreign_table) else {
        return;
    };
    let at = Effects::last_ident(&key.foreign_table);
    effects.need(Object::Table(table.clone()), Expect::Present, at);
    for ident in &key.referred_columns {
        let column = effects.name(ident);
        effects.need(
            Object::Column(table.clone(), column),
            Expect::Present,
            Some(ident),
        );
    }
}

fn alter_table(
    effects: &mut Effects<'_>,
    name: &sqlparser::ast::ObjectName,
    if_exists: bool,
    operations: &[AlterTableOperation],
) {
    let Some(table) = effects.qualified(name) else {
        effects.change(Change::Taint(name.to_string()));
        return;
    };
    if !if_exists {
        effects.need(
            Object::Table(table.clone()),
            Expect::Present,
            Effects::last_ident(name),
        );
    }
    for operation in operations {
        alter_operation(effects, &table, operation);
    }
}

fn alter_operation(effects: &mut Effects<'_>, table: &Qualified, operation: &AlterTableOperation) {
    let column_of =
        |effects: &Effects<'_>, ident| Object::Column(table.clone(), effects.name(ident));
    match operation {
        AlterTableOperation::AddColumn {
            if_not_exists,
            column_def,
            ..
        } => {
            let column = self::column_def(effects, column_def);
            if !if_not_exists {
                effects.need(
                    column_of(effects, &column_def.name),
                    Expect::Absent,
                    Some(&column_def.name),
                );
            }
            effects.change(Change::AddColumn {
                table: table.clone(),
                column,
            });
            for option in &column_def.options {
                if let ColumnOption::ForeignKey(key) = &option.option {
                    references(effects, key);
                }
            }
        }
        AlterTableOperation::DropColumn {
            column_names,
            if_exists,
            ..
        } => {
            for ident in column_names {
                if !if_exists {
                    effects.need(column_of(effects, ident), Expect::Present, Some(ident));
                }
                effects.change(Change::DropColumn {
                    table: table.clone(),
                    column: effects.name(ident),
                });
            }
        }
        AlterTableOperation::RenameColumn {
            old_column_name,
            new_column_name,
        } => {
            effects.need(
                column_of(effects, old_column_name),
                Expect::Present,
                Some(old_column_name),
            );
            effects.need(
                column_of(effects, new_column_name),
                Expect::Absent,
                Some(new_column_name),
            );
            effects.change(Change::RenameColumn {
                table: table.clone(),
                from: effects.name(old_column_name),
                to: effects.name(new_column_name),
            });
        }
        AlterTableOperation::RenameTable { table_name } => {
            let (RenameTableNameKind::To(new) | RenameTableNameKind::As(new)) = table_name;
            let Some(to) = effects.qualified(new) else {
                effects.change(Change::Open);
                return;
            };
            effects.need(
                Object::Relation(Qualified {
                    schema: table.schema.clone(),
                    name: to.name.clone(),
                }),
                Expect::Absent,
                Effects::last_ident(new),
            );
            effects.change(Change::RenameRelation {
                from: table.clone(),
                to,
            });
        }
        AlterTableOperation::AlterColumn { column_name, op } => {
            effects.need(
                column_of(effects, column_name),
                Expect::Present,
                Some(column_name),
            );
            let (data_type, nullable) = match op {
                AlterColumnOperation::SetNotNull => (None, Some(false)),
                AlterColumnOperation::DropNotNull => (None, Some(true)),
                AlterColumnOperation::SetDataType { data_type, .. } => {
                    (Some(data_type.to_string()), None)
                }
                _ => (None, None),
            };
            effects.change(Change::AlterColumn {
                table: table.clone(),
                column: effects.name(column_name),
                data_type,
                nullable,
            });
        }
        AlterTableOperation::ChangeColumn {
            old_name,
            new_name,
            data_type,
            ..
        } => {
            effects.need(
                column_of(effects, old_name),
                Expect::Present,
                Some(old_name),
            );
            let (old, new) = (effects.name(old_name), effects.name(new_name));
            if old != new {
                effects.need(column_of(effects, new_name), Expect::Absent, Some(new_name));
                effects.change(Change::RenameColumn {
                    table: table.clone(),
                    from: old,
                    to: new.clone(),
                });
            }
            effects.change(Change::AlterColumn {
                table: table.clone(),
                column: new,
                data_type: Some(data_type.to_string()),
                nullable: None,
            });
        }
        AlterTableOperation::ModifyColumn {
            col_name,
            data_type,
            ..
        } => {
            effects.need(
                column_of(effects, col_name),
                Expect::Present,
                Some(col_name),
            );
            effects.change(Change::AlterColumn {
                table: table.clone(),
                column: effects.name(col_name),
                data_type: Some(data_type.to_string()),
                nullable: None,
            });
        }
        AlterTableOperation::AddConstraint { constraint, .. } => {
            own_columns(effects, table, constraint);
            if let TableConstraint::ForeignKey(key) = constraint {
                references(effects, key);
            }
            if effects.dialect == Dialect::MySql {
                if let Some(index) = mysql_index_name(constraint) {
                    let index = effects.name(index);
                    effects.change(Change::AddTableIndex {
                        table: table.clone(),
                        index,
                    });
                }
            }
        }
        AlterTableOperation::DropIndex { name } => effects.change(Change::DropTableIndex {
            table: table.clone(),
            index: effects.name(name),
        }),
        AlterTableOperation::DropConstraint { .. }
        | AlterTableOperation::DropPrimaryKey { .. }
        | AlterTableOperation::DropForeignKey { .. }
        | AlterTableOperation::EnableRowLevelSecurity
        | AlterTableOperation::DisableRowLevelSecurity
        | AlterTableOperation::ForceRowLevelSecurity
        | AlterTableOperation::NoForceRowLevelSecurity
        | AlterTableOperation::OwnerTo { .. }
        | AlterTableOperation::ValidateConstraint { .. } => {}
        _ => effects.change(Change::TableUnknown(table.clone())),
    }
}

/// The name of an index a MySQL constraint creates, when it has one.
fn mysql_index_name(constraint: &TableConstraint) -> Option<&sqlparser::ast::Ident> {
    match constraint {
        TableConstraint::Index(index) => index.name.as_ref(),
        TableConstraint::Unique(unique) => unique.index_name.as_ref().or(unique.name.as_ref()),
        _ => None,
    }
}
