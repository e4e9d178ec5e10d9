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

/// Splits a migration file into statements. Never panics, for any input.
///
/// The rules are described in the [module documentation](self).
pub fn split(sql: &str, dialect: Dialect) -> Vec<Statement<'_>> {
    Splitter {
        src: sql,
        dialect,
        pos: 0,
        delimiter: ";",
        cursor: (0, 1, 1),
        out: Vec::new(),
    }
    .run()
}

// ---------------------------------------------------------------------------------------------
// Lexer
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Whitespace.
    Space,
    /// A comment; not part of the statement's significant text.
    Comment,
    /// An unquoted identifier or keyword.
    Word,
    /// A string literal, quoted identifier, dollar-quoted string, parameter, number or a
    /// MySQL executable comment: significant, but never a keyword.
    Literal,
    /// One punctuation character (ASCII).
    Punct(u8),
}

#[derive(Clone, Copy, Debug)]
struct Token {
    kind: Kind,
    start: usize,
    end: usize,
}

/// The lexer: `next` reads one token at `pos`, which must be below `src.len()` and on a char
/// boundary; every token ends on a char boundary.
#[derive(Clone)]
struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    dialect: Dialect,
    /// The statement delimiter when it is not `;` (MySQL `DELIMITER`): words and numbers stop
    /// where it begins, as the mysql client looks for it at every character.
    custom_delimiter: Option<&'a str>,
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || (!c.is_ascii() && !c.is_whitespace())
}

impl<'a> Lexer<'a> {
    fn byte(&self, at: usize) -> Option<u8> {
        self.bytes.get(at).copied()
    }

    fn char_at(&self, at: usize) -> Option<char> {
        self.src.get(at..).and_then(|rest| rest.chars().next())
    }

    fn at_custom_delimiter(&self, at: usize) -> bool {
        self.custom_delimiter
            .is_some_and(|d| self.src.get(at..).is_some_and(|rest| rest.starts_with(d)))
    }

    fn is_ident_cont(&self, c: char) -> bool {
        c.is_ascii_alphanumeric()
            || c == '_'
            || (c == '$' && self.dialect != Dialect::Sqlite)
            || (!c.is_ascii() && !c.is_whitespace())
    }

    fn next(&mut self) -> Token {
        let start = self.pos;
        let kind = self.lex();
        // Every branch advances; guard anyway so that the splitter always makes progress.
        if self.pos <= start {
            self.pos = start + self.char_at(start).map_or(1, char::len_utf8);
        }
        self.pos = self.pos.min(self.src.len());
        Token {
            kind,
            start,
            end: self.pos,
        }
    }

    fn lex(&mut self) -> Kind {
        let start = self.pos;
        let Some(c) = self.char_at(start) else {
            self.pos = self.src.len();
            return Kind::Space;
        };
        let next = self.byte(start + 1);
        match c {
            c if c.is_whitespace() => {
                self.pos = start + c.len_utf8();
                while let Some(c) = self.char_at(self.pos).filter(|c| c.is_whitespace()) {
                    self.pos += c.len_utf8();
                }
                Kind::Space
            }
            '-' if next == Some(b'-') => {
                if self.dialect == Dialect::MySql {
                    // MySQL: `--` starts a comment only before whitespace or a control character.
                    match self.byte(start + 2) {
                        None => {}
                        Some(b) if b <= b' ' || b == 0x7f => {}
                        Some(_) => {
                            self.pos = start + 1;
                            return Kind::Punct(b'-');
                        }
                    }
                }
                self.line_comment(start + 2);
                Kind::Comment
            }
            '#' if self.dialect == Dialect::MySql => {
                self.line_comment(start + 1);
                Kind::Comment
            }
            '/' if next == Some(b'*') => {
                let executable = self.dialect == Dialect::MySql
                    && matches!(self.byte(start + 2), Some(b'!' | b'+'));
                self.block_comment(start + 2);
                if executable {
                    Kind::Literal
                } else {
                    Kind::Comment
                }
            }
            '\'' => {
                let backslash = self.dialect == Dialect::MySql;
                self.quoted(start + 1, b'\'', backslash);
                Kind::Literal
            }
            '"' => {
                let backslash = self.dialect == Dialect::MySql;
                self.quoted(start + 1, b'"', backslash);
                Kind::Literal
            }
            '`' if self.dialect != Dialect::Postgres => {
                self.quoted(start + 1, b'`', false);
                Kind::Literal
            }
            '[' if self.dialect == Dialect::Sqlite => {
                self.pos = match self.src[start + 1..].find(']') {
                    Some(i) => start + 1 + i + 1,
                    None => self.src.len(),
                };
                Kind::Literal
            }
            '$' if self.dialect == Dialect::Postgres => self.dollar(start),
            c if is_ident_start(c) => {
                self.pos = start + c.len_utf8();
                while let Some(c) = self.char_at(self.pos) {
                    if !self.is_ident_cont(c) || self.at_custom_delimiter(self.pos) {
                        break;
                    }
                    self.pos += c.len_utf8();
                }
                // PostgreSQL escape string: `E'...'` (the `E` alone, directly before the quote).
                if self.dialect == Dialect::Postgres
                    && self.pos == start + 1
                    && matches!(c, 'e' | 'E')
                    && self.byte(self.pos) == Some(b'\'')
                {
                    self.quoted(self.pos + 1, b'\'', true);
                    return Kind::Literal;
                }
                Kind::Word
            }
            c if c.is_ascii_digit() => {
                self.pos = start + 1;
                while let Some(b) = self.byte(self.pos) {
                    if !(b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
                        || self.at_custom_delimiter(self.pos)
                    {
                        break;
                    }
                    self.pos += 1;
                }
                Kind::Literal
            }
            c if c.is_ascii() => {
                self.pos = start + 1;
                Kind::Punct(c as u8)
            }
            c => {
                // Unreachable (non-ASCII chars are whitespace or identifier chars); be safe.
                self.pos = start + c.len_utf8();
                Kind::Literal
            }
        }
    }

    /// A comment from `from` to the end of the line (the newline is not part of it).
    fn line_comment(&mut self, from: usize) {
        let rest = &self.bytes[from.min(self.bytes.len())..];
        // PostgreSQL's lexer ends `--` comments at `\r` too.
        let end = if self.dialect == Dialect::Postgres {
            rest.iter().position(|&b| b == b'\n' || b == b'\r')
        } else {
            rest.iter().position(|&b| b == b'\n')
        };
        self.pos = end.map_or(self.bytes.len(), |i| from + i);
    }

    /// A block comment whose opening `/*` ends at `from`. Nested in PostgreSQL.
    fn block_comment(&mut self, from: usize) {
        let nested = self.dialect == Dialect::Postgres;
        let mut depth = 1usize;
        let mut i = from;
        while i < self.bytes.len() {
            match (self.bytes[i], self.byte(i + 1)) {
                (b'*', Some(b'/')) => {
                    i += 2;
                    depth -= 1;
                    if depth == 0 {
                        self.pos = i;
                        return;
                    }
                }
                (b'/', Some(b'*')) if nested => {
                    i += 2;
                    depth += 1;
                }
                _ => i += 1,
            }
        }
        self.pos = self.bytes.len();
    }

    /// A quoted string or identifier whose opening quote ends at `from`: a doubled quote is an
    /// escaped quote, and with `backslash` a backslash escapes the next character.
    fn quoted(&mut self, from: usize, quote: u8, backslash: bool) {
        let mut i = from;
        while i < self.bytes.len() {
            let b = self.bytes[i];
            if backslash && b == b'\\' {
                // Skipping one byte is enough: the escaped character, if not ASCII, has only
                // continuation bytes after its first, and those never match a quote.
                i += 2;
            } else if b == quote {
                if self.byte(i + 1) == Some(quote) {
                    i += 2;
                } else {
                    self.pos = i + 1;
                    return;
                }
            } else {
                i += 1;
            }
        }
        self.pos = self.bytes.len();
    }

    /// PostgreSQL `$`: a dollar-quoted string, a parameter (`$1`) or a lone `$`.
    fn dollar(&mut self, start: usize) -> Kind {
        let mut i = start + 1;
        match self.char_at(i) {
            Some(c) if c.is_ascii_digit() => {
                while self.byte(i).is_some_and(|b| b.is_ascii_digit()) {
                    i += 1;
                }
                self.pos = i;
                return Kind::Literal;
            }
            Some('$') => {}
            Some(c) if is_ident_start(c) => {
                while let Some(c) = self.char_at(i) {
                    if c.is_ascii_alphanumeric()
                        || c == '_'
                        || (!c.is_ascii() && !c.is_whitespace())
                    {
                        i += c.len_utf8();
                    } else {
                        break;
                    }
                }
                if self.byte(i) != Some(b'$') {
                    self.pos = start + 1;
                    return Kind::Punct(b'$');
                }
            }
            _ => {
                self.pos = start + 1;
                return Kind::Punct(b'$');
            }
        }
        // `i` is at the closing `$` of the opening tag.
        let tag = &self.src[start..=i];
        let body = i + 1;
        self.pos = match self.src[body..].find(tag) {
            Some(at) => body + at + tag.len(),
            None => self.src.len(),
        };
        Kind::Literal
    }
}

// ---------------------------------------------------------------------------------------------
// Compound-statement tracking
// ---------------------------------------------------------------------------------------------

/// What a MySQL block was opened by, so that `END IF`, `END LOOP`... consume their keyword.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Block {
    Begin,
    If,
    Loop,
    While,
    Repeat,
    CaseStatement,
    CaseExpression,
}

impl Block {
    fn closer(self) -> Option<&'static str> {
        match self {
            Block::Begin => None,
            Block::If => Some("IF"),
            Block::Loop => Some("LOOP"),
            Block::While => Some("WHILE"),
            Block::Repeat => Some("REPEAT"),
            Block::CaseStatement | Block::CaseExpression => Some("CASE"),
        }
    }
}

/// The kind of routine a MySQL `CREATE` statement defines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Routine {
    /// Not decided yet (still in `CREATE [OR REPLACE] [DEFINER = ...]`).
    Unknown,
    /// Not a routine.
    None,
    Procedure,
    Function,
    Trigger,
    Event,
}

/// SQLite trigger-body state, as in `sqlite3_complete`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TriggerEnd {
    /// Inside the body.
    Body,
    /// Just after a `;` (or `BEGIN`) of the body.
    Semi,
    /// After `; END`: the next `;` ends the statement.
    End,
}

/// Per-statement state that decides whether a `;` ends the statement.
#[derive(Debug)]
struct Tracker {
    dialect: Dialect,
    /// Significant tokens seen so far in this statement.
    tokens: usize,
    /// Words seen so far.
    words: usize,
    /// Parenthesis depth.
    parens: usize,

    // PostgreSQL (psql's heuristic).
    /// First letters of the first four words if they are CREATE / OR / REPLACE / FUNCTION /
    /// PROCEDURE, as psql records them.
    pg_words: [u8; 4],
    pg_begin_depth: usize,

    // MySQL.
    routine: Routine,
    stack: Vec<Block>,
    /// A routine's body has begun (a block was opened).
    body_started: bool,
    /// A routine's or compound statement's outermost block has closed.
    body_done: bool,
    /// The next token starts a statement inside a body (or the body itself).
    at_statement_start: bool,
    /// The previous token was a word at a statement start (for labels `l1:`).
    word_at_statement_start: bool,
    /// After `END` of a block whose closing keyword may follow (`END IF`).
    expect_closer: Option<&'static str>,
    /// After `BEGIN` (1) or `BEGIN NOT` (2): `NOT ATOMIC` keeps the statement start.
    begin_tail: u8,
    /// A top-level `BEGIN` that becomes a compound statement if `NOT ATOMIC` follows.
    pending_compound: bool,
    /// The previous word was `EACH` (trigger `FOR EACH ROW`).
    after_each: bool,
    /// After `FOLLOWS` / `PRECEDES` in a trigger header: the body starts after the next token.
    skip_one: bool,

    // SQLite.
    /// Progress through `CREATE [TEMP | TEMPORARY] TRIGGER`: 0 at the start, 1 after `CREATE`,
    /// 2 after `CREATE TEMP`, 3 once decided.
    sqlite_header: u8,
    sqlite_trigger: bool,
    sqlite_body: Option<TriggerEnd>,
}

impl Tracker {
    fn new(dialect: Dialect) -> Tracker {
        Tracker {
            dialect,
            tokens: 0,
            words: 0,
            parens: 0,
            pg_words: [0; 4],
            pg_begin_depth: 0,
            routine: Routine::Unknown,
            stack: Vec::new(),
            body_started: false,
            body_done: false,
            at_statement_start: true,
            word_at_statement_start: false,
            expect_closer: None,
            begin_tail: 0,
            pending_compound: false,
            after_each: false,
            skip_one: false,
            sqlite_header: 0,
            sqlite_trigger: false,
            sqlite_body: None,
        }
    }

    /// Whether a `;` here is part of the statement rather than its end.
    fn holds_semicolon(&self) -> bool {
        match self.dialect {
            Dialect::Postgres => self.parens > 0 || self.pg_begin_depth > 0,
            Dialect::MySql => !self.stack.is_empty(),
            Dialect::Sqlite => {
                matches!(self.sqlite_body, Some(TriggerEnd::Body | TriggerEnd::Semi))
            }
        }
    }

    /// Feeds one significant token (`text` is its source).
    fn token(&mut self, kind: Kind, text: &str, next_byte: Option<u8>) {
        match self.dialect {
            Dialect::Postgres => self.postgres(kind, text),
            Dialect::MySql => self.mysql(kind, text, next_byte),
            Dialect::Sqlite => self.sqlite(kind, text),
        }
        self.tokens += 1;
        if kind == Kind::Word {
            self.words += 1;
        }
    }

    fn postgres(&mut self, kind: Kind, text: &str) {
        match kind {
            Kind::Punct(b'(') => self.parens += 1,
            Kind::Punct(b')') => self.parens = self.parens.saturating_sub(1),
            Kind::Word => {
                let letter = ["create", "function", "procedure", "or", "replace"]
                    .iter()
                    .find(|w| text.eq_ignore_ascii_case(w))
                    .map(|w| w.as_bytes()[0]);
                if let (Some(letter), Some(slot)) = (letter, self.pg_words.get_mut(self.words)) {
                    *slot = letter;
                }
                let w = &self.pg_words;
                let routine = w[0] == b'c'
                    && (w[1] == b'f'
                        || w[1] == b'p'
                        || (w[1] == b'o' && w[2] == b'r' && (w[3] == b'f' || w[3] == b'p')));
                if routine && self.parens == 0 {
                    if text.eq_ignore_ascii_case("begin") {
                        self.pg_begin_depth += 1;
                    } else if text.eq_ignore_ascii_case("case") {
                        if self.pg_begin_depth >= 1 {
                            self.pg_begin_depth += 1;
                        }
                    } else if text.eq_ignore_ascii_case("end") {
                        self.pg_begin_depth = self.pg_begin_depth.saturating_sub(1);
                    }
                }
            }
            _ => {}
        }
    }

    fn sqlite(&mut self, kind: Kind, text: &str) {
        let is = |w: &str| kind == Kind::Word && text.eq_ignore_ascii_case(w);
        self.sqlite_header = match self.sqlite_header {
            0 if is("CREATE") => 1,
            1 if is("TEMP") || is("TEMPORARY") => 2,
            1 | 2 if is("TRIGGER") => {
                self.sqlite_trigger = true;
                3
            }
            _ => 3,
        };
        match self.sqlite_body {
            None => {
                if self.sqlite_trigger && is("BEGIN") {
                    self.sqlite_body = Some(TriggerEnd::Semi);
                }
            }
            Some(state) => {
                self.sqlite_body = Some(match (state, kind) {
                    (_, Kind::Punct(b';')) => TriggerEnd::Semi,
                    (TriggerEnd::Semi, _) if is("END") => TriggerEnd::End,
                    _ => TriggerEnd::Body,
                });
            }
        }
    }

    fn mysql(&mut self, kind: Kind, text: &str, next_byte: Option<u8>) {
        let word = |w: &str| kind == Kind::Word && text.eq_ignore_ascii_case(w);
        let first = self.tokens == 0;

        // Which routine a CREATE statement defines: the first object keyword decides.
        if first {
            self.routine = if word("CREATE") {
                Routine::Unknown
            } else {
                Routine::None
            };
        } else if self.routine == Routine::Unknown && kind == Kind::Word {
            const OTHER: [&str; 18] = [
                "TABLE",
                "VIEW",
                "INDEX",
                "UNIQUE",
                "FULLTEXT",
                "SPATIAL",
                "DATABASE",
                "SCHEMA",
                "USER",
                "ROLE",
                "SERVER",
                "TABLESPACE",
                "SEQUENCE",
                "PACKAGE",
                "LOGFILE",
                "RESOURCE",
                "SPATIAL",
                "TEMPORARY",
            ];
            let upper = text.to_ascii_uppercase();
            self.routine = match upper.as_str() {
                "PROCEDURE" => Routine::Procedure,
                "FUNCTION" => Routine::Function,
                "TRIGGER" => Routine::Trigger,
                "EVENT" => Routine::Event,
                w if OTHER.contains(&w) => Routine::None,
                _ => Routine::Unknown,
            };
            // The keyword itself starts nothing.
            self.at_statement_start = false;
            return;
        }

        let is_routine = !matches!(self.routine, Routine::None | Routine::Unknown);
        let in_block = !self.stack.is_empty();
        // Where block keywords count: inside a block, or in a routine's header. Once the
        // outermost block has closed, nothing more opens.
        let context = !self.body_done && (in_block || is_routine);
        let header = is_routine && !self.body_started;

        let at_start = std::mem::replace(&mut self.at_statement_start, false);
        let word_at_start = std::mem::replace(&mut self.word_at_statement_start, false);
        let expect_closer = self.expect_closer.take();
        let begin_tail = std::mem::replace(&mut self.begin_tail, 0);
        let pending_compound = std::mem::replace(&mut self.pending_compound, false);
        let after_each = std::mem::replace(&mut self.after_each, false);
        if std::mem::replace(&mut self.skip_one, false) {
            self.at_statement_start = true;
        }

        match kind {
            // Only reached inside a block (or with a custom delimiter).
            Kind::Punct(b';') if in_block => self.at_statement_start = true,
            Kind::Punct(b'(') => self.parens += 1,
            Kind::Punct(b')') => {
                self.parens = self.parens.saturating_sub(1);
                // After a routine's parameter list (or a parenthesized return type) the body may
                // be a bare compound statement.
                if header
                    && self.parens == 0
                    && matches!(self.routine, Routine::Procedure | Routine::Function)
                {
                    self.at_statement_start = true;
                }
            }
            Kind::Punct(b':') if word_at_start && next_byte != Some(b'=') => {
                // A label: `l1: LOOP`.
                self.at_statement_start = true;
            }
            Kind::Word => {
                if let Some(closer) = expect_closer {
                    if text.eq_ignore_ascii_case(closer) {
                        return;
                    }
                }
                if begin_tail == 1 && word("NOT") {
                    self.begin_tail = 2;
                    self.at_statement_start = at_start;
                    self.pending_compound = pending_compound;
                    return;
                }
                if begin_tail == 2 && word("ATOMIC") {
                    if pending_compound {
                        self.open(Block::Begin);
                    }
                    self.at_statement_start = true;
                    return;
                }
                self.word_at_statement_start = at_start;
                let upper = text.to_ascii_uppercase();
                match upper.as_str() {
                    "BEGIN" if context => {
                        self.open(Block::Begin);
                        self.at_statement_start = true;
                        self.begin_tail = 1;
                    }
                    "BEGIN" if at_start => {
                        // `BEGIN;` / `BEGIN WORK;` start a transaction; `BEGIN NOT ATOMIC` is a
                        // MariaDB compound statement.
                        self.pending_compound = true;
                        self.begin_tail = 1;
                    }
                    "IF" if at_start => self.open(Block::If),
                    "REPEAT" if at_start => {
                        self.open(Block::Repeat);
                        self.at_statement_start = true;
                    }
                    "LOOP" if context || at_start => {
                        self.open(Block::Loop);
                        self.at_statement_start = true;
                    }
                    "WHILE" if context || at_start => self.open(Block::While),
                    "CASE" if context || at_start => self.open(if at_start {
                        Block::CaseStatement
                    } else {
                        Block::CaseExpression
                    }),
                    "END" if in_block => {
                        if let Some(block) = self.stack.pop() {
                            self.expect_closer = block.closer();
                        }
                        if self.stack.is_empty() {
                            self.body_done = true;
                        }
                    }
                    // In a CASE expression, what follows THEN and ELSE is an expression.
                    "THEN" | "ELSE"
                        if in_block && self.stack.last() != Some(&Block::CaseExpression) =>
                    {
                        self.at_statement_start = true;
                    }
                    "DO" if context => self.at_statement_start = true,
                    "ROW" if header && after_each && self.routine == Routine::Trigger => {
                        self.at_statement_start = true;
                    }
                    "EACH" => self.after_each = true,
                    "FOLLOWS" | "PRECEDES" if header && at_start => self.skip_one = true,
                    _ => {}
                }
            }
            _ => {}
        }
    }

    fn open(&mut self, block: Block) {
        self.stack.push(block);
        self.body_started = true;
    }
}

// ---------------------------------------------------------------------------------------------
// Splitter
// ---------------------------------------------------------------------------------------------

struct Splitter<'a> {
    src: &'a str,
    dialect: Dialect,
    pos: usize,
    /// The current delimiter (MySQL `DELIMITER` changes it).
    delimiter: &'a str,
    /// Byte offset, line and column of a position already counted.
    cursor: (usize, usize, usize),
    out: Vec<Statement<'a>>,
}

impl<'a> Splitter<'a> {
    fn run(mut self) -> Vec<Statement<'a>> {
        let mut start: Option<usize> = None;
        let mut tracker = Tracker::new(self.dialect);
        while self.pos < self.src.len() {
            let rest = &self.src[self.pos..];
            if rest.starts_with(self.delimiter)
                && !(self.delimiter == ";" && tracker.holds_semicolon())
            {
                self.finish(start.take(), self.pos);
                tracker = Tracker::new(self.dialect);
                self.pos += self.delimiter.len();
                continue;
            }
            let mut lexer = Lexer {
                src: self.src,
                bytes: self.src.as_bytes(),
                pos: self.pos,
                dialect: self.dialect,
                custom_delimiter: (self.delimiter != ";").then_some(self.delimiter),
            };
            let token = lexer.next();
            self.pos = token.end;
            if matches!(token.kind, Kind::Space | Kind::Comment) {
                continue;
            }
            let text = &self.src[token.start..token.end];
            if start.is_none() {
                if self.dialect == Dialect::MySql
                    && token.kind == Kind::Word
                    && text.eq_ignore_ascii_case("DELIMITER")
                {
                    if let Some((delimiter, line_end)) = self.delimiter_directive(token.end) {
                        self.delimiter = delimiter;
                        self.pos = line_end;
                        continue;
                    }
                }
                start = Some(token.start);
            }
            tracker.token(
                token.kind,
                text,
                self.src.as_bytes().get(token.end).copied(),
            );
        }
        self.finish(start, self.src.len());
        self.out
    }

    /// The argument of a `DELIMITER` directive whose keyword ends at `from`, and where the
    /// directive's line ends (after its newline).
    fn delimiter_directive(&self, from: usize) -> Option<(&'a str, usize)> {
        let rest = &self.src[from..];
        let args = rest.trim_start_matches([' ', '\t']);
        if args.len() == rest.len() {
            return None;
        }
        let arg_start = from + (rest.len() - args.len());
        let arg_len = args.find(char::is_whitespace).unwrap_or(args.len());
        if arg_len == 0 {
            return None;
        }
        let line_end = match self.src[arg_start..].find('\n') {
            Some(i) => arg_start + i + 1,
            None => self.src.len(),
        };
        Some((&self.src[arg_start..arg_start + arg_len], line_end))
    }

    fn finish(&mut self, start: Option<usize>, end: usize) {
        let Some(start) = start else { return };
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
        let (from, mut line, mut column) = self.cursor;
        for c in self.src.get(from..offset).unwrap_or("").chars() {
            if c == '\n' {
                line += 1;
                column = 1;
            } else {
                column += 1;
            }
        }
        self.cursor = (offset, line, column);
        (line, column)
    }
}

#[cfg(test)]
mod tests {
    use super::{split, Dialect, Statement};

    const ALL: [Dialect; 3] = [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite];

    fn sqls(input: &str, dialect: Dialect) -> Vec<&str> {
        split(input, dialect).into_iter().map(|s| s.sql).collect()
    }

    // --- Common rules ---------------------------------------------------------------------

    #[test]
    fn splits_at_semicolons_and_trims() {
        for d in ALL {
            assert_eq!(
                sqls(
                    "  CREATE TABLE a (x int);\n\tINSERT INTO a VALUES (1) ;\n",
                    d
                ),
                ["CREATE TABLE a (x int)", "INSERT INTO a VALUES (1)"]
            );
        }
    }

    #[test]
    fn last_statement_may_lack_its_semicolon() {
        for d in ALL {
            assert_eq!(sqls("SELECT 1;\nSELECT 2\n\n", d), ["SELECT 1", "SELECT 2"]);
            assert_eq!(sqls("SELECT 1", d), ["SELECT 1"]);
        }
    }

    #[test]
    fn empty_and_comment_only_segments_give_no_statement() {
        for d in ALL {
            assert!(split("", d).is_empty());
            assert!(split(" \n\t ", d).is_empty());
            assert!(split(";;\n;", d).is_empty());
            assert!(split("-- Add migration script here\n", d).is_empty());
            assert!(split("/* nothing; here */ ; -- nor here;", d).is_empty());
            assert_eq!(
                sqls("SELECT 1; -- trailing; comment\n;; /* x */", d),
                ["SELECT 1"]
            );
        }
        assert!(split("# only a comment; here\n", Dialect::MySql).is_empty());
    }

    #[test]
    fn leading_comments_are_skipped_inner_and_trailing_ones_kept() {
        for d in ALL {
            let input = "-- first; comment\n/* block; */ SELECT 1 /* inner; */ + 2 /* tail */ ;";
            assert_eq!(sqls(input, d), ["SELECT 1 /* inner; */ + 2 /* tail */"]);
        }
    }

    #[test]
    fn positions_count_lines_and_chars() {
        let input =
            "-- é\nSELECT 'ü;';\n  /* ; */ INSERT INTO t VALUES ('€');\r\n\tUPDATE t SET x = 1";
        let statements = split(input, Dialect::Postgres);
        assert_eq!(
            statements,
            [
                Statement {
                    sql: "SELECT 'ü;'",
                    offset: 6,
                    line: 2,
                    column: 1
                },
                Statement {
                    sql: "INSERT INTO t VALUES ('€')",
                    offset: 30,
                    line: 3,
                    column: 11
                },
                Statement {
                    sql: "UPDATE t SET x = 1",
                    offset: 62,
                    line: 4,
                    column: 2
                },
            ]
        );
        for s in &statements {
            assert_eq!(&input[s.offset..s.offset + s.sql.len()], s.sql);
        }
    }

    #[test]
    fn unterminated_literals_and_comments_run_to_the_end() {
        for d in ALL {
            assert_eq!(
                sqls("SELECT 1; SELECT 'abc; SELECT 2;\n", d),
                ["SELECT 1", "SELECT 'abc; SELECT 2;"]
            );
            assert_eq!(
                sqls("SELECT 1; SELECT \"abc; SELECT 2;", d),
                ["SELECT 1", "SELECT \"abc; SELECT 2;"]
            );
            assert_eq!(
                sqls("SELECT 1; SELECT 2 /* abc; SELECT 3;", d),
                ["SELECT 1", "SELECT 2 /* abc; SELECT 3;"]
            );
            // An unterminated comment before any token: nothing but a comment.
            assert_eq!(sqls("SELECT 1; /* abc; SELECT 3;", d), ["SELECT 1"]);
        }
        assert_eq!(
            sqls("SELECT 1; SELECT $$ abc; SELECT 2;", Dialect::Postgres),
            ["SELECT 1", "SELECT $$ abc; SELECT 2;"]
        );
        assert_eq!(
            sqls("SELECT E'abc\\", Dialect::Postgres),
            ["SELECT E'abc\\"]
        );
        assert_eq!(sqls("SELECT `a;", Dialect::MySql), ["SELECT `a;"]);
        assert_eq!(sqls("SELECT [a;", Dialect::Sqlite), ["SELECT [a;"]);
        assert_eq!(
            sqls(
                "CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; SELECT 2;",
                Dialect::Sqlite
            ),
            ["CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; SELECT 2;"]
        );
    }

    #[test]
    fn plain_transaction_statements_are_statements() {
        for d in ALL {
            assert_eq!(
                sqls(
                    "BEGIN;\nCREATE TABLE a (x int);\nCOMMIT;\nSTART TRANSACTION; END;",
                    d
                ),
                [
                    "BEGIN",
                    "CREATE TABLE a (x int)",
                    "COMMIT",
                    "START TRANSACTION",
                    "END"
                ]
            );
            assert_eq!(sqls("begin work; rollback", d), ["begin work", "rollback"]);
        }
    }

    // --- Single-quoted strings ------------------------------------------------------------

    #[test]
    fn single_quotes_with_doubled_quotes() {
        for d in ALL {
            assert_eq!(
                sqls("INSERT INTO t VALUES ('it''s; fine', ''); SELECT ''';'", d),
                ["INSERT INTO t VALUES ('it''s; fine', '')", "SELECT ''';'"]
            );
        }
    }

    #[test]
    fn postgres_standard_strings_keep_backslashes() {
        // `'\'` is a complete one-character string in PostgreSQL and SQLite.
        for d in [Dialect::Postgres, Dialect::Sqlite] {
            assert_eq!(
                sqls(r"SELECT '\'; SELECT '\x00'::bytea; SELECT 2", d),
                [r"SELECT '\'", r"SELECT '\x00'::bytea", "SELECT 2"]
            );
        }
    }

    #[test]
    fn postgres_escape_strings_use_backslashes() {
        let input = r"INSERT INTO t VALUES (E'\\x0101;', e'it\'s; ok', E'\\', E'a''b;');SELECT 2";
        assert_eq!(
            sqls(input, Dialect::Postgres),
            [
                r"INSERT INTO t VALUES (E'\\x0101;', e'it\'s; ok', E'\\', E'a''b;')",
                "SELECT 2"
            ]
        );
        // Only a lone `E` makes an escape string: `xe'\'` is the identifier `xe` and `'\'`.
        assert_eq!(
            sqls(r"SELECT xe'\'; SELECT 2", Dialect::Postgres),
            [r"SELECT xe'\'", "SELECT 2"]
        );
    }

    #[test]
    fn mysql_strings_use_backslash_escapes_in_both_quotes() {
        let input =
            r#"INSERT INTO t VALUES ('a\';b', "c\";d", 'e\\', "f\\", 'g''h;', "i""j;");SELECT 2"#;
        assert_eq!(
            sqls(input, Dialect::MySql),
            [
                r#"INSERT INTO t VALUES ('a\';b', "c\";d", 'e\\', "f\\", 'g''h;', "i""j;")"#,
                "SELECT 2"
            ]
        );
    }

    // --- Quoted identifiers ---------------------------------------------------------------

    #[test]
    fn double_quoted_identifiers() {
        for d in [Dialect::Postgres, Dialect::Sqlite] {
            assert_eq!(
                sqls(r#"CREATE TABLE "a;b" ("c""; d" int, "e\" int);SELECT 2"#, d),
                [r#"CREATE TABLE "a;b" ("c""; d" int, "e\" int)"#, "SELECT 2"]
            );
        }
    }

    #[test]
    fn backtick_identifiers() {
        for d in [Dialect::MySql, Dialect::Sqlite] {
            assert_eq!(
                sqls("CREATE TABLE `a;b` (`c``;d` int, `e\\` int);SELECT 2", d),
                ["CREATE TABLE `a;b` (`c``;d` int, `e\\` int)", "SELECT 2"]
            );
        }
    }

    #[test]
    fn sqlite_bracket_identifiers() {
        assert_eq!(
            sqls("CREATE TABLE [a;b] ([c'd;] int);SELECT 2", Dialect::Sqlite),
            ["CREATE TABLE [a;b] ([c'd;] int)", "SELECT 2"]
        );
    }

    // --- Comments -------------------------------------------------------------------------

    #[test]
    fn line_comments() {
        for d in ALL {
            assert_eq!(
                sqls("SELECT 1 -- not the end; really\n + 1; SELECT 2", d),
                ["SELECT 1 -- not the end; really\n + 1", "SELECT 2"]
            );
        }
        // PostgreSQL ends `--` comments at a carriage return too.
        assert_eq!(
            sqls("SELECT 1 --x\r; SELECT 2", Dialect::Postgres),
            ["SELECT 1 --x", "SELECT 2"]
        );
    }

    #[test]
    fn mysql_double_dash_needs_whitespace_or_control_char() {
        assert_eq!(
            sqls(
                "SELECT 1--1; SELECT 2 --\tc;\n; SELECT 3 --",
                Dialect::MySql
            ),
            ["SELECT 1--1", "SELECT 2 --\tc;", "SELECT 3 --"]
        );
        // Elsewhere `--` is always a comment.
        assert_eq!(
            sqls("SELECT 1--1; SELECT 2", Dialect::Postgres),
            ["SELECT 1--1; SELECT 2"]
        );
    }

    #[test]
    fn mysql_hash_comments() {
        assert_eq!(
            sqls(
                "# head; comment\nSELECT 1 # tail; comment\n; SELECT 2",
                Dialect::MySql
            ),
            ["SELECT 1 # tail; comment", "SELECT 2"]
        );
        // Not a comment in PostgreSQL (an operator there).
        assert_eq!(sqls("SELECT 1 # 2; SELECT 3", Dialect::Postgres).len(), 2);
    }

    #[test]
    fn block_comments_nest_only_in_postgres() {
        let input = "SELECT 1 /* a /* b */ c; */; SELECT 2";
        assert_eq!(
            sqls(input, Dialect::Postgres),
            ["SELECT 1 /* a /* b */ c; */", "SELECT 2"]
        );
        for d in [Dialect::MySql, Dialect::Sqlite] {
            assert_eq!(
                sqls(input, d),
                ["SELECT 1 /* a /* b */ c", "*/", "SELECT 2"]
            );
        }
    }

    #[test]
    fn mysql_executable_comments_are_statements() {
        let input =
            "/*!40101 SET NAMES utf8 */;\n/*!40014 SET FOREIGN_KEY_CHECKS=0 */;\n/* plain */;";
        assert_eq!(
            sqls(input, Dialect::MySql),
            [
                "/*!40101 SET NAMES utf8 */",
                "/*!40014 SET FOREIGN_KEY_CHECKS=0 */"
            ]
        );
    }

    // --- PostgreSQL dollar quoting, parentheses, BEGIN ATOMIC ------------------------------

    #[test]
    fn postgres_dollar_quotes() {
        let input = "CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN x := 'a;'; RETURN NEW; END; $$ LANGUAGE plpgsql;\n\
                     CREATE FUNCTION g() RETURNS int AS $func$ SELECT $x$;$x$; SELECT 1; $func$ LANGUAGE sql;\n\
                     CREATE FUNCTION h() RETURNS text AS $BODY$ SELECT 1; SELECT '$body$;' $BODY$ LANGUAGE sql;\n\
                     DO $$ BEGIN PERFORM 1; END $$";
        let got = sqls(input, Dialect::Postgres);
        assert_eq!(got.len(), 4, "{got:#?}");
        assert!(got[0].ends_with("$$ LANGUAGE plpgsql"));
        assert!(got[1].starts_with("CREATE FUNCTION g()") && got[1].ends_with("LANGUAGE sql"));
        assert!(got[2].starts_with("CREATE FUNCTION h()") && got[2].ends_with("LANGUAGE sql"));
        assert_eq!(got[3], "DO $$ BEGIN PERFORM 1; END $$");
    }

    #[test]
    fn postgres_parameters_and_identifiers_with_dollars_are_not_dollar_quotes() {
        assert_eq!(
            sqls(
                "PREPARE p AS SELECT $1, $2;EXECUTE p(1, 2); SELECT a$b$c FROM t; SELECT 2",
                Dialect::Postgres
            ),
            [
                "PREPARE p AS SELECT $1, $2",
                "EXECUTE p(1, 2)",
                "SELECT a$b$c FROM t",
                "SELECT 2"
            ]
        );
        // Dollar signs mean nothing in the other dialects.
        assert_eq!(
            sqls("SELECT '$$'; SELECT $$; SELECT 2", Dialect::MySql).len(),
            3
        );
    }

    #[test]
    fn postgres_semicolons_inside_parentheses_do_not_split() {
        let input = "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));\nSELECT 1";
        assert_eq!(
            sqls(input, Dialect::Postgres),
            [
                "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))",
                "SELECT 1"
            ]
        );
        // A stray closing parenthesis does not confuse the count.
        assert_eq!(
            sqls("SELECT 1); SELECT (2)", Dialect::Postgres),
            ["SELECT 1)", "SELECT (2)"]
        );
    }

    #[test]
    fn postgres_begin_atomic_bodies() {
        let input = "CREATE OR REPLACE FUNCTION f(a int) RETURNS int LANGUAGE sql\n\
                     BEGIN ATOMIC\n  SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END;\n  SELECT (CASE WHEN true THEN 2 END);\nEND;\n\
                     CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); END;\n\
                     BEGIN;\nSELECT 1;\nEND;";
        let got = sqls(input, Dialect::Postgres);
        assert_eq!(got.len(), 5, "{got:#?}");
        assert!(got[0].starts_with("CREATE OR REPLACE FUNCTION") && got[0].ends_with("\nEND"));
        assert_eq!(
            got[1],
            "CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); END"
        );
        assert_eq!(&got[2..], ["BEGIN", "SELECT 1", "END"]);
        // BEGIN in other statements means nothing.
        assert_eq!(
            sqls("CREATE TABLE t (begin int); SELECT 1", Dialect::Postgres).len(),
            2
        );
    }

    // --- MySQL compound statements ---------------------------------------------------------

    #[test]
    fn mysql_procedure_with_nested_blocks() {
        let body = "CREATE DEFINER=`root`@`localhost` PROCEDURE p(IN n INT)\n\
                    BEGIN\n\
                    DECLARE i INT DEFAULT 0;\n\
                    DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN SET @err = 1; END;\n\
                    DROP TABLE IF EXISTS tmp;\n\
                    IF n > 0 THEN SET i = IF(n > 1, 2, 1); ELSEIF n < 0 THEN SET i = -1; ELSE SET i = 0; END IF;\n\
                    l1: LOOP SET i = i + 1; IF i > 3 THEN LEAVE l1; END IF; END LOOP l1;\n\
                    WHILE i < 10 DO SET i = i + 1; END WHILE;\n\
                    REPEAT SET i = i - 1; UNTIL i <= 0 END REPEAT;\n\
                    CASE n WHEN 1 THEN SELECT 'one;'; ELSE BEGIN SELECT REPEAT('x', 2); END; END CASE;\n\
                    SET i = CASE WHEN n > 5 THEN IF(n > 6, 7, 6) ELSE 0 END;\n\
                    SELECT CASE n WHEN 1 THEN 'a' ELSE CASE WHEN n > 2 THEN 'b' END END INTO @x;\n\
                    END";
        let input = format!("{body};\nCALL p(3);\nDROP PROCEDURE p");
        assert_eq!(
            sqls(&input, Dialect::MySql),
            [body, "CALL p(3)", "DROP PROCEDURE p"]
        );
    }

    #[test]
    fn mysql_functions_triggers_and_events() {
        let function = "CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC\nBEGIN\n  DECLARE y INT;\n  SET y = x * 2;\n  RETURN y;\nEND";
        let simple_function = "CREATE OR REPLACE FUNCTION g(x INT) RETURNS INT RETURN CASE WHEN x > 0 THEN 1 ELSE 0 END";
        let bare_if_procedure =
            "CREATE PROCEDURE q(x INT) IF x > 0 THEN SELECT 1; ELSE SELECT 2; END IF";
        let trigger = "CREATE TRIGGER t1 BEFORE INSERT ON a FOR EACH ROW BEGIN\n  IF NEW.x < 0 THEN SET NEW.x = 0; END IF;\nEND";
        let simple_trigger =
            "CREATE TRIGGER t2 BEFORE UPDATE ON a FOR EACH ROW SET NEW.y = NEW.y + 1";
        let if_trigger = "CREATE TRIGGER t3 AFTER DELETE ON a FOR EACH ROW IF OLD.x > 0 THEN DELETE FROM b WHERE id = OLD.x; END IF";
        let follows_trigger = "CREATE TRIGGER t4 BEFORE INSERT ON a FOR EACH ROW FOLLOWS t1 IF NEW.x > 9 THEN SET NEW.x = 9; END IF";
        let event = "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM a WHERE x < 0; DELETE FROM b; END";
        let simple_event = "CREATE EVENT e2 ON SCHEDULE EVERY 1 HOUR DO DELETE FROM a";
        let all = [
            function,
            simple_function,
            bare_if_procedure,
            trigger,
            simple_trigger,
            if_trigger,
            follows_trigger,
            event,
            simple_event,
            "SELECT 1",
        ];
        let input = all.join(";\n");
        assert_eq!(sqls(&input, Dialect::MySql), all);
    }

    #[test]
    fn mysql_compound_statements_outside_routines() {
        let block =
            "BEGIN NOT ATOMIC\n  DECLARE x INT;\n  SET x = 1;\n  IF x THEN SELECT 1; END IF;\nEND";
        let if_stmt = "IF @a THEN SELECT 1; SELECT 2; END IF";
        let while_stmt = "WHILE 0 DO SELECT 1; END WHILE";
        let repeat_stmt = "REPEAT SELECT 'r'; UNTIL 1 END REPEAT";
        let case_stmt = "CASE WHEN 1 THEN SELECT 'c1'; SELECT 'c2'; END CASE";
        let all = [
            block,
            if_stmt,
            while_stmt,
            repeat_stmt,
            case_stmt,
            "BEGIN",
            "SELECT 3",
            "COMMIT",
        ];
        assert_eq!(sqls(&all.join(";\n"), Dialect::MySql), all);
        // Keywords that only look like block openers in ordinary statements change nothing.
        assert_eq!(
            sqls("CREATE TABLE t (begin INT, `end` INT); SELECT CASE WHEN 1 THEN 2 END; SELECT IF(1, 2, 3); SELECT 4", Dialect::MySql).len(),
            4
        );
    }

    #[test]
    fn mysql_delimiter_directive() {
        let input = "DELIMITER //\n\
                     CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT ';//';\nEND//\n\
                     CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW SET NEW.x = 1; //\n\
                     delimiter $$\n\
                     CREATE FUNCTION f() RETURNS INT RETURN 1$$\n\
                     SELECT 'a$$b' $$\n\
                     DELIMITER ;\n\
                     SELECT 2; SELECT 3";
        assert_eq!(
            sqls(input, Dialect::MySql),
            [
                "CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT ';//';\nEND",
                "CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW SET NEW.x = 1;",
                "CREATE FUNCTION f() RETURNS INT RETURN 1",
                "SELECT 'a$$b'",
                "SELECT 2",
                "SELECT 3",
            ]
        );
        // A directive's line is not a statement, and its position is skipped.
        let s = split("DELIMITER ;;\nSELECT 1;;\n", Dialect::MySql);
        assert_eq!((s[0].sql, s[0].line, s[0].column), ("SELECT 1", 2, 1));
        // DELIMITER means nothing in the other dialects, or without an argument.
        assert_eq!(
            sqls("DELIMITER //\nSELECT 1//", Dialect::Postgres),
            ["DELIMITER //\nSELECT 1//"]
        );
        assert_eq!(
            sqls("DELIMITER\n; SELECT 1", Dialect::MySql),
            ["DELIMITER", "SELECT 1"]
        );
    }

    // --- SQLite triggers -------------------------------------------------------------------

    #[test]
    fn sqlite_trigger_bodies() {
        let trigger = "CREATE TRIGGER IF NOT EXISTS t AFTER UPDATE ON a\nFOR EACH ROW WHEN NEW.x IS NOT NULL\nBEGIN\n  UPDATE b SET y = CASE WHEN NEW.x > 0 THEN 1 ELSE 0 END;\n  INSERT INTO log VALUES ('end;');\nEND";
        let temp =
            "create temp trigger t2 before delete on a begin select raise(abort, 'no;'); end";
        let input = format!("{trigger};\n{temp};\nBEGIN;\nEND;\nSELECT 1");
        assert_eq!(
            sqls(&input, Dialect::Sqlite),
            [trigger, temp, "BEGIN", "END", "SELECT 1"]
        );
        // A CASE expression ending the last statement of a body does not end the trigger.
        let case_end =
            "CREATE TRIGGER t3 AFTER INSERT ON a BEGIN SELECT CASE WHEN 1 THEN 2 END; END";
        assert_eq!(
            sqls(&format!("{case_end}; SELECT 2"), Dialect::Sqlite),
            [case_end, "SELECT 2"]
        );
    }

    // --- Property tests ----------------------------------------------------------------------

    mod properties {
        use super::super::{split, Dialect};
        use proptest::prelude::*;
        use proptest::test_runner::RngAlgorithm;

        /// `cases` cases, with the XorShift generator: ChaCha (the default) dominates the run
        /// time of these tests in unoptimized builds.
        fn config(cases: u32) -> ProptestConfig {
            ProptestConfig {
                cases,
                rng_algorithm: RngAlgorithm::XorShift,
                ..ProptestConfig::default()
            }
        }

        fn dialect() -> impl Strategy<Value = Dialect> {
            prop_oneof![
                Just(Dialect::Postgres),
                Just(Dialect::MySql),
                Just(Dialect::Sqlite)
            ]
        }

        /// Text rich in the characters that matter to the lexer.
        fn sqlish() -> impl Strategy<Value = String> {
            let piece = prop_oneof![
                Just(";".to_owned()),
                Just("'".to_owned()),
                Just("\"".to_owned()),
                Just("`".to_owned()),
                Just("[".to_owned()),
                Just("]".to_owned()),
                Just("\\".to_owned()),
                Just("$".to_owned()),
                Just("$$".to_owned()),
                Just("$a$".to_owned()),
                Just("$1".to_owned()),
                Just("--".to_owned()),
                Just("-- ".to_owned()),
                Just("#".to_owned()),
                Just("/*".to_owned()),
                Just("*/".to_owned()),
                Just("/*!".to_owned()),
                Just("(".to_owned()),
                Just(")".to_owned()),
                Just(":".to_owned()),
                Just("\n".to_owned()),
                Just("\r".to_owned()),
                Just(" ".to_owned()),
                Just("E'".to_owned()),
                Just("é".to_owned()),
                Just("\u{3000}".to_owned()),
                Just("💥".to_owned()),
                Just("DELIMITER //\n".to_owned()),
                Just("DELIMITER ;\n".to_owned()),
                Just("//".to_owned()),
                prop_oneof![
                    Just("CREATE"),
                    Just("TRIGGER"),
                    Just("PROCEDURE"),
                    Just("FUNCTION"),
                    Just("EVENT"),
                    Just("BEGIN"),
                    Just("ATOMIC"),
                    Just("NOT"),
                    Just("END"),
                    Just("IF"),
                    Just("CASE"),
                    Just("LOOP"),
                    Just("WHILE"),
                    Just("REPEAT"),
                    Just("THEN"),
                    Just("ELSE"),
                    Just("DO"),
                    Just("FOR EACH ROW"),
                ]
                .prop_map(|s| format!(" {s} ")),
                "[a-z0-9]{1,3}",
            ];
            prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
        }

        fn line_column(input: &str, offset: usize) -> (usize, usize) {
            let before = &input[..offset];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            (line, column)
        }

        /// The structural guarantees, for any input.
        fn check_invariants(input: &str, dialect: Dialect) -> Result<(), TestCaseError> {
            let statements = split(input, dialect);
            let mut previous_end = 0;
            for s in &statements {
                prop_assert!(
                    s.offset >= previous_end,
                    "overlap or disorder: {statements:?}"
                );
                prop_assert!(!s.sql.is_empty());
                prop_assert_eq!(input.get(s.offset..s.offset + s.sql.len()), Some(s.sql));
                prop_assert_eq!(s.sql, s.sql.trim());
                prop_assert_eq!((s.line, s.column), line_column(input, s.offset));
                previous_end = s.offset + s.sql.len();
            }
            Ok(())
        }

        proptest! {
            #![proptest_config(config(512))]

            #[test]
            fn never_panics_and_slices_are_consistent_on_any_string(input in any::<String>(), dialect in dialect()) {
                check_invariants(&input, dialect)?;
            }

            #[test]
            fn never_panics_and_slices_are_consistent_on_sqlish_text(input in sqlish(), dialect in dialect()) {
                check_invariants(&input, dialect)?;
            }
        }

        // --- Never splits inside a literal --------------------------------------------------

        /// Content for literals and comments: full of quotes, delimiters and escapes.
        fn content() -> impl Strategy<Value = String> {
            let piece = prop_oneof![
                Just(";"),
                Just(";\n"),
                Just("'"),
                Just("''"),
                Just("\""),
                Just("`"),
                Just("\\"),
                Just("\\'"),
                Just("$"),
                Just("$$"),
                Just("--"),
                Just("#"),
                Just("/*"),
                Just("*/"),
                Just("*"),
                Just("/"),
                Just("]"),
                Just("\n"),
                Just(" "),
                Just("END;"),
                Just(" BEGIN "),
                Just("é€"),
                Just("💥"),
                Just("x"),
            ];
            prop::collection::vec(piece, 0..10).prop_map(|v| v.concat())
        }

        /// Removes `needle` until none is left.
        fn remove_all(mut s: String, needle: &str) -> String {
            while s.contains(needle) {
                s = s.replace(needle, "");
            }
            s
        }

        /// A line comment (with its newline), a block comment, in `dialect`'s syntax.
        fn comment(dialect: Dialect, c: String, kind: u8) -> String {
            let line = c.replace('\n', " ");
            match (dialect, kind % 4) {
                (Dialect::MySql, 0) => format!("-- {line}\n"),
                (Dialect::MySql, 1) => format!("#{line}\n"),
                (_, 0 | 1) => format!("--{line}\n"),
                (Dialect::Postgres, 2) => {
                    // Nested, with arbitrary content around the inner comment.
                    let c = remove_all(remove_all(c, "*/"), "/*");
                    format!("/* {c} /* {c} */ {c} */")
                }
                _ => {
                    let c = remove_all(c, "*/");
                    let c = if dialect == Dialect::Postgres {
                        remove_all(c, "/*")
                    } else {
                        c
                    };
                    format!("/* {c} */")
                }
            }
        }

        /// One fragment whose quoting hides everything in `c`.
        fn literal(dialect: Dialect, c: String, kind: u8) -> String {
            let single = |c: &str| format!("'{}'", c.replace('\'', "''"));
            match dialect {
                Dialect::Postgres => match kind % 6 {
                    0 => single(&c),
                    1 => format!("E'{}'", c.replace('\\', "\\\\").replace('\'', "\\'")),
                    2 => format!("\"{}\"", c.replace('"', "\"\"")),
                    3 | 4 => {
                        let tag = ["", "func", "BODY", "x_1"][usize::from(kind / 6 % 4)];
                        let close = format!("${tag}$");
                        let mut body = remove_all(c, &close);
                        if !format!("{body}{close}").ends_with(&close)
                            || format!("{body}{close}").find(&close) != Some(body.len())
                        {
                            body = body.replace('$', "S");
                        }
                        format!("{close}{body}{close}")
                    }
                    _ => comment(dialect, c, kind / 6),
                },
                Dialect::MySql => match kind % 6 {
                    0 => format!("'{}'", c.replace('\\', "\\\\").replace('\'', "\\'")),
                    1 => format!("'{}'", c.replace('\\', "\\\\").replace('\'', "''")),
                    2 => format!("\"{}\"", c.replace('\\', "\\\\").replace('"', "\\\"")),
                    3 => format!("`{}`", c.replace('`', "``")),
                    _ => comment(dialect, c, kind / 6),
                },
                Dialect::Sqlite => match kind % 6 {
                    0 => single(&c),
                    1 => format!("\"{}\"", c.replace('"', "\"\"")),
                    2 => format!("`{}`", c.replace('`', "``")),
                    3 => format!("[{}]", c.replace(']', "")),
                    _ => comment(dialect, c, kind / 6),
                },
            }
        }

        fn word() -> impl Strategy<Value = &'static str> {
            prop_oneof![
                Just("x"),
                Just("t1"),
                Just("42"),
                Just("="),
                Just(","),
                Just("(a, b)"),
                Just("s.col"),
                Just("||"),
                Just("NULL"),
            ]
        }

        /// A statement before it is rendered in a dialect: its first keyword, then (literal
        /// content, literal kind, word) triples.
        type Recipe = (&'static str, Vec<(String, u8, &'static str)>);

        /// One statement: a keyword, then literals and words, rendered by `render`.
        fn statement() -> impl Strategy<Value = Recipe> {
            (
                prop_oneof![
                    Just("SELECT"),
                    Just("INSERT INTO t VALUES"),
                    Just("UPDATE t SET")
                ],
                prop::collection::vec((content(), any::<u8>(), word()), 0..6),
            )
        }

        fn render(dialect: Dialect, (head, parts): &Recipe) -> String {
            let mut s = (*head).to_owned();
            for (c, kind, word) in parts {
                s.push(' ');
                s.push_str(&literal(dialect, c.clone(), *kind));
                s.push(' ');
                s.push_str(word);
            }
            s
        }

        /// Whitespace and comments between statements (after the `;`), possibly with empty
        /// statements.
        fn junk(dialect: Dialect, choice: u8, c: &str) -> String {
            match choice % 5 {
                0 => String::new(),
                1 => " \n\t".to_owned(),
                2 => comment(dialect, c.to_owned(), 0),
                3 => format!("{} ;\n", comment(dialect, c.to_owned(), 3)),
                _ => ";;\n".to_owned(),
            }
        }

        fn never_splits_inside_a_literal(
            dialect: Dialect,
            statements: &[Recipe],
            junk_choices: &[(u8, String)],
            trailing_semicolon: bool,
        ) -> Result<(), TestCaseError> {
            let texts: Vec<String> = statements.iter().map(|s| render(dialect, s)).collect();
            let mut input = String::new();
            let mut j = junk_choices.iter().cycle();
            let (choice, c) = j.next().cloned().unwrap_or_default();
            input.push_str(&junk(dialect, choice, &c));
            for (i, text) in texts.iter().enumerate() {
                if i > 0 {
                    input.push_str(";\n");
                    let (choice, c) = j.next().cloned().unwrap_or_default();
                    input.push_str(&junk(dialect, choice, &c));
                }
                input.push_str(text);
            }
            if trailing_semicolon {
                input.push(';');
                let (choice, c) = j.next().cloned().unwrap_or_default();
                input.push_str(&junk(dialect, choice, &c));
            }
            let got = split(&input, dialect);
            let got_sql: Vec<&str> = got.iter().map(|s| s.sql).collect();
            let expected: Vec<&str> = texts.iter().map(|t| t.trim_end()).collect();
            prop_assert_eq!(got_sql, expected, "input: {:?}", input);
            check_invariants(&input, dialect)
        }

        proptest! {
            #![proptest_config(config(256))]

            #[test]
            fn postgres_never_splits_inside_a_literal(
                statements in prop::collection::vec(statement(), 1..6),
                junk in prop::collection::vec((any::<u8>(), content()), 1..4),
                trailing in any::<bool>(),
            ) {
                never_splits_inside_a_literal(Dialect::Postgres, &statements, &junk, trailing)?;
            }

            #[test]
            fn mysql_never_splits_inside_a_literal(
                statements in prop::collection::vec(statement(), 1..6),
                junk in prop::collection::vec((any::<u8>(), content()), 1..4),
                trailing in any::<bool>(),
            ) {
                never_splits_inside_a_literal(Dialect::MySql, &statements, &junk, trailing)?;
            }

            #[test]
            fn sqlite_never_splits_inside_a_literal(
                statements in prop::collection::vec(statement(), 1..6),
                junk in prop::collection::vec((any::<u8>(), content()), 1..4),
                trailing in any::<bool>(),
            ) {
                never_splits_inside_a_literal(Dialect::Sqlite, &statements, &junk, trailing)?;
            }
        }
    }
}
