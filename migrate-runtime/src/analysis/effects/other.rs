//! Indexes, views, sequences, types, schemas, extensions, functions, drops, `SET
//! search_path`, and the tables and columns that `INSERT`, `UPDATE` and `DELETE` name.

use sqlparser::ast::{
    AlterIndexOperation, AlterTypeOperation, CreateIndex, FromTable, ObjectName, ObjectType,
    SchemaName, Set, Statement, TableFactor, TableObject, TableWithJoins,
    UserDefinedTypeRepresentation,
};

use super::table::index_columns;
use super::{Effects, Expect};
use crate::analysis::model::{Change, Object};
use crate::analysis::name::Qualified;
use crate::analysis::Dialect;

/// Handles the statements of this module; false when `ast` is not one.
pub(super) fn other_statement(effects: &mut Effects<'_>, ast: &Statement) -> bool {
    match ast {
        Statement::CreateIndex(index) => create_index(effects, index),
        Statement::Drop {
            object_type,
            if_exists,
            names,
            cascade,
            table,
            temporary,
            ..
        } => {
            if !temporary {
                drop(effects, *object_type, *if_exists, names, table.as_ref());
                if *cascade {
                    // What depended on it is gone too: views of a table; of a type, schema
                    // or function, anything.
                    effects.change(match object_type {
                        ObjectType::Table | ObjectType::Index | ObjectType::View => {
                            Change::ViewsUnknown
                        }
                        _ => Change::Open,
                    });
                }
            }
        }
        Statement::CreateView(view) => {
            let Some(name) = effects.qualified(&view.name) else {
                return false;
            };
            if !view.or_replace && !view.if_not_exists && !view.or_alter {
                let at = Effects::last_ident(&view.name);
                effects.need(Object::Relation(name.clone()), Expect::Absent, at);
            }
            effects.change(Change::CreateView(name));
        }
        Statement::CreateSequence {
            name,
            if_not_exists,
            temporary,
            ..
        } => {
            let Some(qualified) = effects.qualified(name) else {
                return false;
            };
            if *temporary {
                return true;
            }
            if !if_not_exists {
                let at = Effects::last_ident(name);
                effects.need(Object::Relation(qualified.clone()), Expect::Absent, at);
            }
            effects.change(Change::CreateSequence(qualified));
        }
        Statement::AlterIndex { name, operation } => {
            let AlterIndexOperation::RenameIndex { index_name } = operation;
            let (Some(from), Some(to)) = (effects.qualified(name), effects.qualified(index_name))
            else {
                return false;
            };
            effects.need(
                Object::Index(from.clone()),
                Expect::Present,
                Effects::last_ident(name),
            );
            effects.need(
                Object::Relation(Qualified {
                    schema: from.schema.clone(),
                    name: to.name.clone(),
                }),
                Expect::Absent,
                Effects::last_ident(index_name),
            );
            effects.change(Change::RenameRelation { from, to });
        }
        Statement::CreateType {
            name,
            representation,
        } => {
            let Some(qualified) = effects.qualified(name) else {
                return false;
            };
            let at = Effects::last_ident(name);
            effects.need(Object::Type(qualified.clone()), Expect::Absent, at);
            let values = match representation {
                Some(UserDefinedTypeRepresentation::Enum { labels }) => {
                    Some(labels.iter().map(|label| label.value.clone()).collect())
                }
                _ => None,
            };
            effects.change(Change::CreateType {
                name: qualified,
                values,
            });
        }
        Statement::AlterType(alter) => {
            let Some(name) = effects.qualified(&alter.name) else {
                return false;
            };
            let at = Effects::last_ident(&alter.name);
            effects.need(Object::Type(name.clone()), Expect::Present, at);
            match &alter.operation {
                AlterTypeOperation::AddValue(add) => {
                    if !add.if_not_exists {
                        effects.need(
                            Object::EnumValue(name.clone(), add.value.value.clone()),
                            Expect::Absent,
                            Some(&add.value),
                        );
                    }
                    effects.change(Change::AddEnumValue {
                        name,
                        value: add.value.value.clone(),
                    });
                }
                _ => effects.change(Change::Taint(alter.name.to_string())),
            }
        }
        Statement::CreateSchema {
            schema_name,
            if_not_exists,
            ..
        } => {
            let (SchemaName::Simple(name) | SchemaName::NamedAuthorization(name, _)) = schema_name
            else {
                return false;
            };
            let Some(Qualified { schema: None, name }) = effects.qualified(name) else {
                return false;
            };
            if !if_not_exists {
                effects.need(Object::Schema(name.clone()), Expect::Absent, None);
            }
            effects.change(Change::CreateSchema(name));
        }
        Statement::CreateExtension(extension) => {
            let schema = extension.schema.as_ref().map(|s| effects.name(s));
            effects.change(Change::CreateExtension(schema));
        }
        Statement::CreateFunction(function) => {
            let Some(name) = effects.qualified(&function.name) else {
                return false;
            };
            effects.change(Change::CreateFunction {
                name,
                body: ast.to_string(),
            });
        }
        Statement::DropFunction(drop) => {
            for function in &drop.func_desc {
                let Some(name) = effects.qualified(&function.name) else {
                    continue;
                };
                if !drop.if_exists {
                    let at = Effects::last_ident(&function.name);
                    effects.need(Object::Function(name.clone()), Expect::Present, at);
                }
                effects.change(Change::DropFunction(name));
            }
        }
        Statement::Set(Set::SingleAssignment { variable, .. })
            if variable.to_string().eq_ignore_ascii_case("search_path") =>
        {
            effects.change(Change::SearchPath);
        }
        Statement::Insert(insert) => {
            let TableObject::TableName(name) = &insert.table else {
                return true;
            };
            let Some(table) = effects.qualified(name) else {
                return true;
            };
            effects.need(
                Object::Table(table.clone()),
                Expect::Present,
                Effects::last_ident(name),
            );
            for column in &insert.columns {
                if let [part] = column.0.as_slice() {
                    if let Some(ident) = part.as_ident() {
                        let object = Object::Column(table.clone(), effects.name(ident));
                        effects.need(object, Expect::Present, Some(ident));
                    }
                }
            }
        }
        Statement::Update(update) => {
            let Some((table, name)) = single_table(effects, &update.table) else {
                return true;
            };
            effects.need(
                Object::Table(table.clone()),
                Expect::Present,
                Effects::last_ident(name),
            );
            for assignment in &update.assignments {
                if let sqlparser::ast::AssignmentTarget::ColumnName(column) = &assignment.target {
                    if let [part] = column.0.as_slice() {
                        if let Some(ident) = part.as_ident() {
                            let object = Object::Column(table.clone(), effects.name(ident));
                            effects.need(object, Expect::Present, Some(ident));
                        }
                    }
                }
            }
        }
        Statement::Delete(delete) => {
            let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) = &delete.from;
            if let ([only], true) = (from.as_slice(), delete.tables.is_empty()) {
                if let Some((table, name)) = single_table(effects, only) {
                    let at = Effects::last_ident(name);
                    effects.need(Object::Table(table), Expect::Present, at);
                }
            }
        }
        _ => return false,
    }
    true
}

/// The table of `UPDATE t …` / `DELETE FROM t …` without joins.
fn single_table<'a>(
    effects: &Effects<'_>,
    table: &'a TableWithJoins,
) -> Option<(Qualified, &'a ObjectName)> {
    if !table.joins.is_empty() {
        return None;
    }
    match &table.relation {
        TableFactor::Table {
            name, args: None, ..
        } => effects.qualified(name).map(|q| (q, name)),
        _ => None,
    }
}

fn create_index(effects: &mut Effects<'_>, index: &CreateIndex) {
    let Some(table) = effects.qualified(&index.table_name) else {
        return;
    };
    effects.need(
        Object::Table(table.clone()),
        Expect::Present,
        Effects::last_ident(&index.table_name),
    );
    let plain = index_columns(&index.columns);
    for ident in &plain {
        let object = Object::Column(table.clone(), effects.name(ident));
        effects.need(object, Expect::Present, Some(ident));
    }
    let columns = (plain.len() == index.columns.len())
        .then(|| plain.iter().map(|ident| effects.name(ident)).collect());
    let name = index.name.as_ref().and_then(|name| effects.qualified(name));
    if effects.dialect == Dialect::MySql {
        if let Some(name) = name {
            if !index.if_not_exists {
                let at = index.name.as_ref().and_then(Effects::last_ident);
                let object = Object::TableIndex(table.clone(), name.name.clone());
                effects.need(object, Expect::Absent, at);
            }
            effects.change(Change::AddTableIndex {
                table,
                index: name.name,
            });
        }
        return;
    }
    // An index lives in its table's schema.
    let name = name.map(|name| Qualified {
        schema: name.schema.or_else(|| table.schema.clone()),
        name: name.name,
    });
    if let Some(name) = &name {
        if !index.if_not_exists {
            let at = index.name.as_ref().and_then(Effects::last_ident);
            effects.need(Object::Relation(name.clone()), Expect::Absent, at);
        }
    }
    effects.change(Change::CreateIndex {
        name,
        table,
        columns,
    });
}

fn drop(
    effects: &mut Effects<'_>,
    object_type: ObjectType,
    if_exists: bool,
    names: &[ObjectName],
    table: Option<&ObjectName>,
) {
    for name in names {
        let Some(qualified) = effects.qualified(name) else {
            effects.change(Change::Taint(name.to_string()));
            continue;
        };
        let at = Effects::last_ident(name);
        let object = match object_type {
            ObjectType::Table => Object::Table(qualified.clone()),
            ObjectType::View | ObjectType::MaterializedView => Object::Relation(qualified.clone()),
            ObjectType::Index => match table.and_then(|t| effects.qualified(t)) {
                Some(table) => {
                    let index = qualified.name.clone();
                    effects.change(Change::DropTableIndex { table, index });
                    continue;
                }
                None => Object::Index(qualified.clone()),
            },
            ObjectType::Sequence => Object::Relation(qualified.clone()),
            ObjectType::Type => {
                if !if_exists {
                    effects.need(Object::Type(qualified.clone()), Expect::Present, at);
                }
                effects.change(Change::DropType(qualified));
                continue;
            }
            ObjectType::Schema => {
                effects.change(Change::DropSchema(qualified.name));
                continue;
            }
            _ => {
                effects.change(Change::Taint(name.to_string()));
                continue;
            }
        };
        if !if_exists {
            effects.need(object, Expect::Present, at);
        }
        effects.change(Change::DropRelation(qualified));
    }
}
