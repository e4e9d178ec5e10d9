//! Earlier versions kept a "seal" of the history table: a one-row table kept current by
//! triggers (and, on PostgreSQL, a trigger function). It is gone, and a run that takes the
//! lock removes it where it finds it, so that no trigger of ours stays in a database.
//!
//! Each test builds the seal's objects as those versions named them, on PostgreSQL and
//! MariaDB, each on a database of its own.

use migrate::Migrator;
use migrate_tests::fixtures::{basic, truncated};
use migrate_tests::{Server, ServerDatabase};

/// The seal's objects on PostgreSQL, as an earlier version installed them (same names, a
/// simpler body).
const PG_SEAL: &str = "
CREATE TABLE _migrate_history_seal (id INTEGER PRIMARY KEY, row_count BIGINT NOT NULL);
INSERT INTO _migrate_history_seal VALUES (1, 0);
CREATE FUNCTION _migrate_history_seal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN UPDATE _migrate_history_seal SET row_count = row_count + 1; RETURN NULL; END $$;
CREATE TRIGGER migrate_seal AFTER INSERT OR UPDATE OR DELETE ON _migrate_history
  FOR EACH ROW EXECUTE FUNCTION _migrate_history_seal();
CREATE TRIGGER migrate_seal_truncate AFTER TRUNCATE ON _migrate_history
  FOR EACH STATEMENT EXECUTE FUNCTION _migrate_history_seal();";

/// The seal's objects on MySQL and MariaDB.
const MYSQL_SEAL: &str = "
CREATE TABLE _migrate_history_seal (id INT PRIMARY KEY, row_count BIGINT NOT NULL);
INSERT INTO _migrate_history_seal VALUES (1, 0);
CREATE TRIGGER _migrate_history_seal_i AFTER INSERT ON _migrate_history FOR EACH ROW
  UPDATE _migrate_history_seal SET row_count = row_count + 1;
CREATE TRIGGER _migrate_history_seal_u AFTER UPDATE ON _migrate_history FOR EACH ROW
  UPDATE _migrate_history_seal SET row_count = row_count;
CREATE TRIGGER _migrate_history_seal_d AFTER DELETE ON _migrate_history FOR EACH ROW
  UPDATE _migrate_history_seal SET row_count = row_count - 1;";

#[tokio::test]
async fn a_locked_run_drops_the_seal_of_an_earlier_version_on_postgres() {
    let Some(db) = ServerDatabase::create_on(Server::Postgres).await else {
        return;
    };
    let pool = db.pool().await;
    truncated::migrations::run(&pool).await.expect("migrate");
    sqlx::raw_sql(PG_SEAL).execute(&pool).await.expect("seal");
    // A no-op start-up takes no lock and changes nothing.
    assert!(truncated::migrations::run(&pool)
        .await
        .expect("no-op")
        .is_noop());
    assert_eq!(pg_seal_objects(&pool).await, (1, 1, 2));
    let report = Migrator::new(&basic::migrations::MIGRATIONS)
        .run(&pool)
        .await
        .expect("apply 0003");
    assert_eq!(report.applied().len(), 1);
    assert_eq!(
        pg_seal_objects(&pool).await,
        (0, 0, 0),
        "nothing of the seal stays"
    );
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM _migrate_history WHERE success")
        .fetch_one(&pool)
        .await
        .expect("history");
    assert_eq!(rows, 3);
}

/// (seal tables, seal functions, triggers on the history table).
async fn pg_seal_objects(pool: &sqlx::PgPool) -> (i64, i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM pg_class WHERE relname = '_migrate_history_seal'), \
                (SELECT count(*) FROM pg_proc WHERE proname = '_migrate_history_seal'), \
                (SELECT count(*) FROM pg_trigger \
                 WHERE tgrelid = '_migrate_history'::regclass AND NOT tgisinternal)",
    )
    .fetch_one(pool)
    .await
    .expect("catalogue")
}

#[tokio::test]
async fn a_locked_run_drops_the_seal_of_an_earlier_version_on_mariadb() {
    let Some(db) = ServerDatabase::create_on(Server::MySql).await else {
        return;
    };
    let pool = db.mysql_pool().await;
    truncated::migrations::run(&pool).await.expect("migrate");
    sqlx::raw_sql(MYSQL_SEAL)
        .execute(&pool)
        .await
        .expect("seal");
    assert!(truncated::migrations::run(&pool)
        .await
        .expect("no-op")
        .is_noop());
    assert_eq!(mysql_seal_objects(&pool).await, (1, 3));
    let report = Migrator::new(&basic::migrations::MIGRATIONS)
        .run(&pool)
        .await
        .expect("apply 0003");
    assert_eq!(report.applied().len(), 1);
    assert_eq!(
        mysql_seal_objects(&pool).await,
        (0, 0),
        "nothing of the seal stays"
    );
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _migrate_history WHERE success")
        .fetch_one(&pool)
        .await
        .expect("history");
    assert_eq!(rows, 3);
}

/// (seal tables, triggers) in the current database.
async fn mysql_seal_objects(pool: &sqlx::MySqlPool) -> (i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '_migrate_history_seal'), \
                (SELECT COUNT(*) FROM information_schema.TRIGGERS \
                 WHERE TRIGGER_SCHEMA = DATABASE())",
    )
    .fetch_one(pool)
    .await
    .expect("information_schema")
}
