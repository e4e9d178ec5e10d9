//! Statements with their positions, each parsed for its dialect. A statement the parser
//! rejects (or reads as more than one statement) is opaque: never an error by itself.

use sqlparser::ast::Statement;
use sqlparser::dialect::{self, Dialect as ParserDialect};
use sqlparser::parser::Parser;

use super::Dialect;
use crate::statements;

/// One statement of a file.
pub(crate) struct Parsed<'a> {
    /// The statement's text, as [`statements::split`] found it.
    pub text: &'a str,
    /// 1-based line and column in the file.
    pub line: usize,
    pub column: usize,
    /// The comments and whitespace between the previous statement and this one.
    pub before: &'a str,
    /// The statement, when the parser understood it.
    pub ast: Option<Statement>,
}

/// Splits `sql` into statements and parses each one.
pub(crate) fn parse(sql: &str, dialect: Dialect) -> Vec<Parsed<'_>> {
    let parser = parser_dialect(dialect);
    let mut end_of_previous = 0;
    let mut parsed = Vec::new();
    for statement in statements::split(sql, dialect) {
        let before = sql.get(end_of_previous..statement.offset).unwrap_or("");
        end_of_previous = statement.offset + statement.sql.len();
        parsed.push(Parsed {
            text: statement.sql,
            line: statement.line,
            column: statement.column,
            before,
            ast: one_statement(&*parser, statement.sql),
        });
    }
    parsed
}

fn parser_dialect(dialect: Dialect) -> Box<dyn ParserDialect> {
    match dialect {
        Dialect::MySql => Box::new(dialect::MySqlDialect {}),
        Dialect::Sqlite => Box::new(dialect::SQLiteDialect {}),
        _ => Box::new(dialect::PostgreSqlDialect {}),
    }
}

/// The statement, when the parser reads exactly one from `text`. A panic in the parser
/// makes the statement opaque too: the macro must never panic.
fn one_statement(parser: &dyn ParserDialect, text: &str) -> Option<Statement> {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Parser::parse_sql(parser, text)
    }));
    match result {
        Ok(Ok(mut statements)) if statements.len() == 1 => statements.pop(),
        _ => None,
    }
}
