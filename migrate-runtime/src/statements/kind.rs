//! What a statement is, from its first keywords, as far as running a file statement by
//! statement cares: data statements may be grouped into one transaction, a file that
//! controls transactions itself runs each statement alone, and the replay that locates a
//! failed statement stops before one that would end its transaction.

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

/// The words of a statement (runs of ASCII letters), which tell statements apart by their
/// first keywords.
fn words(sql: &str) -> impl Iterator<Item = &str> {
    sql.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|word| !word.is_empty())
}

/// Whether `word` is one of `keywords`, in any case.
fn is_one_of(word: &str, keywords: &[&str]) -> bool {
    keywords.iter().any(|k| k.eq_ignore_ascii_case(word))
}

/// The kind of `sql`, a statement as [`super::split`] returns it (leading comments removed).
pub(crate) fn kind(sql: &str) -> StatementKind {
    // The statement's very first word: one that starts with anything else is no keyword.
    let keyword = words(sql)
        .next()
        .filter(|word| sql.starts_with(word))
        .unwrap_or_default();
    if is_one_of(keyword, &["INSERT", "UPDATE", "DELETE", "REPLACE"]) {
        StatementKind::Data
    } else if is_one_of(
        keyword,
        &[
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
        ],
    ) {
        StatementKind::TransactionControl
    } else {
        StatementKind::Other
    }
}

/// Whether `sql` ends (or nests) the transaction it runs in: a replay that must stay in its
/// own transaction stops before such a statement (a script that commits part of itself
/// cannot be replayed).
pub(crate) fn ends_transaction(sql: &str) -> bool {
    let mut words = words(sql);
    let first = words.next().unwrap_or_default();
    if is_one_of(first, &["BEGIN", "START", "COMMIT", "END", "ABORT"]) {
        true
    } else if first.eq_ignore_ascii_case("ROLLBACK") {
        !words.next().is_some_and(|w| w.eq_ignore_ascii_case("TO"))
    } else if first.eq_ignore_ascii_case("PREPARE") {
        words
            .next()
            .is_some_and(|w| w.eq_ignore_ascii_case("TRANSACTION"))
    } else {
        false
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

    #[test]
    fn statements_that_end_the_replays_transaction_are_recognised() {
        for ends in [
            "COMMIT",
            "commit work",
            "END",
            "BEGIN",
            "begin transaction",
            "START TRANSACTION",
            "ROLLBACK",
            "ABORT",
            "PREPARE TRANSACTION 'x'",
        ] {
            assert!(ends_transaction(ends), "{ends}");
        }
        for stays in [
            "ROLLBACK TO SAVEPOINT a",
            "rollback to a",
            "SAVEPOINT a",
            "PREPARE q AS SELECT 1",
            "CREATE TABLE commits (id INT)",
            "INSERT INTO t VALUES ('COMMIT')",
            "",
        ] {
            assert!(!ends_transaction(stays), "{stays}");
        }
    }
}
