//! Statements that cannot run inside a transaction block: in a file the runtime runs in one,
//! they fail every time.

use super::Dialect;

/// The statement's kind, when `text` is one that refuses a transaction on `dialect`.
pub(crate) fn refuses_transaction(text: &str, dialect: Dialect) -> Option<&'static str> {
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == '(' || c == ';')
        .filter(|w| !w.is_empty())
        .take(8)
        .map(str::to_ascii_uppercase)
        .collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    match dialect {
        Dialect::Postgres => postgres(&words),
        Dialect::Sqlite => matches!(words.first(), Some(&"VACUUM")).then_some("VACUUM"),
        _ => None,
    }
}

fn postgres(words: &[&str]) -> Option<&'static str> {
    match words {
        ["CREATE", "INDEX", "CONCURRENTLY", ..]
        | ["CREATE", "UNIQUE", "INDEX", "CONCURRENTLY", ..] => Some("CREATE INDEX CONCURRENTLY"),
        ["DROP", "INDEX", "CONCURRENTLY", ..] => Some("DROP INDEX CONCURRENTLY"),
        ["REINDEX", rest @ ..] if rest.contains(&"CONCURRENTLY") => Some("REINDEX CONCURRENTLY"),
        ["REINDEX", "SYSTEM" | "DATABASE", ..] => Some("REINDEX DATABASE"),
        ["VACUUM", ..] => Some("VACUUM"),
        ["ALTER", "SYSTEM", ..] => Some("ALTER SYSTEM"),
        ["CREATE", "DATABASE", ..] => Some("CREATE DATABASE"),
        ["DROP", "DATABASE", ..] => Some("DROP DATABASE"),
        ["CREATE", "TABLESPACE", ..] => Some("CREATE TABLESPACE"),
        ["DROP", "TABLESPACE", ..] => Some("DROP TABLESPACE"),
        _ => None,
    }
}
