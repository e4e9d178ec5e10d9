//! What a statement does to the schema, in order: what it needs to exist or to be absent
//! (checked against the model as it is at that point) and how it changes the model.
//!
//! The effects of one statement come in the order the database sees them, so that
//! `ALTER TABLE t ADD COLUMN a …, ADD CONSTRAINT … (a)` needs `a` after adding it.

mod other;
mod table;

use sqlparser::ast::{Ident, ObjectName, Statement};

use super::model::{Change, Model, Object};
use super::name::{Name, Qualified};
use super::parse::Parsed;
use super::Dialect;

/// One effect of a statement.
#[derive(Debug)]
pub(crate) enum Effect {
    /// The statement fails unless the object exists (`Expect::Present`) or does not
    /// (`Expect::Absent`).
    Need(Need),
    /// The statement changes the model.
    Change(Change),
}

/// Something a statement needs.
#[derive(Debug)]
pub(crate) struct Need {
    pub object: Object,
    pub expect: Expect,
    /// The identifier the need is about: its place in the statement, for the message.
    pub at: Option<Ident>,
}

/// Whether an object must exist or must not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expect {
    Present,
    Absent,
}

/// Collects the effects of one statement.
pub(crate) struct Effects<'m> {
    pub dialect: Dialect,
    pub model: &'m Model,
    pub list: Vec<Effect>,
}

impl Effects<'_> {
    fn need(&mut self, object: Object, expect: Expect, at: Option<&Ident>) {
        self.list.push(Effect::Need(Need {
            object,
            expect,
            at: at.cloned(),
        }));
    }

    fn change(&mut self, change: Change) {
        self.list.push(Effect::Change(change));
    }

    fn name(&self, ident: &Ident) -> Name {
        Name::of(ident, self.dialect)
    }

    /// A two-part name, or `None` (the statement is then treated as opaque).
    fn qualified(&self, name: &ObjectName) -> Option<Qualified> {
        Qualified::of(name, self.dialect)
    }

    /// The last identifier of a name, for positions.
    fn last_ident(name: &ObjectName) -> Option<&Ident> {
        name.0.last().and_then(|part| part.as_ident())
    }
}

/// The effects of `statement` on `model`, in order.
pub(crate) fn effects(statement: &Parsed<'_>, model: &Model) -> Vec<Effect> {
    let mut effects = Effects {
        dialect: model.dialect(),
        model,
        list: Vec::new(),
    };
    match &statement.ast {
        None => opaque(&mut effects, statement.text),
        Some(ast) => {
            calls(&mut effects, ast, statement.text);
            if !table::table_statement(&mut effects, ast)
                && !other::other_statement(&mut effects, ast)
                && !has_no_schema_effect(ast)
            {
                // Parsed, but the model does not follow it: what it names is unknown.
                effects.change(Change::Taint(statement.text.to_owned()));
            }
        }
    }
    effects.list
}

/// A statement the parser rejected: everything it names may have changed; dynamic SQL may
/// have changed anything. Except what, by its first words, changes no table: a comment, a
/// grant, a trigger, and a function, whose body runs only when it is called (it is kept for
/// that).
fn opaque(effects: &mut Effects<'_>, text: &str) {
    match harmless(text) {
        Some(Harmless::Function(name)) => {
            if let Some(name) = effects.qualified(&name) {
                effects.change(Change::CreateFunction {
                    name,
                    body: text.to_owned(),
                });
                return;
            }
        }
        Some(Harmless::NoEffect) => return,
        None => {}
    }
    let dynamic = super::model::words(text).iter().any(|w| w == "execute");
    effects.change(Change::Taint(text.to_owned()));
    if dynamic {
        effects.change(Change::Open);
    }
}

/// What an opaque statement is, when its first words tell that it changes no table.
enum Harmless {
    /// `CREATE [OR REPLACE] FUNCTION|PROCEDURE <name>`.
    Function(ObjectName),
    /// `COMMENT ON`, `GRANT`, `REVOKE`, `CREATE [OR REPLACE] TRIGGER`.
    NoEffect,
}

fn harmless(text: &str) -> Option<Harmless> {
    let mut words = text.split_whitespace();
    let first = words.next()?.to_ascii_uppercase();
    match first.as_str() {
        "GRANT" | "REVOKE" => return Some(Harmless::NoEffect),
        "COMMENT" => {
            return words
                .next()
                .filter(|w| w.eq_ignore_ascii_case("ON"))
                .map(|_| Harmless::NoEffect)
        }
        "CREATE" => {}
        _ => return None,
    }
    let mut kind = words.next()?.to_ascii_uppercase();
    if kind == "OR" {
        words.next().filter(|w| w.eq_ignore_ascii_case("REPLACE"))?;
        kind = words.next()?.to_ascii_uppercase();
    }
    match kind.as_str() {
        "TRIGGER" => Some(Harmless::NoEffect),
        "FUNCTION" | "PROCEDURE" => {
            let rest = words.next()?;
            let name = rest.split('(').next().filter(|n| !n.is_empty())?;
            let parts: Vec<Ident> = name
                .split('.')
                .map(
                    |part| match part.strip_prefix('"').and_then(|p| p.strip_suffix('"')) {
                        Some(quoted) => Ident::with_quote('"', quoted),
                        None => Ident::new(part),
                    },
                )
                .collect();
            Some(Harmless::Function(ObjectName::from(parts)))
        }
        _ => None,
    }
}

/// A statement that calls a function the migrations created runs its body: what the body
/// names may have changed.
fn calls(effects: &mut Effects<'_>, ast: &Statement, text: &str) {
    if !effects.model.has_functions()
        || matches!(
            ast,
            Statement::CreateFunction(_) | Statement::CreateTrigger(_) | Statement::DropFunction(_)
        )
    {
        return;
    }
    let mut changes = Vec::new();
    for word in super::model::words(text) {
        if let Some(function) = effects.model.function_named(&word) {
            changes.push(Change::Taint(function.body_words.join(" ")));
            if function.dynamic {
                changes.push(Change::Open);
            }
        }
    }
    for change in changes {
        effects.change(change);
    }
}

/// Statements that change nothing the model follows.
fn has_no_schema_effect(ast: &Statement) -> bool {
    matches!(
        ast,
        Statement::Query(_)
            | Statement::Insert(_)
            | Statement::Update(_)
            | Statement::Delete(_)
            | Statement::Merge(_)
            | Statement::Comment { .. }
            | Statement::Grant(_)
            | Statement::Revoke(_)
            | Statement::CreateTrigger(_)
            | Statement::DropTrigger(_)
            | Statement::CreatePolicy(_)
            | Statement::DropPolicy(_)
            | Statement::CreateRole(_)
            | Statement::AlterRole { .. }
            | Statement::Analyze(_)
            | Statement::Vacuum(_)
            | Statement::Truncate(_)
            | Statement::StartTransaction { .. }
            | Statement::Commit { .. }
            | Statement::Rollback { .. }
            | Statement::Savepoint { .. }
            | Statement::ReleaseSavepoint { .. }
            | Statement::Set(_)
            | Statement::Call(_)
            | Statement::CreateExtension(_)
            | Statement::DropExtension(_)
    )
}
