//! Operating a database through the library, the same scenario on PostgreSQL, SQLite and
//! MariaDB: status, run to a target, plan, revert (by steps, to a target, refused past an
//! irreversible migration, with a down script recorded by a newer binary), mark applied and
//! reverted, repair, and the audit trail.

use std::future::Future;

use migrate::{Down, Error, Migrator, Operation, Pool, Repair, State};
use migrate_tests::fixtures::{basic, reversible, reversible_edited, reversible_truncated};
use migrate_tests::{Server, ServerDatabase, SqliteFile};

/// Reads the test database, whatever its backend.
trait Inspect {
    fn exists(&self, table: &'static str) -> impl Future<Output = bool>;
    fn count(&self, sql: &'static str) -> impl Future<Output = i64>;
    fn exec(&self, sql: &'static str) -> impl Future<Output = ()>;
}

impl Inspect for sqlx::PgPool {
    async fn exec(&self, sql: &'static str) {
        sqlx::raw_sql(sql).execute(self).await.expect(sql);
    }
    async fn exists(&self, table: &'static str) -> bool {
        sqlx::query(sqlx::AssertSqlSafe(format!("SELECT 1 FROM {table}")))
            .fetch_all(self)
            .await
            .is_ok()
    }
    async fn count(&self, sql: &'static str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(self).await.expect(sql)
    }
}

impl Inspect for sqlx::SqlitePool {
    async fn exec(&self, sql: &'static str) {
        sqlx::raw_sql(sql).execute(self).await.expect(sql);
    }
    async fn exists(&self, table: &'static str) -> bool {
        sqlx::query(sqlx::AssertSqlSafe(format!("SELECT 1 FROM {table}")))
            .fetch_all(self)
            .await
            .is_ok()
    }
    async fn count(&self, sql: &'static str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(self).await.expect(sql)
    }
}

impl Inspect for sqlx::MySqlPool {
    async fn exec(&self, sql: &'static str) {
        sqlx::raw_sql(sql).execute(self).await.expect(sql);
    }
    async fn exists(&self, table: &'static str) -> bool {
        sqlx::query(sqlx::AssertSqlSafe(format!("SELECT 1 FROM {table}")))
            .fetch_all(self)
            .await
            .is_ok()
    }
    async fn count(&self, sql: &'static str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(self).await.expect(sql)
    }
}

fn states(status: &[migrate::MigrationStatus]) -> Vec<(i64, State)> {
    status
        .iter()
        .map(|s| (s.version, s.state.clone()))
        .collect()
}

fn versions(applied: &[migrate::Applied]) -> Vec<i64> {
    applied.iter().map(|a| a.version).collect()
}

async fn scenario<P: Pool + Inspect>(pool: &P) {
    let m: Migrator = reversible::migrations::migrator();

    let status = m.status(pool).await.expect("status");
    assert!(
        status.iter().all(|s| s.state == State::Pending),
        "{status:?}"
    );
    assert_eq!(
        status.iter().map(|s| s.reversible).collect::<Vec<_>>(),
        [true, true, false, true]
    );

    let report = m
        .run_to(pool, &reversible::migrations::V2_CREATE_B)
        .await
        .expect("run_to");
    assert_eq!(versions(report.applied()), [1, 2]);
    let status = m.status(pool).await.expect("status");
    assert_eq!(
        states(&status),
        [
            (1, State::Applied),
            (2, State::Applied),
            (3, State::Pending),
            (4, State::Pending)
        ]
    );
    assert!(status[0].applied_at.is_some() && status[0].duration.is_some());
    for line in &status[..2] {
        migrate_tests::assert_applied_just_now_in_utc(line.applied_at.as_deref().unwrap_or(""));
    }

    let plan = m
        .plan(pool, Operation::Up { to: None })
        .await
        .expect("plan up");
    assert_eq!(
        plan.iter().map(|s| (s.up, s.version)).collect::<Vec<_>>(),
        [(true, 3), (true, 4)]
    );
    assert!(plan[1].sql.contains("INSERT INTO d"));
    let plan = m
        .plan(pool, Operation::Down(Down::To(0)))
        .await
        .expect("plan down");
    assert_eq!(
        plan.iter()
            .map(|s| (s.up, s.version, s.file.as_str()))
            .collect::<Vec<_>>(),
        [
            (false, 2, "0002_create_b.down.sql"),
            (false, 1, "0001_create_a.down.sql")
        ]
    );
    assert_eq!(
        m.status(pool).await.expect("status").len(),
        4,
        "plans change nothing"
    );
    assert!(!pool.exists("c").await);

    assert_eq!(versions(m.run(pool).await.expect("run").applied()), [3, 4]);
    let report = m.revert_steps(pool, 1).await.expect("revert one");
    assert_eq!(versions(report.reverted()), [4]);
    assert!(!pool.exists("d").await && pool.exists("c").await);

    // 0003 has no down script: nothing is reverted, not even 0002, which could be.
    let error = m
        .revert_to(pool, &reversible::migrations::V1_CREATE_A)
        .await
        .expect_err("irreversible");
    assert!(
        matches!(&error, Error::Irreversible { version: 3, file } if file == "0003_create_c.sql"),
        "{error:?}"
    );
    assert!(pool.exists("b").await && pool.exists("c").await);
    assert!(
        m.plan(pool, Operation::Down(Down::All)).await.is_err(),
        "the plan refuses too"
    );

    // Revert 0003 by hand and say so; then the revert can pass it.
    pool.exec("DROP TABLE c").await;
    let report = m
        .mark_reverted(pool, &reversible::migrations::V3_CREATE_C)
        .await
        .expect("mark reverted");
    assert_eq!(report.marked_reverted(), [3]);
    assert!(!pool.exists("c").await);
    let report = m
        .revert_to(pool, &reversible::migrations::V1_CREATE_A)
        .await
        .expect("revert to 1");
    assert_eq!(versions(report.reverted()), [2]);
    assert!(!pool.exists("b").await && pool.exists("a").await);

    // Baseline: record 2..4 as applied without running them.
    let report = m
        .mark_applied(pool, &reversible::migrations::V4_CREATE_D)
        .await
        .expect("mark applied");
    assert_eq!(report.marked_applied(), [2, 3, 4]);
    assert!(
        !pool.exists("b").await && !pool.exists("d").await,
        "marking runs nothing"
    );
    assert!(m
        .status(pool)
        .await
        .expect("status")
        .iter()
        .all(|s| s.state == State::Applied));
    assert!(m.run(pool).await.expect("nothing pending").is_noop());

    // An edited file: refused, then accepted by repair.
    let edited = reversible_edited::migrations::migrator();
    assert!(matches!(
        edited.run(pool).await,
        Err(Error::ChecksumMismatch { version: 2, .. })
    ));
    assert_eq!(
        states(&edited.status(pool).await.expect("status"))[1],
        (2, State::Edited)
    );
    let report = edited.repair(pool).await.expect("repair");
    assert_eq!(report.repaired(), [Repair::AcceptedChecksum { version: 2 }]);
    assert!(edited.run(pool).await.expect("accepted").is_noop());
    assert!(edited
        .repair(pool)
        .await
        .expect("nothing to repair")
        .is_noop());

    // Back to the real files (repair again), and let an older binary revert 0004 with the
    // down script recorded when it was applied: first make 0004 really applied.
    m.repair(pool).await.expect("repair back");
    m.mark_reverted(pool, &reversible::migrations::V2_CREATE_B)
        .await
        .expect("forget 2..4");
    assert_eq!(
        versions(m.run(pool).await.expect("apply 2..4").applied()),
        [2, 3, 4]
    );
    let older = reversible_truncated::migrations::migrator().ignore_missing(true);
    assert_eq!(
        states(&older.status(pool).await.expect("status"))[3],
        (4, State::MissingFromBinary)
    );
    let report = older
        .revert_steps(pool, 1)
        .await
        .expect("older binary reverts 0004");
    assert_eq!(versions(report.reverted()), [4]);
    assert!(!pool.exists("d").await);

    let error = m
        .run_to(pool, &basic::migrations::V1_CREATE_ITEMS)
        .await
        .expect_err("foreign target");
    assert!(
        matches!(error, Error::UnknownTarget { version: 1, .. }),
        "{error:?}"
    );

    // Every manual operation left a line in the audit trail.
    let audited = pool
        .count("SELECT COUNT(*) FROM _migrate_history_audit")
        .await;
    assert!(audited >= 12, "{audited} audit rows");
}

#[tokio::test]
async fn operations_on_postgres() {
    let Some(db) = ServerDatabase::create_on(Server::Postgres).await else {
        return;
    };
    scenario(&db.pool().await).await;
}

/// A session whose time zone is far from UTC (sqlx opens PostgreSQL sessions in UTC; an
/// application may change that): `applied_at` is still UTC.
#[tokio::test]
async fn applied_at_is_utc_in_any_session_time_zone_on_postgres() {
    let Some(db) = ServerDatabase::create_on(Server::Postgres).await else {
        return;
    };
    let pool = sqlx::postgres::PgPoolOptions::new()
        .after_connect(|conn, _| {
            Box::pin(async move {
                sqlx::raw_sql("SET TIME ZONE 'Asia/Kolkata'")
                    .execute(conn)
                    .await
                    .map(drop)
            })
        })
        .connect(&db.url)
        .await
        .expect("pool");
    basic::migrations::run(&pool).await.expect("migrate");
    let status = basic::migrations::migrator()
        .status(&pool)
        .await
        .expect("status");
    assert_eq!(status.len(), 3);
    for line in &status {
        migrate_tests::assert_applied_just_now_in_utc(line.applied_at.as_deref().unwrap_or(""));
    }
}

#[tokio::test]
async fn operations_on_sqlite() {
    let db = SqliteFile::new();
    scenario(&db.pool().await).await;
}

#[tokio::test]
async fn operations_on_mariadb() {
    let Some(db) = ServerDatabase::create_on(Server::MySql).await else {
        return;
    };
    scenario(&db.mysql_pool().await).await;
}
