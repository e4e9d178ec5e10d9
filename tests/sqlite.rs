//! The runtime against real SQLite files: apply, re-run, failure, drift, locking, and several
//! processes migrating one file at once.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::time::Duration;

use migrate::Error;
use migrate_tests::fixtures::{basic, crlf, edited, failing, gap, truncated, unlocated_down};
use migrate_tests::{run_processes, SqliteFile};
use sqlx::SqlitePool;

type Row = (i64, String, Vec<u8>, bool, Option<String>);

async fn history(pool: &SqlitePool) -> Vec<Row> {
    sqlx::query_as("SELECT version, name, checksum, success, down_script FROM _migrate_history ORDER BY version")
        .fetch_all(pool)
        .await
        .expect("read the history")
}

async fn table_exists(pool: &SqlitePool, name: &str) -> bool {
    let found: Option<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?")
            .bind(name)
            .fetch_optional(pool)
            .await
            .expect("query sqlite_master");
    found.is_some()
}

fn versions(report: &migrate::Report) -> Vec<i64> {
    report.applied().iter().map(|a| a.version).collect()
}

#[tokio::test]
async fn applies_everything_and_records_history() {
    let db = SqliteFile::new();
    let pool = db.pool().await;
    let report = basic::migrations::run(&pool).await.expect("migrate");
    assert_eq!(versions(&report), [1, 2, 3]);
    assert_eq!(report.applied()[1].name, "add_price");

    let rows = history(&pool).await;
    let summary: Vec<(i64, &str, bool)> = rows.iter().map(|r| (r.0, r.1.as_str(), r.3)).collect();
    assert_eq!(
        summary,
        [
            (1, "create_items", true),
            (2, "add_price", true),
            (3, "seed_items", true)
        ]
    );
    for (row, migration) in rows.iter().zip(basic::migrations::MIGRATIONS.iter()) {
        assert_eq!(&row.2[..], &migration.checksum()[..]);
    }
    assert_eq!(
        rows[1].4.as_deref(),
        Some("ALTER TABLE items DROP COLUMN price;\n"),
        "down script stored"
    );
    assert_eq!(rows[0].4, None);

    let prices: Vec<(String, i64)> = sqlx::query_as("SELECT name, price FROM items ORDER BY id")
        .fetch_all(&pool)
        .await
        .expect("items");
    assert_eq!(
        prices,
        [("apple".to_owned(), 0), ("pear".to_owned(), 0)],
        "0003 ran after 0002 added the column"
    );
}

#[tokio::test]
async fn a_second_run_is_a_no_op() {
    let db = SqliteFile::new();
    let pool = db.pool().await;
    basic::migrations::run(&pool).await.expect("first run");
    let before: Vec<(i64, String)> =
        sqlx::query_as("SELECT version, applied_at FROM _migrate_history")
            .fetch_all(&pool)
            .await
            .expect("history");
    let report = basic::migrations::run(&pool).await.expect("second run");
    assert!(report.is_noop(), "{report:?}");
    let after: Vec<(i64, String)> =
        sqlx::query_as("SELECT version, applied_at FROM _migrate_history")
            .fetch_all(&pool)
            .await
            .expect("history");
    assert_eq!(before, after);
    // A new pool on the same file (a restarted process) sees the same.
    let report = basic::migrations::run(&db.pool().await)
        .await
        .expect("third run");
    assert!(report.is_noop());
}

#[tokio::test]
async fn an_up_to_date_database_is_recognised_from_one_summary_row() {
    let db = SqliteFile::new();
    let pool = db.pool().await;
    truncated::migrations::run(&pool).await.expect("migrate");
    // Without this column the whole history cannot be read, but its summary can.
    sqlx::query("ALTER TABLE _migrate_history DROP COLUMN error")
        .execute(&pool)
        .await
        .expect("drop a column");
    let report = truncated::migrations::run(&pool).await.expect("no-op");
    assert!(report.is_noop(), "{report:?}");
    // With 0003 pending the summary does not match, and the whole history is read.
    let error = basic::migrations::run(&pool)
        .await
        .expect_err("the history is read");
    assert!(
        matches!(&error, Error::Database { context, .. } if context.contains("reading the history")),
        "{error:?}"
    );
}

/// A down script runs whole in a transaction; SQLite does not say which statement failed,
/// so it is found by the same replay as for an up script.
#[tokio::test]
async fn a_failing_down_script_names_its_line_and_is_rolled_back() {
    let db = SqliteFile::new();
    let pool = db.pool().await;
    unlocated_down::migrations::run(&pool)
        .await
        .expect("0001 applies");
    let error = unlocated_down::migrations::migrator()
        .revert_all(&pool)
        .await
        .expect_err("the down script fails");
    let Error::Migration {
        version,
        file,
        message,
        location,
        rolled_back,
        ..
    } = &error
    else {
        panic!("expected Error::Migration, got {error:?}");
    };
    assert_eq!(
        (*version, file.as_str(), *rolled_back),
        (1, "0001_customers.down.sql", true)
    );
    assert!(message.contains("nickname"), "{message}");
    let location = location.as_ref().expect("the failing statement is found");
    assert_eq!((location.line, location.column), (8, 1));
    assert_eq!(
        location.statement,
        Some((3, "ALTER TABLE customers DROP COLUMN nickname".to_owned()))
    );
    assert!(
        table_exists(&pool, "customer_notes").await,
        "the statements before it were rolled back"
    );
    assert_eq!(history(&pool).await.len(), 1);
}

#[tokio::test]
async fn a_failed_migration_leaves_nothing_behind_and_releases_the_lock() {
    let db = SqliteFile::new();
    let pool = db.pool().await;
    let error = failing::migrations::run(&pool)
        .await
        .expect_err("0002 fails");
    match &error {
        Error::Migration {
            version,
            file,
            message,
            rolled_back,
            location,
            ..
        } => {
            assert_eq!(
                (*version, file.as_str(), *rolled_back),
                (2, "0002_second_fails.sql", true)
            );
            assert!(
                message.contains("no such table: no_such_table"),
                "{message}"
            );
            let location = location.as_ref().expect("the failing statement is found");
            assert_eq!((location.line, location.column), (3, 1));
            assert_eq!(
                location.statement,
                Some((3, "INSERT INTO no_such_table (id) VALUES (1)".to_owned()))
            );
        }
        other => panic!("expected Error::Migration, got {other:?}"),
    }
    let text = error.to_string();
    assert!(
        text.contains("migration 2")
            && text.contains("0002_second_fails.sql")
            && text.contains("rolled back"),
        "{text}"
    );

    assert!(table_exists(&pool, "first").await);
    assert!(
        !table_exists(&pool, "second").await,
        "the failed migration's first statement was rolled back"
    );
    assert!(
        !table_exists(&pool, "third").await,
        "nothing after the failure ran"
    );
    let rows = history(&pool).await;
    assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [1]);

    // The lock is free: the next run gets as far as the same migration, not a lock timeout.
    let again = failing::migrations::migrator()
        .lock_timeout(Duration::from_millis(500))
        .run(&pool)
        .await
        .expect_err("still fails");
    assert!(
        matches!(again, Error::Migration { version: 2, .. }),
        "{again:?}"
    );
}

#[tokio::test]
async fn an_edited_migration_is_refused() {
    let db = SqliteFile::new();
    let pool = db.pool().await;
    basic::migrations::run(&pool).await.expect("migrate");
    let error = edited::migrations::run(&pool)
        .await
        .expect_err("checksum mismatch");
    assert!(
        matches!(&error, Error::ChecksumMismatch { version: 2, file, .. } if file == "0002_add_price.up.sql"),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("was edited after it was applied"),
        "{error}"
    );
}

#[tokio::test]
async fn an_applied_migration_missing_from_the_binary_is_refused() {
    let db = SqliteFile::new();
    let pool = db.pool().await;
    basic::migrations::run(&pool).await.expect("migrate");
    let error = truncated::migrations::run(&pool)
        .await
        .expect_err("missing");
    assert!(
        matches!(&error, Error::MissingFromBinary { version: 3, name } if name == "seed_items"),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_new_migration_below_the_highest_applied_is_refused_before_anything_runs() {
    let db = SqliteFile::new();
    let pool = db.pool().await;
    // One branch shipped 0001 and 0003; the merged branch brings 0002 as well.
    let report = gap::migrations::run(&pool)
        .await
        .expect("the branch applies");
    assert_eq!(versions(&report), [1, 3]);

    let before = history(&pool).await;
    let error = basic::migrations::run(&pool)
        .await
        .expect_err("0002 is below 0003");
    assert!(
        matches!(&error, Error::OutOfOrder { version: 2, highest_applied: 3, file } if file == "0002_add_price.up.sql"),
        "{error:?}"
    );
    assert!(error.to_string().contains("renumber"), "{error}");
    assert_eq!(history(&pool).await, before, "nothing was applied");
    let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info('items')")
        .fetch_all(&pool)
        .await
        .expect("columns");
    assert_eq!(columns, ["id", "name"], "0002 did not run");
}

#[tokio::test]
async fn crlf_checkouts_match_lf_checkouts() {
    let db = SqliteFile::new();
    let pool = db.pool().await;
    let report = crlf::migrations::run(&pool)
        .await
        .expect("CRLF files with a BOM apply");
    assert_eq!(versions(&report), [1, 2, 3]);
    let report = basic::migrations::run(&pool)
        .await
        .expect("same checksums with LF");
    assert!(report.is_noop());
}

#[tokio::test]
async fn a_held_lock_times_out_with_a_clear_error() {
    let db = SqliteFile::new();
    let pool = db.pool().await;
    let lock_path = format!(
        "{}.migrate-lock",
        db.path.canonicalize().expect("db exists").display()
    );
    let holder = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .expect("lock file");
    holder.lock().expect("hold the lock");

    let started = std::time::Instant::now();
    let error = basic::migrations::migrator()
        .lock_timeout(Duration::from_millis(300))
        .run(&pool)
        .await
        .expect_err("lock held");
    assert!(started.elapsed() < Duration::from_secs(5));
    match &error {
        Error::LockTimeout { waited, holder, .. } => {
            assert!(*waited >= Duration::from_millis(300));
            assert!(
                holder
                    .as_deref()
                    .is_some_and(|h| h.contains(".migrate-lock")),
                "{holder:?}"
            );
        }
        other => panic!("expected a lock timeout, got {other:?}"),
    }
    assert!(
        !table_exists(&pool, "items").await,
        "nothing ran without the lock"
    );

    drop(holder);
    let report = basic::migrations::run(&pool)
        .await
        .expect("runs once the lock is free");
    assert_eq!(versions(&report), [1, 2, 3]);
}

#[tokio::test]
async fn a_custom_history_table_is_used_and_hostile_names_are_refused() {
    let db = SqliteFile::new();
    let pool = db.pool().await;
    let report = basic::migrations::migrator()
        .history_table("schema_log")
        .expect("valid name")
        .run(&pool)
        .await
        .expect("migrate");
    assert_eq!(versions(&report), [1, 2, 3]);
    assert!(table_exists(&pool, "schema_log").await);
    assert!(!table_exists(&pool, "_migrate_history").await);

    let hostile = basic::migrations::migrator().history_table("x\"; DROP TABLE items; --");
    assert!(matches!(hostile, Err(Error::InvalidTableName(_))));
    assert!(table_exists(&pool, "items").await);
}

/// 16 processes start at once on one new database file, three times over: every process
/// succeeds and each migration runs exactly once (one row per version in `applied_log`,
/// which each migration inserts into).
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_processes_apply_each_migration_once() {
    for round in 0..3 {
        let db = SqliteFile::new();
        let applied = run_processes(env!("CARGO_BIN_EXE_migrate-test-runner"), &db.url, 16);
        let expected: BTreeMap<i64, usize> = (1..=8).map(|v| (v, 1)).collect();
        assert_eq!(
            applied, expected,
            "round {round}: each version reported by exactly one runner"
        );
        let pool = db.pool().await;
        let log: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT version, count(*) FROM applied_log GROUP BY version ORDER BY version",
        )
        .fetch_all(&pool)
        .await
        .expect("applied_log");
        assert_eq!(
            log,
            (1..=8).map(|v| (v, 1)).collect::<Vec<_>>(),
            "round {round}"
        );
        assert_eq!(history(&pool).await.len(), 8);
    }
}
