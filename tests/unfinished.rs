//! Unfinished reverts and retries, on real MariaDB and PostgreSQL servers (issue 12, parts 2
//! and 4).
//!
//! - A down script that runs statement by statement (always on MariaDB, a
//!   `-- migrate:no-transaction` down file on PostgreSQL) and fails part-way is recorded as an
//!   unfinished *revert*, with the statements of the down file it applied; `status` shows
//!   it, `up` refuses, and `down` resumes it at the failed statement once the down file is
//!   fixed. A history table created by the previous version is upgraded on the way.
//! - A migration (or revert) that failed because of its environment is retried with its file
//!   unchanged, each statement running once, and the retry is audited.

use migrate::{Direction, Down, Error, Migrator, Operation, Pool, Repair, State};
use migrate_tests::fixtures::{
    fk_retry, revert_typo, revert_typo_fixed, revert_typo_no_tx, revert_typo_no_tx_fixed,
};
use migrate_tests::{Server, ServerDatabase};

/// What the tests read of the database, whatever the server.
trait Inspect {
    /// Whether `table` exists.
    async fn exists(&self, table: &str) -> bool;
    /// Runs SQL.
    async fn exec(&self, sql: &str);
    /// The row of `version`: success, statements applied, error, revert checksum.
    async fn row(&self, version: i64) -> Option<HistoryRow>;
    /// Whether the history table has the column `revert_checksum`.
    async fn has_revert_column(&self) -> bool;
    /// The history table as the previous version created it, with the row it wrote for
    /// `revert_typo`'s 0001 after applying it (statement by statement, as on MySQL).
    async fn earlier_history_with_0001(&self);
}

type HistoryRow = (bool, i64, Option<String>, Option<Vec<u8>>);

const ROW: &str = "SELECT success, statements_applied, error, revert_checksum FROM _migrate_history WHERE version = ";

/// The columns of the history table before `revert_checksum`, as the previous version
/// created them.
const EARLIER_MYSQL: &str = "CREATE TABLE _migrate_history (
    version BIGINT PRIMARY KEY, name VARCHAR(255) NOT NULL, checksum VARBINARY(32) NOT NULL,
    success BOOLEAN NOT NULL, applied_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    duration_us BIGINT NOT NULL, down_script LONGTEXT, statements_applied BIGINT NOT NULL DEFAULT 0,
    progress_checksum VARBINARY(32), error TEXT)";
const EARLIER_POSTGRES: &str = "CREATE TABLE _migrate_history (
    version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum BYTEA NOT NULL,
    success BOOLEAN NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    duration_us BIGINT NOT NULL, down_script TEXT, statements_applied BIGINT NOT NULL DEFAULT 0,
    progress_checksum BYTEA, error TEXT)";

impl Inspect for sqlx::MySqlPool {
    async fn exists(&self, table: &str) -> bool {
        sqlx::query(sqlx::AssertSqlSafe(format!("SELECT 1 FROM {table}")))
            .fetch_all(self)
            .await
            .is_ok()
    }
    async fn exec(&self, sql: &str) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(self)
            .await
            .expect(sql);
    }
    async fn row(&self, version: i64) -> Option<HistoryRow> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{ROW}{version}")))
            .fetch_optional(self)
            .await
            .expect("the history row")
    }
    async fn has_revert_column(&self) -> bool {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
             AND TABLE_NAME = '_migrate_history' AND COLUMN_NAME = 'revert_checksum'",
        )
        .fetch_one(self)
        .await
        .expect("information_schema");
        count == 1
    }
    async fn earlier_history_with_0001(&self) {
        self.exec(EARLIER_MYSQL).await;
        insert_0001(self, "?").await;
    }
}

impl Inspect for sqlx::PgPool {
    async fn exists(&self, table: &str) -> bool {
        migrate_tests::pg_relation_exists(self, table).await
    }
    async fn exec(&self, sql: &str) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(self)
            .await
            .expect(sql);
    }
    async fn row(&self, version: i64) -> Option<HistoryRow> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{ROW}{version}")))
            .fetch_optional(self)
            .await
            .expect("the history row")
    }
    async fn has_revert_column(&self) -> bool {
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns \
             WHERE table_name = '_migrate_history' AND column_name = 'revert_checksum')",
        )
        .fetch_one(self)
        .await
        .expect("information_schema")
    }
    async fn earlier_history_with_0001(&self) {
        self.exec(EARLIER_POSTGRES).await;
        insert_0001(self, "$").await;
    }
}

/// Creates `t1` and `t2` and records 0001 of `revert_typo` as the previous version did;
/// `placeholder` is `?` or `$` (numbered).
async fn insert_0001<DB>(pool: &sqlx::Pool<DB>, placeholder: &str)
where
    DB: sqlx::Database,
    for<'c> &'c sqlx::Pool<DB>: sqlx::Executor<'c, Database = DB>,
    for<'q> Vec<u8>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
{
    let migration = &revert_typo::migrations::V1_TWO_TABLES;
    let [a, b] = match placeholder {
        "?" => ["?", "?"],
        _ => ["$1", "$2"],
    };
    sqlx::raw_sql("CREATE TABLE t1 (id INT); CREATE TABLE t2 (id INT)")
        .execute(pool)
        .await
        .expect("the tables of 0001");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO _migrate_history (version, name, checksum, success, duration_us, down_script, statements_applied) \
         VALUES (1, 'two_tables', {a}, TRUE, 1000, {b}, 2)"
    )))
    .bind(migration.checksum().to_vec())
    .bind(migration.down().map(|d| d.sql()).unwrap_or_default())
    .execute(pool)
    .await
    .expect("the row of 0001");
}

/// Where the scenario's history table comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Start {
    /// None yet: `up` creates it.
    Fresh,
    /// The previous version's, without `revert_checksum`, with 0001 applied.
    Earlier,
}

/// The scenario: up creates t1 and t2; the down file drops t2, then fails on
/// `t1_typo`. `broken` and `fixed` are the two binaries.
async fn failed_down_then_fixed<P: Pool + Inspect>(
    pool: &P,
    broken: Migrator,
    fixed: Migrator,
    start: Start,
) {
    let down_file = "0001_two_tables.down.sql";
    match start {
        Start::Fresh => {
            let report = broken.run(pool).await.expect("up");
            assert_eq!(report.applied().len(), 1);
        }
        Start::Earlier => {
            pool.earlier_history_with_0001().await;
            // Read-only operations read the earlier table as it is, and leave it so.
            let status = broken
                .status(pool)
                .await
                .expect("status of an earlier table");
            assert_eq!(status[0].state, State::Applied);
            assert!(broken.run(pool).await.expect("nothing to do").is_noop());
            assert!(!pool.has_revert_column().await, "read-only: not upgraded");
        }
    }

    // down: statement 2 fails after statement 1 dropped t2.
    let error = broken.revert_steps(pool, 1).await.expect_err("down fails");
    match &error {
        Error::Migration {
            version: 1,
            file,
            message,
            rolled_back: false,
            location: Some(location),
            ..
        } => {
            assert_eq!(file, down_file);
            assert!(message.contains("t1_typo"), "{message}");
            assert_eq!(
                location.statement,
                Some((2, "DROP TABLE t1_typo".to_owned()))
            );
        }
        other => panic!("expected a located Error::Migration, got {other:?}"),
    }
    assert!(pool.has_revert_column().await, "upgraded under the lock");
    assert!(!pool.exists("t2").await && pool.exists("t1").await);

    // The row records an unfinished revert: 1 statement of the down file, its error, and
    // the checksum of that down file.
    let down_sql = broken
        .migrations()
        .iter()
        .next()
        .and_then(|m| m.down())
        .map(|d| d.sql());
    let (success, applied, recorded_error, revert_checksum) =
        pool.row(1).await.expect("the row stays");
    assert!(!success);
    assert_eq!(applied, 1);
    assert!(
        recorded_error
            .as_deref()
            .is_some_and(|e| e.contains("t1_typo")),
        "{recorded_error:?}"
    );
    assert_eq!(
        revert_checksum,
        down_sql.map(|sql| migrate::checksum(sql.as_bytes()).to_vec())
    );

    // status says so, with the down file; the counts hold no applied or pending migration.
    let status = broken.status(pool).await.expect("status");
    assert_eq!(status.len(), 1);
    match &status[0].state {
        State::UnfinishedRevert {
            file,
            statements_applied: 1,
            statements: Some(2),
            error: Some(error),
        } => {
            assert_eq!(file, down_file);
            assert!(error.contains("t1_typo"), "{error}");
        }
        other => panic!("expected an unfinished revert, got {other:?}"),
    }

    // up refuses (the summary does not read as all applied), naming the down file.
    for up in [broken.run(pool).await, fixed.run(pool).await] {
        match up {
            Err(Error::RevertUnfinished {
                version: 1,
                file,
                statements_applied: 1,
                message,
            }) => {
                assert_eq!(file, down_file);
                assert!(
                    message.contains("statement 2 failed")
                        && message.contains(&format!("Fix that statement in `{down_file}`"))
                        && message.contains("run `down`")
                        && message.contains("retry 1"),
                    "{message}"
                );
            }
            other => panic!("expected Error::RevertUnfinished, got {other:?}"),
        }
    }
    assert!(matches!(
        broken.plan(pool, Operation::Up { to: None }).await,
        Err(Error::RevertUnfinished { version: 1, .. })
    ));

    // down with the same down file: refused like up's, nothing runs.
    assert!(matches!(
        broken.revert_steps(pool, 1).await,
        Err(Error::RevertUnfinished { version: 1, .. })
    ));
    assert!(pool.exists("t1").await);

    // The fixed down file: the plan resumes after statement 1, and down finishes.
    let plan = fixed
        .plan(pool, Operation::Down(Down::Steps(1)))
        .await
        .expect("plan");
    assert_eq!(plan.len(), 1);
    assert_eq!(
        (plan[0].version, plan[0].resumes_after, plan[0].sql.as_str()),
        (1, Some(1), "DROP TABLE t1;")
    );
    let report = fixed.revert_steps(pool, 1).await.expect("down resumes");
    assert_eq!(report.reverted().len(), 1);
    assert!(!pool.exists("t1").await && !pool.exists("t2").await);
    assert_eq!(pool.row(1).await, None, "the row is deleted");
    assert_eq!(
        fixed.status(pool).await.expect("status")[0].state,
        State::Pending
    );
    // Statement 1 did not run again (it would have failed: t2 is gone), and the database
    // is healthy: up applies 0001 again.
    assert_eq!(fixed.run(pool).await.expect("up again").applied().len(), 1);
    assert!(pool.exists("t1").await && pool.exists("t2").await);
}

async fn mariadb() -> Option<(ServerDatabase, sqlx::MySqlPool)> {
    let db = ServerDatabase::create_on(Server::MySql).await?;
    let pool = db.mysql_pool().await;
    Some((db, pool))
}

async fn postgres() -> Option<(ServerDatabase, sqlx::PgPool)> {
    let db = ServerDatabase::create_on(Server::Postgres).await?;
    let pool = db.pool().await;
    Some((db, pool))
}

#[tokio::test]
async fn a_failed_down_on_mariadb_is_an_unfinished_revert_resumed_once_fixed() {
    let Some((_db, pool)) = mariadb().await else {
        return;
    };
    let (broken, fixed) = (
        revert_typo::migrations::migrator(),
        revert_typo_fixed::migrations::migrator(),
    );
    failed_down_then_fixed(&pool, broken, fixed, Start::Fresh).await;
}

#[tokio::test]
async fn a_failed_no_transaction_down_on_postgres_is_an_unfinished_revert_resumed_once_fixed() {
    let Some((_db, pool)) = postgres().await else {
        return;
    };
    let (broken, fixed) = (
        revert_typo_no_tx::migrations::migrator(),
        revert_typo_no_tx_fixed::migrations::migrator(),
    );
    failed_down_then_fixed(&pool, broken, fixed, Start::Fresh).await;
}

#[tokio::test]
async fn a_history_table_of_the_previous_version_is_upgraded_on_mariadb() {
    let Some((_db, pool)) = mariadb().await else {
        return;
    };
    let (broken, fixed) = (
        revert_typo::migrations::migrator(),
        revert_typo_fixed::migrations::migrator(),
    );
    failed_down_then_fixed(&pool, broken, fixed, Start::Earlier).await;
}

#[tokio::test]
async fn a_history_table_of_the_previous_version_is_upgraded_on_postgres() {
    let Some((_db, pool)) = postgres().await else {
        return;
    };
    let (broken, fixed) = (
        revert_typo_no_tx::migrations::migrator(),
        revert_typo_no_tx_fixed::migrations::migrator(),
    );
    failed_down_then_fixed(&pool, broken, fixed, Start::Earlier).await;
}

/// `repair` removes the row of an unfinished revert and says what stays applied.
#[tokio::test]
async fn repair_says_what_an_unfinished_revert_leaves_behind() {
    let Some((_db, pool)) = mariadb().await else {
        return;
    };
    let m = revert_typo::migrations::migrator();
    m.run(&pool).await.expect("up");
    m.revert_steps(&pool, 1).await.expect_err("down fails");
    let report = m.repair(&pool).await.expect("repair");
    let removed = Repair::RemovedUnfinished {
        version: 1,
        direction: Direction::Down,
        file: "0001_two_tables.down.sql".to_owned(),
        statements_applied: 1,
    };
    assert_eq!(report.repaired(), std::slice::from_ref(&removed));
    let said = removed.to_string();
    assert!(
        said.contains("statements 1 to 1 of `0001_two_tables.down.sql` stay applied")
            && said.contains("by hand"),
        "{said}"
    );
    assert_eq!(pool.row(1).await, None);
    assert!(
        pool.exists("t1").await,
        "repair undoes and finishes nothing"
    );
}

async fn import_log(pool: &sqlx::MySqlPool) -> Vec<(i32, i64)> {
    sqlx::query_as("SELECT step, COUNT(*) FROM import_log GROUP BY step ORDER BY step")
        .fetch_all(pool)
        .await
        .expect("import_log")
}

async fn audited(pool: &sqlx::MySqlPool, action: &str, version: i64) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT detail FROM _migrate_history_audit WHERE action = ? AND version = ? ORDER BY at_ms",
    )
    .bind(action)
    .bind(version)
    .fetch_all(pool)
    .await
    .expect("the audit trail")
}

/// Issue 12.4: 0002 fails on a foreign key check, which is a setting of the server, not a
/// fault of the file. Once the setting is changed, `retry` resumes it at the failed
/// statement; each statement runs once.
#[tokio::test]
async fn a_migration_that_failed_on_a_server_setting_is_retried_unchanged_on_mariadb() {
    let Some((db, pool)) = mariadb().await else {
        return;
    };
    let m = fk_retry::migrations::migrator();
    let error = m.run(&pool).await.expect_err("0002 fails");
    assert!(
        matches!(&error, Error::Migration { version: 2, message, .. } if message.contains("foreign key constraint fails")),
        "{error:?}"
    );
    let (success, applied, recorded, _) = pool.row(2).await.expect("row");
    assert_eq!((success, applied), (false, 2));
    assert!(recorded.is_some());
    // The unchanged file is refused, and the refusal points at retry.
    match m.run(&pool).await {
        Err(Error::Dirty {
            version: 2,
            message,
            ..
        }) => {
            assert!(message.contains("run `retry 2`"), "{message}");
        }
        other => panic!("expected Error::Dirty, got {other:?}"),
    }

    // The environment is fixed: this application's connections run without foreign key
    // checks (as vaultwarden's migrations require on MySQL).
    let unchecked = sqlx::mysql::MySqlPoolOptions::new()
        .after_connect(|conn, _| {
            Box::pin(async move {
                sqlx::raw_sql("SET FOREIGN_KEY_CHECKS = 0")
                    .execute(conn)
                    .await?;
                Ok(())
            })
        })
        .connect(&db.url)
        .await
        .expect("pool without foreign key checks");
    let report = m
        .retry(&unchecked, &fk_retry::migrations::V2_IMPORT_CHILDREN)
        .await
        .expect("retry");
    assert_eq!(
        report
            .applied()
            .iter()
            .map(|a| a.version)
            .collect::<Vec<_>>(),
        [2]
    );
    assert_eq!(
        import_log(&pool).await,
        [(1, 1), (2, 1)],
        "each statement once"
    );
    let (success, _, recorded, _) = pool.row(2).await.expect("row");
    assert!(success && recorded.is_none());
    let audit = audited(&pool, "retry", 2).await;
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert!(
        audit[0].contains("statement 3 of the unchanged `0002_import_children.up.sql`")
            && audit[0].contains("foreign key constraint fails"),
        "{audit:?}"
    );
    assert!(m.run(&pool).await.expect("up to date").is_noop());
    assert!(m
        .retry(&pool, &fk_retry::migrations::V2_IMPORT_CHILDREN)
        .await
        .expect("nothing to retry")
        .is_noop());

    // A revert fails on the environment too: a table made by hand references `parents`.
    pool.exec(
        "CREATE TABLE orders (id INT PRIMARY KEY, parent_id INT, \
         CONSTRAINT orders_parent FOREIGN KEY (parent_id) REFERENCES parents (id))",
    )
    .await;
    let error = m.revert_all(&pool).await.expect_err("0001's down fails");
    assert!(
        matches!(&error, Error::Migration { version: 1, file, .. } if file == "0001_create_parents.down.sql"),
        "{error:?}"
    );
    let (_, applied, _, revert_checksum) = pool.row(1).await.expect("row");
    assert_eq!(applied, 1);
    assert!(revert_checksum.is_some());
    // Retried before the environment is fixed: it fails again, still recorded.
    assert!(matches!(
        m.retry(&pool, &fk_retry::migrations::V1_CREATE_PARENTS)
            .await,
        Err(Error::Migration { version: 1, .. })
    ));
    pool.exec("ALTER TABLE orders DROP FOREIGN KEY orders_parent")
        .await;
    let report = m
        .retry(&pool, &fk_retry::migrations::V1_CREATE_PARENTS)
        .await
        .expect("retry the revert");
    assert_eq!(report.reverted().len(), 1);
    // `DROP TABLE children` ran once: again, it would have failed.
    assert!(!pool.exists("parents").await && !pool.exists("children").await);
    assert_eq!(pool.row(1).await, None);
    assert_eq!(audited(&pool, "retry", 1).await.len(), 2);
}
