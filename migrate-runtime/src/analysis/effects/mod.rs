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
/// have changed anything.
fn opaque(effects: &mut Effects<'_>, text: &str) {
    let dynamic = super::model::words(text).iter().any(|w| w == "execute");
    effects.change(Change::Taint(text.to_owned()));
    if dynamic {
        effects.change(Change::Open);
    }
}

/// A statement that calls a function the migrations created runs its body: what the body
/// names may have changed.
fn calls(effects: &mut Effects<'_>, ast: &Statement, text: &str) {
    if matches!(
        ast,
        Statement::CreateFunction(_) | Statement::CreateTrigger(_) | Statement::DropFunction(_)
    ) {
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
