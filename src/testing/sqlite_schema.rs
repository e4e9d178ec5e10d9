//! The schema of a SQLite database, from `sqlite_schema` and the `pragma_*` table functions.
//! Tables are described column by column (so a table rebuilt by a down script compares equal
//! to the original however its SQL was written); CHECK constraints are read from the
//! `CREATE TABLE` text; views and triggers are compared by their SQL, whitespace collapsed.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::pool::PoolConnection;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, SqlitePool};

use super::snapshot::{collapse, Exclude, Inspect};

/// Column `index` of a row whose columns are all text (or NULL).
fn text(row: &SqliteRow, index: usize) -> Result<String, sqlx::Error> {
    Ok(row.try_get::<Option<String>, _>(index)?.unwrap_or_default())
}

fn nullable(row: &SqliteRow, index: usize) -> Result<Option<String>, sqlx::Error> {
    row.try_get::<Option<String>, _>(index)
}

async fn fetch(
    conn: &mut PoolConnection<Sqlite>,
    sql: &'static str,
    argument: &str,
) -> Result<Vec<SqliteRow>, sqlx::Error> {
    sqlx::query(sql)
        .bind(argument.to_owned())
        .fetch_all(&mut **conn)
        .await
}

impl Inspect for SqlitePool {
    async fn schema_lines(&self, exclude: &Exclude) -> Result<BTreeSet<String>, sqlx::Error> {
        let mut conn = self.acquire().await?;
        let mut lines = BTreeSet::new();
        let objects = sqlx::query(
            "SELECT type, name, tbl_name, sql FROM sqlite_master \
             WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
        )
        .fetch_all(&mut *conn)
        .await?;
        for object in objects {
            let (kind, name, table) = (text(&object, 0)?, text(&object, 1)?, text(&object, 2)?);
            if exclude.skips(None, &table) {
                continue;
            }
            let sql = text(&object, 3)?;
            match kind.as_str() {
                "table" => describe_table(&mut conn, &name, &sql, &mut lines).await?,
                "view" => {
                    lines.insert(format!("view {name}: {}", collapse(&sql)));
                }
                "trigger" => {
                    lines.insert(format!("trigger {table}.{name}: {}", collapse(&sql)));
                }
                // Indexes are described with their table, from the pragmas.
                _ => {}
            }
        }
        Ok(lines)
    }
}

async fn describe_table(
    conn: &mut PoolConnection<Sqlite>,
    table: &str,
    sql: &str,
    lines: &mut BTreeSet<String>,
) -> Result<(), sqlx::Error> {
    lines.insert(format!("table {table}"));
    let columns = fetch(
        conn,
        "SELECT name, type, CAST(\"notnull\" AS TEXT), dflt_value, CAST(pk AS TEXT), \
           CAST(hidden AS TEXT) FROM pragma_table_xinfo(?1)",
        table,
    )
    .await?;
    let mut primary_key: Vec<(i64, String)> = Vec::new();
    for column in columns {
        let name = text(&column, 0)?;
        // Declared types are names, compared without regard to case.
        let mut line = format!(
            "column {table}.{name}: {}",
            text(&column, 1)?.to_uppercase()
        );
        if text(&column, 2)? == "1" {
            line.push_str(" NOT NULL");
        }
        if let Some(default) = nullable(&column, 3)? {
            line.push_str(&format!(" DEFAULT {default}"));
        }
        match text(&column, 5)?.as_str() {
            "2" => line.push_str(" GENERATED VIRTUAL"),
            "3" => line.push_str(" GENERATED STORED"),
            _ => {}
        }
        if let Ok(position) = text(&column, 4)?.parse::<i64>() {
            if position > 0 {
                primary_key.push((position, name));
            }
        }
        lines.insert(line);
    }
    if !primary_key.is_empty() {
        primary_key.sort();
        let columns: Vec<String> = primary_key.into_iter().map(|(_, name)| name).collect();
        lines.insert(format!(
            "constraint {table}: PRIMARY KEY ({})",
            columns.join(", ")
        ));
    }

    let indexes = fetch(
        conn,
        "SELECT l.name, CAST(l.\"unique\" AS TEXT), l.origin, CAST(l.partial AS TEXT), m.sql \
         FROM pragma_index_list(?1) l LEFT JOIN sqlite_master m \
           ON m.type = 'index' AND m.name = l.name",
        table,
    )
    .await?;
    for index in indexes {
        let name = text(&index, 0)?;
        let columns = fetch(
            conn,
            "SELECT name, CAST(\"desc\" AS TEXT), coll, CAST(cid AS TEXT) \
             FROM pragma_index_xinfo(?1) WHERE key = 1 ORDER BY seqno",
            &name,
        )
        .await?;
        let mut parts = Vec::new();
        for column in columns {
            let mut part = match (nullable(&column, 0)?, text(&column, 3)?.as_str()) {
                (Some(name), _) => name,
                (None, "-1") => "rowid".to_owned(),
                (None, _) => "(expression)".to_owned(),
            };
            let collation = text(&column, 2)?;
            if !collation.eq_ignore_ascii_case("BINARY") {
                part.push_str(&format!(" COLLATE {collation}"));
            }
            if text(&column, 1)? == "1" {
                part.push_str(" DESC");
            }
            parts.push(part);
        }
        let unique = if text(&index, 1)? == "1" {
            "UNIQUE "
        } else {
            ""
        };
        let origin = match text(&index, 2)?.as_str() {
            "u" => " from a UNIQUE constraint",
            "pk" => " from the PRIMARY KEY",
            _ => "",
        };
        let partial = if text(&index, 3)? == "1" {
            format!(" WHERE {}", where_clause(&text(&index, 4)?))
        } else {
            String::new()
        };
        lines.insert(format!(
            "index {name} ON {table}: {unique}({}){partial}{origin}",
            parts.join(", ")
        ));
    }

    let keys = fetch(
        conn,
        "SELECT CAST(id AS TEXT), \"table\", \"from\", \"to\", on_update, on_delete \
         FROM pragma_foreign_key_list(?1) ORDER BY id, seq",
        table,
    )
    .await?;
    let mut foreign_keys: BTreeMap<String, (String, Vec<String>, Vec<String>, String)> =
        BTreeMap::new();
    for key in keys {
        let rules = format!("ON UPDATE {} ON DELETE {}", text(&key, 4)?, text(&key, 5)?);
        let entry = foreign_keys
            .entry(text(&key, 0)?)
            .or_insert_with(|| (String::new(), Vec::new(), Vec::new(), rules));
        entry.0 = text(&key, 1)?;
        entry.1.push(text(&key, 2)?);
        // `to` is NULL when the key refers to the parent's primary key implicitly.
        entry
            .2
            .push(nullable(&key, 3)?.unwrap_or_else(|| "(primary key)".to_owned()));
    }
    for (target, from, to, rules) in foreign_keys.into_values() {
        lines.insert(format!(
            "constraint {table}: FOREIGN KEY ({}) REFERENCES {target} ({}) {rules}",
            from.join(", "),
            to.join(", ")
        ));
    }

    for check in check_constraints(sql) {
        lines.insert(format!("constraint {table}: CHECK ({check})"));
    }
    Ok(())
}

/// The expression after the last top-level `WHERE` of a `CREATE INDEX` statement, whitespace
/// collapsed.
fn where_clause(sql: &str) -> String {
    let tokens = tokens(sql);
    let at = tokens
        .iter()
        .rposition(|t| t.depth == 0 && t.text.eq_ignore_ascii_case("WHERE"));
    match at {
        Some(at) => collapse(&sql[tokens[at].end..]),
        None => String::new(),
    }
}

/// The expressions of the `CHECK (...)` clauses in a `CREATE TABLE` statement, whitespace
/// collapsed; strings, quoted identifiers and comments are skipped while looking.
fn check_constraints(sql: &str) -> Vec<String> {
    let tokens = tokens(sql);
    let mut checks = Vec::new();
    for (index, token) in tokens.iter().enumerate() {
        if !token.text.eq_ignore_ascii_case("CHECK") {
            continue;
        }
        let Some(open) = tokens.get(index + 1).filter(|t| t.text == "(") else {
            continue;
        };
        let close = tokens[index + 2..]
            .iter()
            .find(|t| t.text == ")" && t.depth == open.depth);
        if let Some(close) = close {
            checks.push(collapse(&sql[open.end..close.start]));
        }
    }
    checks
}

/// A word, a quoted string or identifier, or a punctuation character of SQL text, with its
/// byte range and parenthesis depth (of a `(`: the depth outside it; of a `)`: the same).
struct Token<'a> {
    text: &'a str,
    start: usize,
    end: usize,
    depth: usize,
}

fn tokens(sql: &str) -> Vec<Token<'_>> {
    let bytes = sql.as_bytes();
    let mut tokens = Vec::new();
    let mut depth = 0usize;
    let mut at = 0;
    while at < bytes.len() {
        let start = at;
        let byte = bytes[at];
        let token_depth = if byte == b')' {
            depth = depth.saturating_sub(1);
            depth
        } else {
            depth
        };
        match byte {
            b'\'' | b'"' | b'`' | b'[' => {
                let close = if byte == b'[' { b']' } else { byte };
                at += 1;
                while at < bytes.len() {
                    if bytes[at] == close {
                        // A doubled quote is an escaped one.
                        if close != b']' && bytes.get(at + 1) == Some(&close) {
                            at += 2;
                            continue;
                        }
                        break;
                    }
                    at += 1;
                }
                at = (at + 1).min(bytes.len());
            }
            b'-' if bytes.get(at + 1) == Some(&b'-') => {
                while at < bytes.len() && bytes[at] != b'\n' {
                    at += 1;
                }
                continue;
            }
            b'/' if bytes.get(at + 1) == Some(&b'*') => {
                at += 2;
                while at < bytes.len() && !(bytes[at] == b'*' && bytes.get(at + 1) == Some(&b'/')) {
                    at += 1;
                }
                at = (at + 2).min(bytes.len());
                continue;
            }
            b if b.is_ascii_whitespace() => {
                at += 1;
                continue;
            }
            b if b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80 => {
                while at < bytes.len()
                    && (bytes[at].is_ascii_alphanumeric() || bytes[at] == b'_' || bytes[at] >= 0x80)
                {
                    at += 1;
                }
            }
            _ => at += 1,
        }
        if byte == b'(' {
            depth += 1;
        }
        tokens.push(Token {
            text: &sql[start..at],
            start,
            end: at,
            depth: token_depth,
        });
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::{check_constraints, where_clause};

    #[test]
    fn finds_check_constraints_outside_strings_and_comments() {
        let sql = "CREATE TABLE m (\n  role TEXT CHECK (role IN ('a', 'b)')),\n  \
                   -- CHECK (not this)\n  \"check\" INT, n INT,\n  CONSTRAINT pos CHECK(n > (0))\n)";
        assert_eq!(check_constraints(sql), ["role IN ('a', 'b)')", "n > (0)"]);
    }

    #[test]
    fn reads_the_where_clause_of_a_partial_index() {
        assert_eq!(
            where_clause("CREATE INDEX i ON t (a) WHERE a IS NOT  NULL"),
            "a IS NOT NULL"
        );
        assert_eq!(
            where_clause("CREATE INDEX i ON t (a, (b WHERE)) where b > 1"),
            "b > 1"
        );
    }
}
