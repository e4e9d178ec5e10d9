//! Stalled lease holders: runner A, applying thirty migrations under a lease, is stopped with
//! SIGSTOP for longer than its lease; runner B takes the lease over and finishes; then A is
//! continued with SIGCONT. A must change nothing more (every write under a lease is fenced)
//! and stop with `LeaseLost`, or finish without applying anything twice; every migration's
//! effects exist exactly once (2,000 rows in its table, one line in `stall_log`). On
//! PostgreSQL (whole migrations and `no-transaction` ones), MariaDB (statement by statement)
//! and PostgreSQL through PgBouncer in transaction mode.
//!
//! Each test prints, per round, how A ended and how long B took; run with `--nocapture`.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use migrate_tests::{pgbouncer_url, Server, ServerDatabase};
use sqlx::{MySqlPool, PgPool};

/// The lease's stale timeout in these tests.
const LEASE_MS: u64 = 1_500;
/// The number of migrations in the fixtures, and the rows each inserts.
const MIGRATIONS: i64 = 30;
const ROWS: i64 = 2_000;

enum Check {
    Pg(PgPool),
    MySql(MySqlPool),
}

impl Check {
    async fn scalar(&self, sql: &str) -> i64 {
        let result = match self {
            Check::Pg(pool) => {
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .fetch_one(pool)
                    .await
            }
            Check::MySql(pool) => {
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .fetch_one(pool)
                    .await
            }
        };
        result.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Each migration's effects are there exactly once, and each is recorded as applied.
    async fn assert_each_once(&self, round: usize) {
        for version in 2..=MIGRATIONS {
            let rows = self
                .scalar(&format!("SELECT COUNT(*) FROM t_{version}"))
                .await;
            assert_eq!(rows, ROWS, "round {round}: rows of t_{version}");
        }
        for version in 1..=MIGRATIONS {
            let logged = self
                .scalar(&format!(
                    "SELECT COUNT(*) FROM stall_log WHERE version = {version}"
                ))
                .await;
            assert_eq!(logged, 1, "round {round}: version {version} logged");
        }
        let applied = self
            .scalar("SELECT COUNT(*) FROM _migrate_history WHERE success")
            .await;
        assert_eq!(
            applied, MIGRATIONS,
            "round {round}: all recorded as applied"
        );
        let leases = self
            .scalar("SELECT COUNT(*) FROM _migrate_history_lock")
            .await;
        assert_eq!(leases, 0, "round {round}: the lease was given up");
    }
}

fn runner(url: &str, fixture: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_migrate-test-runner"))
        .args([url, fixture])
        .env("MIGRATE_TEST_LEASE_MS", LEASE_MS.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn a runner")
}

fn signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success(), "kill {signal}");
}

/// How runner A ended.
#[derive(Debug, PartialEq, Eq)]
enum Ending {
    /// It stopped with `LeaseLost`.
    LeaseLost,
    /// It finished (stopped before taking the lease, or after its last write).
    Finished,
}

/// One round on a fresh database at `url`: A is stopped after `stop_after`.
async fn round(url: &str, fixture: &str, stop_after: Duration) -> (Ending, Duration) {
    let a = runner(url, fixture);
    tokio::time::sleep(stop_after).await;
    signal(&a, "-STOP");
    let started = Instant::now();
    let b = runner(url, fixture)
        .wait_with_output()
        .expect("runner B output");
    let b_took = started.elapsed();
    assert!(
        b.status.success(),
        "runner B failed: {}",
        String::from_utf8_lossy(&b.stderr)
    );
    signal(&a, "-CONT");
    let a = a.wait_with_output().expect("runner A output");
    let stderr = String::from_utf8_lossy(&a.stderr);
    let ending = if a.status.success() {
        Ending::Finished
    } else {
        assert!(
            stderr.contains("lease") && stderr.contains("taken over"),
            "runner A failed otherwise than by losing its lease: {stderr}"
        );
        Ending::LeaseLost
    };
    (ending, b_took)
}

/// Runs `rounds` rounds, each on a fresh database from `fresh`, A stopped at spread-out
/// moments of its run; at least one A must have lost its lease mid-run.
async fn stall_rounds<F, Fut>(name: &str, fixture: &str, rounds: usize, fresh: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Option<(ServerDatabase, String, Check)>>,
{
    let mut endings = Vec::new();
    for round_number in 0..rounds {
        let Some((_db, url, check)) = fresh().await else {
            return;
        };
        let stop_after = Duration::from_millis(300 + 350 * round_number as u64);
        let (ending, b_took) = round(&url, fixture, stop_after).await;
        check.assert_each_once(round_number).await;
        println!(
            "{name} round {round_number}: A stopped after {stop_after:?}, B finished in {b_took:.1?}, A: {ending:?}"
        );
        endings.push(ending);
    }
    assert!(
        endings.contains(&Ending::LeaseLost),
        "{name}: no round stopped A while it held the lease: {endings:?}"
    );
}

async fn fresh_pg() -> Option<(ServerDatabase, String, Check)> {
    let db = ServerDatabase::create().await?;
    let pool = db.pool().await;
    let url = db.url.clone();
    Some((db, url, Check::Pg(pool)))
}

#[tokio::test]
async fn a_stalled_lease_holder_changes_nothing_after_losing_it_on_postgres() {
    stall_rounds("postgres", "stall_pg", 4, fresh_pg).await;
}

#[tokio::test]
async fn a_stalled_lease_holder_changes_nothing_after_losing_it_on_mariadb() {
    stall_rounds("mariadb", "stall_mysql", 4, || async {
        let db = ServerDatabase::create_on(Server::MySql).await?;
        let pool = db.mysql_pool().await;
        let url = db.url.clone();
        Some((db, url, Check::MySql(pool)))
    })
    .await;
}

#[tokio::test]
async fn a_stalled_lease_holder_changes_nothing_after_losing_it_through_pgbouncer() {
    stall_rounds("pgbouncer", "stall_pg", 3, || async {
        let db = ServerDatabase::create().await?;
        let url = pgbouncer_url(&db.name).await?;
        let pool = db.pool().await;
        Some((db, url, Check::Pg(pool)))
    })
    .await;
}
