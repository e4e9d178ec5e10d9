//! The lexer shared by every dialect: where literals, comments, words and punctuation begin and
//! end. What differs between dialects is data, a [`Rules`] per dialect.

use super::Dialect;

/// The lexical rules in which the dialects differ (the table of the module documentation).
pub(super) struct Rules {
    /// `--` starts a comment only before whitespace, a control character or the end of the
    /// input (MySQL); elsewhere always.
    dash_comment_needs_space: bool,
    /// `--` comments end at `\r` as well as at `\n` (PostgreSQL's lexer).
    line_comment_ends_at_cr: bool,
    /// `#` starts a comment to the end of the line.
    hash_comments: bool,
    /// `/* ... */` comments nest.
    nested_block_comments: bool,
    /// `/*!...*/` and `/*+...*/` are SQL, not comments.
    executable_comments: bool,
    /// A backslash escapes the next character in `'...'` and `"..."`.
    backslash_escapes: bool,
    /// `` `...` `` is a quoted identifier.
    backtick_identifiers: bool,
    /// `[...]` is a quoted identifier.
    bracket_identifiers: bool,
    /// `$tag$...$tag$` dollar quoting, `$1` parameters and `E'...'` escape strings.
    dollar_quotes_and_escape_strings: bool,
    /// `$` may continue an unquoted identifier.
    dollar_in_identifiers: bool,
}

const POSTGRES: Rules = Rules {
    dash_comment_needs_space: false,
    line_comment_ends_at_cr: true,
    hash_comments: false,
    nested_block_comments: true,
    executable_comments: false,
    backslash_escapes: false,
    backtick_identifiers: false,
    bracket_identifiers: false,
    dollar_quotes_and_escape_strings: true,
    dollar_in_identifiers: true,
};

const MYSQL: Rules = Rules {
    dash_comment_needs_space: true,
    line_comment_ends_at_cr: false,
    hash_comments: true,
    nested_block_comments: false,
    executable_comments: true,
    backslash_escapes: true,
    backtick_identifiers: true,
    bracket_identifiers: false,
    dollar_quotes_and_escape_strings: false,
    dollar_in_identifiers: true,
};

const SQLITE: Rules = Rules {
    dash_comment_needs_space: false,
    line_comment_ends_at_cr: false,
    hash_comments: false,
    nested_block_comments: false,
    executable_comments: false,
    backslash_escapes: false,
    backtick_identifiers: true,
    bracket_identifiers: true,
    dollar_quotes_and_escape_strings: false,
    dollar_in_identifiers: false,
};

impl Rules {
    pub(super) fn of(dialect: Dialect) -> &'static Rules {
        match dialect {
            Dialect::Postgres => &POSTGRES,
            Dialect::MySql => &MYSQL,
            Dialect::Sqlite => &SQLITE,
        }
    }
}

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
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

/// A token: its kind and its byte range in the input.
#[derive(Clone, Copy, Debug)]
pub(super) struct Token {
    pub(super) kind: Kind,
    pub(super) start: usize,
    pub(super) end: usize,
}

/// Reads one token at a time; every token ends on a char boundary.
pub(super) struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    rules: &'static Rules,
    /// The statement delimiter when it is not `;` (MySQL `DELIMITER`): words and numbers stop
    /// where it begins, as the mysql client looks for it at every character.
    custom_delimiter: Option<&'a str>,
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || (!c.is_ascii() && !c.is_whitespace())
}

impl<'a> Lexer<'a> {
    pub(super) fn new(
        src: &'a str,
        rules: &'static Rules,
        custom_delimiter: Option<&'a str>,
    ) -> Self {
        Lexer {
            src,
            bytes: src.as_bytes(),
            pos: 0,
            rules,
            custom_delimiter,
        }
    }

    /// The token at `pos`, which must be below the input's length and on a char boundary.
    pub(super) fn token_at(&mut self, pos: usize) -> Token {
        self.pos = pos;
        let kind = self.lex();
        // Every branch advances; guard anyway so that the splitter always makes progress.
        if self.pos <= pos {
            self.pos = pos + self.char_at(pos).map_or(1, char::len_utf8);
        }
        self.pos = self.pos.min(self.src.len());
        Token {
            kind,
            start: pos,
            end: self.pos,
        }
    }

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
            || (c == '$' && self.rules.dollar_in_identifiers)
            || (!c.is_ascii() && !c.is_whitespace())
    }

    fn lex(&mut self) -> Kind {
        let start = self.pos;
        let Some(c) = self.char_at(start) else {
            self.pos = self.src.len();
            return Kind::Space;
        };
        let rules = self.rules;
        match c {
            c if c.is_whitespace() => {
                self.pos = start + c.len_utf8();
                while let Some(c) = self.char_at(self.pos).filter(|c| c.is_whitespace()) {
                    self.pos += c.len_utf8();
                }
                Kind::Space
            }
            '-' if self.byte(start + 1) == Some(b'-') => self.dash_dash(start),
            '#' if rules.hash_comments => {
                self.line_comment(start + 1);
                Kind::Comment
            }
            '/' if self.byte(start + 1) == Some(b'*') => {
                let executable =
                    rules.executable_comments && matches!(self.byte(start + 2), Some(b'!' | b'+'));
                self.block_comment(start + 2);
                if executable {
                    Kind::Literal
                } else {
                    Kind::Comment
                }
            }
            '\'' | '"' => {
                self.quoted(start + 1, c as u8, rules.backslash_escapes);
                Kind::Literal
            }
            '`' if rules.backtick_identifiers => {
                self.quoted(start + 1, b'`', false);
                Kind::Literal
            }
            '[' if rules.bracket_identifiers => {
                self.pos = match self.src[start + 1..].find(']') {
                    Some(i) => start + 1 + i + 1,
                    None => self.src.len(),
                };
                Kind::Literal
            }
            '$' if rules.dollar_quotes_and_escape_strings => self.dollar(start),
            c if is_ident_start(c) => self.word(start, c),
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

    /// `--` at `start`: a comment, or in MySQL a `-` when no space or control character follows.
    fn dash_dash(&mut self, start: usize) -> Kind {
        if self.rules.dash_comment_needs_space {
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

    /// A word starting with `c` at `start`, or a PostgreSQL escape string `E'...'`.
    fn word(&mut self, start: usize, c: char) -> Kind {
        self.pos = start + c.len_utf8();
        while let Some(c) = self.char_at(self.pos) {
            if !self.is_ident_cont(c) || self.at_custom_delimiter(self.pos) {
                break;
            }
            self.pos += c.len_utf8();
        }
        // An escape string: `E'...'` (the `E` alone, directly before the quote).
        if self.rules.dollar_quotes_and_escape_strings
            && self.pos == start + 1
            && matches!(c, 'e' | 'E')
            && self.byte(self.pos) == Some(b'\'')
        {
            self.quoted(self.pos + 1, b'\'', true);
            return Kind::Literal;
        }
        Kind::Word
    }

    /// A comment from `from` to the end of the line (the newline is not part of it).
    fn line_comment(&mut self, from: usize) {
        let rest = &self.bytes[from.min(self.bytes.len())..];
        let end = if self.rules.line_comment_ends_at_cr {
            rest.iter().position(|&b| b == b'\n' || b == b'\r')
        } else {
            rest.iter().position(|&b| b == b'\n')
        };
        self.pos = end.map_or(self.bytes.len(), |i| from + i);
    }

    /// A block comment whose opening `/*` ends at `from`.
    fn block_comment(&mut self, from: usize) {
        let nested = self.rules.nested_block_comments;
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

    /// PostgreSQL `$` at `start`: a dollar-quoted string, a parameter (`$1`) or a lone `$`.
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
