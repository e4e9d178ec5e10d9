//! The tokens of an opaque statement, for the rules that read its text: comments are left
//! out, string literals and quoted identifiers are never mistaken for keywords.

use sqlparser::dialect::{
    Dialect as ParserDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect,
};
use sqlparser::tokenizer::{Token, Tokenizer};

use super::Dialect;

/// The tokens of `text` without whitespace and comments; `None` when it does not tokenize
/// (an unterminated literal), or when the tokenizer panics.
pub(super) fn significant_tokens(text: &str, dialect: Dialect) -> Option<Vec<Token>> {
    let parser_dialect: &dyn ParserDialect = match dialect {
        Dialect::Postgres => &PostgreSqlDialect {},
        Dialect::MySql => &MySqlDialect {},
        Dialect::Sqlite => &SQLiteDialect {},
    };
    let tokens = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Tokenizer::new(parser_dialect, text).tokenize()
    }))
    .ok()?
    .ok()?;
    Some(
        tokens
            .into_iter()
            .filter(|token| !matches!(token, Token::Whitespace(_)))
            .collect(),
    )
}

/// True when `token` is the unquoted word `keyword`, in any case.
pub(super) fn is_word(token: Option<&Token>, keyword: &str) -> bool {
    matches!(token, Some(Token::Word(word))
        if word.quote_style.is_none() && word.value.eq_ignore_ascii_case(keyword))
}

/// The content of a string literal (in MySQL `"…"` is one).
pub(super) fn string_literal(token: Option<&Token>) -> Option<&str> {
    match token? {
        Token::SingleQuotedString(text)
        | Token::DoubleQuotedString(text)
        | Token::EscapedStringLiteral(text)
        | Token::NationalStringLiteral(text)
        | Token::UnicodeStringLiteral(text) => Some(text),
        Token::DollarQuotedString(quoted) => Some(&quoted.value),
        _ => None,
    }
}
