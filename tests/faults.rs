//! Faults other than crashes: the connection is lost mid-migration (its backend terminated
//! from another session).

use std::time::Duration;

use migrate::Error;
use migrate_tests::fixtures::{slow, slow_mysql};
use migrate_tests::{pg_relation_exists, Server, ServerDatabase};

/// Waits until a backend of this database runs a statement that contains `needle`; its id.
async fn busy_backend(admin: &sqlx::PgPool, database: &str, needle: &str) -> i32 {
    for _ in 0..200 {
        let pid: Option<i32> = sqlx::query_scalar(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND query LIKE '%' || $2 || '%' \
             AND pid <> pg_backend_pid() LIMIT 1",
        )
        .bind(database)
        .bind(needle)
        .fetch_optional(admin)
        .await
        .expect("pg_stat_activity");
        if let Some(pid) = pid {
            return pid;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no backend ran {needle}");
}

#[tokio::test]
async fn postgres_connection_lost_mid_migration() {
    let Some(db) = ServerDatabase::create_on(Server::Postgres).await else {
        return;
    };
    let pool = db.pool().await;
    let admin = db.pool().await;
    let run = tokio::spawn({
        let pool = pool.clone();
        async move { slow::migrations::run(&pool).await }
    });
    let pid = busy_backend(&admin, &db.name, "pg_sleep").await;
    let terminated: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
        .bind(pid)
        .fetch_one(&admin)
        .await
        .expect("terminate");
    assert!(terminated);

    let error = run
        .await
        .expect("task")
        .expect_err("the connection was lost");
    match &error {
        Error::Migration {
            version: 2,
            file,
            message,
            ..
        } => {
            assert_eq!(file, "0002_sleep.sql");
            assert!(message.contains("terminating connection"), "{message}");
        }
        other => panic!("expected the migration to fail, got {other:?}"),
    }
    // Consistent: 0001 applied, 0002 not at all, no lock left, and the next run completes.
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _migrate_history ORDER BY version")
            .fetch_all(&admin)
            .await
            .expect("history");
    assert_eq!(versions, [1]);
    assert!(!pg_relation_exists(&admin, "after_sleep").await);
    let report = slow::migrations::migrator()
        .lock_timeout(Duration::from_secs(10))
        .run(&pool)
        .await
        .expect("the next run completes");
    assert_eq!(
        report
            .applied()
            .iter()
            .map(|a| a.version)
            .collect::<Vec<_>>(),
        [2]
    );
    assert!(pg_relation_exists(&admin, "after_sleep").await);
}

#[tokio::test]
async fn mariadb_connection_lost_mid_statement() {
    let Some(db) = ServerDatabase::create_on(Server::MySql).await else {
        return;
    };
    let pool = db.mysql_pool().await;
    let admin = db.mysql_pool().await;
    let run = tokio::spawn({
        let pool = pool.clone();
        async move { slow_mysql::migrations::run(&pool).await }
    });
    let mut id = None;
    for _ in 0..200 {
        id = sqlx::query_scalar::<_, i64>(
            "SELECT CAST(ID AS SIGNED) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND INFO LIKE 'SELECT SLEEP%'",
        )
        .fetch_optional(&admin)
        .await
        .expect("processlist");
        if id.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let id = id.expect("the migration is sleeping");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("KILL {id}")))
        .execute(&admin)
        .await
        .expect("kill the connection");

    let error = run
        .await
        .expect("task")
        .expect_err("the connection was lost");
    assert!(
        matches!(
            error,
            Error::Migration {
                version: 2,
                rolled_back: false,
                ..
            }
        ),
        "{error:?}"
    );
    // The row says one statement (the INSERT) was applied; the run resumes from the SLEEP.
    let row: (bool, i64) = sqlx::query_as(
        "SELECT success, statements_applied FROM _migrate_history WHERE version = 2",
    )
    .fetch_one(&admin)
    .await
    .expect("history");
    assert_eq!(row, (false, 1));
    let report = slow_mysql::migrations::migrator()
        .lock_timeout(Duration::from_secs(10))
        .run(&pool)
        .await
        .expect("the next run resumes and completes");
    assert_eq!(
        report
            .applied()
            .iter()
            .map(|a| a.version)
            .collect::<Vec<_>>(),
        [2]
    );
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM before_sleep")
        .fetch_one(&admin)
        .await
        .expect("rows");
    assert_eq!(rows, 1, "the INSERT before the lost statement ran once");
}
