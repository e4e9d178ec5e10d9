//! Lock modes other than the session lock: the lease (a row that expires unless its holder's
//! heartbeat renews it) directly and through PgBouncer in transaction pooling mode, and no
//! lock at all.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use migrate::{Error, LockMode};
use migrate_tests::fixtures::{basic, concurrent, crash_pg, crash_sqlite};
use migrate_tests::{pgbouncer_url, Server, ServerDatabase, SqliteFile};
use sqlx::PgPool;

const LEASE: LockMode = LockMode::Lease {
    stale_after: Duration::from_secs(5),
};

async fn lease_rows(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM _migrate_history_lock")
        .fetch_one(pool)
        .await
        .expect("lock table")
}

/// `count` runners, each with a pool of two connections to `url`, start together with the
/// lease; returns how many reported each version.
async fn race(url: &str, count: usize) -> BTreeMap<i64, usize> {
    let barrier = Arc::new(tokio::sync::Barrier::new(count));
    let tasks: Vec<_> = (0..count)
        .map(|_| {
            let url = url.to_owned();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(2)
                    .connect(&url)
                    .await?;
                barrier.wait().await;
                let report = concurrent::migrations::migrator()
                    .lock_mode(LEASE)
                    .lock_timeout(Duration::from_secs(60))
                    .run(&pool)
                    .await;
                pool.close().await;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(report?)
            })
        })
        .collect();
    let mut applied = BTreeMap::new();
    for task in tasks {
        let report = task
            .await
            .expect("task")
            .unwrap_or_else(|e| panic!("a runner failed: {e}"));
        for a in report.applied() {
            *applied.entry(a.version).or_default() += 1;
        }
    }
    applied
}

async fn assert_each_once(pool: &PgPool, applied: &BTreeMap<i64, usize>) {
    assert_eq!(
        applied,
        &(1..=8).map(|v| (v, 1)).collect::<BTreeMap<_, _>>()
    );
    let log: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT version, COUNT(*) FROM applied_log GROUP BY version ORDER BY version",
    )
    .fetch_all(pool)
    .await
    .expect("applied_log");
    assert_eq!(
        log,
        (1..=8).map(|v| (v, 1)).collect::<Vec<_>>(),
        "each migration ran once"
    );
    assert_eq!(lease_rows(pool).await, 0, "the lease was released");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_runners_with_the_lease_apply_each_migration_once() {
    let Some(db) = ServerDatabase::create().await else {
        return;
    };
    let applied = race(&db.url, 16).await;
    assert_each_once(&db.pool().await, &applied).await;
}

/// Through PgBouncer 1.18 in transaction pooling mode a session lock would be taken on
/// whichever server connection ran the statement; the lease works.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_runners_through_pgbouncer_in_transaction_mode_apply_each_migration_once() {
    for round in 0..3 {
        let Some(db) = ServerDatabase::create().await else {
            return;
        };
        let Some(url) = pgbouncer_url(&db.name).await else {
            return;
        };
        let applied = race(&url, 16).await;
        assert_each_once(&db.pool().await, &applied).await;
        println!("pgbouncer round {round}: 16 runners, each migration applied once");
    }
}

#[tokio::test]
async fn a_live_lease_blocks_and_names_its_owner_and_a_stale_one_is_taken_over() {
    let Some(db) = ServerDatabase::create().await else {
        return;
    };
    let pool = db.pool().await;
    sqlx::raw_sql(
        "CREATE TABLE _migrate_history_lock (id INTEGER PRIMARY KEY, owner VARCHAR(255) NOT NULL, \
         acquired_ms BIGINT NOT NULL, expires_ms BIGINT NOT NULL); \
         INSERT INTO _migrate_history_lock VALUES \
           (1, 'deploy-7:4242:abc', 0, (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT + 600000)",
    )
    .execute(&pool)
    .await
    .expect("a live lease of someone else");
    let error = basic::migrations::migrator()
        .lock_mode(LEASE)
        .lock_timeout(Duration::from_millis(300))
        .run(&pool)
        .await
        .expect_err("the lease is held");
    match &error {
        Error::LockTimeout {
            holder: Some(holder),
            ..
        } => {
            assert!(
                holder.contains("deploy-7:4242:abc") && holder.contains("expires in"),
                "{holder}"
            );
        }
        other => panic!("expected a lock timeout naming the lease owner, got {other:?}"),
    }

    // The owner died: its lease is past its expiry, and the next runner takes over.
    sqlx::raw_sql("UPDATE _migrate_history_lock SET expires_ms = 0")
        .execute(&pool)
        .await
        .expect("expire");
    let report = basic::migrations::migrator()
        .lock_mode(LEASE)
        .run(&pool)
        .await
        .expect("takes over");
    assert_eq!(report.applied().len(), 3);
    assert_eq!(lease_rows(&pool).await, 0);
}

#[tokio::test]
async fn a_runner_whose_lease_is_taken_over_stops_before_its_next_migration() {
    let Some(db) = ServerDatabase::create().await else {
        return;
    };
    let pool = db.pool().await;
    let lease = LockMode::lease(Duration::from_millis(300));
    let run = tokio::spawn({
        let pool = pool.clone();
        async move {
            crash_pg::migrations::migrator()
                .lock_mode(lease)
                .run(&pool)
                .await
        }
    });
    // Let it take the lease and start, then steal the lease as another runner would after
    // a stall longer than stale_after.
    tokio::time::sleep(Duration::from_millis(250)).await;
    let stolen = sqlx::raw_sql("UPDATE _migrate_history_lock SET owner = 'thief'")
        .execute(&pool)
        .await
        .expect("steal")
        .rows_affected();
    assert_eq!(stolen, 1, "the lease was held");
    let error = run.await.expect("task").expect_err("the lease was lost");
    assert!(
        matches!(&error, Error::LeaseLost { owner, .. } if !owner.is_empty()),
        "{error:?}"
    );
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _migrate_history WHERE success")
        .fetch_one(&pool)
        .await
        .expect("history");
    assert!(applied < 7, "stopped early, after {applied}");

    sqlx::raw_sql("DELETE FROM _migrate_history_lock")
        .execute(&pool)
        .await
        .expect("thief leaves");
    let report = crash_pg::migrations::migrator()
        .lock_mode(lease)
        .run(&pool)
        .await
        .expect("completes");
    assert_eq!(report.applied().len() as i64 + applied, 7);
}

#[tokio::test]
async fn the_lease_works_on_sqlite_and_mariadb_and_no_lock_runs_alone() {
    let db = SqliteFile::new();
    let pool = db.pool().await;
    let report = crash_sqlite::migrations::migrator()
        .lock_mode(LEASE)
        .run(&pool)
        .await
        .expect("sqlite lease");
    assert_eq!(report.applied().len(), 6);
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _migrate_history_lock")
        .fetch_one(&pool)
        .await
        .expect("lock");
    assert_eq!(rows, 0);

    if let Some(db) = ServerDatabase::create_on(Server::MySql).await {
        let pool = db.mysql_pool().await;
        let report = basic::migrations::migrator()
            .lock_mode(LEASE)
            .run(&pool)
            .await
            .expect("mariadb lease");
        assert_eq!(report.applied().len(), 3);
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _migrate_history_lock")
            .fetch_one(&pool)
            .await
            .expect("lock");
        assert_eq!(rows, 0);
    }

    let db = SqliteFile::new();
    let pool = db.pool().await;
    let report = basic::migrations::migrator()
        .lock_mode(LockMode::None)
        .run(&pool)
        .await
        .expect("no lock");
    assert_eq!(report.applied().len(), 3);
    let lock_file = format!("{}.migrate-lock", db.path.display());
    assert!(
        !std::path::Path::new(&lock_file).exists(),
        "no lock file was used"
    );
}

/// The manual operations write under a lease too, fenced like every other write.
#[tokio::test]
async fn manual_operations_work_under_a_lease() {
    let Some(db) = ServerDatabase::create().await else {
        return;
    };
    let pool = db.pool().await;
    let migrator = basic::migrations::migrator().lock_mode(LEASE);
    migrator
        .mark_applied(&pool, &basic::migrations::V2_ADD_PRICE)
        .await
        .expect("mark applied");
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _migrate_history ORDER BY version")
            .fetch_all(&pool)
            .await
            .expect("history");
    assert_eq!(versions, [1, 2]);
    migrator
        .mark_reverted(&pool, &basic::migrations::V2_ADD_PRICE)
        .await
        .expect("mark reverted");
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _migrate_history ORDER BY version")
            .fetch_all(&pool)
            .await
            .expect("history");
    assert_eq!(versions, [1]);
    migrator.repair(&pool).await.expect("repair");
    assert_eq!(lease_rows(&pool).await, 0);
}
