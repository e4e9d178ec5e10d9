//! The runtime against a real MariaDB/MySQL server (`MYSQL_URL`): apply and re-run, drift,
//! `GET_LOCK` locking with timeouts that name the holder, concurrent runners, and migrations
//! that fail part-way: DDL commits implicitly, so the history records how many statements
//! were applied, later runs refuse until the file is fixed, and the fixed file resumes at
//! the failed statement.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use migrate::Error;
use migrate_tests::fixtures::{
    basic, concurrent, edited, failing, failing_bad_fix, failing_fixed, gap, truncated,
};
use migrate_tests::{Server, ServerDatabase};
use sqlx::{Connection, MySqlPool};

async fn database() -> Option<(ServerDatabase, MySqlPool)> {
    let db = ServerDatabase::create_on(Server::MySql).await?;
    let pool = db.mysql_pool().await;
    Some((db, pool))
}

type Row = (i64, String, bool, i64, Option<String>);

async fn history(pool: &MySqlPool) -> Vec<Row> {
    sqlx::query_as("SELECT version, name, success, statements_applied, error FROM _migrate_history ORDER BY version")
        .fetch_all(pool)
        .await
        .expect("read the history")
}

async fn table_exists(pool: &MySqlPool, name: &str) -> bool {
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
    )
    .bind(name)
    .fetch_one(pool)
    .await
    .expect("information_schema");
    count == 1
}

fn versions(report: &migrate::Report) -> Vec<i64> {
    report.applied().iter().map(|a| a.version).collect()
}

#[tokio::test]
async fn applies_everything_then_does_nothing() {
    let Some((_db, pool)) = database().await else {
        return;
    };
    let report = basic::migrations::run(&pool).await.expect("migrate");
    assert_eq!(versions(&report), [1, 2, 3]);
    let rows = history(&pool).await;
    assert_eq!(
        rows.iter().map(|r| (r.0, r.2, r.3)).collect::<Vec<_>>(),
        [(1, true, 1), (2, true, 1), (3, true, 1)],
        "every migration recorded as complete, one statement each"
    );
    let checksum: Vec<u8> =
        sqlx::query_scalar("SELECT checksum FROM _migrate_history WHERE version = 2")
            .fetch_one(&pool)
            .await
            .expect("checksum");
    assert_eq!(
        &checksum[..],
        &basic::migrations::V2_ADD_PRICE.checksum()[..]
    );
    let prices: Vec<(String, i32)> = sqlx::query_as("SELECT name, price FROM items ORDER BY id")
        .fetch_all(&pool)
        .await
        .expect("items");
    assert_eq!(prices, [("apple".to_owned(), 0), ("pear".to_owned(), 0)]);
    assert!(basic::migrations::run(&pool)
        .await
        .expect("again")
        .is_noop());
}

#[tokio::test]
async fn an_up_to_date_database_is_recognised_from_one_summary_row() {
    let Some((_db, pool)) = database().await else {
        return;
    };
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

#[tokio::test]
async fn a_failed_statement_is_recorded_refused_then_resumed_once_fixed() {
    let Some((_db, pool)) = database().await else {
        return;
    };

    // 0002: CREATE TABLE second; INSERT 1; INSERT INTO no_such_table  -> the third fails.
    let error = failing::migrations::run(&pool)
        .await
        .expect_err("0002 fails");
    match &error {
        Error::Migration {
            version: 2,
            file,
            rolled_back: false,
            location: Some(location),
            message,
            ..
        } => {
            assert_eq!(file, "0002_second_fails.sql");
            assert!(message.contains("no_such_table"), "{message}");
            assert_eq!((location.line, location.column), (3, 1));
            assert_eq!(
                location.statement,
                Some((3, "INSERT INTO no_such_table (id) VALUES (1)".to_owned()))
            );
        }
        other => panic!("expected a located Error::Migration, got {other:?}"),
    }
    assert!(
        error
            .to_string()
            .contains("the statements before it stay applied"),
        "{error}"
    );
    let rows = history(&pool).await;
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (rows[1].0, rows[1].2, rows[1].3),
        (2, false, 2),
        "two statements applied, unfinished"
    );
    assert!(
        rows[1]
            .4
            .as_deref()
            .is_some_and(|e| e.contains("no_such_table")),
        "{:?}",
        rows[1].4
    );
    assert!(!table_exists(&pool, "third").await);

    // Unchanged file: refused, with what was applied and what to do.
    let error = failing::migrations::run(&pool).await.expect_err("dirty");
    match &error {
        Error::Dirty {
            version: 2,
            statements_applied: 2,
            message,
            ..
        } => {
            assert!(
                message.contains("statement 3 failed") && message.contains("resume"),
                "{message}"
            );
        }
        other => panic!("expected Error::Dirty, got {other:?}"),
    }

    // A "fix" that also edits an applied statement: refused, nothing runs.
    let error = failing_bad_fix::migrations::run(&pool)
        .await
        .expect_err("prefix changed");
    assert!(
        matches!(&error, Error::Dirty { version: 2, message, .. } if message.contains("no longer those")),
        "{error:?}"
    );

    // The real fix: resumes at statement 3; statements 1 and 2 do not run again.
    let report = failing_fixed::migrations::run(&pool)
        .await
        .expect("resumes");
    assert_eq!(versions(&report), [2, 3]);
    let ids: Vec<i32> = sqlx::query_scalar("SELECT id FROM second ORDER BY id")
        .fetch_all(&pool)
        .await
        .expect("second");
    assert_eq!(ids, [1, 2], "the INSERT of statement 2 ran once");
    let rows = history(&pool).await;
    assert_eq!(
        rows.iter()
            .map(|r| (r.0, r.2, r.4.is_none()))
            .collect::<Vec<_>>(),
        [(1, true, true), (2, true, true), (3, true, true)]
    );
    let checksum: Vec<u8> =
        sqlx::query_scalar("SELECT checksum FROM _migrate_history WHERE version = 2")
            .fetch_one(&pool)
            .await
            .expect("checksum");
    assert_eq!(
        &checksum[..],
        &failing_fixed::migrations::V2_SECOND_FAILS.checksum()[..],
        "the fixed file's checksum"
    );
    assert!(failing_fixed::migrations::run(&pool)
        .await
        .expect("again")
        .is_noop());
}

#[tokio::test]
async fn each_kind_of_drift_is_refused() {
    let Some((_db, pool)) = database().await else {
        return;
    };
    basic::migrations::run(&pool).await.expect("migrate");
    let error = edited::migrations::run(&pool).await.expect_err("edited");
    assert!(
        matches!(error, Error::ChecksumMismatch { version: 2, .. }),
        "{error:?}"
    );
    let error = truncated::migrations::run(&pool)
        .await
        .expect_err("missing");
    assert!(
        matches!(error, Error::MissingFromBinary { version: 3, .. }),
        "{error:?}"
    );
    assert!(truncated::migrations::migrator()
        .ignore_missing(true)
        .run(&pool)
        .await
        .expect("tolerated")
        .is_noop());

    let Some((_branch, branch)) = database().await else {
        return;
    };
    assert_eq!(
        versions(&gap::migrations::run(&branch).await.expect("branch")),
        [1, 3]
    );
    let error = basic::migrations::run(&branch)
        .await
        .expect_err("out of order");
    assert!(
        matches!(
            error,
            Error::OutOfOrder {
                version: 2,
                highest_applied: 3,
                ..
            }
        ),
        "{error:?}"
    );
    let report = basic::migrations::migrator()
        .allow_out_of_order(true)
        .run(&branch)
        .await
        .expect("allowed");
    assert_eq!(versions(&report), [2]);
}

#[tokio::test]
async fn a_held_lock_times_out_and_names_its_holder() {
    let Some((db, pool)) = database().await else {
        return;
    };
    let mut holder = sqlx::MySqlConnection::connect(&db.url)
        .await
        .expect("holder");
    let got: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(GET_LOCK(CONCAT('migrate_', SHA1(CONCAT(DATABASE(), '.', '_migrate_history'))), 0) AS SIGNED)",
    )
    .fetch_one(&mut holder)
    .await
    .expect("hold the lock");
    assert_eq!(got, Some(1));
    let holder_id: i64 = sqlx::query_scalar("SELECT CAST(CONNECTION_ID() AS SIGNED)")
        .fetch_one(&mut holder)
        .await
        .expect("id");

    let error = basic::migrations::migrator()
        .lock_timeout(Duration::from_millis(400))
        .run(&pool)
        .await
        .expect_err("lock held");
    match &error {
        Error::LockTimeout {
            holder: Some(holder),
            ..
        } => {
            assert!(
                holder.contains(&format!("connection {holder_id} ")),
                "{holder}"
            );
        }
        other => panic!("expected a lock timeout naming the holder, got {other:?}"),
    }
    assert!(!table_exists(&pool, "items").await);
    holder.close().await.expect("release by disconnecting");
    assert_eq!(
        versions(&basic::migrations::run(&pool).await.expect("runs now")),
        [1, 2, 3]
    );
}

/// 16 runners with their own pools start together on one fresh database; three rounds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_runners_apply_each_migration_once() {
    for round in 0..3 {
        let Some((db, pool)) = database().await else {
            return;
        };
        let barrier = Arc::new(tokio::sync::Barrier::new(16));
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let url = db.url.clone();
                let barrier = barrier.clone();
                tokio::spawn(async move {
                    let pool = sqlx::mysql::MySqlPoolOptions::new()
                        .max_connections(1)
                        .connect(&url)
                        .await?;
                    barrier.wait().await;
                    let report = concurrent::migrations::run(&pool).await;
                    pool.close().await;
                    Ok::<_, Box<dyn std::error::Error + Send + Sync>>(report?)
                })
            })
            .collect();
        let mut applied: BTreeMap<i64, usize> = BTreeMap::new();
        for task in tasks {
            let report = task
                .await
                .expect("task")
                .unwrap_or_else(|e| panic!("round {round}: a runner failed: {e}"));
            for version in versions(&report) {
                *applied.entry(version).or_default() += 1;
            }
        }
        assert_eq!(
            applied,
            (1..=8).map(|v| (v, 1)).collect::<BTreeMap<_, _>>(),
            "round {round}"
        );
        let log: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT version, COUNT(*) FROM applied_log GROUP BY version ORDER BY version",
        )
        .fetch_all(&pool)
        .await
        .expect("applied_log");
        assert_eq!(
            log,
            (1..=8).map(|v| (v, 1)).collect::<Vec<_>>(),
            "round {round}: each migration ran once"
        );
    }
}

/// The runner died after a DDL statement committed (MySQL commits DDL on its own) but before
/// its progress did: the resumed run fails on it, says why, and resumes once it is idempotent.
#[tokio::test]
async fn a_statement_that_completed_just_before_a_crash_is_explained_then_resumed() {
    use migrate_tests::fixtures::crash_mysql;
    let Some((_db, pool)) = database().await else {
        return;
    };
    // The state such a crash leaves: 0001's CREATE TABLE ran, nothing of it is recorded.
    concurrent::migrations::migrator()
        .run_to(&pool, &concurrent::migrations::V1_CREATE_LOG)
        .await
        .expect("0001");
    sqlx::raw_sql(
        "DELETE FROM applied_log; \
         UPDATE _migrate_history SET success = FALSE, statements_applied = 0, progress_checksum = NULL, error = NULL",
    )
    .execute(&pool)
    .await
    .expect("rewind to the crash");

    let error = concurrent::migrations::run(&pool)
        .await
        .expect_err("statement 1 runs again");
    match &error {
        Error::Migration {
            version: 1,
            message,
            ..
        } => {
            assert!(
                message.contains("already exists") && message.contains("make it idempotent"),
                "{message}"
            );
        }
        other => panic!("expected Error::Migration, got {other:?}"),
    }
    // The same binary is refused; the fixed file (IF NOT EXISTS) resumes at statement 1.
    assert!(matches!(
        concurrent::migrations::run(&pool).await,
        Err(Error::Dirty { version: 1, .. })
    ));
    let report = crash_mysql::migrations::run(&pool).await.expect("resumes");
    assert_eq!(versions(&report), [1, 2, 3, 4, 5, 6]);
    let log: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT version, COUNT(*) FROM applied_log GROUP BY version ORDER BY version",
    )
    .fetch_all(&pool)
    .await
    .expect("applied_log");
    assert_eq!(log, (1..=6).map(|v| (v, 1)).collect::<Vec<_>>());
}
