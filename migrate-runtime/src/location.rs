//! Where in a migration file a failure happened: line, column and statement.

use crate::error::Location;
use crate::migration::{Migration, Script};
use crate::statements::{self, Dialect};
use crate::Error;

/// Where a failure happened: `byte` is a byte offset into `sql` (the whole file) reported
/// by the database or the start of the failing statement. The statement is the one of
/// `split(sql)` that contains `byte`.
pub(crate) fn locate(sql: &str, dialect: Dialect, byte: usize) -> Location {
    let byte = byte.min(sql.len());
    let (line, column) = line_column(sql, byte);
    let statement = statements::split(sql, dialect)
        .into_iter()
        .enumerate()
        .find(|(_, s)| s.offset <= byte && byte <= s.offset + s.sql.len())
        .map(|(index, s)| (index + 1, one_line(s.sql)));
    Location {
        line,
        column,
        statement,
    }
}

/// The 1-based line and column (in characters) of byte `byte` of `sql` (its end, past it);
/// lines end at `\n`, as [`statements::split`] counts them.
pub(crate) fn line_column(sql: &str, byte: usize) -> (usize, usize) {
    let before = sql.get(..byte).unwrap_or(sql);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Where a statement of `sql` that starts at byte `offset` failed, with the 1-based
/// character `position` in the statement that the database reported, if any.
pub(crate) fn locate_in_statement(
    sql: &str,
    dialect: Dialect,
    statement: &str,
    offset: usize,
    position: Option<usize>,
) -> Location {
    let at = position
        .and_then(|p| char_to_byte(statement, p))
        .unwrap_or(0);
    locate(sql, dialect, offset + at)
}

/// A statement on one line, shortened to 200 characters.
fn one_line(sql: &str) -> String {
    let flat: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 200 {
        let cut: String = flat.chars().take(199).collect();
        format!("{cut}…")
    } else {
        flat
    }
}

/// The byte offset of a 1-based character position in `sql`.
pub(crate) fn char_to_byte(sql: &str, position: usize) -> Option<usize> {
    let index = position.checked_sub(1)?;
    Some(
        sql.char_indices()
            .nth(index)
            .map_or(sql.len(), |(byte, _)| byte),
    )
}

/// The database's own message for an error.
pub(crate) fn db_message(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(db) => db.message().to_owned(),
        other => other.to_string(),
    }
}

/// Builds [`Error::Migration`].
pub(crate) fn migration_error(
    migration: &Migration,
    script: &Script,
    error: sqlx::Error,
    rolled_back: bool,
    location: Option<Location>,
) -> Error {
    Error::Migration {
        version: migration.version(),
        file: script.file().to_owned(),
        message: db_message(&error),
        location: location.map(Box::new),
        rolled_back,
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_name_line_column_and_statement() {
        let sql = "CREATE TABLE a (id INT);\nCREATE TABLE b (id INTT);";
        let at = char_to_byte(sql, 45).expect("position");
        let location = locate(sql, Dialect::Postgres, at);
        assert_eq!((location.line, location.column), (2, 20));
        assert_eq!(
            location.statement,
            Some((2, "CREATE TABLE b (id INTT)".to_owned()))
        );
        assert_eq!(char_to_byte(sql, 0), None);
        assert_eq!(locate("é;\nx", Dialect::MySql, 4).column, 1);
    }

    #[test]
    fn long_statements_are_shortened_to_one_line() {
        let long = format!("SELECT\n{}", "x, ".repeat(100));
        let short = one_line(&long);
        assert!(!short.contains('\n') && short.chars().count() == 200 && short.ends_with('…'));
    }
}
