//! The example application's real migrations (`migrations/` at the top of the workspace)
//! apply on SQLite, PostgreSQL and MariaDB, produce the schema the application expects, and carry the
//! down scripts of their reversible steps.

use migrate_tests::{pg_relation_exists, PgDatabase, SqliteFile};

migrate::embed_migrations!("../migrations");

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
