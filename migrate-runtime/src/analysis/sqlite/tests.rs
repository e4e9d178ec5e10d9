use std::time::{Duration, Instant};

use super::connection::{Database, Stop};
use super::{execute, outcome, Outcome};
use crate::analysis::{analyze_files, Dialect, File, Finding, Kind, Problem, Settings};

/// The one finding of `files`, which must have one.
fn finding(files: &[File<'_>]) -> Finding {
    match execute(files) {
        Some(finding) => finding,
        None => panic!("expected an engine error"),
    }
}

/// A file whose first statement certainly fails: a run that reaches it reports it.
const FAILS: &str = "DROP TABLE never_created;";

#[test]
fn a_syntax_error_in_a_down_script_is_reported_at_its_token() {
    let files = [
        File::sql(
            1,
            "0001_tags.up.sql",
            "CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n\
             CREATE UNIQUE INDEX tags_name ON tags (name);",
            true,
        ),
        File::down(
            1,
            "0001_tags.down.sql",
            "-- undo\nALTER TABLE tags DROP INDEX tags_name;\nDROP TABLE tags;",
            true,
        ),
    ];
    let finding = finding(&files);
    assert_eq!(finding.kind, Kind::Error(Problem::Engine));
    assert_eq!(finding.file, "0001_tags.down.sql");
    // `ALTER TABLE tags DROP ` is 22 characters: SQLite names the token after them.
    assert_eq!((finding.line, finding.column), (2, 23));
    assert_eq!(finding.message, r#"near "INDEX": syntax error"#);
    assert_eq!(finding.statement, "ALTER TABLE tags DROP INDEX tags_name");
    assert!(finding.fix.contains("down script"), "{}", finding.fix);
}

#[test]
fn an_up_that_fails_after_its_down_names_the_down() {
    let files = [
        File::sql(
            1,
            "0001_shop.up.sql",
            "CREATE TABLE orders (id INTEGER PRIMARY KEY);\n\n  CREATE TABLE items (id INTEGER PRIMARY KEY);",
            true,
        ),
        File::down(1, "0001_shop.down.sql", "DROP TABLE orders;", true),
    ];
    let finding = finding(&files);
    assert_eq!(finding.file, "0001_shop.up.sql");
    // At the table's name, which SQLite names.
    assert_eq!((finding.line, finding.column), (3, 16));
    assert_eq!(finding.message, "table items already exists");
    assert!(
        finding.fix.contains("`0001_shop.down.sql`"),
        "{}",
        finding.fix
    );
}

#[test]
fn an_error_in_an_up_file_is_reported_at_its_statement() {
    let files = [
        File::sql(1, "0001_a.sql", "CREATE TABLE a (id INT);", true),
        File::sql(
            2,
            "0002_b.sql",
            "CREATE INDEX a_id ON a (id);\n/* the table */ INSERT INTO b VALUES (1);",
            true,
        ),
    ];
    let finding = finding(&files);
    assert_eq!(finding.file, "0002_b.sql");
    // SQLite names no token for a missing table: the statement's start.
    assert_eq!((finding.line, finding.column), (2, 17));
    assert_eq!(finding.message, "no such table: b");
}

#[test]
fn no_transaction_files_run_statement_by_statement() {
    // `PRAGMA foreign_keys` is ignored inside a transaction; here it is not in one. The
    // second statement is where the error is.
    let files = [File::sql(
        1,
        "0001_x.sql",
        "PRAGMA foreign_keys = OFF;\nCREATE TABLE t (id INT) WITHOUT ROWID;",
        false,
    )];
    let finding = finding(&files);
    assert_eq!((finding.line, finding.column), (2, 1));
    assert_eq!(finding.message, "PRIMARY KEY missing on table t");
}

#[test]
fn a_rust_migration_stops_the_run() {
    let files = [
        File::sql(1, "0001_a.sql", "CREATE TABLE a (id INT);", true),
        File::rust(2, "0002_backfill.rs"),
        File::sql(3, "0003_b.sql", FAILS, true),
    ];
    assert_eq!(outcome(&files), Outcome::Rust);
    // Without it, the same file is reported.
    assert!(execute(&[files[0].clone(), files[2].clone()]).is_some());
}

#[test]
fn attach_and_load_extension_stop_the_run_silently() {
    for stops in [
        "ATTACH DATABASE ':memory:' AS aux",
        "SELECT load_extension('mod_spatialite')",
        "DETACH DATABASE aux",
        "PRAGMA temp_store_directory = '/tmp'",
        "PRAGMA soft_heap_limit = 1000000",
        "PRAGMA temp_store = FILE",
        "VACUUM",
    ] {
        let script = format!("CREATE TABLE t (id INT);\n{stops};\n{FAILS}");
        let files = [File::sql(1, "0001_x.sql", &script, false)];
        assert_eq!(outcome(&files), Outcome::Stopped(Stop::Refused), "{stops}");
    }
    // Reading where temporary data goes is harmless.
    let files = [File::sql(1, "0001_x.sql", "PRAGMA temp_store;", false)];
    assert_eq!(outcome(&files), Outcome::Finished);
}

#[test]
fn vacuum_into_writes_no_file() {
    let path = std::env::temp_dir().join(format!("migrate-vacuum-into-{}.db", std::process::id()));
    let script = format!(
        "CREATE TABLE t (id INT);\nVACUUM INTO '{}';\n{FAILS}",
        path.display()
    );
    let files = [File::sql(1, "0001_x.sql", &script, false)];
    assert_eq!(outcome(&files), Outcome::Stopped(Stop::Refused));
    assert!(!path.exists());
}

#[test]
fn names_the_application_may_supply_are_not_errors() {
    for (script, message) in [
        (
            "CREATE TABLE t (name TEXT COLLATE nocase_unicode)",
            "no such collation sequence: nocase_unicode",
        ),
        (
            "CREATE TABLE t (x TEXT); CREATE INDEX t_x ON t (my_normalize(x))",
            "no such function: my_normalize",
        ),
        (
            "CREATE VIRTUAL TABLE v USING vec0(embedding float[4])",
            "no such module: vec0",
        ),
        ("CREATE TABLE aux.t (id INT)", "unknown database aux"),
        ("SELECT * FROM aux.t", "no such table: aux.t"),
        (
            "CREATE TABLE p (id INT);\nCREATE TABLE c (p INT REFERENCES p (id));\nINSERT INTO c VALUES (1)",
            "foreign key mismatch - \"c\" referencing \"p\"",
        ),
    ] {
        let files = [File::sql(1, "0001_x.sql", script, true)];
        assert_eq!(
            outcome(&files),
            Outcome::Uncertain(message.to_owned()),
            "{script}"
        );
    }
}

#[test]
fn errors_that_depend_on_rows_are_not_reported() {
    let files = [File::sql(
        1,
        "0001_x.sql",
        "CREATE TABLE t (id INT PRIMARY KEY);\nINSERT INTO t VALUES (1);\nINSERT INTO t VALUES (1);",
        true,
    )];
    assert_eq!(
        outcome(&files),
        Outcome::Uncertain("UNIQUE constraint failed: t.id".to_owned())
    );
    // A running statement's error once a table holds a row: the rows at run time differ.
    let files = [File::sql(
        1,
        "0001_x.sql",
        "CREATE TABLE t (id INT);\nINSERT INTO t VALUES (1);\nBEGIN;",
        true,
    )];
    assert_eq!(
        outcome(&files),
        Outcome::Uncertain("cannot start a transaction within a transaction".to_owned())
    );
}

#[test]
fn a_running_statements_error_is_reported_while_no_table_holds_a_row() {
    let files = [File::sql(
        1,
        "0001_x.sql",
        "CREATE TABLE t (id INT);\nBEGIN;\nCREATE TABLE u (id INT);",
        true,
    )];
    let finding = finding(&files);
    assert_eq!((finding.line, finding.column), (2, 1));
    assert_eq!(
        finding.message,
        "cannot start a transaction within a transaction"
    );
}

#[test]
fn a_file_that_ends_its_own_transaction_stops_the_run() {
    let script = format!("CREATE TABLE t (id INT);\nCOMMIT;\n{FAILS}");
    let files = [File::sql(1, "0001_x.sql", &script, true)];
    assert_eq!(outcome(&files), Outcome::Stopped(Stop::Transaction));
    let files = [File::sql(
        1,
        "0001_x.sql",
        "BEGIN;\nCREATE TABLE t (id INT);",
        false,
    )];
    assert_eq!(outcome(&files), Outcome::Stopped(Stop::Transaction));
    // A no-transaction file may group its statements itself.
    let files = [File::sql(
        1,
        "0001_x.sql",
        "BEGIN;\nCREATE TABLE t (id INT);\nCOMMIT;",
        false,
    )];
    assert_eq!(outcome(&files), Outcome::Finished);
}

#[test]
fn a_statement_that_never_ends_stops_the_run() {
    let started = Instant::now();
    let script = format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n;\n{FAILS}"
    );
    let files = [File::sql(1, "0001_x.sql", &script, true)];
    assert_eq!(outcome(&files), Outcome::Stopped(Stop::Exhausted));
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_valid_set_yields_nothing() {
    let files = [
        File::sql(
            1,
            "0001_users.sql",
            "CREATE TABLE users (\n  id INTEGER PRIMARY KEY,\n  email TEXT NOT NULL UNIQUE\n);",
            true,
        ),
        File::sql(
            2,
            "0002_posts.up.sql",
            "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id), body TEXT);\n\
             CREATE INDEX posts_user ON posts (user_id);\n\
             CREATE TRIGGER posts_touch AFTER UPDATE ON posts BEGIN\n\
               UPDATE posts SET body = trim(body) WHERE id = NEW.id;\n\
             END;",
            true,
        ),
        File::down(
            2,
            "0002_posts.down.sql",
            "DROP TRIGGER posts_touch;\nDROP INDEX posts_user;\nDROP TABLE posts;",
            true,
        ),
        File::sql(
            3,
            "0003_rebuild.sql",
            "PRAGMA foreign_keys = OFF;\n\
             CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT);\n\
             INSERT INTO users_new (id, email) SELECT id, email FROM users;\n\
             DROP TABLE users;\n\
             ALTER TABLE users_new RENAME TO users;\n\
             PRAGMA foreign_keys = ON;",
            false,
        ),
        File::sql(
            4,
            "0004_seed.up.sql",
            "INSERT INTO users (email) VALUES ('admin@example.com');",
            true,
        ),
        File::down(
            4,
            "0004_seed.down.sql",
            "DELETE FROM users WHERE email = 'admin@example.com';",
            true,
        ),
        File::sql(
            5,
            "0005_search.sql",
            "CREATE VIRTUAL TABLE posts_search USING fts5(body);\nSELECT json_extract('{\"a\": 1}', '$.a');",
            true,
        ),
    ];
    assert_eq!(outcome(&files), Outcome::Finished);
}

#[test]
fn the_connection_has_sqlx_s_default_settings() {
    let database = Database::open().expect("an in-memory database");
    assert_eq!(
        database.texts(c"PRAGMA foreign_keys"),
        Some(vec!["1".to_owned()])
    );
    // And keeps temporary data in memory (2).
    assert_eq!(
        database.texts(c"PRAGMA temp_store"),
        Some(vec!["2".to_owned()])
    );
}

/// The errors `analyze_files` reports for `files` on SQLite, as `(problem, file, line)`.
fn analysis_errors(files: &[File<'_>], settings: &Settings) -> Vec<(Problem, String, usize)> {
    analyze_files(files, Dialect::Sqlite, settings)
        .into_iter()
        .filter_map(|finding| match finding.kind {
            Kind::Error(problem) => Some((problem, finding.file, finding.line)),
            Kind::Lint(_) => None,
        })
        .collect()
}

#[test]
fn the_analysis_reports_sqlites_refusal_in_file_order() {
    let files = [
        File::sql(1, "0001_a.sql", "CREATE TABLE a (id INT);", true),
        File::sql(
            2,
            "0002_b.sql",
            "CREATE TABLE b (id INT);\nDROP TABEL a;",
            true,
        ),
        File::sql(3, "0003_c.sql", "CREATE INDEX c_id ON c (id);", true),
    ];
    assert_eq!(
        analysis_errors(&files, &Settings::default()),
        [
            (Problem::Engine, "0002_b.sql".to_owned(), 2),
            (Problem::Missing, "0003_c.sql".to_owned(), 1),
        ]
    );
}

#[test]
fn an_error_the_analysis_reports_on_the_statement_is_not_repeated() {
    // The model says the table exists already; SQLite says so too, in its words.
    let files = [
        File::sql(1, "0001_a.sql", "CREATE TABLE a (id INT);", true),
        File::sql(2, "0002_a.sql", "CREATE TABLE a (\n  id INT\n);", true),
    ];
    assert!(execute(&files).is_some());
    assert_eq!(
        analysis_errors(&files, &Settings::default()),
        [(Problem::AlreadyExists, "0002_a.sql".to_owned(), 1)]
    );
}

#[test]
fn the_engine_error_can_be_allowed() {
    // On the statement: the run stops there, silently.
    let files = [
        File::sql(
            1,
            "0001_a.sql",
            "CREATE TABLE a (id INT);\n-- migrate:allow engine -- runs on our fork of SQLite\nDROP TABEL a;",
            true,
        ),
        // Only SQLite sees this one, and its run stopped before.
        File::sql(2, "0002_b.sql", "DROP TABEL b;", true),
    ];
    assert_eq!(outcome(&files), Outcome::Allowed);
    assert_eq!(analysis_errors(&files, &Settings::default()), []);
    // For the directory (`allow = ["engine"]`).
    let files = [File::sql(1, "0001_a.sql", "DROP TABEL a;", true)];
    let mut settings = Settings::default();
    assert!(settings.allow_name("engine"));
    assert_eq!(analysis_errors(&files, &settings), []);
    assert_eq!(
        analysis_errors(&files, &Settings::default()),
        [(Problem::Engine, "0001_a.sql".to_owned(), 1)]
    );
}
