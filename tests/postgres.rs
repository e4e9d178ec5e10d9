//! The runtime against a real PostgreSQL server: apply, re-run, failure with rollback and the
//! line of the error, drift, `no-transaction`, the advisory lock (timeouts, holder, release on
//! every path), and 32 concurrent runners as tasks and as processes.
//!
//! Each test creates its own database and drops it. Without a reachable server the tests
//! print why and return, except when `CI` is set.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use migrate::Error;
use migrate_tests::fixtures::{
    basic, concurrent, crash_pg, edited, failing, gap, no_transaction, slow, truncated,
};
use migrate_tests::{pg_relation_exists, run_processes, PgDatabase};
use sqlx::{Connection, PgPool};

async fn history(pool: &PgPool) -> Vec<(i64, String, bool)> {
    sqlx::query_as("SELECT version, name, success FROM _migrate_history ORDER BY version")
        .fetch_all(pool)
        .await
        .expect("read the history")
}

/// Advisory locks held by anyone in this test's database.
async fn advisory_locks(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
         WHERE l.locktype = 'advisory' AND d.datname = current_database()",
    )
    .fetch_one(pool)
    .await
    .expect("pg_locks")
}

fn versions(report: &migrate::Report) -> Vec<i64> {
    report.applied().iter().map(|a| a.version).collect()
}

#[tokio::test]
async fn applies_everything_then_does_nothing() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    let pool = db.pool().await;
    let report = basic::migrations::run(&pool).await.expect("migrate");
    assert_eq!(versions(&report), [1, 2, 3]);
    assert_eq!(
        history(&pool).await,
        [
            (1, "create_items".into(), true),
            (2, "add_price".into(), true),
            (3, "seed_items".into(), true)
        ]
    );
    let checksums: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT checksum FROM _migrate_history ORDER BY version")
            .fetch_all(&pool)
            .await
            .expect("checksums");
    let expected: Vec<Vec<u8>> = basic::migrations::MIGRATIONS
        .iter()
        .map(|m| m.checksum().to_vec())
        .collect();
    assert_eq!(checksums, expected);
    let down: Option<String> =
        sqlx::query_scalar("SELECT down_script FROM _migrate_history WHERE version = 2")
            .fetch_one(&pool)
            .await
            .expect("down script");
    assert_eq!(
        down.as_deref(),
        Some("ALTER TABLE items DROP COLUMN price;\n")
    );
    let items: i64 = sqlx::query_scalar("SELECT count(*) FROM items")
        .fetch_one(&pool)
        .await
        .expect("items");
    assert_eq!(items, 2);

    let report = basic::migrations::run(&pool).await.expect("second run");
    assert!(report.is_noop(), "{report:?}");
    assert_eq!(history(&pool).await.len(), 3);
    assert_eq!(advisory_locks(&pool).await, 0, "no lock left behind");
}

#[tokio::test]
async fn an_up_to_date_database_is_recognised_from_one_summary_row() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    let pool = db.pool().await;
    truncated::migrations::run(&pool).await.expect("migrate");
    // An update moves row 1 after row 2 in the heap, so the rows are read out of order.
    sqlx::query("UPDATE _migrate_history SET duration_us = duration_us + 1 WHERE version = 1")
        .execute(&pool)
        .await
        .expect("update");
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
async fn a_failed_migration_rolls_back_names_the_line_and_releases_the_lock() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
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
                message.contains("relation \"no_such_table\" does not exist"),
                "{message}"
            );
            let location = location.as_ref().expect("PostgreSQL reports a position");
            assert_eq!((location.line, location.column), (3, 13));
            assert_eq!(
                location.statement,
                Some((3, "INSERT INTO no_such_table (id) VALUES (1)".to_owned()))
            );
        }
        other => panic!("expected Error::Migration, got {other:?}"),
    }
    let text = error.to_string();
    assert!(
        text.contains("failed at 0002_second_fails.sql:3:13")
            && text.contains("in statement 3: INSERT INTO no_such_table"),
        "{text}"
    );
    assert!(pg_relation_exists(&pool, "first").await);
    assert!(!pg_relation_exists(&pool, "second").await, "rolled back");
    assert!(
        !pg_relation_exists(&pool, "third").await,
        "stopped at the failure"
    );
    assert_eq!(history(&pool).await, [(1, "first".into(), true)]);
    assert_eq!(
        advisory_locks(&pool).await,
        0,
        "lock released after the failure"
    );

    let again = failing::migrations::migrator()
        .lock_timeout(Duration::from_millis(500))
        .run(&pool)
        .await
        .expect_err("fails again at the same place");
    assert!(
        matches!(again, Error::Migration { version: 2, .. }),
        "{again:?}"
    );
}

#[tokio::test]
async fn each_kind_of_drift_is_refused_before_anything_runs() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    let pool = db.pool().await;
    basic::migrations::run(&pool).await.expect("migrate");

    let error = edited::migrations::run(&pool).await.expect_err("edited");
    assert!(
        matches!(&error, Error::ChecksumMismatch { version: 2, .. }),
        "{error:?}"
    );
    let error = truncated::migrations::run(&pool)
        .await
        .expect_err("missing");
    assert!(
        matches!(&error, Error::MissingFromBinary { version: 3, .. }),
        "{error:?}"
    );

    let Some(branch) = PgDatabase::create().await else {
        return;
    };
    let branch_pool = branch.pool().await;
    assert_eq!(
        versions(&gap::migrations::run(&branch_pool).await.expect("branch")),
        [1, 3]
    );
    let error = basic::migrations::run(&branch_pool)
        .await
        .expect_err("out of order");
    assert!(
        matches!(
            &error,
            Error::OutOfOrder {
                version: 2,
                highest_applied: 3,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(history(&branch_pool).await.len(), 2, "nothing applied");
    let price: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'price')",
    )
    .fetch_one(&branch_pool)
    .await
    .expect("columns");
    assert!(!price, "0002 did not run");
}

#[tokio::test]
async fn no_transaction_migrations_run_outside_a_transaction() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    let pool = db.pool().await;
    let report = no_transaction::migrations::run(&pool)
        .await
        .expect("CREATE INDEX CONCURRENTLY applies");
    assert_eq!(versions(&report), [1, 2]);
    assert!(
        pg_relation_exists(&pool, "docs_body").await,
        "the index exists"
    );
    assert_eq!(history(&pool).await.len(), 2);
}

#[tokio::test]
async fn a_schema_qualified_history_table_is_created_in_its_schema() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    let pool = db.pool().await;
    let migrator = basic::migrations::migrator()
        .history_table("ops.schema_history")
        .expect("valid");
    assert_eq!(
        versions(&migrator.run(&pool).await.expect("migrate")),
        [1, 2, 3]
    );
    assert!(pg_relation_exists(&pool, "ops.schema_history").await);
    assert!(!pg_relation_exists(&pool, "_migrate_history").await);
    assert!(migrator.run(&pool).await.expect("again").is_noop());
}

#[tokio::test]
async fn a_held_lock_times_out_and_names_its_holder() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    let pool = db.pool().await;
    let options: sqlx::postgres::PgConnectOptions = db.url.parse().expect("url");
    let mut holder =
        sqlx::PgConnection::connect_with(&options.application_name("deploy-replica-7"))
            .await
            .expect("holder connection");
    let key = basic::migrations::migrator().table().lock_key();
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(key)
        .execute(&mut holder)
        .await
        .expect("hold the lock");

    let error = basic::migrations::migrator()
        .lock_timeout(Duration::from_millis(400))
        .run(&pool)
        .await
        .expect_err("lock held");
    match &error {
        Error::LockTimeout { waited, holder, .. } => {
            assert!(*waited >= Duration::from_millis(400));
            let holder = holder.as_deref().unwrap_or_default();
            assert!(
                holder.contains("deploy-replica-7") && holder.contains("pid"),
                "{holder}"
            );
        }
        other => panic!("expected a lock timeout, got {other:?}"),
    }
    assert!(
        !pg_relation_exists(&pool, "items").await,
        "nothing ran without the lock"
    );

    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(key)
        .execute(&mut holder)
        .await
        .expect("release");
    assert_eq!(
        versions(&basic::migrations::run(&pool).await.expect("runs now")),
        [1, 2, 3]
    );
}

#[tokio::test]
async fn a_cancelled_run_does_not_leave_the_lock_held() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    // One connection: if the locked connection went back to the pool, the next run would
    // reuse it and the lock would look free to it, so use a second pool to check.
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&db.url)
        .await
        .expect("pool");
    let cancelled =
        tokio::time::timeout(Duration::from_millis(700), slow::migrations::run(&pool)).await;
    assert!(
        cancelled.is_err(),
        "the run was still sleeping in 0002 when it was dropped"
    );

    let other = db.pool().await;
    let report = slow::migrations::migrator()
        .lock_timeout(Duration::from_secs(10))
        .run(&other)
        .await
        .expect("another runner gets the lock");
    // 0001 committed before the cancellation. 0002 went to the server as one message
    // (BEGIN, file, history row, COMMIT), so the server either finished it, atomically with
    // its row, before the lock was freed, or it died with the connection: either way the
    // other runner applies whatever is left, exactly once, and the lock did not stay held.
    assert!(versions(&report).iter().all(|v| *v == 2), "{report:?}");
    assert_eq!(history(&other).await.len(), 2);
    assert!(pg_relation_exists(&other, "after_sleep").await);
    assert_eq!(advisory_locks(&other).await, 0);
}

async fn assert_each_applied_once(pool: &PgPool, applied: &BTreeMap<i64, usize>, round: usize) {
    let expected: BTreeMap<i64, usize> = (1..=8).map(|v| (v, 1)).collect();
    assert_eq!(
        applied, &expected,
        "round {round}: each version reported by exactly one runner"
    );
    let log: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT version, count(*) FROM applied_log GROUP BY version ORDER BY version",
    )
    .fetch_all(pool)
    .await
    .expect("applied_log");
    assert_eq!(
        log,
        (1..=8).map(|v| (v, 1)).collect::<Vec<_>>(),
        "round {round}: each migration ran once"
    );
    assert_eq!(history(pool).await.len(), 8);
    assert_eq!(
        advisory_locks(pool).await,
        0,
        "round {round}: no lock left behind"
    );
}

/// 32 runners, each with its own pool, start together on one fresh database; five rounds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_concurrent_tasks_apply_each_migration_once() {
    for round in 0..5 {
        let Some(db) = PgDatabase::create().await else {
            return;
        };
        let barrier = Arc::new(tokio::sync::Barrier::new(32));
        let mut tasks = Vec::new();
        for _ in 0..32 {
            let url = db.url.clone();
            let barrier = barrier.clone();
            tasks.push(tokio::spawn(async move {
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(1)
                    .connect(&url)
                    .await?;
                barrier.wait().await;
                let report = concurrent::migrations::run(&pool).await;
                pool.close().await;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(report?)
            }));
        }
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
        assert_each_applied_once(&db.pool().await, &applied, round).await;
    }
}

/// 32 separate processes start together on one fresh database; three rounds.
#[tokio::test(flavor = "multi_thread")]
async fn thirty_two_concurrent_processes_apply_each_migration_once() {
    for round in 0..3 {
        let Some(db) = PgDatabase::create().await else {
            return;
        };
        let applied = run_processes(env!("CARGO_BIN_EXE_migrate-test-runner"), &db.url, 32);
        assert_each_applied_once(&db.pool().await, &applied, round).await;
    }
}

/// Runners waiting for the lock must not hold up a `CREATE INDEX CONCURRENTLY` of the runner
/// that holds it (which waits for every transaction with an older snapshot, a waiting
/// statement's included): each wait of theirs ends by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn waiting_runners_do_not_hold_up_create_index_concurrently() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    let barrier = Arc::new(tokio::sync::Barrier::new(4));
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let url = db.url.clone();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .connect(&url)
                .await?;
            barrier.wait().await;
            let report = crash_pg::migrations::run(&pool).await;
            pool.close().await;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(report?)
        }));
    }
    let mut applied: BTreeMap<i64, usize> = BTreeMap::new();
    for task in tasks {
        let report = task
            .await
            .expect("task")
            .unwrap_or_else(|e| panic!("a runner failed: {e}"));
        for version in versions(&report) {
            *applied.entry(version).or_default() += 1;
        }
    }
    assert_eq!(applied, (1..=7).map(|v| (v, 1)).collect());
    let pool = db.pool().await;
    assert!(pg_relation_exists(&pool, "applied_log_version").await);
    assert_eq!(history(&pool).await.len(), 7);
    assert_eq!(advisory_locks(&pool).await, 0);
}
