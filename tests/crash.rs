//! Crashes: a runner process is killed with SIGKILL at many points while it applies slow
//! migrations, on PostgreSQL, MariaDB and SQLite. After every kill, what the history says is
//! applied is applied; the next run completes; no migration ran twice (each logs itself
//! into `applied_log`); and the lock is not left held (the next run gets it).
//!
//! Each test prints how many migrations were complete at each kill; run with `--nocapture`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use migrate::Migrator;
use migrate_tests::fixtures::{crash_mysql, crash_pg, crash_sqlite};
use migrate_tests::{Server, ServerDatabase, SqliteFile};
use sqlx::{MySqlPool, PgPool, SqlitePool};

const KILLS: u64 = 24;

enum Target {
    Pg(PgPool),
    MySql(MySqlPool),
    Sqlite(SqlitePool),
}

impl Target {
    async fn scalar(&self, sql: &'static str) -> Result<i64, sqlx::Error> {
        match self {
            Target::Pg(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
            Target::MySql(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
            Target::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        }
    }

    async fn pairs(&self, sql: &'static str) -> Vec<(i64, i64)> {
        let rows = match self {
            Target::Pg(pool) => sqlx::query_as(sql).fetch_all(pool).await,
            Target::MySql(pool) => sqlx::query_as(sql).fetch_all(pool).await,
            Target::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await,
        };
        rows.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    async fn run(&self, migrator: Migrator) -> Result<migrate::Report, migrate::Error> {
        let migrator = migrator.lock_timeout(Duration::from_secs(30));
        match self {
            Target::Pg(pool) => migrator.run(pool).await,
            Target::MySql(pool) => migrator.run(pool).await,
            Target::Sqlite(pool) => migrator.run(pool).await,
        }
    }

    /// The history: (version, success); empty before the table exists.
    async fn history(&self) -> Vec<(i64, bool)> {
        const SQL: &str = "SELECT version, success FROM _migrate_history ORDER BY version";
        let rows = match self {
            Target::Pg(pool) => sqlx::query_as(SQL).fetch_all(pool).await,
            Target::MySql(pool) => sqlx::query_as(SQL).fetch_all(pool).await,
            Target::Sqlite(pool) => sqlx::query_as(SQL).fetch_all(pool).await,
        };
        match rows {
            Ok(rows) => rows,
            Err(sqlx::Error::Database(e))
                if e.message().contains("exist") || e.message().contains("no such table") =>
            {
                Vec::new()
            }
            Err(e) => panic!("{SQL}: {e}"),
        }
    }

    /// Whether migration `version` (2..=6) created its table.
    async fn has_table(&self, version: i64) -> bool {
        let sql: &'static str = match version {
            2 => "SELECT COUNT(*) FROM t2",
            3 => "SELECT COUNT(*) FROM t3",
            4 => "SELECT COUNT(*) FROM t4",
            5 => "SELECT COUNT(*) FROM t5",
            _ => "SELECT COUNT(*) FROM t6",
        };
        self.scalar(sql).await.is_ok()
    }
}

/// Kills a runner `KILLS` times at spread-out moments, each on a fresh database made by
/// `fresh`, and checks the state after each kill and after the recovery run.
async fn crash_and_recover<F, Fut>(
    name: &str,
    fixture: &str,
    migrator: fn() -> Migrator,
    total: usize,
    fresh: F,
) where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Option<(Box<dyn std::any::Any>, String, Target)>>,
{
    let mut complete_at_kill: BTreeMap<usize, u64> = BTreeMap::new();
    let started = Instant::now();
    for kill in 0..KILLS {
        let Some((_guard, url, target)) = fresh().await else {
            return;
        };
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_migrate-test-runner"))
            .args([url.as_str(), fixture])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn a runner");
        tokio::time::sleep(Duration::from_millis(40 + kill * 45)).await;
        child.kill().expect("SIGKILL the runner");
        child.wait().expect("reap the runner");

        // Recorded as applied means applied.
        let history = target.history().await;
        let complete: Vec<i64> = history
            .iter()
            .filter(|(_, ok)| *ok)
            .map(|(v, _)| *v)
            .collect();
        for version in complete.iter().copied().filter(|v| (2..=6).contains(v)) {
            assert!(
                target.has_table(version).await,
                "{name} kill {kill}: {version} recorded but its table is missing"
            );
        }
        *complete_at_kill.entry(complete.len()).or_default() += 1;

        let report = target
            .run(migrator())
            .await
            .unwrap_or_else(|e| panic!("{name} kill {kill}: the next run failed: {e}"));
        let history = target.history().await;
        assert_eq!(
            history.len(),
            total,
            "{name} kill {kill}: every migration recorded"
        );
        assert!(
            history.iter().all(|(_, ok)| *ok),
            "{name} kill {kill}: all complete: {history:?}"
        );
        // Not `applied + complete == total`: a runner killed right after sending COMMIT
        // still has its migration committed by the server, after the history was read.
        assert!(
            report
                .applied()
                .iter()
                .all(|a| !complete.contains(&a.version)),
            "{name} kill {kill}: nothing complete at the kill was applied again"
        );
        let log = target
            .pairs("SELECT version, COUNT(*) FROM applied_log GROUP BY version ORDER BY version")
            .await;
        assert_eq!(
            log,
            (1..=6).map(|v| (v, 1)).collect::<Vec<_>>(),
            "{name} kill {kill}: each migration ran once"
        );
        for version in 2..=6 {
            assert!(
                target.has_table(version).await,
                "{name} kill {kill}: table of {version}"
            );
        }
    }
    println!(
        "crash test {name}: {KILLS} runners killed with SIGKILL, all recovered by the next run; \
         migrations complete at the kill -> number of kills: {complete_at_kill:?} ({:.1}s)",
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test]
async fn killed_runners_recover_on_postgres() {
    crash_and_recover(
        "postgres",
        "crash_pg",
        crash_pg::migrations::migrator,
        7,
        || async {
            let db = ServerDatabase::create_on(Server::Postgres).await?;
            let pool = db.pool().await;
            let url = db.url.clone();
            Some((
                Box::new(db) as Box<dyn std::any::Any>,
                url,
                Target::Pg(pool),
            ))
        },
    )
    .await;
}

#[tokio::test]
async fn killed_runners_recover_on_mariadb() {
    crash_and_recover(
        "mariadb",
        "crash_mysql",
        crash_mysql::migrations::migrator,
        6,
        || async {
            let db = ServerDatabase::create_on(Server::MySql).await?;
            let pool = db.mysql_pool().await;
            let url = db.url.clone();
            Some((
                Box::new(db) as Box<dyn std::any::Any>,
                url,
                Target::MySql(pool),
            ))
        },
    )
    .await;
}

#[tokio::test]
async fn killed_runners_recover_on_sqlite() {
    crash_and_recover(
        "sqlite",
        "crash_sqlite",
        crash_sqlite::migrations::migrator,
        6,
        || async {
            let db = SqliteFile::new();
            let pool = db.pool().await;
            let url = db.url.clone();
            Some((
                Box::new(db) as Box<dyn std::any::Any>,
                url,
                Target::Sqlite(pool),
            ))
        },
    )
    .await;
}
