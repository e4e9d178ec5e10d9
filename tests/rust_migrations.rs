//! Migrations written in Rust (`.rs` files with `#[migrate::up]` / `#[migrate::down]`
//! functions), applied, re-run, reverted and failed on SQLite, PostgreSQL and MariaDB.

use migrate::{Backend, Error};
use migrate_tests::fixtures::{rust_code, rust_failing, rust_postgres_only};
use migrate_tests::{PgDatabase, Server, ServerDatabase, SqliteFile};

/// Applies `rust_code` on `$pool`, checks the backfill, the history row, the no-op re-run,
/// the revert through the `down` function and the re-apply.
macro_rules! apply_revert_reapply {
    ($pool:expr) => {{
        let pool = $pool;
        let report = rust_code::migrations::run(pool).await.expect("migrate");
        let applied: Vec<i64> = report.applied().iter().map(|a| a.version).collect();
        assert_eq!(applied, [1, 2, 3]);
        let people: Vec<(i64, Option<String>)> =
            sqlx::query_as("SELECT id, family_name FROM people ORDER BY id")
                .fetch_all(pool)
                .await
                .expect("people");
        assert_eq!(
            people,
            [
                (1, Some("Lovelace".to_owned())),
                (2, Some("Hopper".to_owned())),
                (3, Some("Plato".to_owned()))
            ]
        );
        let (name, success, checksum, down): (String, bool, Vec<u8>, Option<String>) =
            sqlx::query_as(
                "SELECT name, success, checksum, down_script FROM _migrate_history WHERE version = 2",
            )
            .fetch_one(pool)
            .await
            .expect("history row of the Rust migration");
        assert_eq!(name, "family_names");
        assert!(success);
        let source = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/rust_code/0002_family_names.rs"
        ))
        .expect("fixture");
        assert_eq!(checksum, migrate::checksum(&source));
        assert_eq!(down, None, "a Rust down function is not recorded as SQL");

        assert!(rust_code::migrations::run(pool).await.expect("re-run").is_noop());

        let migrator = rust_code::migrations::migrator();
        let reverted = migrator
            .revert_to(pool, &rust_code::migrations::V1_CREATE_PEOPLE)
            .await
            .expect("revert through the down function");
        let reverted: Vec<i64> = reverted.reverted().iter().map(|a| a.version).collect();
        assert_eq!(reverted, [3, 2]);
        let filled: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM people WHERE family_name IS NOT NULL")
                .fetch_one(pool)
                .await
                .expect("count");
        assert_eq!(filled, 0, "the down function cleared the column");
        let versions: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _migrate_history ORDER BY version")
                .fetch_all(pool)
                .await
                .expect("history");
        assert_eq!(versions, [1]);

        let again = rust_code::migrations::run(pool).await.expect("re-apply");
        assert_eq!(again.applied().len(), 2);
        let filled: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM people WHERE family_name IS NOT NULL")
                .fetch_one(pool)
                .await
                .expect("count");
        assert_eq!(filled, 3);
    }};
}

/// Runs `rust_failing` on `$pool`: the function's error is reported, its INSERT and its
/// history row are rolled back, and the SQL migration before it stays applied.
macro_rules! failure_rolls_back {
    ($pool:expr, $function:literal) => {{
        let pool = $pool;
        let error = rust_failing::migrations::run(pool)
            .await
            .expect_err("the function fails");
        match &error {
            Error::Code {
                version,
                file,
                function,
                error: source,
            } => {
                assert_eq!(*version, 2);
                assert_eq!(file, "0002_insert_then_fail.rs");
                assert_eq!(*function, $function);
                assert!(source.to_string().contains("single name"), "{source}");
            }
            other => panic!("expected Error::Code, got {other:?}"),
        }
        let message = error.to_string();
        assert!(
            message.contains("0002_insert_then_fail.rs") && message.contains("rolled back"),
            "{message}"
        );
        let people: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM people")
            .fetch_one(pool)
            .await
            .expect("count");
        assert_eq!(people, 3, "the function's INSERT was rolled back");
        let versions: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _migrate_history ORDER BY version")
                .fetch_all(pool)
                .await
                .expect("history");
        assert_eq!(versions, [1]);
    }};
}

#[tokio::test]
async fn sqlite_apply_revert_reapply() {
    let db = SqliteFile::new();
    let pool = db.pool().await;
    let plan = rust_code::migrations::migrator()
        .plan(&pool, migrate::Operation::Up { to: None })
        .await
        .expect("plan");
    assert_eq!(plan[1].file, "0002_family_names.rs");
    assert_eq!(
        plan[1].sql,
        "-- the Rust function `up_sqlite` of `0002_family_names.rs`, in one transaction"
    );
    apply_revert_reapply!(&pool);
}

#[tokio::test]
async fn postgres_apply_revert_reapply() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    apply_revert_reapply!(&db.pool().await);
}

#[tokio::test]
async fn mariadb_apply_revert_reapply() {
    let Some(db) = ServerDatabase::create_on(Server::MySql).await else {
        return;
    };
    apply_revert_reapply!(&db.mysql_pool().await);
}

#[tokio::test]
async fn sqlite_failure_rolls_back() {
    let db = SqliteFile::new();
    failure_rolls_back!(&db.pool().await, "up_sqlite");
}

#[tokio::test]
async fn postgres_failure_rolls_back() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    failure_rolls_back!(&db.pool().await, "up_postgres");
}

#[tokio::test]
async fn mariadb_failure_rolls_back() {
    let Some(db) = ServerDatabase::create_on(Server::MySql).await else {
        return;
    };
    failure_rolls_back!(&db.mysql_pool().await, "up_mysql");
}

/// A migration with only a PostgreSQL function, run on SQLite: refused before anything
/// runs, so not even the SQL migration before it is applied.
#[tokio::test]
async fn wrong_database_is_refused_before_anything_runs() {
    let db = SqliteFile::new();
    let pool = db.pool().await;
    let error = rust_postgres_only::migrations::run(&pool)
        .await
        .expect_err("no SQLite function");
    match &error {
        Error::WrongBackend {
            version,
            file,
            written_for,
            database,
        } => {
            assert_eq!(*version, 2);
            assert_eq!(file, "0002_uppercase_names.rs");
            assert_eq!(written_for, &[Backend::Postgres]);
            assert_eq!(*database, Backend::Sqlite);
        }
        other => panic!("expected Error::WrongBackend, got {other:?}"),
    }
    assert!(
        error.to_string().contains("`&mut sqlx::SqliteConnection`"),
        "{error}"
    );
    let tables: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'people'")
            .fetch_one(&pool)
            .await
            .expect("sqlite_master");
    assert_eq!(tables, 0, "nothing was applied");
}

/// The typed list carries the Rust migration like any other: its file, its functions, and
/// whether it can be reverted.
#[test]
fn the_list_knows_rust_migrations() {
    let v2 = &rust_code::migrations::V2_FAMILY_NAMES;
    assert_eq!(v2.up().file(), "0002_family_names.rs");
    assert!(v2.up().is_rust());
    assert!(v2.is_reversible());
    let backends: Vec<Backend> = v2.up().functions().iter().map(|f| f.backend()).collect();
    assert_eq!(
        backends,
        [Backend::Postgres, Backend::MySql, Backend::Sqlite]
    );
    assert!(v2.up().sql().contains("fn up_postgres"));
    assert!(!rust_code::migrations::V1_CREATE_PEOPLE.up().is_rust());
    assert!(!rust_failing::migrations::V2_INSERT_THEN_FAIL.is_reversible());
}

/// Under a lease, a Rust migration's transaction bounds its idleness and its history row is
/// fenced: both are SQL of each database that must run there.
macro_rules! applies_under_a_lease {
    ($pool:expr) => {{
        let pool = $pool;
        let report = rust_code::migrations::migrator()
            .lock_mode(migrate::LockMode::lease(std::time::Duration::from_secs(5)))
            .run(pool)
            .await
            .expect("migrate under a lease");
        let applied: Vec<i64> = report.applied().iter().map(|a| a.version).collect();
        assert_eq!(applied, [1, 2, 3]);
        let recorded: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM _migrate_history WHERE success")
                .fetch_one(pool)
                .await
                .expect("history");
        assert_eq!(recorded, 3);
    }};
}

#[tokio::test]
async fn rust_migrations_apply_under_a_lease() {
    let db = SqliteFile::new();
    applies_under_a_lease!(&db.pool().await);
    if let Some(db) = PgDatabase::create().await {
        applies_under_a_lease!(&db.pool().await);
    }
    if let Some(db) = ServerDatabase::create_on(Server::MySql).await {
        applies_under_a_lease!(&db.mysql_pool().await);
    }
}
