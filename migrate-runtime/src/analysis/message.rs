//! The words of a certain error: what is wrong and the fix, naming the object.

use super::model::{Model, Object};
use super::Problem;

/// A statement needs `object`, which certainly does not exist.
pub(crate) fn missing(model: &Model, object: &Object) -> (Problem, String, String) {
    let (message, fix) = match object {
        Object::Table(name) => (
            format!("table `{name}` does not exist at this point: no earlier migration creates it, or one drops or renames it"),
            format!("create `{name}` in an earlier migration, or correct the name"),
        ),
        Object::Relation(name) => (
            format!("`{name}` does not exist at this point: no earlier migration creates a view, sequence or table of that name, or one drops or renames it"),
            format!("correct the name, or write `IF EXISTS` if `{name}` may be absent"),
        ),
        Object::Column(table, column) => {
            let known = model.columns_of(table);
            let listed = if known.is_empty() {
                String::new()
            } else {
                format!("; `{table}` has {}", known.join(", "))
            };
            (
                format!("column `{table}.{column}` does not exist at this point: no earlier migration adds it, or one drops or renames it"),
                format!("add it first (`ALTER TABLE {table} ADD COLUMN {column} …`), or correct the name{listed}"),
            )
        }
        Object::Index(name) => (
            format!("index `{name}` does not exist at this point: no earlier migration creates it, or one drops or renames it"),
            format!("correct the name, or write `IF EXISTS` if `{name}` may be absent"),
        ),
        Object::TableIndex(table, index) => (
            format!("index `{index}` of `{table}` does not exist at this point"),
            "correct the name".to_owned(),
        ),
        Object::Type(name) => (
            format!("type `{name}` does not exist at this point: no earlier migration creates it, or one drops it"),
            format!("create `{name}` in an earlier migration, or correct the name"),
        ),
        Object::EnumValue(name, value) => (
            format!("enum `{name}` has no value '{value}' at this point"),
            "correct the value".to_owned(),
        ),
        Object::Schema(name) => (
            format!("schema `{name}` does not exist at this point"),
            format!("create `{name}` first, or correct the name"),
        ),
        Object::Function(name) => (
            format!("function `{name}` does not exist at this point: no earlier migration creates it, or one drops it"),
            format!("correct the name, or write `DROP FUNCTION IF EXISTS` if `{name}` may be absent"),
        ),
    };
    (Problem::Missing, message, fix)
}

/// A statement creates `object`, which certainly exists already.
pub(crate) fn already_exists(object: &Object) -> (Problem, String, String) {
    let (what, fix) = match object {
        Object::Table(name) | Object::Relation(name) => (
            format!("`{name}` already exists at this point: an earlier statement creates a table, view, index or sequence of that name"),
            "remove one of the two definitions (two branches that both add it?), or rename one; write `IF NOT EXISTS` only if both must stay".to_owned(),
        ),
        Object::Column(table, column) => (
            format!("column `{table}.{column}` already exists at this point: an earlier statement adds it"),
            "remove the duplicate, or rename one of the columns".to_owned(),
        ),
        Object::Index(name) => (
            format!("index `{name}` already exists at this point"),
            "rename one of the two indexes, or remove the duplicate".to_owned(),
        ),
        Object::TableIndex(table, index) => (
            format!("index `{index}` of `{table}` already exists at this point"),
            "rename one of the two indexes, or remove the duplicate".to_owned(),
        ),
        Object::Type(name) => (
            format!("type `{name}` already exists at this point: an earlier migration creates it"),
            "remove the duplicate, or rename one of the types".to_owned(),
        ),
        Object::EnumValue(name, value) => (
            format!("enum `{name}` already has the value '{value}'"),
            "remove this `ADD VALUE`, or write `ADD VALUE IF NOT EXISTS`".to_owned(),
        ),
        Object::Schema(name) => (
            format!("schema `{name}` already exists at this point: an earlier migration creates it"),
            "remove the duplicate, or write `CREATE SCHEMA IF NOT EXISTS`".to_owned(),
        ),
        Object::Function(name) => (
            format!("function `{name}` already exists at this point"),
            "write `CREATE OR REPLACE FUNCTION`".to_owned(),
        ),
    };
    (Problem::AlreadyExists, what, fix)
}
