//! PostgreSQL: where a `;` does not end a statement. Inside parentheses (as psql does, for
//! multi-action `CREATE RULE ... DO (...; ...)`), and in the `BEGIN ATOMIC ... END` body of a
//! `CREATE [OR REPLACE] {FUNCTION | PROCEDURE}`, with psql's heuristic.

use super::lexer::Kind;

/// How far the statement's first words go towards `CREATE [OR REPLACE] {FUNCTION |
/// PROCEDURE}`. psql records the first letters of the first four words; this is the same
/// decision, one word at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Header {
    /// No word yet.
    Start,
    /// `CREATE`.
    Create,
    /// `CREATE OR`.
    CreateOr,
    /// `CREATE OR REPLACE`.
    CreateOrReplace,
    /// A function or procedure: `BEGIN`, `CASE` and `END` outside parentheses open and close
    /// blocks; `blocks` are open.
    Routine { blocks: usize },
    /// Anything else: only parentheses matter.
    Other,
}

/// Per-statement state of a PostgreSQL statement.
#[derive(Debug)]
pub(super) struct Tracker {
    header: Header,
    /// Parenthesis depth.
    parens: usize,
}

impl Tracker {
    pub(super) fn new() -> Tracker {
        Tracker {
            header: Header::Start,
            parens: 0,
        }
    }

    /// Whether a `;` here is part of the statement rather than its end.
    pub(super) fn holds_semicolon(&self) -> bool {
        self.parens > 0 || matches!(self.header, Header::Routine { blocks } if blocks > 0)
    }

    /// Feeds one significant token (`text` is its source).
    pub(super) fn token(&mut self, kind: Kind, text: &str) {
        match kind {
            Kind::Punct(b'(') => self.parens += 1,
            Kind::Punct(b')') => self.parens = self.parens.saturating_sub(1),
            Kind::Word => self.word(text),
            _ => {}
        }
    }

    fn word(&mut self, text: &str) {
        let is = |keyword: &str| text.eq_ignore_ascii_case(keyword);
        self.header = match self.header {
            Header::Start if is("create") => Header::Create,
            Header::Create if is("function") || is("procedure") => Header::Routine { blocks: 0 },
            Header::Create if is("or") => Header::CreateOr,
            Header::CreateOr if is("replace") => Header::CreateOrReplace,
            Header::CreateOrReplace if is("function") || is("procedure") => {
                Header::Routine { blocks: 0 }
            }
            Header::Routine { blocks } if self.parens == 0 => {
                let blocks = if is("begin") {
                    blocks + 1
                } else if is("case") {
                    // A `CASE` opens a block only inside one.
                    if blocks >= 1 {
                        blocks + 1
                    } else {
                        blocks
                    }
                } else if is("end") {
                    blocks.saturating_sub(1)
                } else {
                    blocks
                };
                Header::Routine { blocks }
            }
            Header::Routine { blocks } => Header::Routine { blocks },
            Header::Start | Header::Create | Header::CreateOr | Header::CreateOrReplace => {
                Header::Other
            }
            Header::Other => Header::Other,
        };
    }
}
