//! Real migration directories from public projects (`../shared/corpus`, see each SOURCE.md)
//! embed and apply cleanly: atuin's server schema on PostgreSQL (PL/pgSQL functions in
//! dollar quotes, triggers, an enum) and atuin's client schema on SQLite.
#![cfg(corpus)] // only when ../shared/corpus is there: see corpus_present.rs

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
