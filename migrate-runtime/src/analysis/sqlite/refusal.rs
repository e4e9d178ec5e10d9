//! SQLite's error as a finding: at the token SQLite names (else at its statement), with the
//! statement, SQLite's message, and a fix for the pass that met it.

use super::connection::EngineError;
use crate::analysis::allow::allowed;
use crate::analysis::{File, Finding, Kind, Problem};
use crate::location::line_column;
use crate::statements::{split, Dialect};

/// What a file was run as, for the fix line.
#[derive(Clone, Copy)]
pub(super) enum Pass<'a> {
    /// An up (or simple) migration, after every earlier one.
    Up,
    /// A down script, right after its up.
    Down,
    /// An up applied again after its down script, whose name this is.
    Again(&'a str),
}

/// SQLite's refusal of a statement that the runtime will meet too.
#[derive(Debug, PartialEq)]
pub(super) struct Refusal {
    /// The finding.
    pub finding: Finding,
    /// Where the refused statement starts and ends in its file, as (line, column).
    pub statement: ((usize, usize), (usize, usize)),
}

/// The refusal of `error` in `file`, whose text is `sql`; `None` when a `-- migrate:allow
/// engine` comment before or in the statement allows it.
pub(super) fn refusal(
    file: &File<'_>,
    sql: &str,
    error: &EngineError,
    pass: Pass<'_>,
) -> Option<Refusal> {
    // SQLite began to read after the previous statement: the refused one is the first that
    // starts there. The comments before it are those since the previous one's text.
    let statements = split(sql, Dialect::Sqlite);
    let index = statements.iter().position(|s| s.offset >= error.start);
    let (start, text) = match index.map(|index| &statements[index]) {
        Some(statement) => (statement.offset, statement.sql),
        None => (error.start, sql.get(error.start..).unwrap_or_default()),
    };
    let end_of_previous = index
        .and_then(|index| index.checked_sub(1))
        .map_or(0, |previous| {
            statements[previous].offset + statements[previous].sql.len()
        });
    let before = sql.get(end_of_previous..start).unwrap_or_default();
    if allowed(before, text).allows(Kind::Error(Problem::Engine)) {
        return None;
    }
    let at = error
        .token
        .filter(|&token| token >= start && sql.is_char_boundary(token))
        .unwrap_or(start);
    let finding = Finding::new(
        Kind::Error(Problem::Engine),
        file.name,
        line_column(sql, at),
        text,
        error.message.clone(),
        fix(pass),
    );
    Some(Refusal {
        finding,
        statement: (
            line_column(sql, start),
            line_column(sql, start + text.len()),
        ),
    })
}

/// The fix line for a statement refused in `pass`.
fn fix(pass: Pass<'_>) -> String {
    match pass {
        Pass::Up => "correct the statement (SQLite refused it when the macro applied the \
                     migrations in order to an empty in-memory database)"
            .to_owned(),
        Pass::Down => "correct the down script so that it reverts its up (SQLite refused it when \
                       the macro ran it right after the up, on an empty in-memory database)"
            .to_owned(),
        Pass::Again(down) => format!(
            "make `{down}` revert everything its up does (SQLite refused this statement when the \
             macro applied the up again after that down script, on an empty in-memory database)"
        ),
    }
}
