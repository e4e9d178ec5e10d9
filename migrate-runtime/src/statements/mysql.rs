//! MySQL and MariaDB: where a `;` does not end a statement. Inside the blocks of a routine's
//! body (`CREATE ... {PROCEDURE | FUNCTION | TRIGGER | EVENT}`) and of MariaDB's compound
//! statements outside routines; the rules are in the module documentation of
//! [`statements`](super).

use super::lexer::Kind;

/// What a block was opened by, so that `END IF`, `END LOOP`... consume their keyword.
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
    /// The keyword that may follow the block's `END`.
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

/// What the statement defines, as far as its first words tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Object {
    /// No token read yet.
    Unread,
    /// `CREATE` before its object keyword (still in `CREATE [OR REPLACE] [DEFINER = ...]`).
    Undecided,
    /// Not a routine (nor a `CREATE` statement at all).
    NotRoutine,
    Procedure,
    Function,
    Trigger,
    Event,
}

impl Object {
    fn is_routine(self) -> bool {
        matches!(
            self,
            Object::Procedure | Object::Function | Object::Trigger | Object::Event
        )
    }

    /// What the word after `CREATE [OR REPLACE] [DEFINER = ...]` makes the statement.
    fn from_keyword(word: &str) -> Object {
        const NOT_ROUTINES: [&str; 17] = [
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
            "TEMPORARY",
        ];
        match word.to_ascii_uppercase().as_str() {
            "PROCEDURE" => Object::Procedure,
            "FUNCTION" => Object::Function,
            "TRIGGER" => Object::Trigger,
            "EVENT" => Object::Event,
            w if NOT_ROUTINES.contains(&w) => Object::NotRoutine,
            _ => Object::Undecided,
        }
    }
}

/// Where the body stands: blocks open only until the outermost one has closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Body {
    /// No block opened yet: in a routine, still its header.
    NotStarted,
    /// A block was opened, and the outermost one has not closed.
    Begun,
    /// The outermost block has closed: only a statement-start keyword opens another.
    Closed,
}

/// What a `BEGIN` followed by `NOT ATOMIC` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BeginOf {
    /// The `BEGIN` of a block, already open.
    Block,
    /// A `BEGIN` at the start of a statement outside a routine: a transaction (`BEGIN;`,
    /// `BEGIN WORK;`), unless `NOT ATOMIC` follows and opens a MariaDB compound statement.
    Transaction,
}

/// The previous token, when the meaning of the next depends on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Previous {
    /// Nothing that matters to the next token.
    Other,
    /// `END` of a block whose closing keyword may follow (`END IF`).
    End { closer: &'static str },
    /// `BEGIN`: `NOT ATOMIC` keeps the statement start.
    Begin(BeginOf),
    /// `BEGIN NOT`.
    BeginNot(BeginOf),
    /// `EACH` (trigger `FOR EACH ROW`).
    Each,
    /// `FOLLOWS` or `PRECEDES` in a trigger header: the body starts after the next token.
    FollowsOrPrecedes,
}

/// Per-statement state of a MySQL statement.
#[derive(Debug)]
pub(super) struct Tracker {
    object: Object,
    /// The blocks open, innermost last.
    stack: Vec<Block>,
    body: Body,
    /// Parenthesis depth.
    parens: usize,
    /// The next token starts a statement inside a body (or the body itself).
    at_statement_start: bool,
    /// The previous token was a word at a statement start: a `:` makes it a label (`l1:`).
    word_at_statement_start: bool,
    previous: Previous,
}

impl Tracker {
    pub(super) fn new() -> Tracker {
        Tracker {
            object: Object::Unread,
            stack: Vec::new(),
            body: Body::NotStarted,
            parens: 0,
            at_statement_start: true,
            word_at_statement_start: false,
            previous: Previous::Other,
        }
    }

    /// Whether a `;` here is part of the statement rather than its end.
    pub(super) fn holds_semicolon(&self) -> bool {
        !self.stack.is_empty()
    }

    /// Feeds one significant token (`text` is its source, `next_byte` the byte after it).
    pub(super) fn token(&mut self, kind: Kind, text: &str, next_byte: Option<u8>) {
        // What the statement defines: `CREATE`, then the first object keyword decides.
        match self.object {
            Object::Unread => {
                self.object = if kind == Kind::Word && text.eq_ignore_ascii_case("CREATE") {
                    Object::Undecided
                } else {
                    Object::NotRoutine
                };
            }
            Object::Undecided if kind == Kind::Word => {
                self.object = Object::from_keyword(text);
                // The keyword itself starts nothing.
                self.at_statement_start = false;
                return;
            }
            _ => {}
        }

        let in_block = !self.stack.is_empty();
        let at_start = std::mem::replace(&mut self.at_statement_start, false);
        let word_at_start = std::mem::replace(&mut self.word_at_statement_start, false);
        let previous = std::mem::replace(&mut self.previous, Previous::Other);
        if previous == Previous::FollowsOrPrecedes {
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
                if self.in_header()
                    && self.parens == 0
                    && matches!(self.object, Object::Procedure | Object::Function)
                {
                    self.at_statement_start = true;
                }
            }
            Kind::Punct(b':') if word_at_start && next_byte != Some(b'=') => {
                // A label: `l1: LOOP`.
                self.at_statement_start = true;
            }
            Kind::Word => self.word(text, at_start, previous),
            _ => {}
        }
    }

    /// In a routine's header: its body has not begun.
    fn in_header(&self) -> bool {
        self.object.is_routine() && self.body == Body::NotStarted
    }

    /// A word, `at_start` of a statement or not, after `previous`.
    fn word(&mut self, text: &str, at_start: bool, previous: Previous) {
        let is = |keyword: &str| text.eq_ignore_ascii_case(keyword);
        match previous {
            Previous::End { closer } if is(closer) => return,
            Previous::Begin(of) if is("NOT") => {
                self.previous = Previous::BeginNot(of);
                self.at_statement_start = at_start;
                return;
            }
            Previous::BeginNot(of) if is("ATOMIC") => {
                if of == BeginOf::Transaction {
                    self.open(Block::Begin);
                }
                self.at_statement_start = true;
                return;
            }
            _ => {}
        }
        self.word_at_statement_start = at_start;

        let in_block = !self.stack.is_empty();
        // Where block keywords count: inside a block, or in a routine's header. Once the
        // outermost block has closed, nothing more opens.
        let context = self.body != Body::Closed && (in_block || self.object.is_routine());
        match text.to_ascii_uppercase().as_str() {
            "BEGIN" if context => {
                self.open(Block::Begin);
                self.at_statement_start = true;
                self.previous = Previous::Begin(BeginOf::Block);
            }
            // `BEGIN;` / `BEGIN WORK;` start a transaction; `BEGIN NOT ATOMIC` is a MariaDB
            // compound statement.
            "BEGIN" if at_start => self.previous = Previous::Begin(BeginOf::Transaction),
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
                if let Some(closer) = self.stack.pop().and_then(Block::closer) {
                    self.previous = Previous::End { closer };
                }
                if self.stack.is_empty() {
                    self.body = Body::Closed;
                }
            }
            // In a CASE expression, what follows THEN and ELSE is an expression.
            "THEN" | "ELSE" if in_block && self.stack.last() != Some(&Block::CaseExpression) => {
                self.at_statement_start = true;
            }
            "DO" if context => self.at_statement_start = true,
            "ROW"
                if self.in_header()
                    && previous == Previous::Each
                    && self.object == Object::Trigger =>
            {
                self.at_statement_start = true;
            }
            "EACH" => self.previous = Previous::Each,
            "FOLLOWS" | "PRECEDES" if self.in_header() && at_start => {
                self.previous = Previous::FollowsOrPrecedes;
            }
            _ => {}
        }
    }

    fn open(&mut self, block: Block) {
        self.stack.push(block);
        if self.body == Body::NotStarted {
            self.body = Body::Begun;
        }
    }
}
