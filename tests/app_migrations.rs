//! The example application's real migrations (`migrations/` at the top of the workspace)
//! apply on SQLite, PostgreSQL and MariaDB, produce the schema the application expects, and carry the
//! down scripts of their reversible steps.

use migrate_tests::{pg_relation_exists, PgDatabase, SqliteFile};

migrate::embed_migrations!("../migrations", dialect = ["postgres", "mysql", "sqlite"]);

const TABLES: [&str; 4] = ["users", "personas", "conversations", "messages"];

#[tokio::test]
async fn apply_on_sqlite() {
    let db = SqliteFile::new();
    let pool = db.pool().await;
    let report = migrations::run(&pool).await.expect("migrate");
    assert_eq!(report.applied().len(), migrations::MIGRATIONS.len());
    for table in TABLES {
        let found: Option<String> =
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?")
                .bind(table)
                .fetch_optional(&pool)
                .await
                .expect("sqlite_master");
        assert!(found.is_some(), "table {table}");
    }
    let archived: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pragma_table_info('conversations') WHERE name = 'archived_at'",
    )
    .fetch_one(&pool)
    .await
    .expect("columns");
    assert_eq!(archived, 1);
    let downs: i64 =
        sqlx::query_scalar("SELECT count(*) FROM _migrate_history WHERE down_script IS NOT NULL")
            .fetch_one(&pool)
            .await
            .expect("history");
    let reversible = migrations::MIGRATIONS
        .iter()
        .filter(|m| m.is_reversible())
        .count();
    assert!(reversible >= 1);
    assert_eq!(usize::try_from(downs).ok(), Some(reversible));
}

/// Executed by SQLite at compile time, the portable SQL gives no error: up to the Rust
/// backfill (0006), where execution stops, including the reversible steps' down scripts.
#[test]
fn sqlite_finds_no_error_at_compile_time() {
    use migrate_runtime::analysis::{
        analyze, analyze_files, files as analysis_files, Content, Dialect, File, Finding, Kind,
        Problem, Settings,
    };

    let engine_errors = |findings: Vec<Finding>| {
        findings
            .into_iter()
            .filter(|finding| finding.kind == Kind::Error(Problem::Engine))
            .collect::<Vec<_>>()
    };
    let findings = analyze(
        &migrations::MIGRATIONS,
        Dialect::Sqlite,
        &Settings::default(),
    );
    assert_eq!(engine_errors(findings), []);

    // Every SQL file before the Rust migration ran: a file only SQLite finds wrong
    // (a syntax error: to the model it is opaque), in its place, is reached.
    let mut files: Vec<File<'static>> = analysis_files(&migrations::MIGRATIONS)
        .into_iter()
        .take_while(|file| !matches!(file.content, Content::Rust))
        .collect();
    assert_eq!(
        files.len(),
        7,
        "0001 to 0005, two of them with a down script"
    );
    files.push(File::sql(6, "probe.sql", "DROP TABEL never_created;", true));
    let errors = engine_errors(analyze_files(&files, Dialect::Sqlite, &Settings::default()));
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].file, "probe.sql");
}

#[tokio::test]
async fn apply_on_postgres() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    let pool = db.pool().await;
    let report = migrations::run(&pool).await.expect("migrate");
    assert_eq!(report.applied().len(), migrations::MIGRATIONS.len());
    for table in TABLES {
        assert!(pg_relation_exists(&pool, table).await, "table {table}");
    }
    assert!(migrations::run(&pool).await.expect("re-run").is_noop());
}

#[tokio::test]
async fn apply_on_mariadb() {
    let Some(db) = migrate_tests::ServerDatabase::create_on(migrate_tests::Server::MySql).await
    else {
        return;
    };
    let pool = db.mysql_pool().await;
    let report = migrations::run(&pool).await.expect("migrate");
    assert_eq!(report.applied().len(), migrations::MIGRATIONS.len());
    for table in TABLES {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
        )
        .bind(table)
        .fetch_one(&pool)
        .await
        .expect("information_schema");
        assert_eq!(count, 1, "table {table}");
    }
    assert!(migrations::run(&pool).await.expect("re-run").is_noop());
}

/// The three-step move of `messages.content` to `parts` (0005 SQL, 0006 Rust backfill, 0007
/// SQL), on a data set written with the schema before it: every message is migrated exactly
/// once (its parts join back to its original content, which a second transformation would
/// break), none is missed (0007's NOT NULL), and a second run changes nothing.
mod three_step {
    use std::collections::BTreeMap;

    use serde_json::Value;

    pub const USERS: usize = 40;
    pub const CONVERSATIONS: usize = 400;
    pub const MESSAGES: usize = 6_000;

    /// A deterministic variety of message contents: plain text, quotes and backslashes,
    /// non-ASCII, fenced code with and without a language, several fences, an unclosed
    /// fence, stray backticks, empty.
    pub fn content(n: usize) -> String {
        let mut x = (n as u64)
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut pick = |k: u64| {
            x ^= x >> 33;
            x = x.wrapping_mul(0xff51afd7ed558ccd);
            x ^= x >> 29;
            (x % k) as usize
        };
        const TEXT: [&str; 6] = [
            "Sure, here is how.",
            "It's \"quoted\" and has a back\\slash.",
            "Grüße 🦀 漢字 — ünïcödé",
            "Line one\nline two\n",
            "Use `inline` code, not a fence.",
            "",
        ];
        const CODE: [&str; 5] = [
            "```rust\nfn main() {\n    println!(\"hi\");\n}\n```",
            "```\nno language here\n```",
            "```sql\nSELECT '```' AS fence;\n```",
            "```python\nprint('a')```",
            "```json\n{\"k\": [1, 2]}\n```\n",
        ];
        let mut out = String::new();
        for _ in 0..pick(4) + 1 {
            match pick(7) {
                0..=3 => out.push_str(TEXT[pick(TEXT.len() as u64)]),
                4 | 5 => out.push_str(CODE[pick(CODE.len() as u64)]),
                _ => out.push_str("```bash\necho unclosed"),
            }
            if pick(2) == 0 {
                out.push('\n');
            }
        }
        if n.is_multiple_of(97) {
            out.clear();
        }
        out
    }

    /// The message content that `parts` joins back to.
    pub fn join(parts: &str) -> String {
        let parts: Value = serde_json::from_str(parts).expect("parts is JSON");
        let mut out = String::new();
        for part in parts.as_array().expect("an array") {
            match part["type"].as_str() {
                Some("text") => out.push_str(part["text"].as_str().expect("text")),
                Some("code") => {
                    out.push_str("```");
                    out.push_str(part["language"].as_str().expect("language"));
                    out.push('\n');
                    out.push_str(part["code"].as_str().expect("code"));
                    out.push_str("```");
                }
                other => panic!("unknown part type {other:?}"),
            }
        }
        out
    }

    /// Ids and contents of the data set.
    pub fn messages() -> BTreeMap<String, String> {
        (0..MESSAGES)
            .map(|n| (format!("m{n:06}"), content(n)))
            .collect()
    }

    /// Writes the data set with `$p(i)` placeholders (1-based), then migrates to the end
    /// and checks it.
    macro_rules! scenario {
        ($pool:expr, $p:expr) => {{
            let pool = $pool;
            let p = $p;
            let migrator = migrations::migrator();
            migrator
                .run_to(pool, &migrations::V4_ARCHIVE_CONVERSATIONS)
                .await
                .expect("migrate to the schema before the move");
            for u in 0..three_step::USERS {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO users (id, email, display_name) VALUES ({}, {}, {})",
                    p(1), p(2), p(3)
                )))
                .bind(format!("u{u:04}"))
                .bind(format!("user{u}@example.com"))
                .bind(format!("User {u}"))
                .execute(pool)
                .await
                .expect("user");
            }
            for c in 0..three_step::CONVERSATIONS {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO conversations (id, user_id, title) VALUES ({}, {}, {})",
                    p(1), p(2), p(3)
                )))
                .bind(format!("c{c:05}"))
                .bind(format!("u{:04}", c % three_step::USERS))
                .bind(format!("Conversation {c}"))
                .execute(pool)
                .await
                .expect("conversation");
            }
            let messages = three_step::messages();
            let entries: Vec<(&String, &String)> = messages.iter().collect();
            for chunk in entries.chunks(250) {
                let rows: Vec<String> = (0..chunk.len())
                    .map(|i| format!("({}, {}, {}, {})", p(4 * i + 1), p(4 * i + 2), p(4 * i + 3), p(4 * i + 4)))
                    .collect();
                let sql = format!(
                    "INSERT INTO messages (id, conversation_id, role, content) VALUES {}",
                    rows.join(", ")
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (n, (id, content)) in chunk.iter().enumerate() {
                    query = query
                        .bind(id.as_str())
                        .bind(format!("c{:05}", n % three_step::CONVERSATIONS))
                        .bind(if n % 2 == 0 { "user" } else { "assistant" })
                        .bind(content.as_str());
                }
                query.execute(pool).await.expect("messages");
            }

            let report = migrations::run(pool).await.expect("the three steps");
            let applied: Vec<i64> = report.applied().iter().map(|a| a.version).collect();
            assert_eq!(applied, [5, 6, 7]);

            let rows: Vec<(String, String)> = sqlx::query_as("SELECT id, parts FROM messages ORDER BY id")
                .fetch_all(pool)
                .await
                .expect("messages after the move");
            assert_eq!(rows.len(), three_step::MESSAGES, "no message lost");
            let mut code_parts = 0;
            for (id, parts) in &rows {
                assert_eq!(
                    &three_step::join(parts),
                    &messages[id],
                    "message {id}: its parts must join back to its content"
                );
                code_parts += parts.matches("\"type\":\"code\"").count();
            }
            assert!(code_parts > 1_000, "the data set exercises code fences: {code_parts}");
            let history: Vec<(i64, String, bool)> = sqlx::query_as(
                "SELECT version, name, success FROM _migrate_history WHERE version >= 5 ORDER BY version",
            )
            .fetch_all(pool)
            .await
            .expect("history");
            assert_eq!(
                history,
                [
                    (5, "add_message_parts".to_owned(), true),
                    (6, "backfill_message_parts".to_owned(), true),
                    (7, "require_message_parts".to_owned(), true)
                ]
            );

            assert!(migrations::run(pool).await.expect("second run").is_noop());
            let again: Vec<(String, String)> = sqlx::query_as("SELECT id, parts FROM messages ORDER BY id")
                .fetch_all(pool)
                .await
                .expect("messages after the second run");
            assert_eq!(again, rows, "the second run changed nothing");
        }};
    }
    pub(crate) use scenario;
}

fn numbered(i: usize) -> String {
    format!("${i}")
}

fn question(_: usize) -> String {
    "?".to_owned()
}

#[tokio::test]
async fn three_step_move_on_sqlite() {
    let db = SqliteFile::new();
    three_step::scenario!(&db.pool().await, question);
}

#[tokio::test]
async fn three_step_move_on_postgres() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    three_step::scenario!(&db.pool().await, numbered);
}

#[tokio::test]
async fn three_step_move_on_mariadb() {
    let Some(db) = migrate_tests::ServerDatabase::create_on(migrate_tests::Server::MySql).await
    else {
        return;
    };
    three_step::scenario!(&db.mysql_pool().await, question);
}
