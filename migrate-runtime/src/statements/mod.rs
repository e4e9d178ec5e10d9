//! Splits a migration file into the statements it contains, so that they can be sent to the
//! server one at a time.
//!
//! MySQL and MariaDB commit DDL implicitly, so a migration that fails part-way cannot be rolled
//! back: the runtime records progress per statement instead. PostgreSQL files that run outside a
//! transaction must also be sent one statement at a time, since a multi-statement simple query
//! is an implicit transaction block (and `CREATE INDEX CONCURRENTLY` refuses to run in one).
//!
//! [`split`] is a lexer, not a parser: it knows exactly where literals and comments begin and
//! end, and tracks just enough of the keywords to find the end of compound statements.
//!
//! # Where a statement ends
//!
//! A statement ends at a `;` (or, in MySQL, the current client-side delimiter, see below) that
//! is not inside any of the following. The end of the input also ends the last statement, which
//! therefore needs no `;`.
//!
//! | construct | PostgreSQL | MySQL / MariaDB | SQLite |
//! | --- | --- | --- | --- |
//! | `'...'` string | `''` escapes a quote; a backslash is an ordinary character | `''` and backslash escapes (`\'`, `\\`) | `''` escapes a quote |
//! | `E'...'` string | backslash escapes (`E'\\x00'`, `E'it\'s'`) and `''` | - | - |
//! | `"..."` | identifier, `""` escapes | string, like `'...'` | identifier, `""` escapes |
//! | `` `...` `` | - | identifier, a doubled backtick escapes | identifier, a doubled backtick escapes |
//! | `[...]` | - | - | identifier |
//! | `$tag$...$tag$` | dollar quoting (`$$`, `$func$`, `$BODY$`; `$1` is a parameter) | - | - |
//! | `-- ...` to end of line | yes | only when `--` is followed by whitespace, a control character or the end of the input | yes |
//! | `# ...` to end of line | - | yes | - |
//! | `/* ... */` | yes, nested | yes, not nested (`/*!...*/` and `/*+...*/` are SQL, not comments) | yes, not nested |
//! | `( ... )` | yes, as psql does (multi-action `CREATE RULE ... DO (...; ...)`) | - | - |
//!
//! A string, identifier, dollar quote or comment that is never closed runs to the end of the
//! input, which then all belongs to the current statement.
//!
//! ## Compound statements
//!
//! Semicolons inside the body of a routine do not end it:
//!
//! - **PostgreSQL**: `CREATE [OR REPLACE] {FUNCTION | PROCEDURE} ... BEGIN ATOMIC ... END`,
//!   with the same heuristic as psql: in such a statement `BEGIN` opens a block, `CASE` opens one
//!   inside a block, and `END` closes one, all outside parentheses. Bodies in dollar quotes need
//!   nothing special.
//! - **MySQL / MariaDB**: the `BEGIN ... END` body of `CREATE ... {PROCEDURE | FUNCTION | TRIGGER
//!   | EVENT}` (also after `DEFINER = ...`, `OR REPLACE`, `AGGREGATE`), with nested `BEGIN ...
//!   END`, `IF ... END IF`, `LOOP ... END LOOP`, `WHILE ... END WHILE`, `REPEAT ... END REPEAT`,
//!   `CASE ... END CASE` statements, `CASE ... END` expressions and labels (`l1: LOOP`). A body
//!   that is one simple statement ends at its `;`. A body that is a single `IF` or `REPEAT`
//!   statement without `BEGIN` is recognized after `FOR EACH ROW [{FOLLOWS | PRECEDES} name]`
//!   of a trigger, after `DO` of an event, after a label, and right after a `)` that closes a
//!   routine's parameter list or parenthesized return type (so not in
//!   `RETURNS INT IF ...`: write `BEGIN ... END` there); `LOOP`, `WHILE` and `CASE` bodies
//!   are recognized anywhere. MariaDB's compound statements outside routines
//!   (`BEGIN NOT ATOMIC ... END`, and `IF`, `CASE`, `LOOP`, `WHILE`, `REPEAT` at the start of a
//!   statement) are handled the same way.
//! - **SQLite**: `CREATE [TEMP | TEMPORARY] TRIGGER ... BEGIN ... END`. As in SQLite's own
//!   `sqlite3_complete`, once the body has begun the statement ends only at an `END` that
//!   directly follows a `;` (or the `BEGIN`) and is itself followed by `;`; so `CASE ... END`
//!   expressions in the body are harmless.
//!
//! A plain `BEGIN;`, `BEGIN WORK;`, `START TRANSACTION;` or `END;` is an ordinary statement.
//!
//! ## MySQL `DELIMITER`
//!
//! As in the `mysql` command-line client, a line `DELIMITER <string>` (the word in any case,
//! then spaces or tabs, then the new delimiter up to the next whitespace; the rest of the line is
//! ignored) at the start of a statement changes the delimiter, until the next such line
//! (usually `DELIMITER ;`). The directive is not a statement. (The client also accepts it in the
//! middle of an unterminated statement, which it then sends; here it is then part of that
//! statement.) While the delimiter is not `;`,
//! statements end only at the delimiter, wherever it occurs outside literals and comments (the
//! client compares it byte for byte, so `END$$` ends at `$$`).
//!
//! # What a statement is
//!
//! Each [`Statement::sql`] is a sub-slice of the input: from the first character of the
//! statement that is neither whitespace nor part of a comment before it, to just before its
//! delimiter, with trailing whitespace trimmed (comments inside or after the statement's last
//! token, before the delimiter, are kept). Segments that contain only whitespace and comments
//! (including empty ones, as in `;;`) produce no statement. Lines are counted at `\n`;
//! columns count chars, both from 1.
//!
//! # Assumptions
//!
//! PostgreSQL: `standard_conforming_strings = on` (the default since 9.1). MySQL: neither
//! `NO_BACKSLASH_ESCAPES` nor `ANSI_QUOTES` (with the latter, `"..."` would be an identifier
//! without backslash escapes).
//!
//! ```
//! use migrate_runtime::statements::{split, Dialect};
//!
//! let sql = "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n\
//!            -- a comment; not a statement\n\
//!            SELECT f()";
//! let statements = split(sql, Dialect::Postgres);
//! assert_eq!(statements.len(), 2);
//! assert_eq!(statements[1].sql, "SELECT f()");
//! assert_eq!((statements[1].line, statements[1].column), (3, 1));
//! ```

/// The SQL dialect whose lexical rules [`split`] follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Dialect {
    /// PostgreSQL.
    Postgres,
    /// MySQL and MariaDB.
    MySql,
    /// SQLite.
    Sqlite,
}

/// One statement of a migration file, as found by [`split`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Statement<'a> {
    /// The statement: from its first character that is not whitespace or part of a leading comment,
    /// to just before its terminating delimiter, trailing whitespace trimmed. A sub-slice of the input.
    pub sql: &'a str,
    /// Byte offset of `sql` in the input.
    pub offset: usize,
    /// 1-based line where `sql` starts in the input (lines end at `\n`).
    pub line: usize,
    /// 1-based column (counted in chars) where `sql` starts in the input.
    pub column: usize,
}

// The splitter is a driver loop (here) over a lexer shared by every dialect (`lexer`, whose
// dialect differences are a table of rules), and per-dialect trackers that decide whether a
// `;` ends the statement (`postgres`, `mysql`, `sqlite`).
mod kind;
mod lexer;
mod mysql;
mod postgres;
mod sqlite;
#[cfg(test)]
mod tests;

pub(crate) use kind::{ends_transaction, kind, StatementKind};
use lexer::{Kind, Lexer, Rules};

/// Splits a migration file into statements. Never panics, for any input.
///
/// The rules are described in the [module documentation](self).
pub fn split(sql: &str, dialect: Dialect) -> Vec<Statement<'_>> {
    Splitter {
        src: sql,
        dialect,
        pos: 0,
        delimiter: ";",
        start: None,
        tracker: Tracker::new(dialect),
        cursor: Cursor {
            offset: 0,
            line: 1,
            column: 1,
        },
        out: Vec::new(),
    }
    .run()
}

/// The compound-statement state of the current statement, in its dialect.
enum Tracker {
    Postgres(postgres::Tracker),
    MySql(mysql::Tracker),
    Sqlite(sqlite::Tracker),
}

impl Tracker {
    fn new(dialect: Dialect) -> Tracker {
        match dialect {
            Dialect::Postgres => Tracker::Postgres(postgres::Tracker::new()),
            Dialect::MySql => Tracker::MySql(mysql::Tracker::new()),
            Dialect::Sqlite => Tracker::Sqlite(sqlite::Tracker::new()),
        }
    }

    /// Whether a `;` here is part of the statement rather than its end.
    fn holds_semicolon(&self) -> bool {
        match self {
            Tracker::Postgres(tracker) => tracker.holds_semicolon(),
            Tracker::MySql(tracker) => tracker.holds_semicolon(),
            Tracker::Sqlite(tracker) => tracker.holds_semicolon(),
        }
    }

    /// Feeds one significant token: `text` is its source, `next_byte` the byte after it.
    fn token(&mut self, kind: Kind, text: &str, next_byte: Option<u8>) {
        match self {
            Tracker::Postgres(tracker) => tracker.token(kind, text),
            Tracker::MySql(tracker) => tracker.token(kind, text, next_byte),
            Tracker::Sqlite(tracker) => tracker.token(kind, text),
        }
    }
}

/// A position whose line and column are known.
struct Cursor {
    offset: usize,
    line: usize,
    column: usize,
}

struct Splitter<'a> {
    src: &'a str,
    dialect: Dialect,
    pos: usize,
    /// The current delimiter (MySQL `DELIMITER` changes it).
    delimiter: &'a str,
    /// Where the current statement starts, once a significant token has been read.
    start: Option<usize>,
    tracker: Tracker,
    /// The last position whose line and column were asked for.
    cursor: Cursor,
    out: Vec<Statement<'a>>,
}

impl<'a> Splitter<'a> {
    fn run(mut self) -> Vec<Statement<'a>> {
        while self.pos < self.src.len() {
            if self.at_delimiter() {
                self.finish(self.pos);
                self.tracker = Tracker::new(self.dialect);
                self.pos += self.delimiter.len();
            } else {
                self.next_token();
            }
        }
        self.finish(self.src.len());
        self.out
    }

    /// Whether the current statement ends at `pos`.
    fn at_delimiter(&self) -> bool {
        self.src
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(self.delimiter))
            && !(self.delimiter == ";" && self.tracker.holds_semicolon())
    }

    /// Reads the token at `pos` (or a `DELIMITER` directive) and feeds it to the tracker.
    fn next_token(&mut self) {
        let custom_delimiter = (self.delimiter != ";").then_some(self.delimiter);
        let token =
            Lexer::new(self.src, Rules::of(self.dialect), custom_delimiter).token_at(self.pos);
        self.pos = token.end;
        if matches!(token.kind, Kind::Space | Kind::Comment) {
            return;
        }
        let text = self.src.get(token.start..token.end).unwrap_or("");
        if self.start.is_none() {
            if self.dialect == Dialect::MySql
                && token.kind == Kind::Word
                && text.eq_ignore_ascii_case("DELIMITER")
            {
                if let Some((delimiter, line_end)) = self.delimiter_directive(token.end) {
                    self.delimiter = delimiter;
                    self.pos = line_end;
                    return;
                }
            }
            self.start = Some(token.start);
        }
        let next_byte = self.src.as_bytes().get(token.end).copied();
        self.tracker.token(token.kind, text, next_byte);
    }

    /// The argument of a `DELIMITER` directive whose keyword ends at `from`, and where the
    /// directive's line ends (after its newline).
    fn delimiter_directive(&self, from: usize) -> Option<(&'a str, usize)> {
        let rest = self.src.get(from..)?;
        let args = rest.trim_start_matches([' ', '\t']);
        if args.len() == rest.len() {
            return None;
        }
        let arg_start = from + (rest.len() - args.len());
        let arg_len = args.find(char::is_whitespace).unwrap_or(args.len());
        if arg_len == 0 {
            return None;
        }
        let line_end = match args.find('\n') {
            Some(i) => arg_start + i + 1,
            None => self.src.len(),
        };
        Some((&args[..arg_len], line_end))
    }

    /// Ends the current statement just before `end`.
    fn finish(&mut self, end: usize) {
        let Some(start) = self.start.take() else {
            return;
        };
        let sql = self.src.get(start..end).unwrap_or("").trim_end();
        if sql.is_empty() {
            return;
        }
        let (line, column) = self.line_column(start);
        self.out.push(Statement {
            sql,
            offset: start,
            line,
            column,
        });
    }

    /// Line and column of `offset`, which is never before the previous one asked for.
    fn line_column(&mut self, offset: usize) -> (usize, usize) {
        let Cursor {
            mut line,
            mut column,
            ..
        } = self.cursor;
        for c in self
            .src
            .get(self.cursor.offset..offset)
            .unwrap_or("")
            .chars()
        {
            if c == '\n' {
                line += 1;
                column = 1;
            } else {
                column += 1;
            }
        }
        self.cursor = Cursor {
            offset,
            line,
            column,
        };
        (line, column)
    }
}
