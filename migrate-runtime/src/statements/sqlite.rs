//! SQLite: where a `;` does not end a statement. Only in the body of `CREATE [TEMP | TEMPORARY]
//! TRIGGER ... BEGIN ... END`, which, as in SQLite's own `sqlite3_complete`, ends only at an
//! `END` that directly follows a `;` (or the `BEGIN`) and is itself followed by `;`.

use super::lexer::Kind;

/// Where a SQLite statement stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// No token yet.
    Start,
    /// `CREATE`.
    Create,
    /// `CREATE TEMP` or `CREATE TEMPORARY`.
    CreateTemp,
    /// A trigger's header, before its `BEGIN`.
    TriggerHeader,
    /// A trigger's body.
    TriggerBody(Body),
    /// Any other statement: every `;` ends it.
    Other,
}

/// Where a trigger body stands, as in `sqlite3_complete`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Body {
    /// Inside the body.
    Inside,
    /// Just after a `;` (or `BEGIN`) of the body.
    AfterSemicolon,
    /// After `; END`: the next `;` ends the statement.
    AfterEnd,
}

/// Per-statement state of a SQLite statement.
#[derive(Debug)]
pub(super) struct Tracker {
    state: State,
}

impl Tracker {
    pub(super) fn new() -> Tracker {
        Tracker {
            state: State::Start,
        }
    }

    /// Whether a `;` here is part of the statement rather than its end.
    pub(super) fn holds_semicolon(&self) -> bool {
        matches!(
            self.state,
            State::TriggerBody(Body::Inside | Body::AfterSemicolon)
        )
    }

    /// Feeds one significant token (`text` is its source).
    pub(super) fn token(&mut self, kind: Kind, text: &str) {
        let is = |keyword: &str| kind == Kind::Word && text.eq_ignore_ascii_case(keyword);
        self.state = match self.state {
            State::Start if is("CREATE") => State::Create,
            State::Create if is("TEMP") || is("TEMPORARY") => State::CreateTemp,
            State::Create | State::CreateTemp if is("TRIGGER") => State::TriggerHeader,
            State::Start | State::Create | State::CreateTemp => State::Other,
            State::TriggerHeader if is("BEGIN") => State::TriggerBody(Body::AfterSemicolon),
            State::TriggerHeader => State::TriggerHeader,
            State::TriggerBody(body) => State::TriggerBody(match (body, kind) {
                (_, Kind::Punct(b';')) => Body::AfterSemicolon,
                (Body::AfterSemicolon, _) if is("END") => Body::AfterEnd,
                _ => Body::Inside,
            }),
            State::Other => State::Other,
        };
    }
}
