//! Real migration directories from public projects (`../shared/corpus`, see each SOURCE.md)
//! embed and apply cleanly: atuin's server schema on PostgreSQL (PL/pgSQL functions in
//! dollar quotes, triggers, an enum) and atuin's client schema on SQLite. And SQLite,
//! executing them at compile time, finds the broken down script of atuin's scripts schema,
//! and nothing in its client schema.
#![cfg(corpus)] // only when ../shared/corpus is there: see corpus_present.rs

use std::path::Path;

use migrate_runtime::analysis::{analyze_files, Dialect, File, Finding, Kind, Problem, Settings};
use migrate_tests::{pg_relation_exists, PgDatabase, SqliteFile};

// The corpus's lints are reported in docs/lints-on-real-migrations.md, not here.
#[allow(deprecated)]
mod atuin_server {
    migrate::embed_migrations!(
        "../../shared/corpus/atuin-server-postgres/migrations",
        dialect = "postgres"
    );
}
// The corpus's lints are reported in docs/lints-on-real-migrations.md, not here.
#[allow(deprecated)]
mod atuin_client {
    migrate::embed_migrations!(
        "../../shared/corpus/atuin-client-sqlite/migrations",
        dialect = "sqlite"
    );
}

#[tokio::test]
async fn atuin_server_applies_on_postgres() {
    assert_eq!(atuin_server::migrations::MIGRATIONS.len(), 20);
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    let pool = db.pool().await;
    let report = atuin_server::migrations::run(&pool)
        .await
        .expect("atuin-server migrations apply");
    assert_eq!(report.applied().len(), 20);
    assert_eq!(report.applied()[0].version, 20210425153745);
    for table in [
        "history",
        "users",
        "sessions",
        "store",
        "total_history_count_user",
    ] {
        assert!(pg_relation_exists(&pool, table).await, "table {table}");
    }
    assert!(atuin_server::migrations::run(&pool)
        .await
        .expect("re-run")
        .is_noop());
}

#[tokio::test]
async fn atuin_client_applies_on_sqlite() {
    assert_eq!(atuin_client::migrations::MIGRATIONS.len(), 12);
    let db = SqliteFile::new();
    let pool = db.pool().await;
    let report = atuin_client::migrations::run(&pool)
        .await
        .expect("atuin-client migrations apply");
    assert_eq!(report.applied().len(), 12);
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'history'",
    )
    .fetch_all(&pool)
    .await
    .expect("sqlite_master");
    assert_eq!(tables, ["history"]);
    assert!(atuin_client::migrations::run(&pool)
        .await
        .expect("re-run")
        .is_noop());
}

/// A migration file read from disk.
struct Source {
    version: i64,
    name: String,
    sql: String,
}

/// The migration files of corpus directory `dir` (sqlx's layout), versions ascending, each
/// up before its down, as `analyze_files` takes them.
fn read_corpus(dir: &str) -> Vec<Source> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpus")
        .join(dir);
    let mut sources: Vec<Source> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| {
            let path = entry.expect("a directory entry").path();
            let name = path
                .file_name()
                .and_then(|name| name.to_str())
                .expect("a UTF-8 file name")
                .to_owned();
            let version = name
                .split('_')
                .next()
                .and_then(|version| version.parse().ok())
                .unwrap_or_else(|| panic!("{name}: no version"));
            let sql = std::fs::read_to_string(&path).expect("a UTF-8 migration");
            Source { version, name, sql }
        })
        .collect();
    sources.sort_by_key(|source| (source.version, source.name.ends_with(".down.sql")));
    sources
}

/// `sources` as the analysis reads them.
fn files(sources: &[Source]) -> Vec<File<'_>> {
    sources
        .iter()
        .map(|source| {
            let transaction = !migrate_runtime::source::directive::read(&source.sql).no_transaction;
            if source.name.ends_with(".down.sql") {
                File::down(source.version, &source.name, &source.sql, transaction)
            } else {
                File::sql(source.version, &source.name, &source.sql, transaction)
            }
        })
        .collect()
}

/// The errors SQLite reported, executing `files` at compile time.
fn engine_errors(files: &[File<'_>]) -> Vec<Finding> {
    analyze_files(files, Dialect::Sqlite, &Settings::default())
        .into_iter()
        .filter(|finding| finding.kind == Kind::Error(Problem::Engine))
        .collect()
}

/// atuin's scripts schema reverts its unique index with MySQL's `ALTER TABLE … DROP INDEX`,
/// which SQLite rejects: found only by running the down script until now.
#[test]
fn sqlite_rejects_the_down_script_of_atuin_scripts() {
    let sources = read_corpus("atuin-scripts-sqlite/migrations");
    assert_eq!(sources.len(), 4);
    let errors = engine_errors(&files(&sources));
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let error = &errors[0];
    assert_eq!(error.file, "20250402170430_unique_names.down.sql");
    // `alter table scripts drop ` is 25 characters; SQLite names the token after them.
    assert_eq!((error.line, error.column), (2, 26));
    assert_eq!(error.message, r#"near "index": syntax error"#);
    assert_eq!(
        error.statement,
        "alter table scripts drop index name_uniq_idx"
    );
    assert!(error.fix.contains("down script"), "{}", error.fix);
}

/// atuin's client schema ran in production: SQLite finds nothing in it (twelve simple
/// migrations, indexes dropped and created, a column added with a default).
#[test]
fn sqlite_finds_nothing_in_atuin_client() {
    let sources = read_corpus("atuin-client-sqlite/migrations");
    assert_eq!(sources.len(), 12);
    let mut files = files(&sources);
    assert_eq!(engine_errors(&files), []);
    // Execution went through all twelve: a file only SQLite finds wrong
    // (a syntax error: to the model it is opaque) after them is reached.
    files.push(File::sql(
        i64::MAX,
        "probe.sql",
        "DROP TABEL never_created;",
        true,
    ));
    let errors = engine_errors(&files);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].file, "probe.sql");
    // The same through the embedded migrations.
    let embedded = migrate_runtime::analysis::analyze(
        &atuin_client::migrations::MIGRATIONS,
        Dialect::Sqlite,
        &Settings::default(),
    );
    assert!(
        !embedded
            .iter()
            .any(|finding| finding.kind == Kind::Error(Problem::Engine)),
        "{embedded:#?}"
    );
}
