//! Step 2 of 3: fills `messages.parts` from `content`, splitting Markdown code fences into
//! code parts. Parsing Markdown is awkward in SQL and would differ between databases; here it
//! is one Rust function, run by the migrator in the migration's transaction, under its lock.
//!
//! Only rows whose `parts` is still NULL are read, in batches by id, so memory stays flat
//! however many messages there are, and the function is safe to run on a table that the
//! application is still writing to with the previous release.

use serde_json::{json, Value};
use sqlx::Row;

/// Rows read per query.
const BATCH: i64 = 500;

/// `content` as parts: text between code fences, and each fenced block with its language.
/// Joining the parts back (text as is, code as three backticks, language, newline, code,
/// three backticks) gives `content` exactly; an unclosed fence stays text.
fn parts(content: &str) -> Value {
    let mut parts = Vec::new();
    let mut rest = content;
    while let Some(open) = rest.find("```") {
        let after = &rest[open + 3..];
        let Some(newline) = after.find('\n') else { break };
        let body = &after[newline + 1..];
        let Some(close) = body.find("```") else { break };
        if open > 0 {
            parts.push(json!({ "type": "text", "text": &rest[..open] }));
        }
        parts.push(json!({ "type": "code", "language": &after[..newline], "code": &body[..close] }));
        rest = &body[close + 3..];
    }
    if !rest.is_empty() {
        parts.push(json!({ "type": "text", "text": rest }));
    }
    Value::Array(parts)
}

/// The function for each database: the same loop, with the database's placeholders.
macro_rules! backfill {
    ($conn:expr, $select:literal, $update:literal) => {{
        let mut after = String::new();
        loop {
            let rows = sqlx::query($select)
                .bind(&after)
                .bind(BATCH)
                .fetch_all(&mut *$conn)
                .await?;
            let Some(last) = rows.last() else { break };
            after = last.try_get("id")?;
            for row in &rows {
                let id: String = row.try_get("id")?;
                let content: String = row.try_get("content")?;
                sqlx::query($update)
                    .bind(parts(&content).to_string())
                    .bind(id)
                    .execute(&mut *$conn)
                    .await?;
            }
        }
        Ok(())
    }};
}

#[migrate::up]
async fn up_postgres(conn: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
    backfill!(
        conn,
        "SELECT id, content FROM messages WHERE parts IS NULL AND id > $1 ORDER BY id LIMIT $2",
        "UPDATE messages SET parts = $1 WHERE id = $2"
    )
}

#[migrate::up]
async fn up_mysql(conn: &mut sqlx::MySqlConnection) -> Result<(), sqlx::Error> {
    backfill!(
        conn,
        "SELECT id, content FROM messages WHERE parts IS NULL AND id > ? ORDER BY id LIMIT ?",
        "UPDATE messages SET parts = ? WHERE id = ?"
    )
}

#[migrate::up]
async fn up_sqlite(conn: &mut sqlx::SqliteConnection) -> Result<(), sqlx::Error> {
    backfill!(
        conn,
        "SELECT id, content FROM messages WHERE parts IS NULL AND id > ? ORDER BY id LIMIT ?",
        "UPDATE messages SET parts = ? WHERE id = ?"
    )
}
