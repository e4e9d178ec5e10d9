//! Splits a migration file into statements (work in progress: naive split on `;`).

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

/// One statement of a migration file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement<'a> {
    /// The statement: from its first character that is not whitespace or part of a leading comment,
    /// to just before its terminating delimiter, trailing whitespace trimmed. A sub-slice of the input.
    pub sql: &'a str,
    /// Byte offset of `sql` in the input.
    pub offset: usize,
    /// 1-based line where `sql` starts in the input.
    pub line: usize,
    /// 1-based column (counted in chars) where `sql` starts in the input.
    pub column: usize,
}

/// Splits a migration file into statements. Never panics, for any input.
pub fn split(sql: &str, dialect: Dialect) -> Vec<Statement<'_>> {
    let _ = dialect;
    let mut out = Vec::new();
    let mut start = 0;
    for piece in sql.split(';') {
        let trimmed = piece.trim();
        if !trimmed.is_empty() {
            let offset = start + (piece.len() - piece.trim_start().len());
            let before = &sql[..offset];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            out.push(Statement {
                sql: trimmed,
                offset,
                line,
                column,
            });
        }
        start += piece.len() + 1;
    }
    out
}
