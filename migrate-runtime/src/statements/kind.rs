//! What a statement is, as far as running a file statement by statement cares: data
//! statements may be grouped into one transaction, and a file that controls transactions
//! itself runs each statement alone.

/// The kind of a statement, from its first keyword.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StatementKind {
    /// `INSERT`, `UPDATE`, `DELETE`, `REPLACE`: changes rows only, never commits.
    Data,
    /// `BEGIN`, `COMMIT`, `SAVEPOINT`, `LOCK TABLES`, …: the file groups statements into
    /// transactions itself.
    TransactionControl,
    /// Anything else.
    Other,
}

/// The kind of `sql`, a statement as [`super::split`] returns it (leading comments removed).
pub(crate) fn kind(sql: &str) -> StatementKind {
    let end = sql
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(sql.len());
    let keyword = &sql[..end];
    let is = |words: &[&str]| words.iter().any(|w| w.eq_ignore_ascii_case(keyword));
    if is(&["INSERT", "UPDATE", "DELETE", "REPLACE"]) {
        StatementKind::Data
    } else if is(&[
        "BEGIN",
        "START",
        "COMMIT",
        "END",
        "ROLLBACK",
        "ABORT",
        "SAVEPOINT",
        "RELEASE",
        "LOCK",
        "UNLOCK",
        "XA",
    ]) {
        StatementKind::TransactionControl
    } else {
        StatementKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_told_apart_by_their_first_keyword() {
        assert_eq!(kind("insert into t values (1)"), StatementKind::Data);
        assert_eq!(kind("UPDATE t SET a = 1"), StatementKind::Data);
        assert_eq!(kind("Delete FROM t"), StatementKind::Data);
        assert_eq!(kind("BEGIN"), StatementKind::TransactionControl);
        assert_eq!(kind("start transaction"), StatementKind::TransactionControl);
        assert_eq!(kind("COMMIT"), StatementKind::TransactionControl);
        assert_eq!(
            kind("LOCK TABLES t WRITE"),
            StatementKind::TransactionControl
        );
        assert_eq!(kind("CREATE TABLE t (id INT)"), StatementKind::Other);
        assert_eq!(
            kind("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x"),
            StatementKind::Other
        );
        assert_eq!(kind("INSERTED"), StatementKind::Other);
        assert_eq!(kind(""), StatementKind::Other);
    }
}
